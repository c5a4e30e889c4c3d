// siptests: the hostile-SIP suite. Each misbehaviour lives in a SIP of its
// own (user/sip/hostile_*.c); siptests spawns it, waits for it and judges
// how it ended: killed (status -1, with the kernel's one line on the console)
// for the traps, the contract violation and the spinner it kills; exit 0 for
// the ones that must be refused and live on (bad pointers, endpoints not
// owned, memory exhausted, a flooded channel). A watchdog SIP is spawned
// before them and pinged after them: it must still answer. No frame may be
// lost: the kernel's free-frame count after the suite equals the count before
// (measured after a quiet warm-up round of the same tests: an image's first
// spawn loads its code for good, and a memory window keeps its page tables).
//
//   siptests              every test
//   siptests NAME...      just these (warm-up round, watchdog and leak check included)
//   siptests -l           list the tests
//
// Output: "test NAME: OK" or "test NAME: FAILED (why)" per test, then
// "ALL TESTS PASSED" or "siptests: N of M failed"; exit status 0 iff all
// passed. A helper that does not end within HELPER_MS is killed and fails its
// test (so a kernel that loses a wakeup fails a test instead of hanging).
//
// siptests also spawns itself, as a child of the same image, in the modes
// "-isolation ADDR", "-args ...", "-parent" (see child_main).
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sip.h>
#include <contracts/Ping.h>
#include <contracts/Stream.h>

#define HELPER_MS   20000       // a helper SIP's time limit
#define NONE        (-1)        // "no endpoint" in a spawn's handle list
#define WHY_MAX     200

static char why[WHY_MAX];
#define FAIL(...) do { snprintf(why, sizeof why, __VA_ARGS__); return why; } while (0)
#define CHECK(cond, ...) do { if (!(cond)) FAIL(__VA_ARGS__); } while (0)

// ------------------------------------------------------------------ names of errors

static const char *rstr(int r) {
    static const struct { int e; const char *name; } names[] = {
        { EBADF, "EBADF" }, { EPIPE, "EPIPE" }, { EINVAL, "EINVAL" }, { EFAULT, "EFAULT" },
        { ENOENT, "ENOENT" }, { ENOEXEC, "ENOEXEC" }, { EAGAIN, "EAGAIN" }, { EMFILE, "EMFILE" },
        { ENOMEM, "ENOMEM" }, { ESRCH, "ESRCH" }, { ECHILD, "ECHILD" }, { ETIMEDOUT, "ETIMEDOUT" },
        { EINTR, "EINTR" }, { ERANGE, "ERANGE" }, { EEXIST, "EEXIST" },
    };
    static char buf[16];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (r == -names[i].e) return names[i].name;
    snprintf(buf, sizeof buf, "%d", r);
    return buf;
}

// ------------------------------------------------------------------ spawning and waiting

// argv[0..argc) as the kernel wants spawn arguments: NUL-terminated strings back to back.
static int pack_args(const char *const *argv, int argc, char *buf, int cap) {
    int len = 0;
    for (int i = 0; i < argc; i++) {
        int n = (int)strlen(argv[i]) + 1;
        if (len + n > cap) return -1;
        memcpy(buf + len, argv[i], (size_t)n);
        len += n;
    }
    return len;
}

// Spawns sip/NAME with argv {name, args...} and initial endpoints h[0..nh).
static int spawn_argv(const char *const *argv, int argc, const int32_t *h, int nh) {
    static char args[SIP_ARGS_MAX];
    int len = pack_args(argv, argc, args, sizeof args);
    fflush(stdout);                 // our lines before whatever the child prints
    return sip_spawn(argv[0], (int32_t)strlen(argv[0]), args, len, h, nh);
}

// NAME [ARG] with stdin and stdout as given (NONE for none).
static int spawn(const char *name, const char *arg, int in, int out) {
    const char *argv[] = { name, arg };
    int32_t h[2] = { in, out };
    return spawn_argv(argv, arg ? 2 : 1, h, 2);
}

