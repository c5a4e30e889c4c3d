// kern/sched.c: the scheduler. Preemptive round robin over one FIFO run
// queue shared by all CPUs; each CPU runs its own idle thread when the
// queue is empty.
//
// THE RULES (xv6's discipline; every function below relies on them):
//
// 1. sched_lock protects the run queue and every change of a thread's
//    state to or from T_RUNNING, T_READY, T_BLOCKED and T_ZOMBIE.
//
// 2. A thread leaves the CPU only through sched_switch(), holding
//    sched_lock and NO other spinlock (so irq_off_depth == 1 and
//    interrupts are off). Holding another lock across a switch could
//    deadlock against the thread that runs next, so it panics.
//
// 3. The lock is handed across context_switch: the thread that runs next
//    releases it, either on its way out of thread_yield/sched_block or, if
//    it is new, in sched_enter_new_thread. So from the moment a thread is
//    marked BLOCKED or ZOMBIE until its registers are saved on its stack,
//    no other CPU can run it, wake it onto a second CPU, or free it.
//
// 4. struct cpu's irq_off_depth and irq_were_on describe the RUNNING
//    THREAD's push_irq_off nesting, not the CPU's. switch_to() keeps them
//    in its stack frame across the switch and puts them back when this
//    thread runs again, possibly on another CPU. A thread preempted from
//    an interrupt had interrupts off (were_on false), so when it resumes
//    its spin_unlock leaves them off and the trap code's iret restores IF.
//
// 5. Waking is always: lock of the queue the sleeper is on, then
//    sched_lock (sched_make_ready). A sleeper puts itself on that queue
//    and takes sched_lock BEFORE releasing the queue's lock
//    (sched_block), so a wakeup can never slip in between "decided to
//    sleep" and "is asleep": no lost wakeups. Lock order: any lock ->
//    sched_lock; sched_lock is innermost.
#include "kern/kern.h"
#include "arch/x86_64/arch.h"

#define SLICE_TICKS 2            // 20 ms at HZ=100: then another ready thread gets the CPU

static struct spinlock sched_lock = SPINLOCK_INIT("sched");
static struct thread *runq_head, *runq_tail;

// Per-CPU scheduler state, indexed by mycpu()->id. Touched only by its own
// CPU with interrupts off, so it needs no lock.
static struct {
    unsigned slice_ticks;        // ticks the current thread has had since it was picked
    bool preempt;                // slice used up: yield when this interrupt ends
} cpu_sched[MAX_CPUS];

// ---- The run queue: FIFO through thread->next. Caller holds sched_lock. ----

static void runq_push(struct thread *t) {
    t->next = NULL;
    if (runq_tail) runq_tail->next = t;
    else runq_head = t;
    runq_tail = t;
}

static struct thread *runq_pop(void) {
    struct thread *t = runq_head;
    if (!t) return NULL;
    runq_head = t->next;
    if (!runq_head) runq_tail = NULL;
    t->next = NULL;
    return t;
}

// Without the lock: only a hint (is it worth taking the lock to look?).
static bool runq_maybe_nonempty(void) {
    return __atomic_load_n(&runq_head, __ATOMIC_RELAXED) != NULL;
}

// ---- The policy, all of it. Caller holds sched_lock. ----

// Round robin: the thread that has waited longest runs next; this CPU's
// idle thread when nobody is ready. The current thread, if it still wants
// the CPU, has already been put at the back of the queue.
static struct thread *sched_pick_next(void) {
    struct thread *t = runq_pop();
    return t ? t : mycpu()->idle;
}

// ---- Switching ----

// Traps and syscalls from ring 3 (hw) must land on the kernel stack of the
// thread that is running: point this CPU's TSS rsp0 and the syscall entry's
// kstack_top at it. Threads without a stack of their own (boot, idle)
// never run user code. Harmless in sip, where nothing runs in ring 3.
static void use_kernel_stack_of(struct thread *t, struct cpu *c) {
    if (!t->kstack) return;
    uint64_t top = (uint64_t)t->kstack + KSTACK_SIZE;
    c->kstack_top = top;
    tss_set_rsp0(top);
}

