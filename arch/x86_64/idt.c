// arch/x86_64/idt.c: the interrupt descriptor table and the table of
// registered handlers. There is one IDT, shared by every CPU: it is built
// once (idt_init) and each CPU points its IDTR at it (idt_load). Every
// vector enters through its stub in trapentry.asm and reaches
// trap_dispatch (trap.c), which looks up irq_handlers[].
#include "kern/kern.h"
#include "arch/x86_64/arch.h"

// A 64-bit gate descriptor (Intel SDM vol. 3, 6.14.1).
struct idt_gate {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;            // bits 0-2: IST slot, 0 = stay on the current stack
    uint8_t type_attr;      // P, DPL, type
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
} __attribute__((packed));

#define GATE_INTERRUPT 0x8E    // present, DPL 0, 64-bit interrupt gate (IF cleared)
#define GATE_DPL3      0x60    // or'ed in: `int n` allowed from ring 3

static struct idt_gate idt[256] __attribute__((aligned(16)));
static irq_handler_t irq_handlers[256];
static bool idt_built;

extern const uint64_t trap_stubs[256];     // trapentry.asm

static void idt_set_gate(int vector, uint64_t handler, uint8_t ist, uint8_t type_attr) {
    struct idt_gate *g = &idt[vector];
    g->offset_lo = (uint16_t)handler;
    g->selector = SEG_KCODE;
    g->ist = ist;
    g->type_attr = type_attr;
    g->offset_mid = (uint16_t)(handler >> 16);
    g->offset_hi = (uint32_t)(handler >> 32);
    g->reserved = 0;
}

// All vectors use interrupt gates, exceptions included: the handler starts
// with interrupts off, so it can look at per-CPU state (and CR2) before
// anything else runs on this CPU. Handlers that want interrupts turn them on.
void idt_init(void) {
    if (idt_built) return;             // shared: an AP must not rebuild it under others
    for (int v = 0; v < 256; v++)
        idt_set_gate(v, trap_stubs[v], 0, GATE_INTERRUPT);
    // Fresh, known-good stacks where the current one may be the problem
    // (a kernel stack overflow ends in #DF) or may not be usable at all
    // (an NMI can land anywhere). See gdt.c for the stacks themselves.
    idt_set_gate(8, trap_stubs[8], IST_FATAL, GATE_INTERRUPT);     // double fault
    idt_set_gate(18, trap_stubs[18], IST_FATAL, GATE_INTERRUPT);   // machine check
    idt_set_gate(2, trap_stubs[2], IST_NMI, GATE_INTERRUPT);       // NMI
    // A debugger's int3 from user code should trap, not #GP.
    idt_set_gate(3, trap_stubs[3], 0, GATE_INTERRUPT | GATE_DPL3);
    // VEC_INT80 stays DPL 0 until a variant opts in with idt_set_user_gate.
    idt_built = true;
}

void idt_load(void) {
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) idtr = {
        sizeof(idt) - 1, (uint64_t)idt
    };
    __asm__ volatile("lidt %0" :: "m"(idtr));
}

void idt_set_user_gate(int vector) {
    KASSERT(vector >= 0 && vector < 256);
    idt_set_gate(vector, trap_stubs[vector], 0, GATE_INTERRUPT | GATE_DPL3);
}

// A single aligned pointer store: another CPU taking this vector sees the
// old handler or the new one, never half of each.
void irq_register(int vector, irq_handler_t h) {
    KASSERT(vector >= 0 && vector < 256);
    __atomic_store_n(&irq_handlers[vector], h, __ATOMIC_RELEASE);
}

irq_handler_t irq_get_handler(int vector) {
    if (vector < 0 || vector >= 256) return NULL;
    return __atomic_load_n(&irq_handlers[vector], __ATOMIC_ACQUIRE);
}
