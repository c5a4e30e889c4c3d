// ptbench: what the basic operations of user/include/portable.h cost, the same
// program on the hw kernel, the sip kernel and Linux. A benchmark, never a
// test: it reports and never fails on a number.
//
//   ptbench [-r RUNS] [-q]   the rows below (-q: few operations, 2 runs)
//   ptbench -x               exit 0 at once (what proc_create spawns)
//   ptbench echo             msg_rtt's server: echoes every request on link 0
//
// Rows (KEY: what one operation is):
//   cycle_counter  one pt_cycles (rdtsc)
//   abi_call       one pt_null_call, the cheapest call into the kernel
//   yield          one pt_yield, two threads yielding to each other
//   waitsignal     a round trip of two threads over two pt_events
//   msg_rtt        a 4-byte request and its reply with a spawned echo process
//   proc_create    pt_spawn of `ptbench -x` + pt_wait: create, start, exit, wait
// Output format: user/portable/ptmeasure.h; docs/portable.md.
#include "ptmeasure.h"

#define PROG "ptbench"

static volatile uint64_t sink;     // keeps the measured loops from being optimised away

// ------------------------------------------------------------------ cheap calls

static int cycle_counters(long ops) {
    for (long i = 0; i < ops; i++) sink += pt_cycles();
    return 0;
}

static int abi_calls(long ops) {
    for (long i = 0; i < ops; i++) sink += (uint64_t)pt_null_call();
    return 0;
}

// ------------------------------------------------------------------ yield

// The partner thread yields until told to stop, counting its yields. The
// main thread times its own loop of `ops` yields; one operation is one
// yield by EITHER thread, so the time is divided by the yields both made in
// that window (on one CPU each main yield runs the partner's once; on
// several CPUs both may yield without switching, and the count says so).
static volatile int yield_stop;
static volatile uint64_t partner_yields;
static uint64_t yields_counted;

static int yield_partner(void *arg) {
    (void)arg;
    while (!yield_stop) {
        pt_yield();
        partner_yields++;
    }
    return 0;
}

static int yields(long ops) {
    uint64_t before = partner_yields;
    for (long i = 0; i < ops; i++) pt_yield();
    yields_counted = (uint64_t)ops + (partner_yields - before);
    return 0;
}

// The row by hand: each run's time is shared by the yields both threads made.
static int yield_row(int runs, long ops) {
    yield_stop = 0;
    int t = pt_thread_create(yield_partner, NULL);
    if (t < 0) {
        fprintf(stderr, PROG ": yield: pt_thread_create failed (%d)\n", t);
        return -1;
    }
    uint64_t per_op[PTM_MAX_RUNS];
    yields(ops < 10 ? ops : 10);
    for (int r = 0; r < runs; r++) {
        uint64_t t0 = pt_cycles();
        yields(ops);
        per_op[r] = (pt_cycles() - t0) * 100 / yields_counted;
    }
    yield_stop = 1;
    pt_thread_join(t, NULL);
    ptm_print_row(PROG, "yield", "yield (2 threads)", per_op, runs, ops, NULL);
    return 0;
}

// ------------------------------------------------------------------ wait/signal

// A signals B's event and waits on its own; B waits on its own and signals
// A's. One operation is one such round trip.
static pt_event ev_main = PT_EVENT_INIT, ev_partner = PT_EVENT_INIT;
static volatile int signal_stop;

static int signal_partner(void *arg) {
    (void)arg;
    for (;;) {
        pt_event_wait(&ev_partner);
        if (signal_stop) return 0;
        pt_event_signal(&ev_main);
    }
}

static int wait_signals(long ops) {
    for (long i = 0; i < ops; i++) {
        pt_event_signal(&ev_partner);
        pt_event_wait(&ev_main);
    }
    return 0;
}

static int waitsignal_row(int runs, long ops) {
    signal_stop = 0;
    int t = pt_thread_create(signal_partner, NULL);
    if (t < 0) {
        fprintf(stderr, PROG ": waitsignal: pt_thread_create failed (%d)\n", t);
        return -1;
    }
    int r = ptm_row(PROG, "waitsignal", "wait/signal (2 threads)", wait_signals, runs, ops, NULL);
    signal_stop = 1;
    pt_event_signal(&ev_partner);
    pt_thread_join(t, NULL);
    return r;
}

