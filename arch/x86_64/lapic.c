// arch/x86_64/lapic.c: each CPU's local APIC, in xAPIC mode (registers
// in a 4 KiB MMIO page). It gives us a per-CPU timer and is where
// end-of-interrupt goes for interrupts it delivers. Legacy IRQs from the
// 8259s (COM1) keep arriving through LINT0 set to ExtINT, "virtual wire"
// mode, so no I/O APIC is needed yet.
#include "kern/kern.h"
#include "mm/mm.h"
#include "arch/x86_64/arch.h"

// Register offsets (SDM vol. 3, table 10-1).
#define LAPIC_ID        0x020
#define LAPIC_TPR       0x080
#define LAPIC_EOI       0x0B0
#define LAPIC_SVR       0x0F0
#define LAPIC_ESR       0x280
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR  0x390
#define LAPIC_TIMER_DIV  0x3E0

#define SVR_ENABLE      (1u << 8)
#define LVT_MASKED      (1u << 16)
#define LVT_PERIODIC    (1u << 17)
#define LVT_EXTINT      (7u << 8)      // delivery mode: as from an 8259
#define LVT_NMI         (4u << 8)
#define TIMER_DIV_16    0x3
#define APIC_BASE_BSP    (1ull << 8)   // MSR_APIC_BASE: this is the boot CPU
#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_ADDR   0x000FFFFFFFFFF000ull

// The same physical page on every CPU, each seeing its own APIC there, so
// one mapping serves all.
static volatile uint32_t *lapic;

static uint32_t lapic_read(uint32_t reg) {
    return lapic[reg / 4];
}

static void lapic_write(uint32_t reg, uint32_t v) {
    lapic[reg / 4] = v;
    (void)lapic[LAPIC_ID / 4];     // read back: the write has reached the APIC
}

bool lapic_present(void) {
    return lapic != NULL;
}

// Spurious-vector interrupts are sent without setting an in-service bit,
// so they must not get an EOI.
static void lapic_spurious(struct trapframe *tf) {
    (void)tf;
}

static bool lapic_map(void) {
    if (!cpu_has.apic) return false;
    uint64_t base = rdmsr(MSR_APIC_BASE);
    if (!(base & APIC_BASE_ENABLE)) wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
    void *va = vm_map_mmio(base & APIC_BASE_ADDR, PAGE_SIZE);
    if (!va) return false;
    lapic = va;
    return true;
}

// Only the boot CPU passes the 8259's interrupts (LINT0) and the legacy
// NMI line (LINT1) through: two CPUs taking the same ExtINT would fight
// over one 8259 acknowledge cycle.
static void lapic_setup_lints(bool bsp) {
    lapic_write(LAPIC_LVT_LINT0, bsp ? LVT_EXTINT : LVT_MASKED);
    lapic_write(LAPIC_LVT_LINT1, bsp ? LVT_NMI : LVT_MASKED);
}

void lapic_init(void) {
    if (!lapic && !lapic_map()) {
        kprintf("lapic: not available (%s); legacy 8259 only\n",
                !cpu_has.apic ? "CPUID says no APIC" : "cannot map its registers");
        return;
    }
    irq_register(VEC_SPURIOUS, lapic_spurious);
    lapic_write(LAPIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
    lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
    lapic_setup_lints(rdmsr(MSR_APIC_BASE) & APIC_BASE_BSP);
    lapic_write(LAPIC_ESR, 0);      // the error register is cleared by two writes
    lapic_write(LAPIC_ESR, 0);
    lapic_write(LAPIC_EOI, 0);      // drop anything left in service by the firmware
    lapic_write(LAPIC_TPR, 0);      // accept every priority
    kprintf("lapic: id %u at 0x%lx, virtual wire through LINT0\n",
            lapic_id(), (uint64_t)(rdmsr(MSR_APIC_BASE) & APIC_BASE_ADDR));
}

void lapic_eoi(void) {
    if (lapic) lapic[LAPIC_EOI / 4] = 0;
}

uint32_t lapic_id(void) {
    return lapic ? lapic_read(LAPIC_ID) >> 24 : 0;
}

// ---- The LAPIC timer: counts down from an initial count at the bus
// clock divided by 16. timer.c measures that rate against the PIT. ----

void lapic_timer_oneshot_masked(uint32_t count) {
    lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_16);
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
    lapic_write(LAPIC_TIMER_INIT, count);
}

uint32_t lapic_timer_current(void) {
    return lapic_read(LAPIC_TIMER_CUR);
}

void lapic_timer_periodic(uint32_t count, int vector) {
    lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_16);
    lapic_write(LAPIC_LVT_TIMER, LVT_PERIODIC | (uint32_t)vector);
    lapic_write(LAPIC_TIMER_INIT, count);
}

void lapic_timer_stop(void) {
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
    lapic_write(LAPIC_TIMER_INIT, 0);
}