// The time limit: a thread that kills the child if sip_wait has not returned
// by the deadline. One at a time (the tests run one after another).
static _Alignas(16) char killer_stack[8192];
static int32_t killer_done;         // futex word: 1 once the wait returned
static int killer_child, killer_fired;

static void killer(int ms) {
    int64_t deadline = sip_time_ns() + (int64_t)ms * 1000000;
    while (!__atomic_load_n(&killer_done, __ATOMIC_SEQ_CST)) {
        int64_t left = deadline - sip_time_ns();
        if (left <= 0) {
            killer_fired = 1;
            sip_kill(killer_child);
            return;
        }
        sip_futex_wait(&killer_done, 0, left);
    }
}

// sip_wait with a time limit: 0 and *status, or -errno. *timed_out says whether
// the child had to be killed.
static int wait_limited(int child, int ms, int *status, bool *timed_out) {
    killer_done = 0;
    killer_fired = 0;
    killer_child = child;
    int tid = sip_thread_create(killer, ms, killer_stack + sizeof killer_stack);
    int32_t st = -99;
    int r = sip_wait(child, &st);
    __atomic_store_n(&killer_done, 1, __ATOMIC_SEQ_CST);
    if (tid > 0) {
        sip_futex_wake(&killer_done, 1);
        sip_thread_join(tid);
    }
    *status = st;
    *timed_out = killer_fired;
    return r;
}

// Spawns NAME [ARG] with no endpoints, waits (limited): its status, or a reason.
static const char *run_helper(const char *name, const char *arg, int *status) {
    int child = spawn(name, arg, NONE, NONE);
    CHECK(child > 0, "spawn %s = %s", name, rstr(child));
    bool late;
    int r = wait_limited(child, HELPER_MS, status, &late);
    CHECK(r == 0, "sip_wait(%s) = %s", name, rstr(r));
    CHECK(!late, "%s still running after %d ms (killed)", name, HELPER_MS);
    return NULL;
}

// NAME must be killed by the kernel: status -1 (the kernel printed the reason).
static const char *expect_killed(const char *name) {
    int st;
    const char *err = run_helper(name, NULL, &st);
    if (err) return err;
    CHECK(st == -1, "%s ended with status %d, want -1 (killed)", name, st);
    return NULL;
}

// NAME must live through its own misbehaviour and exit 0 (it checks itself).
static const char *expect_exit0(const char *name) {
    int st;
    const char *err = run_helper(name, NULL, &st);
    if (err) return err;
    CHECK(st == 0, "%s ended with status %d, want 0 (its check %d failed, or it was killed)",
          name, st, st);
    return NULL;
}

static int64_t now_ms(void) { return sip_time_ns() / 1000000; }

// ------------------------------------------------------------------ the watchdog

static int watchdog_client = NONE;  // our Ping:client end
static int watchdog_id;

// One Ping/Pong round trip with the watchdog: NULL or a reason.
static const char *ping_watchdog(int seq) {
    CHECK(watchdog_client >= 0, "no watchdog");
    char pad[8] = "watchdog";
    int r = Ping_send_Ping(watchdog_client, seq, pad, sizeof pad);
    CHECK(r == 0, "send Ping to the watchdog = %s", rstr(r));
    struct Ping_msg m;
    int tag = Ping_recv(watchdog_client, &m);
    CHECK(tag == Ping_Pong, "recv from the watchdog = %s, want Pong", rstr(tag));
    CHECK(m.Pong.seq == seq && m.Pong.pad_len == (int)sizeof pad &&
          memcmp(m.Pong.pad, pad, sizeof pad) == 0, "the watchdog's Pong is not our Ping's");
    return NULL;
}

