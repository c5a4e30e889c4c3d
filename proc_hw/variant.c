// proc_hw/variant.c: what makes this the hw kernel. The shared core calls these
// two hooks; everything hw-specific lives in proc_hw/ (see docs/boot.md).
#include "proc_hw/proc.h"

const char variant_name[] = "hw";

void variant_init(void) {
    proc_init();
    uvm_init();
    syscall_init_cpu();
}

// Init's wait status becomes the power-off status: a clean exit(0) is
// status 0; a kill or a fault (WSTATUS_KILLED) is a failure, status 1.
static int poweroff_status_of(int wstatus) {
    return WIFKILLED(wstatus) ? POWEROFF_FAIL : WEXITSTATUS(wstatus);
}

// The bare word `monitor` on the command line gives the kernel monitor
// (tests use it to look at the initrd); otherwise pid 1 runs /bin/init and
// this boot thread waits for it. A kernel with no /bin/init falls back to
// the monitor rather than stopping.
void variant_main(void) {
    if (cmdline_get("monitor")) {
        monitor_run();
        return;
    }
    int r = proc_start_init_status();
    if (r < 0) {
        kprintf("init: cannot start /bin/init (error %d); kernel monitor instead\n", r);
        monitor_run();
        return;
    }
    int st = proc_wait_init();
    kprintf("init exited (status %d); powering off\n", st);
    kernel_poweroff(poweroff_status_of(st));
}
