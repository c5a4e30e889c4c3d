// kern/waitq.c: wait queues: a FIFO of blocked threads, each waiting for
// some condition that its caller checks under its own lock ('held').
// Callers loop: `while (!cond) waitq_sleep(q, &lk);` since a wakeup says
// "look again", not "the condition is now true".
//
// No lost wakeups: the sleeper joins the queue under q->lock before it
// releases 'held', and keeps q->lock until sched_block has taken the
// scheduler lock (kern/sched.c, rule 5). A waker that changed the
// condition under 'held' therefore finds the sleeper on the queue, and
// cannot make it ready before it is off its CPU.
//
// Some sleeps may end early (waitq_sleep_killable, waitq_sleep_timed, at
// the end of this file): a kill, or a deadline.
//
// Waking is safe from interrupt handlers: every lock here is a spinlock,
// and interrupts are off wherever one is held, so the handler can never
// spin on a lock its own CPU holds.
#include "kern/kern.h"

void waitq_init(struct waitq *q, const char *name) {
    spin_init(&q->lock, name);
    q->head = q->tail = NULL;
}

// Caller holds q->lock.
static void waitq_push(struct waitq *q, struct thread *t) {
    t->next = NULL;
    if (q->tail) q->tail->next = t;
    else q->head = t;
    q->tail = t;
    t->waiting_on = q;
}

// Caller holds q->lock.
static struct thread *waitq_pop(struct waitq *q) {
    struct thread *t = q->head;
    if (!t) return NULL;
    q->head = t->next;
    if (!q->head) q->tail = NULL;
    t->next = NULL;
    t->waiting_on = NULL;
    t->wait_result = WAIT_WOKEN;
    return t;
}

// Releases 'held' (may be NULL), sleeps until woken, takes 'held' again.
void waitq_sleep(struct waitq *q, struct spinlock *held) {
    if (held == &q->lock) panic("waitq_sleep: '%s': held must be the caller's lock", q->lock.name);
    spin_lock(&q->lock);
    struct thread *t = thread_current();
    t->sleep_killable = false;
    waitq_push(q, t);
    if (held) spin_unlock(held);
    sched_block(&q->lock);
    if (held) spin_lock(held);
}

void waitq_wake_one(struct waitq *q) {
    spin_lock(&q->lock);
    struct thread *t = waitq_pop(q);
    if (t) sched_make_ready(t);
    spin_unlock(&q->lock);
}

void waitq_wake_all(struct waitq *q) {
    spin_lock(&q->lock);
    struct thread *t;
    while ((t = waitq_pop(q)) != NULL)
        sched_make_ready(t);
    spin_unlock(&q->lock);
}

// ---- Sleeps that can end early: killable (thread_interrupt) and timed ----
//
// Who takes a sleeper off the queue records why in wait_result, under
// q->lock: waitq_pop (a wakeup), thread_interrupt, waitq_timeout. So a
// sleeper that was woken AND interrupted reports what actually removed it,
// and a futex_wake is never "spent" on a thread that then says it timed out.
//
// The one race without a common lock: thread_interrupt sets t->interrupted
// and then looks for the queue t is on, while t puts itself on a queue and
// then looks at t->interrupted. Both orders are store-then-load, so each
// side has a full fence between its store and its load (Dekker's rule):
// at least one of the two sees the other's store, and no interrupt is lost.
// The deadline needs no such care: time only moves forward, so a sleeper
// that checks time_ns() after joining the queue sees any deadline the
// timer saw pass.

// Caller holds q->lock and t is on q.
static void waitq_remove(struct waitq *q, struct thread *t) {
    struct thread **pp = &q->head, *prev = NULL;
    while (*pp && *pp != t) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (!*pp) return;
    *pp = t->next;
    if (q->tail == t) q->tail = prev;
    t->next = NULL;
    t->waiting_on = NULL;
}

// Before blocking, on the queue: has something already ended this sleep?
static int sleep_ended_early(struct thread *t, uint64_t deadline_ns) {
    __atomic_thread_fence(__ATOMIC_SEQ_CST);          // Dekker: see above
    if (t->sleep_killable && __atomic_load_n(&t->interrupted, __ATOMIC_SEQ_CST))
        return WAIT_INTERRUPTED;
    if (deadline_ns && time_ns() >= deadline_ns) return WAIT_TIMEDOUT;
    return WAIT_WOKEN;
}

// The sleeps below; 'retake': hold 'held' again on return (else it stays released).
static int sleep_on(struct waitq *q, struct spinlock *held, uint64_t deadline_ns, bool killable,
                    bool retake) {
    if (held == &q->lock) panic("waitq_sleep: '%s': held must be the caller's lock", q->lock.name);
    struct thread *t = thread_current();
    if (deadline_ns) time_arm(t, deadline_ns);     // lock order: time's lock before q->lock
    spin_lock(&q->lock);
    t->sleep_killable = killable;
    t->wait_result = WAIT_WOKEN;
    waitq_push(q, t);
    int early = sleep_ended_early(t, deadline_ns);
    if (early != WAIT_WOKEN) {
        waitq_remove(q, t);
        spin_unlock(&q->lock);
        if (deadline_ns) time_disarm(t);
        if (held && !retake) spin_unlock(held);
        return early;
    }
    if (held) spin_unlock(held);
    sched_block(&q->lock);
    if (deadline_ns) time_disarm(t);
    if (held && retake) spin_lock(held);
    return t->wait_result;
}

int waitq_sleep_timed(struct waitq *q, struct spinlock *held, uint64_t deadline_ns, bool killable) {
    return sleep_on(q, held, deadline_ns, killable, true);
}

int waitq_sleep_killable(struct waitq *q, struct spinlock *held) {
    return sleep_on(q, held, 0, true, true) == WAIT_WOKEN ? 0 : -1;
}

int waitq_sleep_killable_release(struct waitq *q, struct spinlock *held) {
    return sleep_on(q, held, 0, true, false) == WAIT_WOKEN ? 0 : -1;
}

// Takes t off the queue it sleeps on, if 'may_end' says this sleep may be
// ended for 'why', and makes it ready. t can move from queue to queue
// while we look, so re-read t->waiting_on under each queue's lock.
static void waitq_end_sleep(struct thread *t, int why) {
    struct waitq *q;
    while ((q = __atomic_load_n(&t->waiting_on, __ATOMIC_SEQ_CST)) != NULL) {
        spin_lock(&q->lock);
        if (t->waiting_on == q) {
            bool may_end = why == WAIT_TIMEDOUT || t->sleep_killable;
            if (may_end) {
                waitq_remove(q, t);
                t->wait_result = why;
                sched_make_ready(t);
            }
            spin_unlock(&q->lock);
            return;
        }
        spin_unlock(&q->lock);
    }
}

// Callers guarantee t is not freed meanwhile (e.g. a process's thread,
// looked up under the process's lock). A thread running or ready simply
// finds the flag at its next killable sleep.
void thread_interrupt(struct thread *t) {
    __atomic_store_n(&t->interrupted, true, __ATOMIC_SEQ_CST);   // Dekker: see above
    waitq_end_sleep(t, WAIT_INTERRUPTED);
}

// kern/time.c's tick, holding its deadline lock (which t must take to
// disarm, so t cannot return and be freed while we look).
void waitq_timeout(struct thread *t) {
    waitq_end_sleep(t, WAIT_TIMEDOUT);
}
