// arch/x86_64/arch.h: the x86_64 interface the shared kernel uses.
// Inline CPU instructions, the trap frame, descriptor tables, interrupt
// controllers, the timer and the serial and VGA hardware.
#pragma once
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

// ---- Memory layout (see docs/memory.md) ----
#define KERNEL_BASE   0xFFFFFFFF80000000ull  // kernel image: phys + KERNEL_BASE
#define DIRECT_BASE   0xFFFF800000000000ull  // all physical memory: phys + DIRECT_BASE
#define PAGE_SIZE     4096ull
#define HUGE_SIZE     (2ull << 20)

// ---- Port I/O ----
static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

// ---- Interrupt flag, halting ----
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void hlt(void) { __asm__ volatile("hlt" ::: "memory"); }
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
static inline uint64_t read_rflags(void) { uint64_t f; __asm__ volatile("pushfq; popq %0" : "=r"(f) :: "memory"); return f; }
static inline void write_rflags(uint64_t f) { __asm__ volatile("pushq %0; popfq" :: "r"(f) : "memory", "cc"); }
#define RFLAGS_IF (1ull << 9)
#define RFLAGS_AC (1ull << 18)    // with SMAP: ring 0 may touch user pages (stac/clac)
static inline bool irq_enabled(void) { return read_rflags() & RFLAGS_IF; }

