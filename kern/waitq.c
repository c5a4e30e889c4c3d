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
    return t;
}

// Releases 'held' (may be NULL), sleeps until woken, takes 'held' again.
void waitq_sleep(struct waitq *q, struct spinlock *held) {
    if (held == &q->lock) panic("waitq_sleep: '%s': held must be the caller's lock", q->lock.name);
    spin_lock(&q->lock);
    waitq_push(q, thread_current());
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
