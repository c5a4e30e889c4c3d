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

// Every SIP lives in the one address space: a switch loads no CR3. What a
// switch must carry is wasm2c's call-depth counter, a global in its runtime:
// each SIP thread keeps its own across switches. And a CPU must not run a SIP
// with stale TLB entries for a reused memory window (wasm_rt.c).
void variant_thread_switch(struct thread *next) {
    struct sip *cur = thread_current()->owner, *nxt = next->owner;
    if (cur) cur->call_depth = wasm_rt_call_stack_depth;
    wasm_rt_call_stack_depth = nxt ? nxt->call_depth : 0;
    if (nxt) sip_tlb_sync();
}