static const char *start_watchdog(void) {
    int client, server;
    int r = Ping_create(&client, &server);
    CHECK(r == 0, "Ping_create = %s", rstr(r));
    const char *argv[] = { "watchdog" };
    int32_t h[3] = { NONE, NONE, server };
    watchdog_id = spawn_argv(argv, 1, h, 3);
    CHECK(watchdog_id > 0, "spawn watchdog = %s", rstr(watchdog_id));
    watchdog_client = client;
    return ping_watchdog(1);
}

// ------------------------------------------------------------------ traps

// Out of bounds; also: the dead SIP's endpoints are closed (its stdout's reader sees EPIPE).
static const char *t_oob(void) {
    int w, r;
    CHECK(Stream_create(&w, &r) == 0, "Stream_create failed");
    int child = spawn("hostile_oob", NULL, NONE, w);
    CHECK(child > 0, "spawn hostile_oob = %s", rstr(child));
    int st;
    bool late;
    int e = wait_limited(child, HELPER_MS, &st, &late);
    CHECK(e == 0 && !late, "sip_wait = %s%s", rstr(e), late ? " (timed out)" : "");
    CHECK(st == -1, "hostile_oob ended with status %d, want -1 (killed)", st);
    struct Stream_msg m;
    e = Stream_recv(r, &m);
    sip_chan_close(r);
    CHECK(e == -EPIPE, "recv from the dead SIP's stdout = %s, want -EPIPE", rstr(e));
    return NULL;
}

static const char *t_divz(void) { return expect_killed("hostile_divz"); }
static const char *t_unreachable(void) { return expect_killed("hostile_unreachable"); }
static const char *t_badcall(void) { return expect_killed("hostile_badcall"); }
static const char *t_deep(void) { return expect_killed("hostile_deep"); }
static const char *t_bigframe(void) { return expect_killed("hostile_bigframe"); }
static const char *t_violate(void) { return expect_killed("hostile_violate"); }
static const char *t_thread(void) { return expect_killed("hostile_thread"); }

// ------------------------------------------------------------------ refused, and alive

static const char *t_badsend(void) { return expect_exit0("hostile_badsend"); }
static const char *t_badptr(void) { return expect_exit0("hostile_badptr"); }
static const char *t_oom(void) { return expect_exit0("hostile_oom"); }

// ------------------------------------------------------------------ flood

#define FLOOD_COUNT 64

static int messages_queued(void) {
    struct sip_sysinfo si;
    return sip_sysinfo(&si) == 0 ? si.messages : -1;
}

// Message i of hostile_flood (see there): NULL if m is it.
static const char *flood_check(const struct Stream_msg *m, int i) {
    CHECK(m->Data.data_len == 4 + i % 50, "message %d: %d bytes, want %d", i,
          m->Data.data_len, 4 + i % 50);
    int seq;
    memcpy(&seq, m->Data.data, 4);
    CHECK(seq == i, "message %d arrived where %d was due (lost or reordered)", seq, i);
    for (int k = 0; k < i % 50; k++)
        CHECK(m->Data.data[4 + k] == (uint8_t)(i * 31 + k), "message %d: byte %d differs", i, k);
    return NULL;
}

// hostile_flood sends 64 messages while we do not read: the queue fills to
// exactly 16 and stays there (the 17th send blocks); then we drain all 64 in
// order and the flooder exits 0 (no send failed).
static const char *flood_drain(int r, int base) {
    int64_t t0 = now_ms();
    while (messages_queued() < base + 16 && now_ms() - t0 < HELPER_MS) sip_sleep_ms(10);
    sip_sleep_ms(300);                          // room for a 17th message, if it were queued
    // 16 queued, and the blocked 17th send's copy, which the kernel makes before it
    // waits for room (sysinfo counts messages alive): 16 or 17, never all 64.
    int q = messages_queued() - base;
    CHECK(q == 16 || q == 17, "%d messages alive while nobody read, want 16 (the queue's "
          "limit) or 17 (and the blocked sender's)", q);
    struct Stream_msg m;
    for (int i = 1; i <= FLOOD_COUNT; i++) {
        int tag = Stream_recv(r, &m);
        CHECK(tag == Stream_Data, "recv message %d = %s", i, rstr(tag));
        const char *bad = flood_check(&m, i);
        if (bad) return bad;
    }
    int e = Stream_recv(r, &m);
    CHECK(e == -EPIPE, "recv after the last message = %s, want -EPIPE", rstr(e));
    return NULL;
}