// ------------------------------------------------------------------ messages

static pt_link echo_link;

static int round_trips(long ops) {
    for (long i = 0; i < ops; i++) {
        int32_t out = (int32_t)i, in = -1;
        int err = pt_send(echo_link, &out, sizeof out);
        int n = err < 0 ? err : pt_recv(echo_link, &in, sizeof in);
        if (n != (int)sizeof in || in != out) {
            fprintf(stderr, PROG ": msg_rtt: round trip %ld failed (send %d, recv %d)\n",
                    i, err, n);
            return -1;
        }
    }
    return 0;
}

static int msg_row(int runs, long ops) {
    static char *const argv[] = { "ptbench", "echo", NULL };
    int child = pt_spawn("ptbench", argv, &echo_link, 1);
    if (child < 0) {
        fprintf(stderr, PROG ": msg_rtt: pt_spawn of ptbench echo failed (%d)\n", child);
        return -1;
    }
    int r = ptm_row(PROG, "msg_rtt", "message round trip", round_trips, runs, ops, NULL);
    pt_close(echo_link);                  // the echo server sees -EPIPE and exits 0
    int st = -1, err = pt_wait(child, &st);
    if (r == 0 && (err < 0 || st != 0)) {
        fprintf(stderr, PROG ": msg_rtt: the echo server ended badly (wait %d, status %d)\n",
                err, st);
        return -1;
    }
    return r;
}

// The server side: every request goes back as it came, until the client closes.
static int echo_server(void) {
    pt_link l = pt_link_arg(0);
    char buf[PT_MSG_MAX];
    int n;
    while ((n = pt_recv(l, buf, sizeof buf)) >= 0) {
        int err = pt_send(l, buf, n);
        if (err < 0) {
            fprintf(stderr, PROG " echo: pt_send failed (%d)\n", err);
            return 1;
        }
    }
    if (n != -EPIPE) fprintf(stderr, PROG " echo: pt_recv failed (%d)\n", n);
    return n == -EPIPE ? 0 : 1;
}

// ------------------------------------------------------------------ processes

static int spawns(long ops) {
    static char *const argv[] = { "ptbench", "-x", NULL };
    for (long i = 0; i < ops; i++) {
        int st = -1, child = pt_spawn("ptbench", argv, NULL, 0);
        int err = child < 0 ? child : pt_wait(child, &st);
        if (err < 0 || st != 0) {
            fprintf(stderr, PROG ": proc_create: ptbench -x failed (%d, status %d)\n", err, st);
            return -1;
        }
    }
    return 0;
}

// ------------------------------------------------------------------ main

struct counts { long cycles, abi, yields, signals, msgs, spawns; };

static const struct counts full_counts = { 20000, 20000, 2000, 1000, 500, 20 };
static const struct counts quick_counts = { 200, 200, 50, 50, 20, 3 };

static int run_rows(int runs, const struct counts *c) {
    if (ptm_row(PROG, "cycle_counter", "cycle counter (pt_cycles)", cycle_counters, runs,
                c->cycles, NULL) < 0 ||
        ptm_row(PROG, "abi_call", "null kernel call", abi_calls, runs, c->abi, NULL) < 0 ||
        yield_row(runs, c->yields) < 0 || waitsignal_row(runs, c->signals) < 0 ||
        msg_row(runs, c->msgs) < 0 ||
        ptm_row(PROG, "proc_create", "process create+wait", spawns, runs, c->spawns, NULL) < 0)
        return 1;
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "-x") == 0) return 0;
    if (argc == 2 && strcmp(argv[1], "echo") == 0) return echo_server();
    long runs = 7;
    int quick = 0;
    if (ptm_parse_runs(PROG, "ptbench [-r RUNS] [-q] | ptbench -x | ptbench echo", argc, argv,
                       &runs, &quick))
        return 2;
    ptm_start(PROG);
    int err = run_rows(ptm_clamp_runs(runs), quick ? &quick_counts : &full_counts);
    if (!err) printf(PROG ": done (a benchmark: these numbers are reported, never judged)\n");
    return err;
}
