// kern/time.c: the clock and sleeping. time_ns reads the TSC (fine
// grained, no interrupt needed); time_ticks counts CPU 0's timer
// interrupts (HZ per second). A thread with a deadline (a sleep, or a
// wait-queue sleep with a timeout: waitq_sleep_timed) is on a list sorted
// by deadline, which CPU 0's tick walks from the front: it uses no CPU
// while it sleeps, and wakes within one tick after its time.
#include "kern/kern.h"
#include "arch/x86_64/arch.h"

static uint64_t boot_tsc;
static uint64_t ticks;                  // CPU 0's timer ticks since the timer started

static struct spinlock sleep_lock = SPINLOCK_INIT("sleepers");
static struct thread *sleepers;         // soonest deadline first, linked by thread->timer_next

void time_init(void) {
    boot_tsc = rdtsc();
}

// 0 until timer_init has calibrated the TSC.
uint64_t time_ns(void) {
    if (tsc_hz == 0) return 0;
    return tsc_to_ns(rdtsc() - boot_tsc);
}

uint64_t time_ticks(void) {
    return __atomic_load_n(&ticks, __ATOMIC_RELAXED);
}

// Caller holds sleep_lock. Behind any thread due at the same time: FIFO.
static void sleepers_insert(struct thread *t) {
    struct thread **pp = &sleepers;
    while (*pp && (*pp)->wake_at_ns <= t->wake_at_ns) pp = &(*pp)->timer_next;
    t->timer_next = *pp;
    *pp = t;
}

// The timer ends the sleep of each thread whose deadline has passed.
// waitq_timeout runs under sleep_lock: a woken thread disarms (takes
// sleep_lock) before it can return, so it is still there while we look.
// Lock order: sleep_lock -> a wait queue's lock -> sched_lock.
static void wake_due_sleepers(uint64_t now) {
    spin_lock(&sleep_lock);
    while (sleepers && sleepers->wake_at_ns <= now) {
        struct thread *t = sleepers;
        sleepers = t->timer_next;
        t->timer_next = NULL;
        t->timer_armed = false;
        waitq_timeout(t);
    }
    spin_unlock(&sleep_lock);
}

// CPU 0's timer interrupt (through sched_tick).
void time_tick(void) {
    __atomic_add_fetch(&ticks, 1, __ATOMIC_RELAXED);
    wake_due_sleepers(time_ns());
}

// waitq_sleep_timed, before it joins its queue: end t's sleep at deadline_ns.
void time_arm(struct thread *t, uint64_t deadline_ns) {
    spin_lock(&sleep_lock);
    t->wake_at_ns = deadline_ns;
    t->timer_armed = true;
    sleepers_insert(t);
    spin_unlock(&sleep_lock);
}

// After the sleep, however it ended: off the list if the tick has not
// taken it off already.
void time_disarm(struct thread *t) {
    spin_lock(&sleep_lock);
    if (t->timer_armed) {
        struct thread **pp = &sleepers;
        while (*pp != t) pp = &(*pp)->timer_next;
        *pp = t->timer_next;
        t->timer_next = NULL;
        t->timer_armed = false;
    }
    spin_unlock(&sleep_lock);
}

// A sleep is a timed wait on a queue nobody else knows: only the deadline
// (or, if killable, thread_interrupt) ends it.
static int sleep_until(uint64_t deadline_ns, bool killable) {
    struct waitq q;
    waitq_init(&q, "sleep");
    return waitq_sleep_timed(&q, NULL, deadline_ns ? deadline_ns : 1, killable);
}

// Sleeps at least ns nanoseconds of time_ns. Needs the timer running.
void time_sleep_ns(uint64_t ns) {
    sleep_until(time_ns() + ns, false);
}

// The same, but thread_interrupt() ends it early: then -1 (sys_sleep_ms: EINTR).
int time_sleep_ns_killable(uint64_t ns) {
    return sleep_until(time_ns() + ns, true) == WAIT_INTERRUPTED ? -1 : 0;
}