static const char *t_flood(void) {
    int w, r;
    CHECK(Stream_create(&w, &r) == 0, "Stream_create failed");
    int base = messages_queued();
    char count[8];
    snprintf(count, sizeof count, "%d", FLOOD_COUNT);
    int child = spawn("hostile_flood", count, NONE, w);
    CHECK(child > 0, "spawn hostile_flood = %s", rstr(child));
    const char *bad = flood_drain(r, base);
    sip_chan_close(r);                          // a blocked flooder gets EPIPE now
    int st;
    bool late;
    int e = wait_limited(child, HELPER_MS, &st, &late);
    if (bad) return bad;
    CHECK(e == 0 && !late, "sip_wait = %s%s", rstr(e), late ? " (timed out)" : "");
    CHECK(st == 0, "hostile_flood ended with status %d (its send %d failed, or it was killed)",
          st, st);
    return NULL;
}

// ------------------------------------------------------------------ spin

// A SIP that never yields does not stop us: we sleep, compute and talk to the
// watchdog beside it; then sip_kill ends it (status -1) and it is gone.
static const char *t_spin(void) {
    int child = spawn("hostile_spin", NULL, NONE, NONE);
    CHECK(child > 0, "spawn hostile_spin = %s", rstr(child));
    int64_t t0 = now_ms();
    sip_sleep_ms(100);
    const char *bad = ping_watchdog(2);
    int64_t slept = now_ms() - t0;
    int k = sip_kill(child);
    int st;
    bool late;
    int e = wait_limited(child, HELPER_MS, &st, &late);
    if (bad) return bad;
    CHECK(slept >= 100, "slept %d ms of 100", (int)slept);
    CHECK(k == 0, "sip_kill(spinner) = %s", rstr(k));
    CHECK(e == 0 && !late, "sip_wait = %s%s", rstr(e), late ? " (the kill did not land)" : "");
    CHECK(st == -1, "the spinner ended with status %d, want -1 (killed)", st);
    k = sip_kill(child);
    CHECK(k == -ECHILD, "sip_kill after sip_wait = %s, want -ECHILD", rstr(k));
    return NULL;
}

// ------------------------------------------------------------------ isolation

// A global and a heap buffer: a child of this same image gets its own copies.
static volatile int probe_global = 1234;
static char *probe_heap;
#define PROBE_LEN 4096

// The child (-isolation ADDR): its global starts at 1234 whatever the parent
// did to its own; at ADDR (the parent's buffer's offset) it sees its own
// memory, never the parent's 'P's. It writes over both.
static int isolation_child(const char *addr) {
    if (probe_global != 1234) return 1;
    probe_global = 5678;
    unsigned off = (unsigned)strtoul(addr, NULL, 0);
    unsigned size = (unsigned)__builtin_wasm_memory_size(0) * 65536u;
    if (off + PROBE_LEN <= size) {              // past our memory it does not exist for us at all
        volatile char *p = (volatile char *)(uintptr_t)off;
        int parents = 0;
        for (int i = 0; i < PROBE_LEN; i++) parents += p[i] == 'P';
        if (parents == PROBE_LEN) return 2;
        for (int i = 0; i < PROBE_LEN; i++) p[i] = 'C';
    }
    return 0;
}

