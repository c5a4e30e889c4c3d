// proc_sip/variant.c: what makes this the sip kernel. The shared core calls these
// hooks; everything sip-specific lives in proc_sip/ (see docs/boot.md, docs/sip.md).
#include "kern/kern.h"
#include "proc_sip/sip.h"

const char variant_name[] = "sip";

void variant_init(void) {
}

// cmdline `sip=NAME` runs the initrd's sip/NAME.sip and powers off: status 0
// if the SIP exited with 0, otherwise 1 (a refused image, a trap, a nonzero
// status). Without it, the kernel monitor is the console.
void variant_main(void) {
    const char *name = cmdline_get("sip");
    if (!name) monitor_run();
    struct sip *s = sip_spawn(name);
    int status = s ? sip_wait(s) : -1;
    kernel_poweroff(status == 0 ? POWEROFF_OK : POWEROFF_FAIL);
}