// Runs prev's context out and next's in. Returns when prev is next picked.
static void switch_to(struct thread *prev, struct thread *next) {
    struct cpu *c = mycpu();
    if (c->irq_off_depth != 1)
        panic("sched: thread '%s' switching with %d locks held (must be only sched_lock)",
              prev->name, c->irq_off_depth);
    bool were_on = c->irq_were_on;       // rule 4: this thread's, not the CPU's
    thread_check_stack(prev);
    // The kernel itself never touches FPU/SSE registers (-mgeneral-regs-only),
    // so loading next's image before the stack switch is the same as after it,
    // and it also covers a new thread, which never returns from context_switch.
    fpu_save(prev->fpu);
    fpu_restore(next->fpu);
    next->state = T_RUNNING;
    c->current = next;
    use_kernel_stack_of(next, c);
    // The variant's one say in a switch (hw: load next's address space if
    // it belongs to a process; sip: swap wasm2c's per-thread globals). Before
    // the stack switch, so a new thread starts in its own address space.
    variant_thread_switch(prev, next);
    // RFLAGS belong to the thread: an interrupt during a user copy (SMAP
    // opened by stac, AC set) can preempt it, and the next thread must not
    // inherit AC, i.e. run with SMAP quietly off. Popf works on every CPU.
    uint64_t flags = read_rflags();
    write_rflags(flags & ~RFLAGS_AC);
    context_switch(&prev->saved_rsp, next->saved_rsp);
    write_rflags(flags);
    c = mycpu();                         // prev again, perhaps on another CPU
    c->irq_off_depth = 1;
    c->irq_were_on = were_on;
}

// The current thread has already been given its new state (and queued if
// READY). Picks who runs next on this CPU and switches if it is someone else.
static void sched_switch(void) {
    struct cpu *c = mycpu();
    struct thread *prev = c->current;
    struct thread *next = sched_pick_next();
    cpu_sched[c->id].slice_ticks = 0;
    cpu_sched[c->id].preempt = false;
    if (next == prev) {
        prev->state = T_RUNNING;
        return;
    }
    switch_to(prev, next);
}

// The current thread gives up the CPU but stays ready. Works from thread
// context and, with interrupts off, at the end of an interrupt (trap.c).
void thread_yield(void) {
    spin_lock(&sched_lock);
    struct cpu *c = mycpu();
    struct thread *cur = c->current;
    cur->state = T_READY;
    if (cur != c->idle) runq_push(cur);  // idle is never queued: it is the fallback
    sched_switch();
    spin_unlock(&sched_lock);
}

// The current thread stops running in state 'why'. Rule 5: sched_lock is
// taken and the state set before 'held' is released.
static void sched_leave(struct spinlock *held, enum thread_state why) {
    spin_lock(&sched_lock);
    struct cpu *c = mycpu();
    struct thread *cur = c->current;
    if (cur == c->idle) panic("sched: the idle thread may not block or exit");
    cur->state = why;
    if (held) spin_unlock(held);
    sched_switch();
    spin_unlock(&sched_lock);
}

// The caller has put the current thread on a queue protected by 'held'
// (or NULL) from which some waker will take it and call sched_make_ready.
void sched_block(struct spinlock *held) {
    sched_leave(held, T_BLOCKED);
}

_Noreturn void sched_exit_current(struct spinlock *held) {
    sched_leave(held, T_ZOMBIE);
    panic("sched: a zombie ran again");
}

// t may be freed once this is true: ZOMBIE is set under sched_lock, and the
// lock is only released after the switch has left t's stack (rule 3).
bool sched_is_zombie(struct thread *t) {
    spin_lock(&sched_lock);
    bool dead = t->state == T_ZOMBIE;
    spin_unlock(&sched_lock);
    return dead;
}