static const char *t_isolation(void) {
    probe_global = 42;
    CHECK(probe_heap, "malloc failed");
    memset(probe_heap, 'P', PROBE_LEN);
    char addr[16];
    snprintf(addr, sizeof addr, "%lu", (unsigned long)(uintptr_t)probe_heap);
    const char *argv[] = { "siptests", "-isolation", addr };
    int32_t h[2] = { NONE, NONE };
    int child = spawn_argv(argv, 3, h, 2);
    CHECK(child > 0, "spawn siptests -isolation = %s", rstr(child));
    int st;
    bool late;
    int e = wait_limited(child, HELPER_MS, &st, &late);
    CHECK(e == 0 && !late, "sip_wait = %s", rstr(e));
    CHECK(st != 1, "the child's global was not its own initial value");
    CHECK(st != 2, "the child saw the parent's bytes at the parent's heap offset");
    CHECK(st == 0, "the child ended with status %d", st);
    CHECK(probe_global == 42, "our global changed to %d", probe_global);
    for (int i = 0; i < PROBE_LEN; i++)
        CHECK(probe_heap[i] == 'P', "our heap byte %d changed to 0x%x", i, probe_heap[i] & 0xff);
    return NULL;
}

// ------------------------------------------------------------------ channels

// A closed peer: the receiver drains what was queued, then -EPIPE (and again);
// a send to a closed peer is -EPIPE; a closed handle is -EBADF.
static const char *t_peer_closed(void) {
    int w, r;
    CHECK(Stream_create(&w, &r) == 0, "Stream_create failed");
    for (int i = 0; i < 3; i++)
        CHECK(Stream_send_Data(w, &i, sizeof i) == 0, "send %d failed", i);
    CHECK(sip_chan_close(w) == 0, "close the writer failed");
    int32_t one = r;
    int s = sip_chan_select(&one, 1, 0);
    CHECK(s == 0, "select on a reader with messages = %s, want 0", rstr(s));
    struct Stream_msg m;
    for (int i = 0; i < 3; i++) {
        int tag = Stream_recv(r, &m);
        CHECK(tag == Stream_Data, "recv %d after the close = %s (queued messages lost)", i, rstr(tag));
        int got;
        memcpy(&got, m.Data.data, sizeof got);
        CHECK(got == i, "recv %d gave %d", i, got);
    }
    int e = Stream_recv(r, &m);
    CHECK(e == -EPIPE, "recv after the drain = %s, want -EPIPE", rstr(e));
    e = Stream_recv(r, &m);
    CHECK(e == -EPIPE, "second recv after the drain = %s, want -EPIPE", rstr(e));
    s = sip_chan_select(&one, 1, 0);
    CHECK(s == 0, "select on a closed peer = %s, want 0 (ready)", rstr(s));
    CHECK(sip_chan_close(r) == 0, "close the reader failed");
    e = sip_chan_close(r);
    CHECK(e == -EBADF, "close twice = %s, want -EBADF", rstr(e));
    CHECK(Stream_create(&w, &r) == 0, "Stream_create failed");
    sip_chan_close(r);
    e = Stream_send_Data(w, "x", 1);
    sip_chan_close(w);
    CHECK(e == -EPIPE, "send to a closed reader = %s, want -EPIPE", rstr(e));
    return NULL;
}

// Select: polls, times out after the time asked, finds the ready one, refuses bad sets.
static const char *t_select(void) {
    int w[3], r[3];
    for (int i = 0; i < 3; i++) CHECK(Stream_create(&w[i], &r[i]) == 0, "Stream_create failed");
    int32_t set[3] = { r[0], r[1], r[2] };
    int s = sip_chan_select(set, 3, 0);
    const char *bad = NULL;
    if (s != -ETIMEDOUT) { snprintf(why, sizeof why, "poll of idle = %s", rstr(s)); bad = why; }
    int64_t t0 = sip_time_ns();
    s = sip_chan_select(set, 3, 50 * 1000000ll);
    int64_t waited = sip_time_ns() - t0;
    if (!bad && (s != -ETIMEDOUT || waited < 50 * 1000000ll)) {
        snprintf(why, sizeof why, "50 ms select = %s after %d ms", rstr(s), (int)(waited / 1000000));
        bad = why;
    }
    Stream_send_Data(w[2], "a", 1);
    Stream_send_Data(w[1], "b", 1);
    s = sip_chan_select(set, 3, -1);
    if (!bad && s != 1) { snprintf(why, sizeof why, "select = %s, want 1", rstr(s)); bad = why; }
    int32_t badset[2] = { r[0], 63 };
    if (!bad && (s = sip_chan_select(badset, 2, 0)) != -EBADF) {
        snprintf(why, sizeof why, "select with a stranger = %s, want -EBADF", rstr(s));
        bad = why;
    }
    if (!bad && ((s = sip_chan_select(set, 0, 0)) != -EINVAL || sip_chan_select(set, 17, 0) != -EINVAL)) {
        snprintf(why, sizeof why, "select of 0 or 17 = %s, want -EINVAL", rstr(s));
        bad = why;
    }
    for (int i = 0; i < 3; i++) sip_chan_close(w[i]), sip_chan_close(r[i]);
    return bad;
}

