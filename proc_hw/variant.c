// proc_hw/variant.c: what makes this the hw kernel. The shared core calls these
// two hooks; everything hw-specific lives in proc_hw/ (see docs/boot.md).
#include "kern/kern.h"

const char variant_name[] = "hw";

void variant_init(void) {
}

// Until the hw process model exists, the kernel monitor is the console.
void variant_main(void) {
    monitor_run();
}
