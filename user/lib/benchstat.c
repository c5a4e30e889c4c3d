// user/lib/benchstat.c: one row of a benchmark (user/include/benchstat.h),
// portable: hwbench (x86_64) and sipbench (wasm32, where long is 32 bits)
// print their rows with it.
#include <benchstat.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

// "289.7 ns", or "22.18 us" from 10 us up; cycles_x100: hundredths of a cycle.
static void fmt_time(uint64_t cycles_x100, uint64_t hz, char *buf, size_t n) {
    if (!hz) hz = 1;
    // tenths of ns = cycles_x100 * 1e8 / hz, split to stay inside 64 bits
    uint64_t t = cycles_x100 / hz * 100000000u + cycles_x100 % hz * 100000000u / hz;
    if (t < 100000) snprintf(buf, n, "%lu.%lu ns", (unsigned long)(t / 10), (unsigned long)(t % 10));
    else snprintf(buf, n, "%lu.%02lu us", (unsigned long)(t / 10000), (unsigned long)(t / 100 % 100));
}

void bench_report(const char *prog, int width, const char *what, uint64_t *per_op, int runs,
                  long ops, uint64_t tsc_hz) {
    qsort(per_op, (size_t)runs, sizeof per_op[0], cmp_u64);
    uint64_t med = per_op[runs / 2], lo = per_op[0], hi = per_op[runs - 1];
    char t[24], tlo[24], thi[24];
    fmt_time(med, tsc_hz, t, sizeof t);
    fmt_time(lo, tsc_hz, tlo, sizeof tlo);
    fmt_time(hi, tsc_hz, thi, sizeof thi);
    printf("%s: %-*s median %9lu cycles %12s   (min %lu = %s, max %lu = %s; %d runs x %ld)\n",
           prog, width, what, (unsigned long)(med / 100), t, (unsigned long)(lo / 100), tlo,
           (unsigned long)(hi / 100), thi, runs, ops);
    fflush(stdout);
}
