// arch/x86_64/cpu.c: what this CPU can do (CPUID, read once at boot into
// cpu_has) and the control-register bits that let SSE state be saved and
// used. Other code asks cpu_has instead of running CPUID again: e.g. the
// memory code uses PCID and INVPCID only when present.
#include "kern/kern.h"
#include "arch/x86_64/arch.h"

struct cpu_features cpu_has;

enum { EAX, EBX, ECX, EDX };
#define BIT(n) (1u << (n))

static void read_vendor(void) {
    uint32_t r[4];
    cpuid(0, 0, r);
    memcpy(cpu_has.vendor + 0, &r[EBX], 4);    // "GenuineIntel": ebx, edx, ecx
    memcpy(cpu_has.vendor + 4, &r[EDX], 4);
    memcpy(cpu_has.vendor + 8, &r[ECX], 4);
    cpu_has.vendor[12] = 0;
}

// The brand string (leaves 0x80000002..4) is right-aligned with leading
// spaces on some CPUs: drop them.
static void read_brand(uint32_t max_ext) {
    char raw[49] = { 0 };
    if (max_ext >= 0x80000004)
        for (uint32_t i = 0; i < 3; i++) cpuid(0x80000002 + i, 0, (uint32_t *)(raw + 16 * i));
    const char *p = raw;
    while (*p == ' ') p++;
    strlcpy(cpu_has.brand, *p ? p : "(no brand string)", sizeof cpu_has.brand);
}

static void read_basic_leaves(uint32_t max) {
    uint32_t r[4];
    cpuid(1, 0, r);
    cpu_has.pcid = r[ECX] & BIT(17);
    cpu_has.x2apic = r[ECX] & BIT(21);
    cpu_has.xsave = r[ECX] & BIT(26);
    cpu_has.hypervisor = r[ECX] & BIT(31);
    cpu_has.apic = r[EDX] & BIT(9);
    cpu_has.fxsr = r[EDX] & BIT(24);
    if (max < 7) return;
    cpuid(7, 0, r);
    cpu_has.smep = r[EBX] & BIT(7);
    cpu_has.invpcid = r[EBX] & BIT(10);
    cpu_has.smap = r[EBX] & BIT(20);
    cpu_has.umip = r[ECX] & BIT(2);
}

static void read_extended_leaves(uint32_t max_ext) {
    uint32_t r[4];
    if (max_ext >= 0x80000001) {
        cpuid(0x80000001, 0, r);
        cpu_has.syscall = r[EDX] & BIT(11);
        cpu_has.nx = r[EDX] & BIT(20);
        cpu_has.pdpe1gb = r[EDX] & BIT(26);
        cpu_has.rdtscp = r[EDX] & BIT(27);
    }
    if (max_ext >= 0x80000007) {
        cpuid(0x80000007, 0, r);
        cpu_has.invariant_tsc = r[EDX] & BIT(8);
    }
}

static void print_features(void) {
    const struct cpu_features *f = &cpu_has;
    kprintf("cpu: %s %s; pcid %d invpcid %d smep %d smap %d umip %d 1g %d rdtscp %d "
            "xsave %d fxsr %d syscall %d nx %d apic %d x2apic %d invtsc %d hv %d\n",
            f->vendor, f->brand, f->pcid, f->invpcid, f->smep, f->smap, f->umip,
            f->pdpe1gb, f->rdtscp, f->xsave, f->fxsr, f->syscall, f->nx, f->apic,
            f->x2apic, f->invariant_tsc, f->hypervisor);
}

// The boot CPU reads and prints; every CPU of one machine is taken to be
// the same, so later CPUs only need cpu_enable_sse.
void cpu_features_init(void) {
    static bool done;
    if (done) return;
    uint32_t r[4];
    cpuid(0, 0, r);
    uint32_t max = r[EAX];
    cpuid(0x80000000, 0, r);
    uint32_t max_ext = r[EAX];
    read_vendor();
    read_brand(max_ext);
    read_basic_leaves(max);
    read_extended_leaves(max_ext);
    print_features();
    done = true;
}

#define CR0_MP (1ull << 1)    // WAIT/FWAIT honour TS
#define CR0_EM (1ull << 2)    // set = no FPU: every x87/SSE instruction faults
#define CR0_TS (1ull << 3)    // set = next FPU use faults (lazy switching; we switch eagerly)
#define CR0_NE (1ull << 5)    // FPU errors as #MF, not the legacy IRQ 13
#define CR4_OSFXSR     (1ull << 9)    // fxsave/fxrstor include SSE state; SSE allowed
#define CR4_OSXMMEXCPT (1ull << 10)   // SIMD errors as #XM rather than #UD

// Per CPU. The kernel itself is compiled -mgeneral-regs-only and never
// touches these registers; this is for fpu_save/fpu_restore and for user
// (hw) and SIP (sip) code, which may use SSE like any x86_64 code.
// Also turns the caches on: Bochs's BIOS hands over with CR0.CD and CR0.NW
// set, which costs nothing under emulation but would on real hardware.
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
void cpu_enable_sse(void) {
    uint64_t cr0 = read_cr0();
    cr0 &= ~(CR0_EM | CR0_TS | CR0_CD | CR0_NW);
    cr0 |= CR0_MP | CR0_NE;
    write_cr0(cr0);
    write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
}

#define CR4_PCIDE (1ull << 17)    // CR3's low 12 bits tag TLB entries with a PCID
#define CR4_SMEP  (1ull << 20)    // ring 0 may not execute user pages
#define CR4_SMAP  (1ull << 21)    // ring 0 may not touch user pages unless RFLAGS.AC (stac)

// Per CPU, where the CPU has them. With SMAP on, kernel code reaches user
// memory only between stac and clac (the hw kernel's copyin/copyout), so a
// stray user pointer in the kernel faults instead of being followed.
void cpu_enable_protection(void) {
    uint64_t cr4 = read_cr4();
    if (cpu_has.smep) cr4 |= CR4_SMEP;
    if (cpu_has.smap) cr4 |= CR4_SMAP;
    write_cr4(cr4);
}

// Per CPU; false when the CPU has no PCID. The SDM allows setting PCIDE
// only while CR3's PCID field is 0, so call it with the kernel's CR3 loaded.
bool cpu_enable_pcid(void) {
    if (!cpu_has.pcid || (read_cr3() & 0xFFF)) return false;
    write_cr4(read_cr4() | CR4_PCIDE);
    return true;
}
