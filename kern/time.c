// kern/time.c: the clock and sleeping. time_ns reads the TSC (fine
// grained, no interrupt needed); time_ticks counts CPU 0's timer
// interrupts (HZ per second). A sleeping thread is blocked on a list
// sorted by wake-up time, which CPU 0's tick walks from the front: it
// uses no CPU while it sleeps, and wakes within one tick after its time.
#include "kern/kern.h"
#include "arch/x86_64/arch.h"

static uint64_t boot_tsc;
static uint64_t ticks;                  // CPU 0's timer ticks since the timer started

static struct spinlock sleep_lock = SPINLOCK_INIT("sleepers");
static struct thread *sleepers;         // soonest first, linked by thread->next

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
    while (*pp && (*pp)->wake_at_ns <= t->wake_at_ns) pp = &(*pp)->next;
    t->next = *pp;
    *pp = t;
}

static void wake_due_sleepers(uint64_t now) {
    spin_lock(&sleep_lock);
    while (sleepers && sleepers->wake_at_ns <= now) {
        struct thread *t = sleepers;
        sleepers = t->next;
        t->next = NULL;
        sched_make_ready(t);
    }
    spin_unlock(&sleep_lock);
}

// CPU 0's timer interrupt (through sched_tick).
void time_tick(void) {
    __atomic_add_fetch(&ticks, 1, __ATOMIC_RELAXED);
    wake_due_sleepers(time_ns());
}

// Sleeps at least ns nanoseconds of time_ns. Needs the timer running.
void time_sleep_ns(uint64_t ns) {
    struct thread *t = thread_current();
    t->wake_at_ns = time_ns() + ns;
    spin_lock(&sleep_lock);
    sleepers_insert(t);
    sched_block(&sleep_lock);
}
