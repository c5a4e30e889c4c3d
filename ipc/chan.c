// ipc/chan.c: channels (ipc/chan.h). A channel is one allocation holding
// its two endpoints; each endpoint has a receive queue (a linked list of
// kmalloc'd messages, at most CHAN_QUEUE_MAX), two wait queues (threads
// receiving on it; threads sending INTO it, i.e. on its peer) and the list
// of selects watching it.
//
// Message buffers: a channel keeps one free buffer (spare) that its next
// send takes instead of calling kmalloc, and chan_msg_done puts a received
// message's buffer there instead of calling kfree, so a request/reply
// exchange reuses one buffer and never enters the heap. The slot is taken
// and filled with atomic exchanges, outside chan_lock (the copy into a
// buffer happens before the lock, see below); it is freed with the channel.
// Buffers are power-of-two sized (the heap's size classes), so the spare
// fits most next messages.
//
// Hand-off: a receiver about to sleep on an empty queue leaves a note on its
// endpoint (handoff, on its stack). The next send takes the message for it
// under chan_lock, as the receiver would have, leaves the channel in its
// name and marks the note done before waking it: the woken receiver returns
// at once, without taking chan_lock again. Anything else that makes
// receivers look again (close, move, unrecv) removes the note, and a
// receiver woken without one done takes the lock and looks as before.
//
// One lock, chan_lock, guards every channel. A send that carries endpoints
// touches several channels at once (the one it goes on, the ones it moves),
// a select watches up to 16, and closing an endpoint closes the endpoints
// queued in it: with one lock each of these is one atomic step and there is
// no lock order to get wrong. It is held only for pointer work: the data is
// copied into a new message before it is taken and out of a message after.
//
// Lifetime: ch->refs counts the open ends plus the calls inside the channel
// right now (a thread asleep in chan_recv holds one), so an endpoint closed
// by another thread of its owner stays valid memory until the sleeper has
// woken and left. The channel (both endpoints) is freed when refs is 0.
//
// Moving: an endpoint carried in a message is "in flight" and remembers the
// endpoint whose queue holds it (carrier). Its gen is bumped when it moves
// or closes, so a thread of the old owner still asleep inside a call on it
// leaves with -EBADF instead of serving the new owner. The carrier chain
// also refuses a send that would make endpoints unreachable: putting X into
// a queue that is itself (transitively) inside X's queue is a cycle nobody
// could ever receive from or close.
//
// Closing is iterative: the messages of a closed queue go on a work list,
// the endpoints inside them are closed in turn and their queues appended,
// so a long chain of endpoints-in-messages needs no deep recursion.
#include "kern/kern.h"
#include "mm/mm.h"
#include "syscall/errno_list.h"
#include "ipc/chan.h"

struct sel_waiter;
struct sel_node {                          // one watched endpoint of a select
    struct sel_waiter *w;
    struct sel_node *next;
};
struct sel_waiter {                        // on the selecting thread's stack
    struct waitq wq;
    struct sel_node nodes[CHAN_SELECT_MAX];
};

struct recv_wait {                         // on the stack of a receiver asleep in chan_recv
    struct chan_msg *m;                    // what a sender handed it
    bool done;                             // set (release) when m is its: atomic
};

struct channel;
struct endpoint {
    struct channel *ch;
    int role;                              // index into the contract's roles
    bool closed;                           // its owner gave it up
    bool in_flight;                        // inside a queued message (no owner)
    struct endpoint *carrier;              // in flight: the endpoint whose queue holds it
    uint32_t gen;                          // bumped at every move and at close
    struct chan_msg *head, *tail;          // receive queue
    uint32_t count;
    struct waitq readers;                  // threads in chan_recv on this endpoint
    struct waitq space;                    // threads sending into this queue (on the peer)
    struct sel_node *selectors;            // selects watching this endpoint
    struct recv_wait *handoff;             // a receiver asleep on an empty queue, or NULL
};

struct channel {
    const struct contract *c;
    int state;                             // the sender side's state, changed by every send
    int refs;                              // open ends + calls inside
    struct chan_msg *spare;                // a free buffer for the next send, or NULL (atomic)
    struct channel *free_next;             // reap list
    struct endpoint end[2];
};

