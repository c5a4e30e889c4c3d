// arch/x86_64/gdt.c: each CPU's global descriptor table and task state
// segment. In long mode segments are mostly vestigial, but the CPU still
// needs: code/data descriptors with the right privilege level (ring 0
// kernel, ring 3 user), and a TSS, which holds the stack to switch to on a
// trap from ring 3 (rsp0) and the interrupt stack table (IST) stacks for
// traps that cannot trust the current stack. Each CPU has its own GDT
// because each has its own TSS and the TSS descriptor is marked busy once
// loaded.
#include "kern/kern.h"
#include "arch/x86_64/arch.h"

// The 64-bit TSS (SDM vol. 3, 8.7). Lives in struct cpu (kern.h).
struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];          // rsp0: kernel stack for traps from ring 3
    uint64_t reserved1;
    uint64_t ist[7];          // ist[n - 1] is IST slot n
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;      // past the limit: no I/O bitmap, ring 3 gets no ports
} __attribute__((packed));
_Static_assert(sizeof(struct tss) == 104, "TSS layout");
_Static_assert(sizeof(((struct cpu *)0)->tss) >= sizeof(struct tss), "struct cpu tss too small");

// Order fixed by the selectors in arch.h. sysret loads SS from STAR+8 and
// CS from STAR+16, which is why user data (0x18) sits below user code (0x20).
enum { GDT_NULL, GDT_KCODE, GDT_KDATA, GDT_UDATA, GDT_UCODE, GDT_TSS_LO, GDT_TSS_HI, GDT_N };
#define DESC_KCODE 0x00AF9A000000FFFFull   // P, DPL 0, code, L (64-bit)
#define DESC_KDATA 0x00CF92000000FFFFull   // P, DPL 0, data, writable
#define DESC_UDATA 0x00CFF2000000FFFFull   // P, DPL 3, data, writable
#define DESC_UCODE 0x00AFFA000000FFFFull   // P, DPL 3, code, L

#define IST_STACK_SIZE (16 * 1024)
#define IST_STACKS 2                      // IST_FATAL and IST_NMI (arch.h)

static uint64_t gdts[MAX_CPUS][GDT_N] __attribute__((aligned(16)));
static uint8_t ist_stacks[MAX_CPUS][IST_STACKS][IST_STACK_SIZE] __attribute__((aligned(16)));

// A 16-byte system descriptor: type 9 = available 64-bit TSS.
static void gdt_set_tss(uint64_t *gdt, uint64_t base, uint32_t limit) {
    gdt[GDT_TSS_LO] = (limit & 0xFFFFull) | ((base & 0xFFFFFFull) << 16) |
                      (0x89ull << 40) | ((uint64_t)(limit >> 16 & 0xF) << 48) |
                      ((base >> 24 & 0xFF) << 56);
    gdt[GDT_TSS_HI] = base >> 32;
}

static void tss_init(struct tss *tss, int cpu) {
    memset(tss, 0, sizeof *tss);
    for (int i = 0; i < IST_STACKS; i++)
        tss->ist[i] = (uint64_t)&ist_stacks[cpu][i][IST_STACK_SIZE];
    tss->iomap_base = sizeof *tss;
}

// lgdt, then reload CS with a far return (there is no far jump to an
// immediate in long mode), then the data segment registers. FS and GS are
// left alone: writing a selector to GS would zero the GS base that
// kern/percpu.c has set, and mycpu() would then read address 0.
static void gdt_load(uint64_t *gdt) {
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) gdtr = {
        GDT_N * 8 - 1, (uint64_t)gdt
    };
    __asm__ volatile("lgdt %0\n\t"
                     "pushq %1\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "movw %w2, %%ds\n\t"
                     "movw %w2, %%es\n\t"
                     "movw %w2, %%ss\n\t"
                     :: "m"(gdtr), "i"(SEG_KCODE), "r"(SEG_KDATA) : "rax", "memory");
}

void gdt_init_cpu(void *tss_mem) {
    int cpu = mycpu()->id;
    KASSERT(cpu >= 0 && cpu < MAX_CPUS);
    uint64_t *gdt = gdts[cpu];
    gdt[GDT_NULL] = 0;
    gdt[GDT_KCODE] = DESC_KCODE;
    gdt[GDT_KDATA] = DESC_KDATA;
    gdt[GDT_UDATA] = DESC_UDATA;
    gdt[GDT_UCODE] = DESC_UCODE;
    tss_init(tss_mem, cpu);
    gdt_set_tss(gdt, (uint64_t)tss_mem, sizeof(struct tss) - 1);
    gdt_load(gdt);
    __asm__ volatile("ltr %w0" :: "r"(SEG_TSS));
}

// The scheduler calls this when it switches to a thread that may trap from
// ring 3, so the trap lands on that thread's kernel stack.
void tss_set_rsp0(uint64_t rsp0) {
    struct tss *tss = (struct tss *)mycpu()->tss;
    tss->rsp[0] = rsp0;
}
