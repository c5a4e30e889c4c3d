// hwbench: what the hw kernel's basic operations cost, in TSC cycles and ns.
// A benchmark, never a test: it reports and never fails on a number.
//
//   hwbench [-a ACCEL] [-c CPU] [-r RUNS]   (tools/bench-hw passes -a and -c: how it ran QEMU)
//   hwbench -x                               exit at once (the program fork+exec runs)
//
// Rows: the null system call (nullcall), a one-byte pipe round trip between
// two processes, fork+exit+wait, and fork+exec+exit+wait (of this program,
// with -x). Each row is RUNS runs of many operations; a run gives the mean
// cost of one operation, and the row shows the median run with the fastest
// and slowest beside it. Cycles are rdtsc's (read in user mode); ns come
// from the kernel's calibrated TSC rate (sysinfo). Under emulation the TSC
// is not the hardware's: the report says so (see TOOLCHAIN-NOTES.md).
#include <stdint.h>
#include <benchstat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_RUNS 31

static uint64_t tsc_hz;

static inline uint64_t rdtsc(void) {
    uint32_t lo, hi;
    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
    return (uint64_t)hi << 32 | lo;
}

static void cpuid(uint32_t leaf, uint32_t r[4]) {
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

// ------------------------------------------------------------------ what we run on

struct cpu_desc {
    char vendor[13], brand[49], hypervisor[13];
};

static void describe_cpu(struct cpu_desc *d) {
    uint32_t r[4];
    memset(d, 0, sizeof *d);
    cpuid(0, r);
    memcpy(d->vendor, &r[1], 4), memcpy(d->vendor + 4, &r[3], 4), memcpy(d->vendor + 8, &r[2], 4);
    cpuid(0x80000000, r);
    if (r[0] >= 0x80000004)
        for (uint32_t i = 0; i < 3; i++) cpuid(0x80000002 + i, (uint32_t *)(d->brand + 16 * i));
    cpuid(1, r);
    if (r[2] & (1u << 31)) {                 // a hypervisor says who it is at 0x40000000
        cpuid(0x40000000, r);
        memcpy(d->hypervisor, &r[1], 4), memcpy(d->hypervisor + 4, &r[2], 4);
        memcpy(d->hypervisor + 8, &r[3], 4);
    }
    char *b = d->brand;                      // brand strings come padded with spaces
    while (*b == ' ') b++;
    memmove(d->brand, b, strlen(b) + 1);
}

static const char *tsc_meaning(const char *accel, const struct cpu_desc *d) {
    if (strcmp(accel, "tcg") == 0 || strcmp(d->hypervisor, "TCGTCGTCGTCG") == 0)
        return "QEMU TCG EMULATION: rdtsc follows host time and counts the emulator's work, "
               "NOT hardware cycles (an address-space switch is far dearer than on hardware); "
               "compare ratios between kernels measured in the same run, never absolute figures";
    if (strcmp(accel, "bochs") == 0)
        return "BOCHS EMULATION: the TSC counts emulated instructions, NOT hardware cycles; "
               "blind to TLB and cache costs";
    if (strcmp(accel, "kvm") == 0)
        return "hardware virtualisation (KVM): real cycles, inside a virtual machine";
    return "accelerator not given (-a): treat the figures as unverified";
}

// ------------------------------------------------------------------ the rows

typedef void (*op_batch)(long ops);

static void measure(const char *what, op_batch batch, int runs, long ops) {
    uint64_t per_op[MAX_RUNS];
    batch(ops < 10 ? ops : 10);              // warm up: caches, the TLB, first-touch faults
    for (int r = 0; r < runs; r++) {
        uint64_t t0 = rdtsc();
        batch(ops);
        per_op[r] = (rdtsc() - t0) * 100 / (uint64_t)ops;
    }
    bench_report("hwbench", 26, what, per_op, runs, ops, tsc_hz);
}

static void nullcalls(long ops) {
    for (long i = 0; i < ops; i++) nullcall();
}

static int ping[2], pong[2];

static void pipe_round_trips(long ops) {
    char c = 'x';
    for (long i = 0; i < ops; i++) {
        if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1) {
            fprintf(stderr, "hwbench: the echo process is gone\n");
            exit(1);
        }
    }
}

// The other end of the round trip: echoes every byte until EOF.
static void echo_bytes(void) {
    char c;
    close(ping[1]);
    close(pong[0]);
    while (read(ping[0], &c, 1) == 1)
        if (write(pong[1], &c, 1) != 1) break;
    _exit(0);
}

static void forks(long ops) {
    for (long i = 0; i < ops; i++) {
        int pid = fork();
        if (pid == 0) _exit(0);
        if (pid < 0 || wait(NULL) != pid) {
            fprintf(stderr, "hwbench: fork/wait failed\n");
            exit(1);
        }
    }
}

static void fork_execs(long ops) {
    static char *const argv[] = { "hwbench", "-x", NULL };
    for (long i = 0; i < ops; i++) {
        int pid = fork();
        if (pid == 0) {
            exec("/bin/hwbench", argv);
            _exit(127);
        }
        int st = -1;
        if (pid < 0 || wait(&st) != pid || st != 0) {
            fprintf(stderr, "hwbench: fork+exec of /bin/hwbench -x failed (status 0x%x)\n", st);
            exit(1);
        }
    }
}

static void pipe_row(int runs) {
    if (pipe(ping) < 0 || pipe(pong) < 0) {
        fprintf(stderr, "hwbench: pipe failed\n");
        exit(1);
    }
    fflush(NULL);
    int pid = fork();
    if (pid == 0) echo_bytes();
    close(ping[0]);
    close(pong[1]);
    measure("pipe round trip (2 procs)", pipe_round_trips, runs, 500);
    close(ping[1]);
    wait(NULL);
    close(pong[0]);
}

// ------------------------------------------------------------------ main

int main(int argc, char **argv) {
    const char *accel = "", *cpu_model = "";
    int runs = 7;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-x") == 0) return 0;
        if (i + 1 < argc && strcmp(argv[i], "-a") == 0) accel = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "-c") == 0) cpu_model = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "-r") == 0) runs = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: hwbench [-a ACCEL] [-c CPU] [-r RUNS] | hwbench -x\n");
            return 2;
        }
    }
    if (runs < 1) runs = 1;
    if (runs > MAX_RUNS) runs = MAX_RUNS;
    struct sysinfo si;
    sysinfo(&si);
    tsc_hz = si.tsc_hz;
    struct cpu_desc d;
    describe_cpu(&d);
    printf("hwbench: hw kernel; accelerator %s, QEMU -cpu %s; cpuid: %s, \"%s\", hypervisor \"%s\"; "
           "TSC %lu.%03lu MHz (kernel-calibrated)\n", *accel ? accel : "(not given)",
           *cpu_model ? cpu_model : "(not given)", d.vendor, d.brand, d.hypervisor,
           (unsigned long)(tsc_hz / 1000000), (unsigned long)(tsc_hz / 1000 % 1000));
    printf("hwbench: what the cycles mean here: %s\n", tsc_meaning(accel, &d));
    fflush(NULL);
    measure("null syscall (nullcall)", nullcalls, runs, 20000);
    pipe_row(runs);
    fflush(NULL);
    measure("fork+exit+wait", forks, runs, 40);
    measure("fork+exec+exit+wait", fork_execs, runs, 20);
    printf("hwbench: done (a benchmark: these numbers are reported, never judged)\n");
    return 0;
}
