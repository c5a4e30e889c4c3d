// ipc/ktest_chan.c: in-kernel tests of channels (ipc/chan.c) between
// kernel threads, no SIPs. The contracts are parsed here from string
// literals, so the tests do not depend on the initrd's registry. Every test
// closes what it made and checks that no endpoint or message is left alive.
#include "kern/kern.h"
#include "mm/mm.h"
#include "syscall/errno_list.h"
#include "ipc/chan.h"

#define MS ((uint64_t)1000 * 1000)

static const char kt_stream_text[] =
    "contract KtStream\n"
    "roles writer reader\n"
    "message Data(bytes data)\n"
    "initial Open\n"
    "Open: writer Data -> Open\n";

static const char kt_carry_text[] =
    "contract KtCarry\n"
    "roles giver taker\n"
    "message Give(ep KtStream:reader r)\n"
    "message Any(ep any x)\n"
    "message Two(ep any x, ep any y)\n"
    "initial S\n"
    "S: giver Give -> S\n"
    "S: giver Any -> S\n"
    "S: giver Two -> S\n";

static const char kt_bad_text[] =
    "contract KtBad\n"
    "roles a b\n"
    "message One(i32 x)\n"
    "message Two()\n"
    "initial S0\n"
    "S0: a One -> S1\n"
    "S1: b Two -> S0\n";

// Too big for a kernel stack: parsed once into static storage.
static struct contract kt_stream, kt_carry, kt_bad;
static bool kt_parsed;

static int parse_one(const char *text, const char *name, struct contract *c) {
    char err[96];
    if (contract_parse(text, strlen(text), name, c, err, sizeof err) == 0) return 0;
    kprintf("  contract %s: %s\n", name, err);
    return -1;
}

static int contracts_ready(void) {
    if (kt_parsed) return 0;
    if (parse_one(kt_stream_text, "KtStream", &kt_stream) ||
        parse_one(kt_carry_text, "KtCarry", &kt_carry) ||
        parse_one(kt_bad_text, "KtBad", &kt_bad))
        return -1;
    kt_parsed = true;
    return 0;
}

// Each test starts from, and must come back to, these counts.
struct kt_base { size_t eps, msgs; };

static int kt_begin(struct kt_base *b) {
    b->eps = chan_endpoints_alive();
    b->msgs = chan_messages_alive();
    return contracts_ready();
}

static int kt_end(const struct kt_base *b) {
    KT_CHECK(chan_endpoints_alive() == b->eps);
    KT_CHECK(chan_messages_alive() == b->msgs);
    return 0;
}

static int send_data(struct endpoint *w, const void *p, uint32_t n) {
    const char *why = NULL;
    return chan_send(w, 0, p, n, NULL, 0, &why);
}

// One Data message: 0 and its bytes in buf (*n), or the error.
static int recv_data(struct endpoint *r, void *buf, uint32_t *n) {
    struct chan_msg *m;
    const char *why = NULL;
    int e = chan_recv(r, &m, &why);
    if (e) return e;
    int bad = m->tag != 0 || m->neps != 0;
    *n = m->len;
    memcpy(buf, m->data, m->len);
    chan_msg_free(m);
    return bad ? -1 : 0;
}

// A thread that runs fn(arg) and exits with its result.
struct kt_job {
    int (*fn)(struct kt_job *);
    struct endpoint *e, *e2;
    volatile int done;
    int n;
};

static void job_main(void *arg) {
    struct kt_job *j = arg;
    int r = j->fn(j);
    j->done = 1;
    thread_exit(r);
}

static int blocked_recv(struct kt_job *j);
static int blocked_select(struct kt_job *j);

static struct thread *job_start(struct kt_job *j) {
    j->done = 0;
    return thread_create("kt-chan", job_main, j);
}