// ------------------------------------------------------------------ SIPs

static const char *args_want[] = { "siptests", "-args", "one", "two words", "3" };
#define ARGS_N ((int)(sizeof args_want / sizeof args_want[0]))

static int args_child(int argc, char **argv) {
    if (argc != ARGS_N) return 10 + argc;
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], args_want[i]) != 0) return 1 + i;
    return 0;
}

// Arguments arrive as given; spawn refuses what does not match the manifest
// (fewer endpoints than it declares is fine: the rest are none; more is not),
// and a refused spawn moves no endpoint.
static const char *t_spawn(void) {
    int32_t none[2] = { NONE, NONE };
    int child = spawn_argv(args_want, ARGS_N, none, 2);
    CHECK(child > 0, "spawn siptests -args = %s", rstr(child));
    int st;
    bool late;
    int e = wait_limited(child, HELPER_MS, &st, &late);
    CHECK(e == 0 && st == 0, "the child's argv differs (status %d)", st);
    const char *nosuch[] = { "nosuchsip" };
    e = spawn_argv(nosuch, 1, none, 2);
    CHECK(e == -ENOENT, "spawn nosuchsip = %s, want -ENOENT", rstr(e));
    const char *oob[] = { "hostile_oob", "-w" };
    int fewer = spawn_argv(oob, 2, none, 1);
    CHECK(fewer > 0, "spawn with 1 endpoint of 2 = %s, want a child", rstr(fewer));
    e = wait_limited(fewer, HELPER_MS, &st, &late);
    CHECK(e == 0 && st == 0, "hostile_oob -w with 1 endpoint: wait %s, status %d", rstr(e), st);
    int32_t three[3] = { NONE, NONE, NONE };
    e = spawn_argv(oob, 2, three, 3);
    CHECK(e == -EINVAL, "spawn with 3 endpoints of 2 = %s, want -EINVAL", rstr(e));
    int w, r;
    CHECK(Stream_create(&w, &r) == 0, "Stream_create failed");
    int32_t swapped[2] = { w, r };              // stdin must be a reader, stdout a writer
    e = spawn_argv(oob, 2, swapped, 2);
    int32_t one = w;
    int still = sip_chan_select(&one, 1, 0);
    sip_chan_close(w), sip_chan_close(r);
    CHECK(e == -EINVAL, "spawn with stdin and stdout swapped = %s, want -EINVAL", rstr(e));
    CHECK(still != -EBADF, "a refused spawn took our endpoint");
    return NULL;
}

