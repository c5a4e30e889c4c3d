// kern/percpu.c: per-CPU data. Each CPU's GS base points at its struct cpu,
// whose first field points at itself, so mycpu() is one %gs-relative load
// and needs no lock and no CPU number.
#include "kern/kern.h"
#include "arch/x86_64/arch.h"

static struct cpu cpus[MAX_CPUS];
static int ncpus;

void percpu_init_boot(void) {
    struct cpu *c = &cpus[0];
    c->self = c;
    c->id = 0;
    ncpus = 1;
    wrmsr(MSR_GS_BASE, (uint64_t)c);
    wrmsr(MSR_KERNEL_GS_BASE, 0);    // swapgs (hw syscalls) will use it
}

int percpu_count(void) {
    return ncpus;
}
