// arch/x86_64/pic.c: the legacy 8259A interrupt controller pair. At reset
// they deliver IRQs 0-7 on vectors 8-15, which collide with CPU exceptions,
// so we move them to VEC_PIC_BASE (0x20-0x2F) and mask every line; a driver
// unmasks its own line. With the local APIC up, the 8259s still reach the
// CPU through LINT0 in "virtual wire" mode (lapic.c), which is how COM1's
// IRQ 4 arrives.
#include "kern/kern.h"
#include "arch/x86_64/arch.h"

#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xA0
#define PIC2_DATA 0xA1
#define ICW1_INIT_ICW4 0x11     // edge triggered, cascaded, ICW4 follows
#define ICW4_8086      0x01
#define OCW2_EOI       0x20
#define OCW3_READ_ISR  0x0B
#define IRQ_CASCADE    2        // the slave hangs off the master's IRQ 2

static struct spinlock pic_lock = SPINLOCK_INIT("pic");
static uint16_t pic_masks = 0xFFFF;     // bit n set = IRQ n masked
static uint64_t spurious_count;

// Old hardware needs a moment between 8259 writes; port 0x80 is a
// harmless place to spend it.
static void io_wait(void) {
    outb(0x80, 0);
}

static void pic_write_masks(void) {
    outb(PIC1_DATA, (uint8_t)pic_masks);
    outb(PIC2_DATA, (uint8_t)(pic_masks >> 8));
}

static uint8_t pic_read_isr(uint16_t cmd_port) {
    outb(cmd_port, OCW3_READ_ISR);
    return inb(cmd_port);
}

// IRQ 7 and 15 are also what an 8259 reports when a request vanished
// before the CPU acknowledged it. A real one has its in-service bit set;
// a spurious one must not get an EOI at its own chip (that would end some
// other, real interrupt), though a spurious IRQ 15 still owes the master
// an EOI for the cascade line.
static void pic_spurious(struct trapframe *tf) {
    int irq = (int)(tf->vector - VEC_PIC_BASE);
    uint16_t cmd = irq == 7 ? PIC1_CMD : PIC2_CMD;
    if (pic_read_isr(cmd) & 0x80) {
        pic_eoi(irq);                  // real, but nobody claimed the line
        return;
    }
    __atomic_add_fetch(&spurious_count, 1, __ATOMIC_RELAXED);
    if (irq == 15) outb(PIC1_CMD, OCW2_EOI);
}

static void pic_remap(void) {
    outb(PIC1_CMD, ICW1_INIT_ICW4); io_wait();
    outb(PIC2_CMD, ICW1_INIT_ICW4); io_wait();
    outb(PIC1_DATA, VEC_PIC_BASE); io_wait();       // ICW2: vector base
    outb(PIC2_DATA, VEC_PIC_BASE + 8); io_wait();
    outb(PIC1_DATA, 1 << IRQ_CASCADE); io_wait();   // ICW3: slave on IRQ 2
    outb(PIC2_DATA, IRQ_CASCADE); io_wait();        //       slave's identity
    outb(PIC1_DATA, ICW4_8086); io_wait();
    outb(PIC2_DATA, ICW4_8086); io_wait();
}

void pic_init(void) {
    spin_lock(&pic_lock);
    pic_masks = 0xFFFF;
    pic_write_masks();
    pic_remap();
    pic_write_masks();               // initialisation may have cleared them
    spin_unlock(&pic_lock);
    irq_register(VEC_PIC_BASE + 7, pic_spurious);
    irq_register(VEC_PIC_BASE + 15, pic_spurious);
}

// Masks are one register shared by every CPU: read-modify-write under a lock.
void pic_unmask(int irq) {
    KASSERT(irq >= 0 && irq < 16);
    spin_lock(&pic_lock);
    pic_masks &= (uint16_t)~(1u << irq);
    if (irq >= 8) pic_masks &= (uint16_t)~(1u << IRQ_CASCADE);
    pic_write_masks();
    spin_unlock(&pic_lock);
}

void pic_mask(int irq) {
    KASSERT(irq >= 0 && irq < 16);
    spin_lock(&pic_lock);
    pic_masks |= (uint16_t)(1u << irq);
    pic_write_masks();
    spin_unlock(&pic_lock);
}

// A slave IRQ needs an EOI at both chips: the master saw it as IRQ 2.
void pic_eoi(int irq) {
    if (irq >= 8) outb(PIC2_CMD, OCW2_EOI);
    outb(PIC1_CMD, OCW2_EOI);
}