// Freed after chan_lock is released.
struct reap {
    struct chan_msg *msgs, *msgs_tail;
    struct channel *chans;
};

static struct spinlock chan_lock = SPINLOCK_INIT("chan");
static size_t endpoints_alive;             // under chan_lock
static size_t messages_alive;              // atomic: freeing a message needs no lock

static struct endpoint *peer_of(const struct endpoint *e) {
    return &e->ch->end[1 - e->role];
}

size_t chan_endpoints_alive(void) {
    spin_lock(&chan_lock);
    size_t n = endpoints_alive;
    spin_unlock(&chan_lock);
    return n;
}

size_t chan_messages_alive(void) {
    return __atomic_load_n(&messages_alive, __ATOMIC_RELAXED);
}

// ---- Creating, entering and leaving ----

static void endpoint_init(struct endpoint *e, struct channel *ch, int role) {
    e->ch = ch;
    e->role = role;
    waitq_init(&e->readers, "chan-recv");
    waitq_init(&e->space, "chan-send");
}

int chan_create(const struct contract *c, struct endpoint **e0, struct endpoint **e1) {
    struct channel *ch = kzalloc(sizeof *ch);
    if (!ch) return -ENOMEM;
    ch->c = c;
    ch->state = contract_initial(c);
    ch->refs = 2;
    endpoint_init(&ch->end[0], ch, 0);
    endpoint_init(&ch->end[1], ch, 1);
    spin_lock(&chan_lock);
    endpoints_alive += 2;
    spin_unlock(&chan_lock);
    *e0 = &ch->end[0];
    *e1 = &ch->end[1];
    return 0;
}

const struct contract *endpoint_contract(const struct endpoint *e) {
    return e->ch->c;
}

int endpoint_role(const struct endpoint *e) {
    return e->role;
}

const char *endpoint_state_name(const struct endpoint *e) {
    spin_lock(&chan_lock);
    const char *s = contract_state_name(e->ch->c, e->ch->state);
    spin_unlock(&chan_lock);
    return s;
}

// A call keeps the channel alive while it is inside (it may sleep).
static void enter_locked(struct endpoint *e) {
    e->ch->refs++;
}

static void leave_locked(struct channel *ch, struct reap *r) {
    KASSERT(ch->refs > 0);
    if (--ch->refs == 0) {
        ch->free_next = r->chans;
        r->chans = ch;
        endpoints_alive -= 2;
    }
}

static void reap_msg_locked(struct reap *r, struct chan_msg *m) {
    m->next = NULL;
    if (r->msgs_tail) r->msgs_tail->next = m;
    else r->msgs = m;
    r->msgs_tail = m;
}

// Releases chan_lock, then frees what became garbage under it.
static void unlock_and_reap(struct reap *r) {
    spin_unlock(&chan_lock);
    while (r->msgs) {
        struct chan_msg *m = r->msgs;
        r->msgs = m->next;
        kfree(m);
    }
    while (r->chans) {
        struct channel *ch = r->chans;
        r->chans = ch->free_next;
        kfree(ch->spare);                  // refs 0: nobody else can reach the slot
        kfree(ch);
    }
}

void endpoint_hold(struct endpoint *e) {
    spin_lock(&chan_lock);
    enter_locked(e);
    spin_unlock(&chan_lock);
}

void endpoint_release(struct endpoint *e) {
    struct reap r = { 0 };
    spin_lock(&chan_lock);
    leave_locked(e->ch, &r);
    unlock_and_reap(&r);
}

// ---- Waking ----

// waitq_wake_all, without taking q's lock when nobody sleeps on q. Every
// thread sleeping on a wait queue of this file joined it while holding
// chan_lock (waitq_sleep_* pushes it before releasing 'held'), and so does
// the caller here: an empty queue seen under chan_lock stays empty until
// the caller lets go. Sleepers only leave without chan_lock (interrupted,
// timed out), and a stale non-empty head just costs the locked look.
static void wake_all_locked(struct waitq *q) {
    if (__atomic_load_n(&q->head, __ATOMIC_RELAXED)) waitq_wake_all(q);
}

static void notify_selects(struct endpoint *e) {
    for (struct sel_node *n = e->selectors; n; n = n->next)
        wake_all_locked(&n->w->wq);
}

