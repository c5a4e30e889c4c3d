// proc_sip/fault.c: a ring-0 fault that is a SIP's own doing ends that SIP,
// not the kernel (the weak hook in arch/x86_64/trap.c). Today the one such
// fault is running off the bottom of a SIP thread's stack: wasm2c's depth
// counter bounds the number of calls, not their frames' size. The CPU cannot
// push the page fault's frame on the unmapped page either, so it arrives as a
// double fault on the IST stack; the frame's rsp still says where the SIP was.
#include "proc_sip/sip.h"
#include "arch/x86_64/arch.h"

// Where the faulting thread resumes: on its kernel stack, straight to the
// SIP's end (the thread unwinds; the main thread prints the trap line).
static void sip_fault_exit(void) {
    sip_trap_current("stack overflow");
}

bool trap_kernel_fixup(struct trapframe *tf) {
    struct sip *s = sip_current();
    if (!s || (tf->vector != 8 && tf->vector != 14)) return false;
    struct sip_thread *st = sip_thread_current(s);
    if (!st || sip_stack_slot_of(s, tf->rsp) != (int)(st - s->threads)) return false;
    // Below the rsp sip_setjmp saved lies only the abandoned call into the
    // SIP's code: a free place for sip_fault_exit's frame, aligned as after a call.
    tf->rsp = ALIGN_DOWN(st->jmp[6] - 512, 16) - 8;
    tf->rip = (uint64_t)sip_fault_exit;
    return true;
}