void sched_make_ready(struct thread *t) {
    spin_lock(&sched_lock);
    if (t->state != T_BLOCKED && t->state != T_UNUSED)
        panic("sched_make_ready: thread %d '%s' is not blocked (state %d)",
              t->tid, t->name, t->state);
    t->state = T_READY;
    runq_push(t);
    spin_unlock(&sched_lock);
}

// A new thread's first C code (thread_start) calls this: it was switched
// to by a thread holding sched_lock with its own nesting; this thread's
// nesting is just that lock, and threads begin with interrupts on.
void sched_enter_new_thread(void) {
    struct cpu *c = mycpu();
    c->irq_off_depth = 1;
    c->irq_were_on = true;
    spin_unlock(&sched_lock);
}

// ---- The timer's side ----

// Every CPU's timer interrupt, interrupts off.
void sched_tick(void) {
    struct cpu *c = mycpu();
    c->ticks++;
    if (c->id == 0) time_tick();         // one global clock, whichever CPUs exist
    struct thread *cur = c->current;
    if (!cur || cur == c->idle) return;  // idle is left by sched_preempt_pending
    cur->ticks_run++;
    if (++cpu_sched[c->id].slice_ticks >= SLICE_TICKS)
        cpu_sched[c->id].preempt = true;
}

// Asked by trap.c after every IRQ, interrupts off: should this CPU yield
// now? Yes when the slice is used up, or when idling and work has appeared
// (an interrupt just woke someone): then the woken thread runs at once.
bool sched_preempt_pending(void) {
    struct cpu *c = mycpu();
    if (!c->current) return false;       // before sched_init
    if (c->current == c->idle) return runq_maybe_nonempty();
    return cpu_sched[c->id].preempt;
}

// ---- Idle, start-up ----

// Runs when nothing is ready. cli before the check and `sti; hlt` as one
// asm statement: sti takes effect only after the next instruction, so an
// interrupt that makes work cannot land between the check and the hlt
// (which would sleep through it until the next tick).
static void idle_loop(void *arg) {
    (void)arg;
    for (;;) {
        cli();
        if (runq_maybe_nonempty()) {
            sti();
            thread_yield();
        } else {
            __asm__ volatile("sti; hlt" ::: "memory");
        }
    }
}

static void make_idle_thread(void) {
    char name[THREAD_NAME_LEN];
    ksnprintf(name, sizeof name, "idle%d", mycpu()->id);
    struct thread *t = thread_alloc(name, idle_loop, NULL);
    if (!t) panic("sched: no memory for %s", name);
    t->state = T_READY;                  // never on the run queue; picked when it is empty
    mycpu()->idle = t;
}

// CPU 0, interrupts off, memory up: the code running now (kmain on the boot
// stack of entry.asm) becomes thread 0, "boot". Its stack is never freed.
void sched_init(void) {
    time_init();
    struct thread *boot = thread_adopt_context("boot");
    if (!boot) panic("sched: no memory for the boot thread");
    mycpu()->current = boot;
    make_idle_thread();
}

void sched_start(void) {
    sti();
}

// For SMP bring-up (not yet used): an application processor, with its
// per-CPU data, GDT, IDT and LAPIC timer set up, calls this on its startup
// stack. That context becomes the CPU's idle thread; from then on the CPU
// takes work from the shared run queue.
_Noreturn void sched_cpu_join(void) {
    char name[THREAD_NAME_LEN];
    ksnprintf(name, sizeof name, "idle%d", mycpu()->id);
    struct thread *t = thread_adopt_context(name);
    if (!t) panic("sched: no memory for %s", name);
    mycpu()->idle = t;
    mycpu()->current = t;
    idle_loop(NULL);
    panic("sched: idle loop returned");
}