// Something about e changed that every thread inside a call on it, or
// sending into it, must look at again.
static void wake_endpoint(struct endpoint *e) {
    e->handoff = NULL;                     // its receiver must look for itself
    wake_all_locked(&e->readers);
    wake_all_locked(&e->space);
    notify_selects(e);
}

// ---- Closing ----

// Marks e closed and moves its queue onto the reap list; the caller then
// closes the endpoints inside those messages (close_carried).
static void close_one_locked(struct endpoint *e, struct reap *r) {
    KASSERT(!e->closed);
    e->closed = true;
    e->in_flight = false;
    e->carrier = NULL;
    e->gen++;
    while (e->head) {
        struct chan_msg *m = e->head;
        e->head = m->next;
        reap_msg_locked(r, m);
    }
    e->tail = NULL;
    e->count = 0;
    wake_endpoint(e);
    wake_endpoint(peer_of(e));
    leave_locked(e->ch, r);
}

// Closes the endpoints inside every message on the reap list from 'from'
// on, including those appended meanwhile: a work list, not recursion.
static void close_carried_locked(struct chan_msg *from, struct reap *r) {
    for (struct chan_msg *m = from; m; m = m->next) {
        for (uint32_t i = 0; i < m->neps; i++) {
            if (m->eps[i]) close_one_locked(m->eps[i], r);
            m->eps[i] = NULL;
        }
        __atomic_fetch_sub(&messages_alive, 1, __ATOMIC_RELAXED);
    }
}

void endpoint_close(struct endpoint *e) {
    struct reap r = { 0 };
    spin_lock(&chan_lock);
    close_one_locked(e, &r);
    close_carried_locked(r.msgs, &r);
    unlock_and_reap(&r);
}

static bool msg_holds_endpoints(const struct chan_msg *m) {
    for (uint32_t i = 0; i < m->neps; i++)
        if (m->eps[i]) return true;
    return false;
}

// Into ch's spare slot if it is empty, else back to the heap.
static void msg_recycle(struct channel *ch, struct chan_msg *m) {
    struct chan_msg *none = NULL;
    if (!__atomic_compare_exchange_n(&ch->spare, &none, m, false,
                                     __ATOMIC_RELEASE, __ATOMIC_RELAXED))
        kfree(m);
}

// A message with endpoints inside closes them, under chan_lock; one
// without (most) is just a buffer, and goes without taking the lock.
void chan_msg_free(struct chan_msg *m) {
    if (!m) return;
    if (!msg_holds_endpoints(m)) {
        __atomic_fetch_sub(&messages_alive, 1, __ATOMIC_RELAXED);
        kfree(m);
        return;
    }
    struct reap r = { 0 };
    spin_lock(&chan_lock);
    reap_msg_locked(&r, m);
    close_carried_locked(r.msgs, &r);
    unlock_and_reap(&r);
}

void chan_msg_done(struct endpoint *e, struct chan_msg *m) {
    if (!m) return;
    if (msg_holds_endpoints(m)) {
        chan_msg_free(m);
        return;
    }
    __atomic_fetch_sub(&messages_alive, 1, __ATOMIC_RELAXED);
    msg_recycle(e->ch, m);
}

// ---- Sending ----

// Would putting x into r's queue make x unreachable? Yes if r is x, or if r
// is in flight inside x's queue, directly or further down.
static bool makes_cycle(const struct endpoint *x, const struct endpoint *r) {
    for (const struct endpoint *p = r; p; p = p->in_flight ? p->carrier : NULL)
        if (p == x) return true;
    return false;
}

// The carried endpoints are the sender's to give: -EINVAL if not.
static int check_carried(const struct endpoint *e, struct endpoint *const *eps, uint32_t neps) {
    for (uint32_t i = 0; i < neps; i++) {
        const struct endpoint *x = eps[i];
        if (!x || x == e || x->closed || x->in_flight) return -EINVAL;
        if (makes_cycle(x, peer_of(e))) return -EINVAL;
        for (uint32_t j = 0; j < i; j++)
            if (eps[j] == x) return -EINVAL;
    }
    return 0;
}

