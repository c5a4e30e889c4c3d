// user/portable/ptmeasure.h: what the portable benchmark programs (ptbench,
// webfiles, tlbdemo) share: the TSC rate, the runs of a row, and the two
// kinds of output line. A header, not a program (only user/portable/*.c are
// programs), included by each so every build rule stays one file + backend.
//
// Output, per row: the human row from bench_report() (user/include/benchstat.h)
// and one machine line that the bench driver parses:
//     @meta PROG backend=hw|sip|posix tsc_hz=N          (once, first)
//     @data PROG KEY ops=N tsc_hz=N x100=V1,V2,...,VR
// Vi is run i's cost of ONE operation in hundredths of a TSC cycle, in run
// order. Integer arithmetic only; uint64_t for cycles (long is 32 bits on
// wasm32, where the sip build runs).
#pragma once
#include <portable.h>
#include <benchstat.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PTM_MAX_RUNS 31

static uint64_t ptm_tsc_hz;

// pt_cycles against pt_time_ns across a 200 ms sleep: the same way on every
// backend, so rows from different systems convert to time alike.
static inline void ptm_measure_tsc(void) {
    uint64_t c0 = pt_cycles(), t0 = pt_time_ns();
    pt_sleep_ms(200);
    uint64_t dc = pt_cycles() - c0, dt = pt_time_ns() - t0;
    // dc < 2^34 for any TSC under 80 GHz: dc * 1e9 stays inside 64 bits
    ptm_tsc_hz = dt > 0 ? dc * 1000000000u / dt : 0;
}

static inline void ptm_print_meta(const char *prog) {
    printf("@meta %s backend=%s tsc_hz=%llu\n", prog, pt_backend(),
           (unsigned long long)ptm_tsc_hz);
}

// Prints a row measured by its caller: the @data line (runs in order) and
// the human row; the median per-op cost (x100) goes to *median.
static inline void ptm_print_row(const char *prog, const char *key, const char *what,
                                 uint64_t *per_op, int runs, long ops, uint64_t *median) {
    printf("@data %s %s ops=%ld tsc_hz=%llu x100=", prog, key, ops,
           (unsigned long long)ptm_tsc_hz);
    for (int r = 0; r < runs; r++)
        printf("%s%llu", r ? "," : "", (unsigned long long)per_op[r]);
    printf("\n");
    bench_report(prog, 24, what, per_op, runs, ops, ptm_tsc_hz);   // sorts per_op
    if (median) *median = per_op[runs / 2];
}

// One batch performs `ops` operations; 0, or -1 after printing what failed.
typedef int (*ptm_batch)(long ops);

// Warms up (caches, first-touch faults, lazily loaded code) with a short
// batch, then times `runs` batches of `ops` and prints the row.
static inline int ptm_row(const char *prog, const char *key, const char *what,
                          ptm_batch batch, int runs, long ops, uint64_t *median) {
    uint64_t per_op[PTM_MAX_RUNS];
    if (batch(ops < 10 ? ops : 10) < 0) return -1;
    for (int r = 0; r < runs; r++) {
        uint64_t t0 = pt_cycles();
        if (batch(ops) < 0) return -1;
        per_op[r] = (pt_cycles() - t0) * 100 / (uint64_t)ops;
    }
    ptm_print_row(prog, key, what, per_op, runs, ops, median);
    return 0;
}

// A positive count from argv (after an option), or -1 with a message.
static inline long ptm_count(const char *prog, const char *opt, const char *s) {
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < 1) {
        fprintf(stderr, "%s: %s wants a positive number, not \"%s\"\n", prog, opt, s);
        return -1;
    }
    return v;
}

static inline int ptm_clamp_runs(long runs) {
    return runs > PTM_MAX_RUNS ? PTM_MAX_RUNS : (int)runs;
}

// The options of a row benchmark: -r RUNS and -q (two runs, the quick
// counts). 0, or 2 (the exit status) after saying what was wrong: a bad
// count, or anything else with the program's usage line.
static inline int ptm_parse_runs(const char *prog, const char *usage, int argc, char **argv,
                                 long *runs, int *quick) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-q") == 0) *quick = 1, *runs = 2;
        else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc) {
            if ((*runs = ptm_count(prog, "-r", argv[++i])) < 0) return 2;
        } else {
            fprintf(stderr, "usage: %s\n", usage);
            return 2;
        }
    }
    return 0;
}

// A row benchmark's start: the TSC's rate, the @meta line and the human one.
static inline void ptm_start(const char *prog) {
    ptm_measure_tsc();
    ptm_print_meta(prog);
    printf("%s: backend %s, TSC %llu kHz (pt_cycles over pt_time_ns)\n", prog, pt_backend(),
           (unsigned long long)(ptm_tsc_hz / 1000));
}
