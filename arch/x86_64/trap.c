// arch/x86_64/trap.c: where every interrupt and exception lands after
// trapentry.asm has built the trap frame. A registered handler runs first
// (device IRQs, the timer, soft vectors); an interrupt may then end in a
// thread switch (timer preemption); an exception nobody handled is fatal:
// in the kernel it is a panic with a register dump, from ring 3 it goes to
// trap_user_exception, which a variant can override.
#include "kern/kern.h"
#include "arch/x86_64/arch.h"

static const char *const exception_names[32] = {
    "divide error", "debug", "non-maskable interrupt", "breakpoint",
    "overflow", "bound range exceeded", "invalid opcode", "device not available",
    "double fault", "coprocessor segment overrun", "invalid TSS", "segment not present",
    "stack-segment fault", "general protection fault", "page fault", "reserved (15)",
    "x87 floating-point error", "alignment check", "machine check", "SIMD floating-point error",
    "virtualization exception", "control protection exception", "reserved (22)", "reserved (23)",
    "reserved (24)", "reserved (25)", "reserved (26)", "reserved (27)",
    "hypervisor injection", "VMM communication", "security exception", "reserved (31)",
};

const char *trap_name(uint64_t vector) {
    return vector < 32 ? exception_names[vector] : "interrupt";
}

#define PF_PRESENT (1u << 0)    // page-fault error code bits (SDM vol. 3, 4.7)
#define PF_WRITE   (1u << 1)
#define PF_USER    (1u << 2)
#define PF_RSVD    (1u << 3)
#define PF_FETCH   (1u << 4)

static void print_page_fault(uint64_t cr2, uint64_t err) {
    kprintf("  cr2 0x%016lx: %s, %s, %s mode%s\n", cr2,
            err & PF_PRESENT ? "protection violation" : "page not present",
            err & PF_FETCH ? "instruction fetch" : err & PF_WRITE ? "write" : "read",
            err & PF_USER ? "user" : "kernel",
            err & PF_RSVD ? ", reserved bit set" : "");
}

static void dump_three(const char *a, uint64_t va, const char *b, uint64_t vb,
                       const char *c, uint64_t vc) {
    kprintf("  %-3s 0x%016lx  %-3s 0x%016lx  %-3s 0x%016lx\n", a, va, b, vb, c, vc);
}

// Every line stays under 80 columns so the dump reads on a VGA screen too.
void trap_dump(const struct trapframe *tf) {
    uint64_t off = 0;
    const char *fn = ksym_lookup(tf->rip, &off);
    if (fn) kprintf("  rip 0x%016lx <%s+0x%lx>\n", tf->rip, fn, off);
    else kprintf("  rip 0x%016lx\n", tf->rip);
    dump_three("rax", tf->rax, "rbx", tf->rbx, "rcx", tf->rcx);
    dump_three("rdx", tf->rdx, "rsi", tf->rsi, "rdi", tf->rdi);
    dump_three("rbp", tf->rbp, "rsp", tf->rsp, "r8", tf->r8);
    dump_three("r9", tf->r9, "r10", tf->r10, "r11", tf->r11);
    dump_three("r12", tf->r12, "r13", tf->r13, "r14", tf->r14);
    dump_three("r15", tf->r15, "cr0", read_cr0(), "cr2", read_cr2());
    dump_three("cr3", read_cr3(), "cr4", read_cr4(), "rfl", tf->rflags);
    kprintf("  cs 0x%lx  ss 0x%lx  error 0x%lx  vector %lu (%s)\n",
            tf->cs, tf->ss, tf->error, tf->vector, trap_name(tf->vector));
}

// The report for an exception nobody can handle. panic_begin first: the
// fault may have hit while this CPU held the console lock.
static _Noreturn void trap_fatal(struct trapframe *tf, const char *where) {
    uint64_t cr2 = read_cr2();      // before printing can fault and change it
    panic_begin();
    kprintf("PANIC: %s (vector %lu, error 0x%lx) in %s\n",
            trap_name(tf->vector), tf->vector, tf->error, where);
    if (tf->vector == 14) print_page_fault(cr2, tf->error);
    trap_dump(tf);
    kprintf("backtrace:\n");
    backtrace_from(tf->rbp);
    kernel_poweroff(POWEROFF_PANIC);
}

// Default for exceptions from ring 3: for now the same panic as in the
// kernel. Weak on purpose: the hw variant (proc_hw/) defines the strong
// one, which reports the fault and kills only the offending process.
__attribute__((weak)) void trap_user_exception(struct trapframe *tf) {
    trap_fatal(tf, "user mode");
}

// Default: no kernel fault is recoverable. Weak so that a variant can add
// recovery points (e.g. copyin/copyout returning EFAULT, a SIP's trap
// ending only that SIP) without touching this file.
__attribute__((weak)) bool trap_kernel_fixup(struct trapframe *tf) {
    (void)tf;
    return false;
}

// Last thing before any trap returns to ring 3 (interrupts off, and off
// again on return). Default (weak): nothing. The hw variant ends a process
// here that was killed while it ran user code: a timer tick is then the
// kernel's only chance to notice.
__attribute__((weak)) void trap_return_to_user(struct trapframe *tf) {
    (void)tf;
}

// Last thing before an interrupt returns to ring 0 (interrupts off), after
// any preemption. Default (weak): nothing. The sip variant ends a SIP thread
// here that was told to end while it ran the SIP's (ring-0) code.
__attribute__((weak)) void trap_return_to_kernel(struct trapframe *tf) {
    (void)tf;
}

static void trap_exception(struct trapframe *tf) {
    if (tf->cs & 3) {
        trap_user_exception(tf);
        return;
    }
    if (trap_kernel_fixup(tf)) return;
    trap_fatal(tf, "kernel");
}

// An interrupt vector nobody registered: say so once per vector, and
// acknowledge it so the controller does not stay blocked.
static void trap_unexpected_irq(struct trapframe *tf) {
    static bool reported[256];
    uint64_t v = tf->vector;
    if (!reported[v]) {
        reported[v] = true;
        kprintf("trap: unexpected interrupt, vector 0x%lx\n", v);
    }
    if (v >= VEC_PIC_BASE && v < VEC_PIC_BASE + 16) pic_eoi((int)(v - VEC_PIC_BASE));
    else if (lapic_present()) lapic_eoi();
}

// Timer preemption: the timer's tick() (sched_tick) only sets a flag; the
// switch itself happens here, after the handler has sent its EOI, so the
// controller is free while another thread runs.
static void trap_maybe_preempt(void) {
    if (sched_preempt_pending()) thread_yield();
}

// RFLAGS.AC arriving from ring 3 is the user's own (popf sets it there at
// will), and with SMAP it would mean "user access allowed" for the whole
// handler. `syscall` clears it through SFMASK; an interrupt or exception does
// not, so this does (popf, not clac: clac is #UD where there is no SMAP).

void trap_dispatch(struct trapframe *tf) {
    if (tf->cs & 3) write_rflags(read_rflags() & ~RFLAGS_AC);
    irq_handler_t h = irq_get_handler((int)tf->vector);
    if (h) h(tf);
    else if (tf->vector < 32) trap_exception(tf);
    else trap_unexpected_irq(tf);
    if (tf->vector >= 32) trap_maybe_preempt();
    if (tf->cs & 3) trap_return_to_user(tf);
    else if (tf->vector >= 32) trap_return_to_kernel(tf);
}