// ---- Time stamp counter, MSRs, control registers ----
static inline uint64_t rdtsc(void) { uint32_t lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((uint64_t)hi << 32) | lo; }
static inline uint64_t rdmsr(uint32_t msr) { uint32_t lo, hi; __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr)); return ((uint64_t)hi << 32) | lo; }
static inline void wrmsr(uint32_t msr, uint64_t v) { __asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))); }
#define MSR_EFER          0xC0000080
#define MSR_STAR          0xC0000081
#define MSR_LSTAR         0xC0000082
#define MSR_SFMASK        0xC0000084
#define MSR_FS_BASE       0xC0000100
#define MSR_GS_BASE       0xC0000101
#define MSR_KERNEL_GS_BASE 0xC0000102
#define MSR_APIC_BASE     0x1B
static inline uint64_t read_cr0(void) { uint64_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr2(void) { uint64_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr3(void) { uint64_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr4(void) { uint64_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr0(uint64_t v) { __asm__ volatile("mov %0, %%cr0" :: "r"(v) : "memory"); }
static inline void write_cr3(uint64_t v) { __asm__ volatile("mov %0, %%cr3" :: "r"(v) : "memory"); }
static inline void write_cr4(uint64_t v) { __asm__ volatile("mov %0, %%cr4" :: "r"(v) : "memory"); }
static inline void invlpg(uint64_t va) { __asm__ volatile("invlpg (%0)" :: "r"(va) : "memory"); }
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

// ---- CPU features, read once at boot (arch/x86_64/cpu.c) ----
struct cpu_features {
    bool pcid, invpcid, smep, smap, umip, pdpe1gb, rdtscp, xsave, fxsr, syscall, nx, apic, x2apic;
    bool invariant_tsc, hypervisor;
    char vendor[13];
    char brand[49];
};
extern struct cpu_features cpu_has;
void cpu_features_init(void);
void cpu_enable_sse(void);        // CR0/CR4 bits so fxsave/SSE work (kernel stays integer-only)
void cpu_enable_protection(void); // CR4.SMEP and CR4.SMAP where the CPU has them
bool cpu_enable_pcid(void);       // CR4.PCIDE where the CPU has PCID; false otherwise
static inline void stac(void) { __asm__ volatile("stac" ::: "memory"); }   // only with SMAP
static inline void clac(void) { __asm__ volatile("clac" ::: "memory"); }

// ---- Trap frame: what trap entry pushes (arch/x86_64/trapentry.asm) ----
struct trapframe {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;   // pushed by the CPU
};

// ---- Descriptor tables (gdt.c, idt.c) ----
#define SEG_KCODE 0x08
#define SEG_KDATA 0x10
#define SEG_UDATA 0x1B    // 0x18 | 3; user data before user code, as sysret wants
#define SEG_UCODE 0x23    // 0x20 | 3
#define SEG_TSS   0x28
void gdt_init_cpu(void *tss_mem);          // load this CPU's GDT and TSS
void tss_set_rsp0(uint64_t rsp0);          // kernel stack for traps from ring 3
void idt_init(void);                       // build the shared IDT once
void idt_load(void);                       // load it on this CPU
typedef void (*irq_handler_t)(struct trapframe *tf);
void irq_register(int vector, irq_handler_t h);   // IRQs and soft vectors
#define VEC_PIC_BASE  0x20     // legacy IRQ n arrives at 0x20 + n
#define VEC_COM1      (VEC_PIC_BASE + 4)
#define VEC_TIMER     0x40
#define VEC_SPURIOUS  0xFF
void trap_dump(const struct trapframe *tf);      // register dump, names the function
irq_handler_t irq_get_handler(int vector);       // NULL when none (to restore one later)
void idt_set_user_gate(int vector);              // let ring 3 use `int vector` (DPL 3)
#define VEC_INT80     0x80     // reserved for a later int-based syscall path
#define IST_FATAL     1        // TSS IST slot: double fault, machine check
#define IST_NMI       2        // TSS IST slot: NMI (own stack: may hit during a fatal one)
const char *trap_name(uint64_t vector);          // "page fault", ...; "interrupt" for >= 32
// An exception from ring 3. The default (weak, trap.c) panics; the hw
// variant overrides it to kill only the offending process.
void trap_user_exception(struct trapframe *tf);
// A kernel-mode exception, before it becomes a panic: return true if handled
// (tf may be edited, e.g. rip moved to a recovery point). Default (weak): false.
bool trap_kernel_fixup(struct trapframe *tf);
// The last step of every trap that returns to ring 3, with interrupts off;
// it must leave them off. Default (weak): nothing; hw checks for a kill.
void trap_return_to_user(struct trapframe *tf);
// The last step of an interrupt that returns to ring 0, after any preemption,
// interrupts off. Default (weak): nothing; sip ends a dying SIP's thread that
// was running the SIP's code (proc_sip/kill.c).
void trap_return_to_kernel(struct trapframe *tf);
// trapentry.asm's exit path: with rsp at a struct trapframe, restores it and
// irets (swapgs first if it returns to ring 3). A new user thread's kernel
// stack can be primed to "return" here.
void trap_return(void);

// ---- Interrupt controllers and the timer (pic.c, lapic.c, timer.c) ----
void pic_init(void);                 // remap the 8259s, all lines masked
void pic_unmask(int irq);
void pic_eoi(int irq);
void pic_mask(int irq);
void lapic_init(void);               // this CPU's local APIC, spurious vector, TPR 0
void lapic_eoi(void);
uint32_t lapic_id(void);
bool lapic_present(void);            // false: no APIC or not mapped; legacy PIC only
void lapic_timer_oneshot_masked(uint32_t count);   // calibration: count down, no interrupt
uint32_t lapic_timer_current(void);
void lapic_timer_periodic(uint32_t count, int vector);   // divide-by-16 ticks per interrupt
void lapic_timer_stop(void);
extern uint64_t tsc_hz;              // TSC ticks per second, calibrated against the PIT
void timer_init(unsigned hz, void (*tick)(void));   // calibrate TSC and LAPIC; periodic tick
uint64_t tsc_to_ns(uint64_t ticks);
void pit_delay_us(unsigned us);      // busy-wait using PIT channel 2 (boot only)
void timer_start_cpu(void);          // an AP: start its periodic LAPIC timer (after timer_init)
uint64_t timer_irq_count(void);      // timer interrupts taken on this CPU

// ---- Serial (COM1) and VGA text ----
void serial_init(void);
void serial_putc(char c);
void serial_enable_rx_irq(void (*rx)(char c));   // interrupt-driven input
void vga_init(void);
void vga_putc(char c);

// ---- Leaving ----
_Noreturn void arch_poweroff(int status);   // isa-debug-exit, Bochs 0x8900, ACPI, halt
_Noreturn void arch_halt_forever(void);

// ---- Context switch (switch.asm) ----
// Save callee-saved registers on the current stack, store rsp in *old_rsp,
// load new_rsp and pop. A new thread's stack is primed to "return" into its entry.
void context_switch(uint64_t *old_rsp, uint64_t new_rsp);
void fpu_save(void *area);      // fxsave, area 512 bytes, 16-aligned
void fpu_restore(const void *area);
void fpu_init_state(void *area);   // a clean FPU/SSE image for a new thread