// Each carried endpoint against its `ep CONTRACT:ROLE` field.
static int check_ep_fields(const struct contract *c, int tag, struct endpoint *const *eps,
                           uint32_t neps, const char **why) {
    for (uint32_t i = 0; i < neps; i++) {
        const char *role;
        const char *want = contract_ep_field(c, tag, (int)i, &role);
        if (!want) continue;                                  // ep any
        const struct contract *xc = eps[i]->ch->c;
        if (strcmp(xc->name, want) != 0) {
            *why = "endpoint of the wrong contract";
            return CHAN_VIOLATION;
        }
        if (strcmp(contract_role_name(xc, eps[i]->role), role) != 0) {
            *why = "endpoint of the wrong role";
            return CHAN_VIOLATION;
        }
    }
    return 0;
}

// May this send go now? 0 (and *next, the channel's next state), 1 to wait
// for room in the peer's queue, or the error.
static int send_ready_locked(struct endpoint *e, uint32_t gen, const struct chan_msg *m,
                             struct endpoint *const *eps, int *next, const char **why) {
    if (e->closed || e->gen != gen) return -EBADF;
    int r = check_carried(e, eps, m->neps);
    if (r) return r;
    *next = contract_send_check(e->ch->c, e->ch->state, e->role, m->tag, m->len, m->neps, why);
    if (*next < 0) return CHAN_VIOLATION;
    if ((r = check_ep_fields(e->ch->c, m->tag, eps, m->neps, why)) != 0) return r;
    struct endpoint *p = peer_of(e);
    if (p->closed) return -EPIPE;
    return p->count >= CHAN_QUEUE_MAX ? 1 : 0;
}

// x leaves its owner: into the queue of r.
static void move_locked(struct endpoint *x, struct endpoint *r) {
    x->in_flight = true;
    x->carrier = r;
    x->gen++;
    wake_endpoint(x);            // the old owner's sleepers on x leave (-EBADF)
    wake_endpoint(peer_of(x));   // including its senders waiting for room in x's peer
}

static int take_locked(struct endpoint *e, struct chan_msg **out, const char **why);

// A receiver asleep on r (its queue was empty: m is the head) gets m now.
// Its call leaves the channel here; the sender is inside too, so refs
// stays above 0. A message the receive check refuses stays queued for the
// receiver to find and report.
static void hand_off_locked(struct endpoint *r, struct reap *rp) {
    struct recv_wait *w = r->handoff;
    if (!w) return;
    r->handoff = NULL;
    const char *why;
    if (take_locked(r, &w->m, &why) != 0) return;
    leave_locked(r->ch, rp);
    __atomic_store_n(&w->done, true, __ATOMIC_RELEASE);
}

static void enqueue_locked(struct endpoint *r, struct chan_msg *m, struct reap *rp) {
    m->next = NULL;
    if (r->tail) r->tail->next = m;
    else r->head = m;
    r->tail = m;
    r->count++;
    hand_off_locked(r, rp);
    wake_all_locked(&r->readers);
    notify_selects(r);
}

static void commit_send_locked(struct endpoint *e, struct chan_msg *m,
                               struct endpoint *const *eps, int next, struct reap *rp) {
    struct endpoint *r = peer_of(e);
    for (uint32_t i = 0; i < m->neps; i++) {
        m->eps[i] = eps[i];
        move_locked(eps[i], r);
    }
    m->sent_in = e->ch->state;
    e->ch->state = next;
    enqueue_locked(r, m, rp);
}

#define MSG_MIN_SIZE 128               // the header and 64 data bytes
_Static_assert(sizeof(struct chan_msg) <= MSG_MIN_SIZE - 64, "a chan_msg header is 64 bytes");

// ch's spare if it has room for len bytes, else a new buffer.
static struct chan_msg *msg_alloc(struct channel *ch, uint32_t len) {
    struct chan_msg *m = __atomic_exchange_n(&ch->spare, NULL, __ATOMIC_ACQUIRE);
    if (m && m->cap >= len) return m;
    kfree(m);
    size_t size = MSG_MIN_SIZE;
    while (size < sizeof *m + len) size *= 2;
    if (!(m = kmalloc(size))) return NULL;
    m->cap = (uint32_t)(size - sizeof *m);
    return m;
}