// Waits until t sleeps (in the channel call its job makes: the jobs given
// here block nowhere else) and has not finished. A fixed delay would not
// do: on a loaded host the thread may not even have started by then.
static int wait_blocked(struct thread *t, struct kt_job *j) {
    uint64_t until = time_ns() + 3000 * MS;
    while (__atomic_load_n(&t->state, __ATOMIC_SEQ_CST) != T_BLOCKED) {
        if (j->done || time_ns() > until) return -1;
        time_sleep_ns(MS);
    }
    return j->done ? -1 : 0;
}

// ---- order: many messages arrive in order and intact ----

#define ORDER_N 200

static void order_fill(uint8_t *buf, int i, uint32_t n) {
    for (uint32_t k = 0; k < n; k++) buf[k] = (uint8_t)(i * 31 + k);
}

static uint32_t order_len(int i) { return (uint32_t)(i * 37) % (CHAN_MSG_MAX + 1); }

static int order_sender(struct kt_job *j) {
    static uint8_t buf[CHAN_MSG_MAX];
    for (int i = 0; i < j->n; i++) {
        order_fill(buf, i, order_len(i));
        if (send_data(j->e, buf, order_len(i)) != 0) return -1;
    }
    endpoint_close(j->e);
    return 0;
}

static int order_receive(struct endpoint *r, int n) {
    static uint8_t got[CHAN_MSG_MAX], want[CHAN_MSG_MAX];
    uint32_t len;
    for (int i = 0; i < n; i++) {
        KT_CHECK(recv_data(r, got, &len) == 0);
        KT_CHECK(len == order_len(i));
        order_fill(want, i, len);
        KT_CHECK(memcmp(got, want, len) == 0);
    }
    KT_CHECK(recv_data(r, got, &len) == -EPIPE);    // drained, writer gone
    return 0;
}

KTEST(chan_order) {
    struct kt_base b;
    KT_CHECK(kt_begin(&b) == 0);
    struct endpoint *w, *r;
    KT_CHECK(chan_create(&kt_stream, &w, &r) == 0);
    KT_CHECK(endpoint_role(w) == 0 && endpoint_role(r) == 1 && endpoint_contract(r) == &kt_stream);
    struct kt_job j = { .fn = order_sender, .e = w, .n = ORDER_N };
    struct thread *t = job_start(&j);
    KT_CHECK(t != NULL);
    int ok = order_receive(r, ORDER_N);
    KT_CHECK(thread_join(t) == 0);
    KT_CHECK(ok == 0);
    endpoint_close(r);
    return kt_end(&b);
}

// ---- full: a sender blocks on a full queue until the receiver takes one ----

static int send_one(struct kt_job *j) {
    int x = 17;
    return send_data(j->e, &x, sizeof x);
}

static int fill_queue(struct endpoint *w) {
    for (int i = 0; i < CHAN_QUEUE_MAX; i++) KT_CHECK(send_data(w, &i, sizeof i) == 0);
    return 0;
}

KTEST(chan_full) {
    struct kt_base b;
    KT_CHECK(kt_begin(&b) == 0);
    struct endpoint *w, *r;
    KT_CHECK(chan_create(&kt_stream, &w, &r) == 0);
    KT_CHECK(fill_queue(w) == 0);
    KT_CHECK(chan_messages_alive() == b.msgs + CHAN_QUEUE_MAX);
    struct kt_job j = { .fn = send_one, .e = w };
    struct thread *t = job_start(&j);
    KT_CHECK(t != NULL);
    KT_CHECK(wait_blocked(t, &j) == 0);      // blocked: the queue is full
    int first;
    uint32_t n;
    KT_CHECK(recv_data(r, &first, &n) == 0 && first == 0);
    KT_CHECK(thread_join(t) == 0);           // went on once there was room
    KT_CHECK(chan_messages_alive() == b.msgs + CHAN_QUEUE_MAX);
    endpoint_close(w);
    endpoint_close(r);                       // discards the 16 queued
    return kt_end(&b);
}

// ---- closed: -EPIPE on both sides after draining; blocked senders wake ----

