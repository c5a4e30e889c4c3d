// proc_sip/variant.c: what makes this the sip kernel. The shared core calls these
// hooks; everything sip-specific lives in proc_sip/ (see docs/boot.md, docs/sip.md).
#include "kern/kern.h"
#include "proc_sip/sip.h"
#include "proc_sip/services.h"
#include "syscall/errno_list.h"

const char variant_name[] = "sip";

// The contracts come first: the services speak them, and every spawn checks
// a manifest's endpoint lines against them.
void variant_init(void) {
    sip_domains_init();          // sipdom*: before any SIP is made (ktests make some)
    contracts_load();
    fileserv_start();
}

// cmdline `sip=NAME`: the initrd's sip/NAME.sip with no args and no stdin or
// stdout; sip_spawn prints `sip N (NAME): exited with status S` (or the line
// of its abnormal end). Powers off with 0 iff it exited with 0.
static _Noreturn void run_one(const char *name) {
    struct sip *s = sip_spawn(name);
    int status = s ? sip_wait(s) : -1;
    kernel_poweroff(status == 0 ? POWEROFF_OK : POWEROFF_FAIL);
}

// The shell, its stdin the console's cooked lines, its stdout the console.
// Powers off with its exit status (`poweroff` in the shell is exit(0)).
static int run_shell(void) {
    struct endpoint *in = consserv_start();
    if (!in) return -ENOMEM;
    struct endpoint *eps[2] = { in, NULL };      // stdin, stdout: the manifest's first two
    static const char args[] = "sh";             // with its NUL: one string
    int err = 0;
    struct sip *s = sip_create("sh", args, sizeof args, eps, 2, NULL, &err);
    if (!s) {
        endpoint_close(in);                      // the console thread ends at its next line
        return err;
    }
    int status = sip_wait(s);
    kprintf("sh exited (status %d); powering off\n", status);
    kernel_poweroff(status == 0 ? POWEROFF_OK : POWEROFF_FAIL);
}

// The bare word `monitor` gives the kernel monitor; so does a kernel whose
// shell cannot start (as the hw kernel does without /bin/init).
void variant_main(void) {
    const char *name = cmdline_get("sip");
    if (name) run_one(name);
    if (!cmdline_get("monitor")) {
        int r = run_shell();
        kprintf("sh: cannot start sip/sh.sip (error %d); kernel monitor instead\n", r);
    }
    monitor_run();
}
