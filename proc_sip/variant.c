// proc_sip/variant.c: what makes this the sip kernel. The shared core calls these
// two hooks; everything sip-specific lives in proc_sip/ (see docs/boot.md).
#include "kern/kern.h"

const char variant_name[] = "sip";

void variant_init(void) {
}

// Until the sip process model exists, the kernel monitor is the console.
void variant_main(void) {
    monitor_run();
}

// Every SIP lives in the one address space: a switch loads no CR3.
void variant_thread_switch(struct thread *next) {
    (void)next;
}