static int closed_drain(void) {
    struct endpoint *w, *r;
    KT_CHECK(chan_create(&kt_stream, &w, &r) == 0);
    for (int i = 0; i < 3; i++) KT_CHECK(send_data(w, &i, sizeof i) == 0);
    endpoint_close(w);
    int x;
    uint32_t n;
    for (int i = 0; i < 3; i++) KT_CHECK(recv_data(r, &x, &n) == 0 && x == i);
    KT_CHECK(recv_data(r, &x, &n) == -EPIPE);
    KT_CHECK(recv_data(r, &x, &n) == -EPIPE);          // and it stays so
    struct endpoint *one[1] = { r };
    KT_CHECK(chan_select(one, 1, UINT64_MAX) == 0);   // a closed peer is "ready"
    endpoint_close(r);
    return 0;
}

static int closed_reader(void) {
    struct endpoint *w, *r;
    KT_CHECK(chan_create(&kt_stream, &w, &r) == 0);
    KT_CHECK(fill_queue(w) == 0);
    struct kt_job j = { .fn = send_one, .e = w };
    struct thread *t = job_start(&j);
    KT_CHECK(t != NULL);
    KT_CHECK(wait_blocked(t, &j) == 0);
    endpoint_close(r);                       // discards 16, wakes the sender
    KT_CHECK(thread_join(t) == -EPIPE);
    KT_CHECK(send_data(w, "x", 1) == -EPIPE);
    endpoint_close(w);
    return 0;
}

// The owner closes an endpoint that another of its threads sleeps in.
static int closed_under_sleeper(int (*fn)(struct kt_job *)) {
    struct endpoint *w, *r;
    KT_CHECK(chan_create(&kt_stream, &w, &r) == 0);
    struct kt_job j = { .fn = fn, .e = r, .e2 = r };
    struct thread *t = job_start(&j);
    KT_CHECK(t != NULL);
    KT_CHECK(wait_blocked(t, &j) == 0);
    endpoint_close(r);
    KT_CHECK(thread_join(t) == -EBADF);
    endpoint_close(w);
    return 0;
}

KTEST(chan_closed) {
    struct kt_base b;
    KT_CHECK(kt_begin(&b) == 0);
    KT_CHECK(closed_drain() == 0);
    KT_CHECK(closed_reader() == 0);
    KT_CHECK(closed_under_sleeper(blocked_recv) == 0);
    KT_CHECK(closed_under_sleeper(blocked_select) == 0);
    return kt_end(&b);
}

// ---- move: a carried endpoint moves and works at its new owner ----

static int give(struct endpoint *giver, int tag, struct endpoint *x) {
    const char *why = NULL;
    struct endpoint *eps[1] = { x };
    return chan_send(giver, tag, NULL, 0, eps, 1, &why);
}

// The taker: receives the reader end, then reads "hello" from it.
static int move_taker(struct kt_job *j) {
    struct chan_msg *m;
    const char *why;
    if (chan_recv(j->e, &m, &why) != 0 || m->tag != 0 || m->neps != 1) return -1;
    struct endpoint *r = m->eps[0];
    m->eps[0] = NULL;
    chan_msg_free(m);
    char buf[8];
    uint32_t n;
    int ok = recv_data(r, buf, &n) == 0 && n == 5 && memcmp(buf, "hello", 5) == 0;
    ok = ok && recv_data(r, buf, &n) == -EPIPE;
    endpoint_close(r);
    return ok ? 0 : -1;
}

// The old owner asleep in chan_recv on x leaves when x is given away.
static int recv_expect_ebadf(struct kt_job *j) {
    struct chan_msg *m;
    const char *why;
    return chan_recv(j->e, &m, &why);
}