// sip_wait and sip_kill only work on our own children not yet waited for.
static const char *t_wait_nonchild(void) {
    int ids[] = { sip_self(), 0, -1, 99999, watchdog_id + 1000 };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        int32_t st;
        int e = sip_wait(ids[i], &st);
        CHECK(e == -ECHILD, "sip_wait(%d) = %s, want -ECHILD", ids[i], rstr(e));
        e = sip_kill(ids[i]);
        CHECK(e == -ECHILD, "sip_kill(%d) = %s, want -ECHILD", ids[i], rstr(e));
    }
    int32_t none[2] = { NONE, NONE };
    const char *argv[] = { "hostile_oob", "-w" };
    int child = spawn_argv(argv, 2, none, 2);
    CHECK(child > 0, "spawn hostile_oob -w = %s", rstr(child));
    int st;
    bool late;
    int e = wait_limited(child, HELPER_MS, &st, &late);
    CHECK(e == 0 && st == 0, "hostile_oob -w: wait %s, status %d", rstr(e), st);
    int32_t st32;
    e = sip_wait(child, &st32);
    CHECK(e == -ECHILD, "sip_wait of a child already waited for = %s, want -ECHILD", rstr(e));
    return NULL;
}

// The child (-parent): spawns a spinner, tells us its id on stdout, waits for
// its stdin to close, and exits without waiting for the spinner.
static int parent_child(void) {
    int spinner = spawn("hostile_spin", NULL, NONE, NONE);
    if (spinner <= 0) return 1;
    if (Stream_send_Data(SIP_STDOUT, &spinner, sizeof spinner) != 0) return 2;
    struct Stream_msg m;
    while (Stream_recv(SIP_STDIN, &m) >= 0) {}
    return 0;                                   // the kernel must kill and reap the spinner
}

static int sips_alive(void) {
    struct sip_sysinfo si;
    return sip_sysinfo(&si) == 0 ? si.sips : -1;
}

// A grandchild is not ours to wait for or kill; a SIP that ends leaves no orphan.
static const char *t_orphan(void) {
    int in_w, in_r, out_w, out_r;
    CHECK(Stream_create(&in_w, &in_r) == 0 && Stream_create(&out_w, &out_r) == 0,
          "Stream_create failed");
    int base = sips_alive();
    int child = spawn("siptests", "-parent", in_r, out_w);
    CHECK(child > 0, "spawn siptests -parent = %s", rstr(child));
    struct Stream_msg m;
    int tag = Stream_recv(out_r, &m);
    int grandchild = -1;
    if (tag == Stream_Data && m.Data.data_len == 4) memcpy(&grandchild, m.Data.data, 4);
    int32_t st32;
    int ew = grandchild > 0 ? sip_wait(grandchild, &st32) : 0;
    int ek = grandchild > 0 ? sip_kill(grandchild) : 0;
    int during = sips_alive();
    sip_chan_close(in_w);
    int st;
    bool late;
    int e = wait_limited(child, HELPER_MS, &st, &late);
    sip_chan_close(out_r);
    CHECK(grandchild > 0, "no grandchild id from the child (recv = %s)", rstr(tag));
    CHECK(ew == -ECHILD, "sip_wait(grandchild) = %s, want -ECHILD", rstr(ew));
    CHECK(ek == -ECHILD, "sip_kill(grandchild) = %s, want -ECHILD", rstr(ek));
    CHECK(during == base + 2, "%d SIPs alive with child and grandchild, want %d", during, base + 2);
    CHECK(e == 0 && !late && st == 0, "the child ended with %d (wait %s)", st, rstr(e));
    int after = sips_alive();
    CHECK(after == base, "%d SIPs alive after the child ended, want %d (an orphan?)", after, base);
    return NULL;
}

// ------------------------------------------------------------------ the list

struct test {
    const char *name;
    const char *(*fn)(void);
};

static const struct test tests[] = {
    { "oob", t_oob }, { "divz", t_divz }, { "unreachable", t_unreachable },
    { "badcall", t_badcall }, { "deep", t_deep }, { "bigframe", t_bigframe },
    { "violate", t_violate }, { "thread", t_thread }, { "badsend", t_badsend },
    { "badptr", t_badptr }, { "oom", t_oom }, { "flood", t_flood }, { "spin", t_spin },
    { "isolation", t_isolation }, { "peer_closed", t_peer_closed }, { "select", t_select },
    { "spawn", t_spawn }, { "wait_nonchild", t_wait_nonchild }, { "orphan", t_orphan },
};
#define NTESTS ((int)(sizeof tests / sizeof tests[0]))

