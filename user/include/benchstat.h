// user/include/benchstat.h: the statistics and the row format the benchmark
// programs share (user/hw/hwbench.c, user/sip/sipbench.c): a row is several
// runs, each the mean cost of one operation, shown as the median run with the
// fastest and slowest beside it, in cycles and in time. Integer arithmetic only.
#pragma once
#include <stdint.h>

// Sorts per_op[0..runs) (each run's cost of one operation, in hundredths of a
// cycle) and prints "PROG: WHAT median N cycles T (min .., max ..; R runs x OPS)",
// WHAT padded to width; times from tsc_hz (0: unknown, shown as if 1 Hz).
void bench_report(const char *prog, int width, const char *what, uint64_t *per_op, int runs,
                  long ops, uint64_t tsc_hz);