KTEST(chan_move) {
    struct kt_base b;
    KT_CHECK(kt_begin(&b) == 0);
    struct endpoint *g, *tk, *w, *r;
    KT_CHECK(chan_create(&kt_carry, &g, &tk) == 0);
    KT_CHECK(chan_create(&kt_stream, &w, &r) == 0);
    struct kt_job old = { .fn = recv_expect_ebadf, .e = r };
    struct thread *to = job_start(&old);
    KT_CHECK(to != NULL);
    KT_CHECK(wait_blocked(to, &old) == 0);       // asleep in chan_recv on r
    KT_CHECK(give(g, 0, r) == 0);
    KT_CHECK(thread_join(to) == -EBADF);
    KT_CHECK(send_data(w, "hello", 5) == 0);
    endpoint_close(w);
    struct kt_job j = { .fn = move_taker, .e = tk };
    struct thread *t = job_start(&j);
    KT_CHECK(t != NULL);
    KT_CHECK(thread_join(t) == 0);
    endpoint_close(g);
    endpoint_close(tk);
    return kt_end(&b);
}

// ---- select: the ready one, the smallest, timeouts, wake on send and close ----

struct sel_set { struct endpoint *w[3], *r[3]; };

static int sel_make(struct sel_set *s) {
    for (int i = 0; i < 3; i++) KT_CHECK(chan_create(&kt_stream, &s->w[i], &s->r[i]) == 0);
    return 0;
}

static void sel_close(struct sel_set *s) {
    for (int i = 0; i < 3; i++) {
        if (s->w[i]) endpoint_close(s->w[i]);
        endpoint_close(s->r[i]);
    }
}

static int send_later(struct kt_job *j) {
    time_sleep_ns(30 * MS);
    return send_data(j->e, "z", 1);
}

static int close_later(struct kt_job *j) {
    time_sleep_ns(30 * MS);
    endpoint_close(j->e);
    return 0;
}

static int sel_timeouts(struct sel_set *s) {
    KT_CHECK(chan_select(s->r, 3, 0) == -ETIMEDOUT);                 // a poll
    uint64_t t0 = time_ns();
    KT_CHECK(chan_select(s->r, 3, t0 + 20 * MS) == -ETIMEDOUT);
    KT_CHECK(time_ns() >= t0 + 20 * MS);
    KT_CHECK(chan_select(s->r, 0, 0) == -EINVAL);
    KT_CHECK(chan_select(s->r, CHAN_SELECT_MAX + 1, 0) == -EINVAL);
    return 0;
}

// Waits (forever) while a thread does fn on s->w[which]: select says which.
static int sel_wakes(struct sel_set *s, int (*fn)(struct kt_job *), int which) {
    struct kt_job j = { .fn = fn, .e = s->w[which] };
    struct thread *t = job_start(&j);
    KT_CHECK(t != NULL);
    int got = chan_select(s->r, 3, UINT64_MAX);
    KT_CHECK(thread_join(t) == 0);
    KT_CHECK(got == which);
    return 0;
}

KTEST(chan_select) {
    struct kt_base b;
    KT_CHECK(kt_begin(&b) == 0);
    struct sel_set s;
    KT_CHECK(sel_make(&s) == 0);
    KT_CHECK(sel_timeouts(&s) == 0);
    KT_CHECK(sel_wakes(&s, send_later, 2) == 0);
    KT_CHECK(send_data(s.w[1], "y", 1) == 0);
    KT_CHECK(chan_select(s.r, 3, 0) == 1);              // both ready: the smallest
    KT_CHECK(chan_select(&s.r[2], 1, 0) == 0);
    char c;
    uint32_t n;
    KT_CHECK(recv_data(s.r[1], &c, &n) == 0 && recv_data(s.r[2], &c, &n) == 0);
    KT_CHECK(sel_wakes(&s, close_later, 0) == 0);
    s.w[0] = NULL;                                      // closed by close_later
    sel_close(&s);
    return kt_end(&b);
}

// ---- violation: refused messages queue nothing ----

static int expect_violation(struct endpoint *e, int tag, const void *d, uint32_t len,
                            struct endpoint *x) {
    const char *why = NULL;
    struct endpoint *eps[1] = { x };
    size_t msgs = chan_messages_alive();
    KT_CHECK(chan_send(e, tag, d, len, eps, x ? 1 : 0, &why) == CHAN_VIOLATION);
    KT_CHECK(why != NULL);
    KT_CHECK(chan_messages_alive() == msgs);
    return 0;
}

