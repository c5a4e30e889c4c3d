// proc_sip/fault.c: a ring-0 fault that is a SIP's own doing ends that SIP,
// not the kernel (the weak hook in arch/x86_64/trap.c). Two such faults:
//  - running off the bottom of a SIP thread's stack: wasm2c's depth counter
//    bounds the number of calls, not their frames' size. The CPU cannot push
//    the page fault's frame on the unmapped page either, so it arrives as a
//    double fault on the IST stack; the frame's rsp still says where the SIP was.
//  - a load or store of a memcheck=guard SIP past its linear memory: its code
//    has no bounds checks, the rest of its 8 GiB window is unmapped, and the
//    page fault is its wasm "out of bounds" trap, with the same line as an
//    explicit check's (wasm_rt_trap).
// Any other kernel fault stays a panic: also one in a SIP's window from the
// kernel's own code (an ABI call reads SIP memory only after sip_mem_range has
// checked the range against the memory's size, which is all mapped), and one
// from a memcheck=explicit SIP's code (wasm2c checked that access first: the
// fault means a check is missing, a bug in the tool chain or the runtime that
// ending the SIP quietly would hide).
#include "proc_sip/sip.h"
#include "arch/x86_64/arch.h"

// Where the faulting thread resumes: on its kernel stack, straight to the
// SIP's end (the thread unwinds; the main thread prints the trap line).
static void sip_fault_exit(void) {
    sip_trap_current("stack overflow");
}
static void sip_fault_oob(void) {
    sip_trap_current("out of bounds");
}

// A page fault of the SIP's own (wasm2c-compiled) code in its window, past
// its memory. The fault frame lies on the SIP thread's native stack, so
// rsp is no guide here: the address (cr2) and the code (rip) are.
static bool guard_fault(struct sip *s, const struct trapframe *tf) {
    if (tf->vector != 14 || !sip_code_contains(tf->rip)) return false;
    uint64_t addr = read_cr2();
    if (!sip_window_beyond_memory(s, addr)) return false;
    if (sip_memcheck_guard(s)) return true;
    kprintf("sip %d (%s): page fault at 0x%lx in its window, but its image checks "
            "bounds (memcheck=explicit): a missing check\n", s->id, s->name, addr);
    return false;
}

bool trap_kernel_fixup(struct trapframe *tf) {
    struct sip *s = sip_current();
    if (!s || (tf->vector != 8 && tf->vector != 14)) return false;
    struct sip_thread *st = sip_thread_current(s);
    if (!st) return false;
    void (*resume)(void);
    if (sip_stack_slot_of(s, tf->rsp) == (int)(st - s->threads)) resume = sip_fault_exit;
    else if (guard_fault(s, tf)) resume = sip_fault_oob;
    else return false;
    // Below the rsp sip_setjmp saved lies only the abandoned call into the
    // SIP's code: a free place for the resume function's frame, aligned as after a call.
    tf->rsp = ALIGN_DOWN(st->jmp[6] - 512, 16) - 8;
    tf->rip = (uint64_t)resume;
    return true;
}

// ---- Faults from ring 3 (domains d, e: proc_sip/ring3*.c) ----
// Only a ring-3 SIP's thread runs ring 3 here. Its fault ends that SIP alone,
// with the line a ring-0 SIP would get: running off its stack is "stack
// overflow" (in ring 3 the CPU pushes the frame on the kernel stack, so it
// is a plain page fault, not a double fault), a load or store past its
// memory in its window "out of bounds", anything else the exception's name.
// A fault in its window from an explicit-mode image means a missing check,
// said as in ring 0, but here it cannot hurt the kernel: the SIP is killed.
static const char *user_fault_what(struct sip *s, struct sip_thread *st,
                                   const struct trapframe *tf) {
    if (tf->vector != 14) return trap_name(tf->vector);
    if (sip_stack_slot_of(s, tf->rsp) == (int)(st - s->threads)) return "stack overflow";
    uint64_t addr = read_cr2();
    if (!sip_window_beyond_memory(s, addr)) return trap_name(tf->vector);
    if (!sip_memcheck_guard(s))
        kprintf("sip %d (%s): page fault at 0x%lx in its window, but its image checks "
                "bounds (memcheck=explicit): a missing check\n", s->id, s->name, addr);
    return "out of bounds";
}

void trap_user_exception(struct trapframe *tf) {
    struct sip *s = sip_current();
    struct sip_thread *st = s ? sip_thread_current(s) : NULL;
    // NMI and machine check only arrive while ring 3 ran: not the SIP's doing.
    if (!s || !s->r3 || !st || tf->vector == 2 || tf->vector == 18)
        panic("%s from ring 3 %s", trap_name(tf->vector), s && s->r3 ? "(not the SIP's)"
                                                                    : "outside a ring-3 SIP");
    const char *what = user_fault_what(s, st, tf);
    sti();                       // from ring 3: no lock is held
    sip_trap_current(what);
}
