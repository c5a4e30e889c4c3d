// kern/thread.c: kernel threads: making them, ending them, and reclaiming
// them. A thread is a struct thread (from the heap) plus a KSTACK_SIZE
// kernel stack (contiguous frames, used through the direct map).
//
// Memory is reclaimed ONLY by thread_join: an exited thread stays a zombie,
// holding its struct and stack, until exactly one other thread joins it.
// A thread that nobody will ever join leaks both; so every thread_create
// needs a matching thread_join.
#include "kern/kern.h"
#include "mm/mm.h"
#include "arch/x86_64/arch.h"

#define KSTACK_FRAMES (KSTACK_SIZE / PAGE_SIZE)
// Written at the lowest word of every stack we allocate: the stack grows
// down, so an overflow tramples it first. Checked at every switch away.
#define STACK_CANARY 0x57ac4ca9a27ec0deull

extern void thread_trampoline(void);    // switch.asm

// threads_lock protects the list of all threads, nthreads and the
// exit/join handshake (exit_code, the joiners queue).
static struct spinlock threads_lock = SPINLOCK_INIT("threads");
static struct thread *all_threads;
static int nthreads;
static int next_tid;

// Appends, so the list (and thread_list_print) runs in tid order.
static void threads_add(struct thread *t) {
    spin_lock(&threads_lock);
    t->tid = next_tid++;
    struct thread **pp = &all_threads;
    while (*pp) pp = &(*pp)->all_next;
    *pp = t;
    nthreads++;
    spin_unlock(&threads_lock);
}

// Caller holds threads_lock.
static void threads_remove(struct thread *t) {
    struct thread **pp = &all_threads;
    while (*pp != t) pp = &(*pp)->all_next;
    *pp = t->all_next;
    nthreads--;
}

// A struct thread with its name and joiners queue, in the list; no stack.
static struct thread *thread_new_struct(const char *name) {
    struct thread *t = kzalloc(sizeof *t);
    struct waitq *joiners = kzalloc(sizeof *joiners);
    if (!t || !joiners) {
        kfree(t);
        kfree(joiners);
        return NULL;
    }
    strlcpy(t->name, name, sizeof t->name);
    waitq_init(joiners, "joiners");
    t->joiners = joiners;
    t->state = T_UNUSED;
    threads_add(t);
    return t;
}

// Lays out the stack as context_switch expects a saved thread (switch.asm):
// six callee-saved registers (all zero), then the return address.
static void prime_stack(struct thread *t) {
    uint64_t *sp = (uint64_t *)((char *)t->kstack + KSTACK_SIZE);
    *--sp = 0;                                  // above the trampoline: a null "caller"
    *--sp = (uint64_t)thread_trampoline;        // where context_switch's ret goes
    for (int i = 0; i < 6; i++) *--sp = 0;      // rbp, rbx, r12, r13, r14, r15
    t->saved_rsp = (uint64_t)sp;
    *(uint64_t *)t->kstack = STACK_CANARY;
}

// A thread that will run fn(arg), not yet on the run queue. NULL when
// memory is short.
struct thread *thread_alloc(const char *name, void (*fn)(void *), void *arg) {
    uint64_t stack_pa = frame_alloc_contig(KSTACK_FRAMES, 1);
    if (!stack_pa) return NULL;
    struct thread *t = thread_new_struct(name);
    if (!t) {
        frame_free_contig(stack_pa, KSTACK_FRAMES);
        return NULL;
    }
    t->kstack = phys_to_virt(stack_pa);
    t->entry = fn;
    t->arg = arg;
    fpu_init_state(t->fpu);
    prime_stack(t);
    return t;
}

struct thread *thread_create(const char *name, void (*fn)(void *), void *arg) {
    struct thread *t = thread_alloc(name, fn, arg);
    if (t) sched_make_ready(t);
    return t;
}

// The code running now becomes a thread, on the stack it already has
// (the boot stack, an AP's startup stack). kstack stays NULL: that stack
// is not ours to free, and has no canary.
struct thread *thread_adopt_context(const char *name) {
    struct thread *t = thread_new_struct(name);
    if (t) t->state = T_RUNNING;
    return t;
}

// The first C code of every new thread (called by thread_trampoline).
_Noreturn void thread_start(void);
_Noreturn void thread_start(void) {
    sched_enter_new_thread();
    struct thread *t = thread_current();
    t->entry(t->arg);
    thread_exit(0);
}

// Wakes the joiner while holding threads_lock, which sched_exit_current
// releases only after marking us ZOMBIE: a joiner that checks under
// threads_lock sees either "not yet" (and is then woken) or ZOMBIE.
_Noreturn void thread_exit(int code) {
    struct thread *t = thread_current();
    spin_lock(&threads_lock);
    t->exit_code = code;
    waitq_wake_all(t->joiners);
    sched_exit_current(&threads_lock);
}

static void thread_free(struct thread *t) {
    if (t->kstack) frame_free_contig(virt_to_phys(t->kstack), KSTACK_FRAMES);
    kfree(t->joiners);
    kfree(t);
}

// Waits until t has exited, then frees its stack and struct and returns
// its exit code. Exactly one thread may join each thread, once.
int thread_join(struct thread *t) {
    if (t == thread_current()) panic("thread_join: thread '%s' joining itself", t->name);
    spin_lock(&threads_lock);
    while (!sched_is_zombie(t))
        waitq_sleep(t->joiners, &threads_lock);
    threads_remove(t);
    spin_unlock(&threads_lock);
    int code = t->exit_code;
    thread_free(t);
    return code;
}

// Interrupts off for the two loads, so the thread cannot move to another
// CPU between finding its struct cpu and reading it.
struct thread *thread_current(void) {
    push_irq_off();
    struct thread *t = mycpu()->current;
    pop_irq_off();
    return t;
}

int thread_count(void) {
    spin_lock(&threads_lock);
    int n = nthreads;
    spin_unlock(&threads_lock);
    return n;
}

void thread_check_stack(const struct thread *t) {
    if (t->kstack && *(const uint64_t *)t->kstack != STACK_CANARY)
        panic("kernel stack overflow in thread %d '%s'", t->tid, t->name);
}

static const char *state_name(enum thread_state s) {
    static const char *const names[] = { "unused", "running", "ready", "blocked", "zombie" };
    return (unsigned)s < ARRAY_LEN(names) ? names[s] : "?";
}

// States are read without sched_lock: a snapshot, good enough to look at.
void thread_list_print(void) {
    spin_lock(&threads_lock);
    kprintf("  TID STATE     TICKS NAME\n");
    for (struct thread *t = all_threads; t; t = t->all_next)
        kprintf("%5d %-8s %6lu %s\n", t->tid, state_name(t->state), t->ticks_run, t->name);
    spin_unlock(&threads_lock);
}