static struct chan_msg *msg_build(struct channel *ch, int tag, const void *data, uint32_t len,
                                  uint32_t neps) {
    struct chan_msg *m = msg_alloc(ch, len);
    if (!m) return NULL;
    m->tag = tag;
    m->len = len;
    m->neps = neps;
    for (int i = 0; i < CHAN_MSG_EPS; i++) m->eps[i] = NULL;
    m->next = NULL;
    m->sent_in = -1;
    if (len) memcpy(m->data, data, len);
    return m;
}

int chan_send(struct endpoint *e, int tag, const void *data, uint32_t len,
              struct endpoint *const *eps, uint32_t neps, const char **why) {
    if (len > CHAN_MSG_MAX || neps > CHAN_MSG_EPS || (len && !data) || (neps && !eps))
        return -EINVAL;
    struct chan_msg *m = msg_build(e->ch, tag, data, len, neps);
    if (!m) return -ENOMEM;
    __atomic_fetch_add(&messages_alive, 1, __ATOMIC_RELAXED);
    struct reap rp = { 0 };
    spin_lock(&chan_lock);
    enter_locked(e);
    uint32_t gen = e->gen;
    int next = -1, r;
    while ((r = send_ready_locked(e, gen, m, eps, &next, why)) == 1)
        if (waitq_sleep_killable(&peer_of(e)->space, &chan_lock)) {
            r = -EINTR;
            break;
        }
    if (r == 0) {
        commit_send_locked(e, m, eps, next, &rp);
    } else {
        reap_msg_locked(&rp, m);           // its eps never went in: nothing to close
        __atomic_fetch_sub(&messages_alive, 1, __ATOMIC_RELAXED);
    }
    leave_locked(e->ch, &rp);
    unlock_and_reap(&rp);
    return r;
}

// ---- Receiving ----

// Takes the head of e's queue if the receive check allows it: the message
// must be a move of the peer's role from the state it was sent in. (Not
// from a state the receiver tracks by itself: under the turn rule a
// receiver may legally send before it has read what is queued for it, so
// its own running view would be out of the channel's order.)
static int take_locked(struct endpoint *e, struct chan_msg **out, const char **why) {
    struct chan_msg *m = e->head;
    if (contract_recv_check(e->ch->c, m->sent_in, 1 - e->role, m->tag, why) < 0)
        return CHAN_VIOLATION;                 // left queued: a kernel bug, reported
    e->head = m->next;
    if (!e->head) e->tail = NULL;
    e->count--;
    m->next = NULL;
    for (uint32_t i = 0; i < m->neps; i++)
        if (m->eps[i]) {                       // NULL: taken before a chan_unrecv
            m->eps[i]->in_flight = false;
            m->eps[i]->carrier = NULL;
        }
    wake_all_locked(&e->space);                // room for a blocked sender
    *out = m;
    return 0;
}

// Sleeps on e's empty queue, offering to take the next message straight
// from its sender (hand_off_locked). 1: handed *m, chan_lock not held and
// the call already left the channel; else chan_lock held and 0 (look
// again) or -EINTR.
static int recv_sleep_locked(struct endpoint *e, struct chan_msg **m) {
    struct recv_wait w = { 0 };
    if (!e->handoff) e->handoff = &w;      // one note at a time; other receivers just sleep
    int s = waitq_sleep_killable_release(&e->readers, &chan_lock);
    bool locked = false;
    if (!__atomic_load_n(&w.done, __ATOMIC_ACQUIRE)) {
        spin_lock(&chan_lock);             // woken for something else, or not yet told
        locked = true;
        if (e->handoff == &w) e->handoff = NULL;
        if (!__atomic_load_n(&w.done, __ATOMIC_ACQUIRE)) return s ? -EINTR : 0;
    }
    if (locked) spin_unlock(&chan_lock);
    *m = w.m;
    return 1;
}

static int recv_common(struct endpoint *e, struct chan_msg **m, const char **why, bool block) {
    struct reap rp = { 0 };
    spin_lock(&chan_lock);
    enter_locked(e);
    uint32_t gen = e->gen;
    int r;
    for (;;) {
        if (e->closed || e->gen != gen) { r = -EBADF; break; }
        if (e->head) { r = take_locked(e, m, why); break; }
        if (peer_of(e)->closed) { r = -EPIPE; break; }
        if (!block) { r = -EAGAIN; break; }
        if ((r = recv_sleep_locked(e, m)) == 1) return 0;
        if (r) break;
    }
    leave_locked(e->ch, &rp);
    unlock_and_reap(&rp);
    return r;
}

