// proc_hw/fault.c: exceptions, as the hw kernel sees them.
//
// From ring 3 (trap_user_exception): a page fault may be one the kernel
// meant to happen (copy-on-write, a page not yet mapped: uvm_page_fault
// fixes it and the instruction runs again); anything else ends the process
// that caused it, with one line, and the kernel goes on:
//
//   pid 7 (cat): page fault at 0x0 rip 0x401a2c, killed
//
// From ring 0 (trap_kernel_fixup): only a fault inside copyin/copyout/
// copyinstr is expected (a bad user pointer); usercopy_fixup decides.
// Anything else stays a kernel bug and a panic (arch/x86_64/trap.c).
#include "proc_hw/proc.h"

// "page fault at 0x0 rip 0x401a2c" or "general protection fault rip 0x401a2c".
static void describe_fault(char *buf, size_t n, const struct trapframe *tf, uint64_t cr2) {
    if (tf->vector == 14)
        ksnprintf(buf, n, "page fault at 0x%lx rip 0x%lx", cr2, tf->rip);
    else
        ksnprintf(buf, n, "%s rip 0x%lx", trap_name(tf->vector), tf->rip);
}

void trap_user_exception(struct trapframe *tf) {
    struct proc *p = proc_current();
    uint64_t cr2 = read_cr2();       // before anything can fault again
    // Ring 3 without a process cannot happen; NMI, double fault and machine
    // check are the hardware's (or the kernel's) trouble, not the program's,
    // and run on an IST stack that killing the process would switch away from.
    if (!p || tf != proc_user_frame(thread_current())) {
        trap_dump(tf);
        panic("%s from ring 3 (thread '%s')", trap_name(tf->vector), thread_current()->name);
    }
    if (tf->vector == 14 && uvm_page_fault(p->as, cr2, tf->error) == 0)
        return;                      // fixed: the instruction runs again
    char what[96];
    describe_fault(what, sizeof what, tf, cr2);
    sti();                           // from ring 3: no lock is held
    proc_fault_exit(what, (int)tf->vector);
}

bool trap_kernel_fixup(struct trapframe *tf) {
    return usercopy_fixup(tf);
}
