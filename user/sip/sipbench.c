// sipbench: what the sip kernel's basic operations cost, in TSC cycles and ns.
// A benchmark, never a test: it reports and never fails on a number.
//
//   sipbench [-a ACCEL] [-c CPU] [-r RUNS]   (tools/bench-sip passes -a and -c: how QEMU ran)
//
// Rows: an ABI call (sip_self: a direct call into the kernel, no ring
// change), a message round trip (Ping to the watchdog SIP and its Pong back),
// and SIP create+start+exit+wait (of benchnop, which returns at once). Each
// row is RUNS runs of many operations; a run gives the mean cost of one
// operation, and the row shows the median run with the fastest and slowest
// beside it. Cycles are sip_cycles (rdtsc); the TSC rate is measured here,
// sip_cycles over sip_time_ns across a 200 ms sleep. Integer arithmetic only.
// wasm cannot run cpuid, so unlike hwbench it names only what it is told.
#include <benchstat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sip.h>
#include <contracts/Ping.h>

#define MAX_RUNS 31

static uint64_t tsc_hz;

// ------------------------------------------------------------------ the rows

typedef int (*op_batch)(long ops);   // 0, or -1 if an operation failed

static int measure(const char *what, op_batch batch, int runs, long ops) {
    uint64_t per_op[MAX_RUNS];
    if (batch(ops < 10 ? ops : 10) < 0) return -1;   // warm up: caches, first loads
    for (int r = 0; r < runs; r++) {
        uint64_t t0 = (uint64_t)sip_cycles();
        if (batch(ops) < 0) return -1;
        per_op[r] = ((uint64_t)sip_cycles() - t0) * 100 / (uint64_t)ops;
    }
    bench_report("sipbench", 28, what, per_op, runs, ops, tsc_hz);
    return 0;
}

static volatile int sink;

static int abi_calls(long ops) {
    for (long i = 0; i < ops; i++) sink += sip_self();
    return 0;
}

static int ping_client = -1;

static int round_trips(long ops) {
    struct Ping_msg m;
    for (long i = 0; i < ops; i++) {
        if (Ping_send_Ping(ping_client, (int32_t)i, "", 0) != 0 ||
            Ping_recv(ping_client, &m) != Ping_Pong || m.Pong.seq != (int32_t)i) {
            fprintf(stderr, "sipbench: the Ping round trip failed at %ld\n", i);
            return -1;
        }
    }
    return 0;
}

static int spawns(long ops) {
    static const char args[] = "benchnop";
    int32_t h[2] = { -1, -1 };
    for (long i = 0; i < ops; i++) {
        int child = sip_spawn("benchnop", 8, args, sizeof args, h, 2);
        int32_t st = -99;
        if (child <= 0 || sip_wait(child, &st) != 0 || st != 0) {
            fprintf(stderr, "sipbench: spawn+wait of benchnop failed (%d, status %d)\n",
                    child, (int)st);
            return -1;
        }
    }
    return 0;
}

// The watchdog serves Ping on its endpoint 2; we keep the client end.
static int start_server(int *child) {
    int server;
    if (Ping_create(&ping_client, &server) != 0) return -1;
    static const char args[] = "watchdog";
    int32_t h[3] = { -1, -1, server };
    *child = sip_spawn("watchdog", 8, args, sizeof args, h, 3);
    return *child > 0 ? 0 : -1;
}

static int ping_row(int runs) {
    int child;
    if (start_server(&child) < 0) {
        fprintf(stderr, "sipbench: could not start the watchdog as the Ping server\n");
        return -1;
    }
    int r = measure("message round trip (2 SIPs)", round_trips, runs, 500);
    sip_chan_close(ping_client);                // the watchdog sees EPIPE and exits
    int32_t st;
    sip_wait(child, &st);
    return r;
}

// ------------------------------------------------------------------ main

static void measure_tsc(void) {
    int64_t c0 = sip_cycles(), t0 = sip_time_ns();
    sip_sleep_ms(200);
    int64_t dc = sip_cycles() - c0, dt = sip_time_ns() - t0;
    tsc_hz = dt > 0 ? (uint64_t)dc * 1000000000u / (uint64_t)dt : 0;   // dc < 2^33: no overflow
}

static const char *tsc_meaning(const char *accel) {
    if (strcmp(accel, "tcg") == 0)
        return "QEMU TCG EMULATION: rdtsc follows host time and counts the emulator's work, "
               "NOT hardware cycles; compare ratios between kernels measured in the same way, "
               "never absolute figures";
    if (strcmp(accel, "kvm") == 0)
        return "hardware virtualisation (KVM): real cycles, inside a virtual machine";
    if (strcmp(accel, "bochs") == 0)
        return "BOCHS EMULATION: the TSC counts emulated instructions, NOT hardware cycles";
    return "accelerator not given (-a): treat the figures as unverified";
}

int main(int argc, char **argv) {
    const char *accel = "", *cpu_model = "";
    int runs = 7;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "-a") == 0) accel = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "-c") == 0) cpu_model = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "-r") == 0) runs = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: sipbench [-a ACCEL] [-c CPU] [-r RUNS]\n");
            return 2;
        }
    }
    if (runs < 1) runs = 1;
    if (runs > MAX_RUNS) runs = MAX_RUNS;
    measure_tsc();
    printf("sipbench: sip kernel; accelerator %s, QEMU -cpu %s; TSC %lu.%03lu MHz "
           "(sip_cycles over sip_time_ns)\n", *accel ? accel : "(not given)",
           *cpu_model ? cpu_model : "(not given)", (unsigned long)(tsc_hz / 1000000),
           (unsigned long)(tsc_hz / 1000 % 1000));
    printf("sipbench: what the cycles mean here: %s\n", tsc_meaning(accel));
    fflush(stdout);
    int bad = measure("ABI call (sip_self)", abi_calls, runs, 20000) < 0;
    bad |= ping_row(runs) < 0;
    bad |= measure("SIP create+start+exit+wait", spawns, runs, 10) < 0;
    printf("sipbench: done (a benchmark: these numbers are reported, never judged)%s\n",
           bad ? "; some rows are missing, see above" : "");
    return bad;
}