int chan_recv(struct endpoint *e, struct chan_msg **m, const char **why) {
    return recv_common(e, m, why, true);
}

int chan_try_recv(struct endpoint *e, struct chan_msg **m, const char **why) {
    return recv_common(e, m, why, false);
}

// Back at the head, as if never received. If e was closed
// meanwhile the message goes the way of e's queue.
void chan_unrecv(struct endpoint *e, struct chan_msg *m) {
    struct reap rp = { 0 };
    spin_lock(&chan_lock);
    if (e->closed) {
        reap_msg_locked(&rp, m);
        close_carried_locked(rp.msgs, &rp);
        unlock_and_reap(&rp);
        return;
    }
    for (uint32_t i = 0; i < m->neps; i++)
        if (m->eps[i]) {
            m->eps[i]->in_flight = true;
            m->eps[i]->carrier = e;
        }
    m->next = e->head;
    e->head = m;
    if (!e->tail) e->tail = m;
    e->count++;
    e->handoff = NULL;                         // a hand-off takes only from an empty queue
    wake_all_locked(&e->readers);
    notify_selects(e);
    spin_unlock(&chan_lock);
}

// ---- Select ----

// The smallest ready index, -EBADF if one was closed or moved away, or -1.
static int select_scan_locked(struct endpoint *const *eps, const uint32_t *gens, int n) {
    for (int i = 0; i < n; i++)
        if (eps[i]->closed || eps[i]->gen != gens[i]) return -EBADF;
    for (int i = 0; i < n; i++)
        if (eps[i]->head || peer_of(eps[i])->closed) return i;
    return -1;
}

static void select_link_locked(struct sel_waiter *w, struct endpoint *const *eps, int n) {
    for (int i = 0; i < n; i++) {
        w->nodes[i].w = w;
        w->nodes[i].next = eps[i]->selectors;
        eps[i]->selectors = &w->nodes[i];
    }
}

static void select_unlink_locked(struct sel_waiter *w, struct endpoint *const *eps, int n) {
    for (int i = 0; i < n; i++) {
        struct sel_node **pp = &eps[i]->selectors;
        while (*pp != &w->nodes[i]) pp = &(*pp)->next;
        *pp = w->nodes[i].next;
    }
}

// Sleeps until something changes on a watched endpoint: its WAIT_* result.
static int select_sleep_locked(struct sel_waiter *w, struct endpoint *const *eps, int n,
                               uint64_t deadline_ns) {
    select_link_locked(w, eps, n);
    int s = waitq_sleep_timed(&w->wq, &chan_lock, deadline_ns, true);
    select_unlink_locked(w, eps, n);
    return s;
}

// waitq_sleep_timed's deadline: 0 means none, so a deadline of 0 (already
// past) becomes 1, and "forever" becomes 0.
static uint64_t sleep_deadline(uint64_t deadline_ns) {
    if (deadline_ns == UINT64_MAX) return 0;
    return deadline_ns ? deadline_ns : 1;
}

int chan_select(struct endpoint *const *eps, int n, uint64_t deadline_ns) {
    if (n < 1 || n > CHAN_SELECT_MAX || !eps) return -EINVAL;
    for (int i = 0; i < n; i++)
        if (!eps[i]) return -EINVAL;
    struct sel_waiter w;
    waitq_init(&w.wq, "chan-select");
    uint32_t gens[CHAN_SELECT_MAX];
    struct reap rp = { 0 };
    spin_lock(&chan_lock);
    for (int i = 0; i < n; i++) {
        enter_locked(eps[i]);
        gens[i] = eps[i]->gen;
    }
    int r;
    while ((r = select_scan_locked(eps, gens, n)) == -1) {
        int s = select_sleep_locked(&w, eps, n, sleep_deadline(deadline_ns));
        if (s == WAIT_WOKEN) continue;
        if ((r = select_scan_locked(eps, gens, n)) == -1)
            r = s == WAIT_INTERRUPTED ? -EINTR : -ETIMEDOUT;
        break;
    }
    for (int i = 0; i < n; i++) leave_locked(eps[i]->ch, &rp);
    unlock_and_reap(&rp);
    return r;
}