static int bad_sends(struct endpoint *a, struct endpoint *bb, struct endpoint *spare) {
    int x = 5;
    KT_CHECK(expect_violation(bb, 1, NULL, 0, NULL) == 0);       // b first
    KT_CHECK(expect_violation(a, 1, NULL, 0, NULL) == 0);        // Two from a
    KT_CHECK(expect_violation(a, 0, &x, 3, NULL) == 0);          // One, wrong length
    KT_CHECK(expect_violation(a, 0, &x, 4, spare) == 0);         // One with an endpoint
    KT_CHECK(expect_violation(a, 7, NULL, 0, NULL) == 0);        // no such tag
    KT_CHECK(strcmp(endpoint_state_name(a), "S0") == 0);
    const char *why;
    struct chan_msg *m;
    KT_CHECK(chan_try_recv(bb, &m, &why) == -EAGAIN);
    KT_CHECK(chan_send(a, 0, &x, 4, NULL, 0, &why) == 0);
    KT_CHECK(strcmp(endpoint_state_name(a), "S1") == 0);
    KT_CHECK(expect_violation(a, 0, &x, 4, NULL) == 0);          // a twice in a row
    KT_CHECK(chan_recv(bb, &m, &why) == 0 && m->tag == 0 && m->len == 4);
    chan_msg_free(m);
    KT_CHECK(chan_send(bb, 1, NULL, 0, NULL, 0, &why) == 0);
    KT_CHECK(chan_recv(a, &m, &why) == 0 && m->tag == 1);
    chan_msg_free(m);
    return 0;
}

// Carried endpoints: of the wrong contract or role; carrying oneself, the
// peer, one twice, one no longer the sender's.
static int bad_carries(struct endpoint *g, struct endpoint *tk, struct endpoint *w,
                       struct endpoint *r, struct endpoint *other) {
    KT_CHECK(expect_violation(g, 0, NULL, 0, w) == 0);           // KtStream:writer, wants reader
    KT_CHECK(expect_violation(g, 0, NULL, 0, other) == 0);       // KtBad: the wrong contract
    const char *why;
    struct endpoint *two[2] = { w, w };
    KT_CHECK(chan_send(g, 2, NULL, 0, two, 2, &why) == -EINVAL);
    KT_CHECK(give(g, 1, g) == -EINVAL && give(g, 1, tk) == -EINVAL);
    KT_CHECK(give(w, 0, r) == -EINVAL);
    KT_CHECK(give(g, 1, w) == 0);                 // w now in tk's queue
    KT_CHECK(give(g, 1, w) == -EINVAL);           // not the sender's any more
    return 0;
}

// Under the turn rule b may answer before it has read what a sent: the
// receive checks must follow the channel's order, not each side's own.
static int reply_unread(struct endpoint *a, struct endpoint *bb) {
    int x = 9;
    const char *why = NULL;
    struct chan_msg *m;
    KT_CHECK(chan_send(a, 0, &x, 4, NULL, 0, &why) == 0);
    KT_CHECK(chan_send(bb, 1, NULL, 0, NULL, 0, &why) == 0);      // One still unread
    KT_CHECK(chan_send(a, 0, &x, 4, NULL, 0, &why) == 0);
    for (int i = 0; i < 2; i++) {
        KT_CHECK(chan_recv(bb, &m, &why) == 0 && m->tag == 0);
        chan_msg_free(m);
    }
    KT_CHECK(chan_recv(a, &m, &why) == 0 && m->tag == 1);
    chan_msg_free(m);
    KT_CHECK(strcmp(endpoint_state_name(a), "S1") == 0);
    return 0;
}