static bool wanted(const char *name, int argc, char **argv) {
    if (argc < 2) return true;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0) return true;
    return false;
}

static int passed, failed;

static void report(const char *name, const char *bad) {
    if (bad) printf("test %s: FAILED (%s)\n", name, bad), failed++;
    else printf("test %s: OK\n", name), passed++;
    fflush(stdout);
}

// The wanted tests once, quietly, before the frame count is taken: the first
// spawn of an image loads its code for good, and the kernel keeps what a
// memory window's first use builds (its page tables) for the next SIP in that
// window. After one round the count is steady; a leak shows on the next.
static const char *warm_up(int argc, char **argv) {
    static char first[WHY_MAX];
    int bad = 0;
    for (int i = 0; i < NTESTS; i++) {
        if (!wanted(tests[i].name, argc, argv)) continue;
        const char *why_not = tests[i].fn();
        if (why_not && bad++ == 0) snprintf(first, sizeof first, "%s: %s", tests[i].name, why_not);
    }
    return bad ? first : NULL;
}

// Frames free now, after up to 2 s for the kernel to finish freeing.
static const char *frames_back(const struct sip_sysinfo *before) {
    struct sip_sysinfo now;
    int64_t t0 = now_ms();
    do {
        CHECK(sip_sysinfo(&now) == 0, "sip_sysinfo failed");
        if (now.frames_free == before->frames_free && now.sips == before->sips &&
            now.endpoints == before->endpoints && now.messages == before->messages)
            return NULL;
        sip_sleep_ms(50);
    } while (now_ms() - t0 < 2000);
    FAIL("frames free %ld -> %ld, SIPs %d -> %d, endpoints %d -> %d, messages %d -> %d, "
         "kernel heap %ld -> %ld bytes", (long)before->frames_free, (long)now.frames_free,
         before->sips, now.sips, before->endpoints, now.endpoints, before->messages,
         now.messages, (long)before->heap_used, (long)now.heap_used);
}

static const char *stop_watchdog(void) {
    const char *bad = ping_watchdog(3);
    sip_chan_close(watchdog_client);            // it sees EPIPE and exits 0
    watchdog_client = NONE;
    int st;
    bool late;
    int e = wait_limited(watchdog_id, HELPER_MS, &st, &late);
    if (bad) return bad;
    CHECK(e == 0 && !late && st == 0, "the watchdog ended with status %d (wait %s)", st, rstr(e));
    return NULL;
}

// The modes siptests runs in when it spawns itself; -1 if argv is not one.
static int child_main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "-isolation") == 0) return isolation_child(argv[2]);
    if (argc >= 2 && strcmp(argv[1], "-args") == 0) return args_child(argc, argv);
    if (argc == 2 && strcmp(argv[1], "-parent") == 0) return parent_child();
    if (argc == 2 && strcmp(argv[1], "-w") == 0) return 0;
    return -1;
}

int main(int argc, char **argv) {
    int child = child_main(argc, argv);
    if (child >= 0) return child;
    if (argc == 2 && strcmp(argv[1], "-l") == 0) {
        for (int i = 0; i < NTESTS; i++) printf("%s\n", tests[i].name);
        return 0;
    }
    probe_heap = malloc(PROBE_LEN);
    report("watchdog_start", start_watchdog());
    report("warmup", warm_up(argc, argv));
    struct sip_sysinfo before;
    sip_sysinfo(&before);
    for (int i = 0; i < NTESTS; i++)
        if (wanted(tests[i].name, argc, argv)) report(tests[i].name, tests[i].fn());
    report("frames", frames_back(&before));
    report("watchdog", stop_watchdog());
    if (failed == 0) printf("ALL TESTS PASSED\n");
    else printf("siptests: %d of %d failed\n", failed, passed + failed);
    return failed == 0 ? 0 : 1;
}
