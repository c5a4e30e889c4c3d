// proc_hw/syscall.c: a system call's way through the kernel.
//
//   user stub (gen/hw_usys.c)   rax = number, args in rdi rsi rdx r10 r8 r9
//     │ syscall
//     ▼
//   syscall_entry (arch/x86_64/syscall_entry.asm)
//     swapgs, user rsp parked, kernel stack, struct trapframe built
//     │ call
//     ▼
//   syscall_dispatch (here) ──► syscall_table_call (gen/hw_systable.c)
//     │                             └─► sys_NAME(...): >= 0 or -errno
//     │ tf->rax = result; killed? exit; preemption due? yield
//     ▼
//   back in syscall_entry: sysretq (or iretq if rip is not canonical)
#include "proc_hw/proc.h"
#include "hw_sysprotos.h"

long syscall_table_call(uint64_t nr, const uint64_t a[6]);   // generated
extern void syscall_entry(void);                              // syscall_entry.asm

// syscall_entry.asm reads these with fixed offsets: keep them in step.
_Static_assert(offsetof(struct cpu, kstack_top) == 48, "CPU_KSTACK_TOP in syscall_entry.asm");
_Static_assert(offsetof(struct cpu, user_rsp_scratch) == 56, "CPU_USER_RSP_SCRATCH in syscall_entry.asm");
_Static_assert(offsetof(struct trapframe, rip) == 136, "TF_RIP in syscall_entry.asm");
_Static_assert(offsetof(struct trapframe, rflags) == 152, "TF_RFLAGS in syscall_entry.asm");
_Static_assert(offsetof(struct trapframe, rsp) == 160, "TF_RSP in syscall_entry.asm");
_Static_assert(sizeof(struct trapframe) == 176, "a trap frame is 22 words");

#define EFER_SCE     (1ull << 0)
#define RFLAGS_TF    (1ull << 8)
#define RFLAGS_DF    (1ull << 10)
#define RFLAGS_NT    (1ull << 14)

// Per CPU. STAR holds two selector bases: `syscall` loads CS from bits
// 32-47 (and SS = that + 8); sysret loads SS = bits 48-63 + 8 and
// CS = bits 48-63 + 16, which is why the GDT has user data (0x18) just
// below user code (0x20) and we store 0x13 = 0x18 - 8, RPL 3.
// SFMASK clears, on entry: IF (no interrupt before we are on the kernel
// stack), DF (the C ABI's rule), TF (no single-step trap in the kernel),
// AC (SMAP stays closed whatever the user set), and NT: ring 3 may set it
// with popf, and an iretq run while NT is set raises #GP. context_switch
// does not save rflags, so a syscall that blocked with NT set would hand
// it to whichever thread ran next, whose next iretq would panic the kernel.
void syscall_init_cpu(void) {
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    wrmsr(MSR_STAR, ((uint64_t)(SEG_UDATA - 8) << 48) | ((uint64_t)SEG_KCODE << 32));
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    wrmsr(MSR_SFMASK, RFLAGS_IF | RFLAGS_DF | RFLAGS_TF | RFLAGS_NT | RFLAGS_AC);
}

// Every entry from ring 3 saves the user registers in the same place: the
// CPU (traps, via TSS.rsp0) or syscall_entry (via kstack_top) starts at the
// top of the thread's kernel stack and pushes one struct trapframe.
struct trapframe *proc_user_frame(struct thread *t) {
    return (struct trapframe *)((char *)t->kstack + KSTACK_SIZE) - 1;
}

// On every way back to user mode from a syscall: a killed process goes no
// further; a thread whose time slice ran out lets others run first (the
// timer only marks it: kern/sched.c).
static void syscall_return_checks(void) {
    for (;;) {
        if (proc_killed()) proc_exit_killed();
        push_irq_off();
        bool preempt = sched_preempt_pending();
        pop_irq_off();
        if (!preempt) return;
        thread_yield();
    }
}

// From syscall_entry.asm, interrupts on. The result goes into the frame's
// rax, which the exit path restores. (exec rewrites the frame: the new
// program then starts with rax = exec's result.)
long syscall_dispatch(struct trapframe *tf) {
    const uint64_t args[6] = { tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8, tf->r9 };
    long r = syscall_table_call(tf->rax, args);
    tf->rax = (uint64_t)r;
    syscall_return_checks();
    return r;
}

// arch/x86_64/trap.c, after any trap from ring 3 (interrupts off): the
// tick that preempted a looping process is also where a kill catches it.
void trap_return_to_user(struct trapframe *tf) {
    // Only on the thread's own kernel stack: an NMI or machine check from
    // ring 3 runs on a per-CPU IST stack that must not be switched away from.
    if (tf != proc_user_frame(thread_current())) return;
    if (proc_killed()) {
        sti();                       // from ring 3: no lock held, safe to take interrupts
        proc_exit_killed();
    }
}