KTEST(chan_violation) {
    struct kt_base b;
    KT_CHECK(kt_begin(&b) == 0);
    struct endpoint *a, *bb, *g, *tk, *w, *r, *w2, *r2;
    KT_CHECK(chan_create(&kt_bad, &a, &bb) == 0);
    KT_CHECK(chan_create(&kt_carry, &g, &tk) == 0);
    KT_CHECK(chan_create(&kt_stream, &w, &r) == 0);
    KT_CHECK(chan_create(&kt_stream, &w2, &r2) == 0);
    KT_CHECK(bad_sends(a, bb, r2) == 0);
    KT_CHECK(bad_carries(g, tk, w, r, a) == 0);
    KT_CHECK(reply_unread(a, bb) == 0);
    endpoint_close(a);
    endpoint_close(bb);
    endpoint_close(g);
    endpoint_close(tk);                           // closes w inside its queue
    endpoint_close(r);
    endpoint_close(w2);
    endpoint_close(r2);
    return kt_end(&b);
}

// ---- cycle: a send that would leave endpoints unreachable is refused ----

KTEST(chan_cycle) {
    struct kt_base b;
    KT_CHECK(kt_begin(&b) == 0);
    struct endpoint *a0, *a1, *b0, *b1;
    KT_CHECK(chan_create(&kt_carry, &a0, &a1) == 0);
    KT_CHECK(chan_create(&kt_carry, &b0, &b1) == 0);
    KT_CHECK(give(a0, 1, a1) == -EINVAL);         // into its own queue
    KT_CHECK(give(b0, 1, a1) == 0);               // a1 in b1's queue
    KT_CHECK(give(a0, 1, b1) == -EINVAL);         // b1 into a1's queue: a cycle
    endpoint_close(a0);
    endpoint_close(b0);
    endpoint_close(b1);                           // closes a1 too
    return kt_end(&b);
}

// ---- leak: a long chain of endpoints inside messages, all returned; and
// the spare buffers of channels (chan_msg_done) go back with them ----

#define CHAIN_N 300

// Channel i's reader end goes inside channel i+1: closing the last pair
// closes the whole chain (iteratively: a deep recursion would overflow).
static int build_chain(struct endpoint **last_w, struct endpoint **last_r) {
    struct endpoint *pw = NULL, *pr = NULL;
    for (int i = 0; i < CHAIN_N; i++) {
        struct endpoint *g, *tk;
        KT_CHECK(chan_create(&kt_carry, &g, &tk) == 0);
        if (pr) {
            KT_CHECK(give(g, 1, pr) == 0);
            endpoint_close(pw);
        }
        pw = g;
        pr = tk;
    }
    *last_w = pw;
    *last_r = pr;
    return 0;
}

static int chain_and_queue(void) {
    struct endpoint *w, *r;
    KT_CHECK(build_chain(&w, &r) == 0);
    KT_CHECK(chan_endpoints_alive() >= 2 * CHAIN_N);
    endpoint_close(w);
    endpoint_close(r);
    struct endpoint *sw, *sr;                     // and a full queue of big messages
    KT_CHECK(chan_create(&kt_stream, &sw, &sr) == 0);
    static uint8_t big[CHAN_MSG_MAX];
    for (int i = 0; i < CHAN_QUEUE_MAX; i++) KT_CHECK(send_data(sw, big, sizeof big) == 0);
    endpoint_close(sr);
    endpoint_close(sw);
    return 0;
}

// One message of n bytes (byte i = seed + i) there and back through
// chan_msg_done, which keeps its buffer as the channel's spare.
static int spare_round(struct endpoint *w, struct endpoint *r, uint32_t n, uint8_t seed) {
    static uint8_t out[CHAN_MSG_MAX];
    for (uint32_t i = 0; i < n; i++) out[i] = (uint8_t)(seed + i);
    KT_CHECK(send_data(w, out, n) == 0);
    struct chan_msg *m;
    const char *why = NULL;
    KT_CHECK(chan_recv(r, &m, &why) == 0);
    KT_CHECK(m->len == n && memcmp(m->data, out, n) == 0);
    chan_msg_done(r, m);
    return 0;
}

