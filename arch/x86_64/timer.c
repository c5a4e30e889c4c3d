// arch/x86_64/timer.c: time. The PIT (8254) ticks at a known 1.193182 MHz,
// so it is the ruler: at boot we measure the TSC and the LAPIC timer
// against it. The TSC then gives time_ns (kern/time.c, via tsc_hz and
// tsc_to_ns) and the LAPIC timer, in periodic mode, gives the scheduler
// its tick on VEC_TIMER. A machine without a usable LAPIC gets its tick
// from PIT channel 0 through the 8259 instead (IRQ 0).
#include "kern/kern.h"
#include "arch/x86_64/arch.h"

#define PIT_HZ       1193182u
#define PIT_CH0      0x40
#define PIT_CH2      0x42
#define PIT_CMD      0x43
#define PIT_PORT_B   0x61      // bit 0: channel 2 gate, bit 1: speaker, bit 5: channel 2 out
#define PORT_B_GATE2   0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_OUT2    0x20
#define PIT_CMD_CH2_MODE0 0xB0   // channel 2, lobyte/hibyte, mode 0 (count down once)
#define PIT_CMD_CH0_MODE2 0x34   // channel 0, lobyte/hibyte, mode 2 (rate generator)
#define PIT_MAX_CHUNK_US 50000   // 16-bit counter: at most ~54.9 ms per count

#define CAL_US     20000         // one calibration interval
#define CAL_TRIALS 3

uint64_t tsc_hz;
static uint32_t lapic_counts_per_tick;
static void (*tick_fn)(void);
static uint64_t timer_irqs[MAX_CPUS];

// Counts `count` PIT periods on channel 2, which is not wired to any
// interrupt (only to the speaker, kept off), by polling its output bit.
static void pit_ch2_countdown(uint16_t count) {
    uint8_t b = inb(PIT_PORT_B) & ~(PORT_B_SPEAKER | PORT_B_GATE2);
    outb(PIT_PORT_B, b);                      // gate low: hold the counter
    outb(PIT_CMD, PIT_CMD_CH2_MODE0);
    outb(PIT_CH2, (uint8_t)count);
    outb(PIT_CH2, (uint8_t)(count >> 8));
    outb(PIT_PORT_B, b | PORT_B_GATE2);       // gate high: count
    while (!(inb(PIT_PORT_B) & PORT_B_OUT2))
        cpu_relax();
    outb(PIT_PORT_B, b);
}

void pit_delay_us(unsigned us) {
    while (us > 0) {
        unsigned chunk = MIN(us, (unsigned)PIT_MAX_CHUNK_US);
        uint64_t count = (uint64_t)chunk * PIT_HZ / 1000000;
        pit_ch2_countdown((uint16_t)MAX(count, 1));
        us -= chunk;
    }
}

// TSC and (if present) LAPIC timer counts over one PIT interval. The
// shortest of a few trials wins: anything that disturbs a trial (here,
// mostly the host descheduling the emulator) only ever lengthens it.
static void calibrate(uint64_t *tsc_per_cal, uint32_t *lapic_per_cal) {
    *tsc_per_cal = UINT64_MAX;
    for (int i = 0; i < CAL_TRIALS; i++) {
        if (lapic_present()) lapic_timer_oneshot_masked(UINT32_MAX);
        uint64_t t0 = rdtsc();
        pit_delay_us(CAL_US);
        uint64_t dt = rdtsc() - t0;
        uint32_t dl = lapic_present() ? UINT32_MAX - lapic_timer_current() : 0;
        if (dt < *tsc_per_cal) {
            *tsc_per_cal = dt;
            *lapic_per_cal = dl;
        }
    }
    if (lapic_present()) lapic_timer_stop();
}

// Splits into whole seconds and a remainder so nothing overflows: the
// remainder is below tsc_hz, so rem * 1e9 fits in 64 bits for any TSC
// slower than 18 GHz. No floating point and no 128-bit division (which
// would need libgcc).
uint64_t tsc_to_ns(uint64_t ticks) {
    if (tsc_hz == 0) return 0;
    uint64_t sec = ticks / tsc_hz, rem = ticks % tsc_hz;
    return sec * 1000000000ull + rem * 1000000000ull / tsc_hz;
}

static void count_irq(void) {
    int id = mycpu()->id;
    if (id >= 0 && id < MAX_CPUS) timer_irqs[id]++;
}

uint64_t timer_irq_count(void) {
    return timer_irqs[mycpu()->id];
}

static void lapic_timer_irq(struct trapframe *tf) {
    (void)tf;
    count_irq();
    if (tick_fn) tick_fn();
    lapic_eoi();
}

static void pit_timer_irq(struct trapframe *tf) {
    (void)tf;
    count_irq();
    if (tick_fn) tick_fn();
    pic_eoi(0);
}

// The fallback tick: PIT channel 0 at hz, on the 8259's IRQ 0. It can
// only interrupt one CPU, so this is for machines without a usable LAPIC.
static void pit_start_periodic(unsigned hz) {
    uint32_t divisor = (PIT_HZ + hz / 2) / hz;
    divisor = MIN(MAX(divisor, 1u), 65535u);
    outb(PIT_CMD, PIT_CMD_CH0_MODE2);
    outb(PIT_CH0, (uint8_t)divisor);
    outb(PIT_CH0, (uint8_t)(divisor >> 8));
    irq_register(VEC_PIC_BASE + 0, pit_timer_irq);
    pic_unmask(0);
}

void timer_init(unsigned hz, void (*tick)(void)) {
    uint64_t tsc_per_cal;
    uint32_t lapic_per_cal = 0;
    tick_fn = tick;
    calibrate(&tsc_per_cal, &lapic_per_cal);
    tsc_hz = tsc_per_cal * (1000000 / CAL_US);
    if (lapic_present() && lapic_per_cal > 0) {
        uint64_t lapic_hz = (uint64_t)lapic_per_cal * (1000000 / CAL_US);
        lapic_counts_per_tick = (uint32_t)MAX(lapic_hz / hz, 1u);
        irq_register(VEC_TIMER, lapic_timer_irq);
        timer_start_cpu();
        kprintf("timer: TSC %lu MHz, LAPIC timer %u Hz (%u counts per tick)\n",
                tsc_hz / 1000000, hz, lapic_counts_per_tick);
    } else {
        pit_start_periodic(hz);
        kprintf("timer: TSC %lu MHz, PIT timer %u Hz (no LAPIC: IRQ 0 via the 8259)\n",
                tsc_hz / 1000000, hz);
    }
}

// Each CPU has its own LAPIC timer; the rate measured by the boot CPU holds
// for all of them (one bus clock).
void timer_start_cpu(void) {
    if (lapic_present() && lapic_counts_per_tick)
        lapic_timer_periodic(lapic_counts_per_tick, VEC_TIMER);
}
