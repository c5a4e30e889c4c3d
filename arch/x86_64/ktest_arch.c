// arch/x86_64/ktest_arch.c: in-kernel tests of the x86_64 layer: the
// timer and its calibration, the trap path and its frame layout, the
// descriptor tables and the FPU save area.
#include "kern/kern.h"
#include "arch/x86_64/arch.h"

// Spins for about ms milliseconds by the TSC (interrupts stay as they are).
static void tsc_spin_ms(unsigned ms) {
    uint64_t start = rdtsc(), len = tsc_hz / 1000 * ms;
    while (rdtsc() - start < len)
        cpu_relax();
}

// Bounds are wide on purpose: under QEMU TCG the TSC follows host time
// and the emulated timer can lag, so only gross errors should fail. The
// TSC floor is 1 MHz, not a real CPU's ~100 MHz, because Bochs counts one
// TSC tick per instruction at its `ips` setting (4 MHz by default). A
// wrong tsc_hz still fails below: the 200 ms spin is timed with it.
KTEST(timer) {
    KT_CHECK(tsc_hz > 1000000ull && tsc_hz < 10000000000ull);
    KT_CHECK(tsc_to_ns(tsc_hz) == 1000000000ull);
    uint64_t ns = tsc_to_ns(tsc_hz * 3600 + tsc_hz / 2);   // an hour and a half second
    KT_CHECK(ns >= 3600500000000ull - 1 && ns <= 3600500000000ull);   // odd tsc_hz rounds down
    KT_CHECK(irq_enabled());
    uint64_t ticks0 = time_ticks(), irqs0 = timer_irq_count();
    tsc_spin_ms(200);
    uint64_t ticks = time_ticks() - ticks0, irqs = timer_irq_count() - irqs0;
    kprintf("  200 ms by the TSC: %lu ticks, %lu timer interrupts (expect ~%d)\n",
            ticks, irqs, HZ / 5);
    KT_CHECK(irqs >= HZ / 5 * 3 / 10 && irqs <= HZ / 5 * 3);
    KT_CHECK(ticks >= HZ / 5 * 3 / 10 && ticks <= HZ / 5 * 3);
    return 0;
}

static volatile struct trapframe int3_seen;
static volatile int int3_calls;

static void int3_record(struct trapframe *tf) {
    int3_seen = *tf;
    int3_calls++;
}

#define MAGIC_RAX 0x1111222233334444ull
#define MAGIC_RDI 0x5555666677778888ull
#define MAGIC_R15 0x99990000aaaabbbbull

// int3 with a handler registered: the handler must see our rip (the
// instruction after int3), our registers where struct trapframe says they
// are, and we must come back with those registers intact.
KTEST(trap) {
    irq_handler_t old = irq_get_handler(3);
    irq_register(3, int3_record);
    int3_calls = 0;
    uint64_t after, rax = MAGIC_RAX, rdi = MAGIC_RDI;
    register uint64_t r15 __asm__("r15") = MAGIC_R15;
    __asm__ volatile("leaq 1f(%%rip), %0\n\t"
                     "int3\n"
                     "1:"
                     : "=&r"(after), "+a"(rax), "+D"(rdi), "+r"(r15) :: "memory");
    irq_register(3, old);
    KT_CHECK(int3_calls == 1);
    KT_CHECK(int3_seen.rip == after);
    KT_CHECK(int3_seen.vector == 3 && int3_seen.error == 0);
    KT_CHECK(int3_seen.cs == SEG_KCODE);
    KT_CHECK(int3_seen.rax == MAGIC_RAX && int3_seen.rdi == MAGIC_RDI);
    KT_CHECK(int3_seen.r15 == MAGIC_R15);
    KT_CHECK(rax == MAGIC_RAX && rdi == MAGIC_RDI && r15 == MAGIC_R15);
    KT_CHECK(irq_get_handler(3) == old);
    return 0;
}

// The GDT/TSS load left the per-CPU pointer alone and the TSS is live.
KTEST(cpu_tables) {
    uint16_t tr, cs;
    __asm__ volatile("str %0" : "=r"(tr));
    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    KT_CHECK(tr == SEG_TSS);
    KT_CHECK(cs == SEG_KCODE);
    KT_CHECK(rdmsr(MSR_GS_BASE) == (uint64_t)mycpu());
    KT_CHECK(mycpu()->self == mycpu());
    return 0;
}

// A fresh FPU image has the documented defaults, and the live state
// survives a save/restore round trip unchanged.
KTEST(fpu) {
    static uint8_t a[512] __attribute__((aligned(16)));
    static uint8_t b[512] __attribute__((aligned(16)));
    static uint8_t fresh[512] __attribute__((aligned(16)));
    fpu_init_state(fresh);
    uint16_t fcw;
    uint32_t mxcsr;
    memcpy(&fcw, fresh + 0, 2);
    memcpy(&mxcsr, fresh + 24, 4);
    KT_CHECK(fcw == 0x037F && mxcsr == 0x1F80);
    push_irq_off();                  // nothing else may touch the FPU meanwhile
    fpu_save(a);
    fpu_restore(a);
    fpu_save(b);
    pop_irq_off();
    KT_CHECK(memcmp(a, b, 416) == 0);   // legacy area + XMM0-15; the rest is reserved
    return 0;
}