// Spares of every size in turn: one too small for the next message is
// replaced, a big one carries a small message; the last goes with the channel.
static int spare_sizes(void) {
    struct endpoint *w, *r;
    KT_CHECK(chan_create(&kt_stream, &w, &r) == 0);
    static const uint32_t sizes[] = { 4, 64, 65, CHAN_MSG_MAX, 0, 7, CHAN_MSG_MAX, 1 };
    for (uint32_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        KT_CHECK(spare_round(w, r, sizes[i], (uint8_t)(i * 31)) == 0);
    endpoint_close(w);
    endpoint_close(r);
    return 0;
}

KTEST(chan_leak) {
    struct kt_base b;
    KT_CHECK(kt_begin(&b) == 0);
    kheap_trim();
    size_t frames = frame_free_count();
    KT_CHECK(chain_and_queue() == 0);
    KT_CHECK(spare_sizes() == 0);
    KT_CHECK(kt_end(&b) == 0);
    kheap_trim();
    KT_CHECK(frame_free_count() == frames);
    return 0;
}

// ---- intr: blocked send, recv and select end with -EINTR ----

static int blocked_recv(struct kt_job *j) {
    struct chan_msg *m;
    const char *why;
    return chan_recv(j->e, &m, &why);
}

static int blocked_select(struct kt_job *j) {
    struct endpoint *eps[2] = { j->e, j->e2 };
    return chan_select(eps, 2, UINT64_MAX);
}

// Starts fn, lets it block, interrupts it: it must return -EINTR.
static int interrupt_one(int (*fn)(struct kt_job *), struct endpoint *e, struct endpoint *e2) {
    struct kt_job j = { .fn = fn, .e = e, .e2 = e2 };
    struct thread *t = job_start(&j);
    KT_CHECK(t != NULL);
    KT_CHECK(wait_blocked(t, &j) == 0);
    thread_interrupt(t);
    KT_CHECK(thread_join(t) == -EINTR);
    return 0;
}

KTEST(chan_intr) {
    struct kt_base b;
    KT_CHECK(kt_begin(&b) == 0);
    struct endpoint *w, *r, *w2, *r2;
    KT_CHECK(chan_create(&kt_stream, &w, &r) == 0);
    KT_CHECK(chan_create(&kt_stream, &w2, &r2) == 0);
    KT_CHECK(interrupt_one(blocked_recv, r, NULL) == 0);
    KT_CHECK(interrupt_one(blocked_select, r, r2) == 0);
    KT_CHECK(fill_queue(w) == 0);
    KT_CHECK(interrupt_one(send_one, w, NULL) == 0);
    KT_CHECK(chan_messages_alive() == b.msgs + CHAN_QUEUE_MAX);   // the 17th never went in
    endpoint_close(w);
    endpoint_close(r);
    endpoint_close(w2);
    endpoint_close(r2);
    return kt_end(&b);
}

// ---- stress: several senders and receivers (recv and select) on one channel ----

#define STRESS_SENDERS 3
#define STRESS_N 120

static uint8_t stress_seen[STRESS_SENDERS][STRESS_N];   // times each (sender, seq) arrived

static int stress_sender(struct kt_job *j) {
    for (int i = 0; i < STRESS_N; i++) {
        int32_t v[2] = { j->n, i };
        if (send_data(j->e, v, sizeof v) != 0) return -1;
        if (i % 16 == 0) thread_yield();
    }
    return 0;
}

// Within one receiver, each sender's numbers must still go up.
static int stress_note(int32_t *last, const int32_t *v) {
    if (v[0] < 0 || v[0] >= STRESS_SENDERS || v[1] < 0 || v[1] >= STRESS_N) return -1;
    if (v[1] <= last[v[0]]) return -1;
    last[v[0]] = v[1];
    __atomic_add_fetch(&stress_seen[v[0]][v[1]], 1, __ATOMIC_SEQ_CST);
    return 0;
}

// j->n: 0 receives with chan_recv, 1 with chan_select + chan_try_recv.
static int stress_receiver(struct kt_job *j) {
    int32_t last[STRESS_SENDERS] = { -1, -1, -1 }, v[2];
    for (;;) {
        struct chan_msg *m;
        const char *why;
        if (j->n && chan_select(&j->e, 1, UINT64_MAX) != 0) return -1;
        int r = j->n ? chan_try_recv(j->e, &m, &why) : chan_recv(j->e, &m, &why);
        if (r == -EPIPE) return 0;
        if (r == -EAGAIN) continue;               // another receiver took it
        if (r != 0 || m->len != sizeof v) return -1;
        memcpy(v, m->data, sizeof v);
        chan_msg_free(m);
        if (stress_note(last, v)) return -1;
    }
}

static int stress_start(struct kt_job *jobs, int n, int (*fn)(struct kt_job *),
                        struct endpoint *e, struct thread **ts) {
    for (int i = 0; i < n; i++) {
        jobs[i] = (struct kt_job){ .fn = fn, .e = e, .n = i };
        KT_CHECK((ts[i] = job_start(&jobs[i])) != NULL);
    }
    return 0;
}

KTEST(chan_stress) {
    struct kt_base b;
    KT_CHECK(kt_begin(&b) == 0);
    memset(stress_seen, 0, sizeof stress_seen);
    struct endpoint *w, *r;
    KT_CHECK(chan_create(&kt_stream, &w, &r) == 0);
    struct kt_job sj[STRESS_SENDERS], rj[2];
    struct thread *st[STRESS_SENDERS], *rt[2];
    KT_CHECK(stress_start(rj, 2, stress_receiver, r, rt) == 0);
    KT_CHECK(stress_start(sj, STRESS_SENDERS, stress_sender, w, st) == 0);
    for (int i = 0; i < STRESS_SENDERS; i++) KT_CHECK(thread_join(st[i]) == 0);
    endpoint_close(w);
    for (int i = 0; i < 2; i++) KT_CHECK(thread_join(rt[i]) == 0);
    for (int s = 0; s < STRESS_SENDERS; s++)
        for (int i = 0; i < STRESS_N; i++) KT_CHECK(stress_seen[s][i] == 1);
    endpoint_close(r);
    return kt_end(&b);
}

// ---- unrecv: a message put back comes out again, in order, endpoints intact ----

static struct chan_msg *take(struct endpoint *e) {
    struct chan_msg *m;
    const char *why;
    return chan_try_recv(e, &m, &why) == 0 ? m : NULL;
}

// Back onto a closed endpoint (held, so still memory): freed with what it carries.
static int unrecv_closed(struct endpoint *g, struct endpoint *tk, struct endpoint *w) {
    struct chan_msg *m = take(tk);
    KT_CHECK(m && m->tag == 1 && m->eps[0] == w);
    endpoint_hold(tk);
    endpoint_close(tk);
    endpoint_close(g);
    size_t eps = chan_endpoints_alive();
    chan_unrecv(tk, m);                               // closes w: its channel is gone
    KT_CHECK(chan_endpoints_alive() == eps - 2);
    endpoint_release(tk);                             // and now tk's
    KT_CHECK(chan_endpoints_alive() == eps - 4);
    return 0;
}

KTEST(chan_unrecv) {
    struct kt_base b;
    KT_CHECK(kt_begin(&b) == 0);
    struct endpoint *g, *tk, *w, *r;
    KT_CHECK(chan_create(&kt_carry, &g, &tk) == 0);
    KT_CHECK(chan_create(&kt_stream, &w, &r) == 0);
    KT_CHECK(give(g, 0, r) == 0 && give(g, 1, w) == 0);
    struct chan_msg *m = take(tk);
    KT_CHECK(m && m->tag == 0 && m->eps[0] == r);
    chan_unrecv(tk, m);
    KT_CHECK(give(g, 1, r) == -EINVAL);               // in flight again: nobody's to give
    struct chan_msg *again = take(tk);
    KT_CHECK(again == m && m->eps[0] == r);
    chan_msg_free(m);                                 // closes r
    KT_CHECK(unrecv_closed(g, tk, w) == 0);
    return kt_end(&b);
}
