// proc_sip/ring3.c: SIPs in ring 3 with their own page table (domains d and
// e, Figure 5). The same sealed, wasm2c-compiled code that runs in ring 0
// elsewhere runs here in user mode; its ABI calls enter the kernel by
// `syscall` and reach the same Z_envZ_* functions with the calling SIP as
// env. What ring 3 needs that ring 0 did not:
//
//  * Code it may execute. A ring-3 SIP's image is a second copy of the
//    object in the code area (the module cache is keyed by name and ring),
//    resolved against sip_ring3_symbols: the ABI functions, the runtime
//    calls its code makes while it runs and memcpy & co. become the stubs of
//    one "stub page" (ring3_entry.asm's blob), which stay in ring 3 or enter
//    the kernel by syscall. init_module runs once, in ring 0, at load (it
//    fills the image's function-type ids through the kernel's registry);
//    then every page of the image becomes user and read-only (code R-X,
//    rodata and data R--): nothing in it is written at run time. The code
//    area's page tables are shared by every address space, so U is set on
//    the path to those pages in the kernel's own tables: only ring-3
//    images' pages and the stub page are U leaves there; the kernel image
//    and ring-0 images are not. (A ring-3 SIP can so read, never write,
//    other ring-3 images: code and constants, nothing secret.)
//  * wasm2c's call-depth counter, a global its code reaches by a 32-bit
//    relocation, so in the top 2 GiB: one address in the code area ("depth
//    page"), where each ring-3 SIP's table maps a frame of its own (its
//    private copy of PML4 slot 511, ring3_code_private: for that, every
//    code-area page table is made once, when ring 3 is first needed, so the
//    copies never go stale). variant_thread_switch saves the counter into
//    the thread's slot and loads the next one's (ring3_switch), as it does
//    the kernel's global for ring-0 SIPs.
//  * Instance and tables in user pages. Its code dereferences its instance
//    (memory struct, globals, table pointers) and the funcref tables: those
//    live in the SIP's runtime area, PML4 slot 386 (private to its page
//    table, proc_sip/space.c), user RW NX, physically contiguous per
//    allocation so the kernel reaches them through the direct map (s->mem,
//    s->stack_pointer are such aliases) and never touches a user page with
//    SMAP closed.
//  * Entering and leaving. A SIP thread's kernel stack holds live frames
//    (sip_main or sip_thread_main, and the jmpbuf's rsp) while it runs in
//    ring 3, so traps and syscalls from ring 3 land below them: at entry the
//    thread records a kernel entry top under its jmpbuf's rsp, and
//    TSS.rsp0 / kstack_top point there (here and at every switch to it).
//    Exits and traps still unwind with sip_longjmp to the thread's jmpbuf.
//    SMAP is opened (stac) for an ABI call's duration: the ABI functions
//    read SIP memory at its user address, after sip_mem_range's check.
#include "proc_sip/sip_abi.h"
#include "proc_sip/ring3.h"
#include "arch/x86_64/arch.h"
#include "mm/mm.h"

// ---- The stub page (ring3_entry.asm) ----
extern const char ring3_blob_start[], ring3_blob_end[], ring3_tramp[], ring3_abi_stubs[];
extern const char ring3_rt_allocate_memory[], ring3_rt_grow_memory[], ring3_rt_trap[];
extern const char ring3_rt_allocate_funcref_table[], ring3_rt_allocate_externref_table[];
extern const char ring3_rt_free[], ring3_rt_grow_table[], ring3_rt_is_initialized[];
extern const char ring3_memcpy[], ring3_memmove[], ring3_memset[], ring3_memcmp[];
extern const uint64_t ring3_abi_stub_size;
extern void syscall_entry(void);              // arch/x86_64/syscall_entry.asm
void wasm_rt_allocate_memory(void *, uint32_t, uint32_t);   // wasm_rt.c
uint32_t wasm_rt_grow_memory(void *, uint32_t);
_Noreturn void wasm_rt_trap(int);

// The syscall numbers: 0..23 the lines of syscall/sip_abi.list (the ABI
// stubs' order), then the runtime's (ring3_entry.asm's NR_*).
enum {
    NR_ABI_COUNT = 24,
    NR_RT = 64, NR_RETURN = NR_RT, NR_ALLOC_MEM, NR_GROW_MEM, NR_TRAP,
    NR_ALLOC_FUNCREF, NR_ALLOC_EXTERNREF,
};

#define CR4_SMEP      (1ull << 20)
#define EFER_SCE      (1ull << 0)
#define RFLAGS_TF     (1ull << 8)
#define RFLAGS_DF     (1ull << 10)
#define RFLAGS_NT     (1ull << 14)

static uint64_t stub_va;                 // the stub page in the code area
static uint64_t depth_va;                // the depth page's address, right above it
static const char *missing = "not set up yet";
static struct sip_ksym ring3_syms[64];
static struct spinlock init_lock = SPINLOCK_INIT("sip ring3 init");

uint64_t ring3_stub(const char *label) {
    return stub_va + (uint64_t)(label - ring3_blob_start);
}

// The ABI stub for line nr of syscall/sip_abi.list.
uint64_t ring3_abi_stub(int nr) {
    return ring3_stub(ring3_abi_stubs) + (uint64_t)nr * ring3_abi_stub_size;
}

// Sets U on the page-table entries above va's leaf in the table at pml4: the
// leaf alone decides (a U path to a supervisor leaf is still supervisor).
static void user_path(pte_t *pml4, uint64_t va) {
    pte_t *t = pml4;
    for (int level = 3; level > 0; level--) {
        pte_t *e = &t[(va >> (12 + 9 * level)) & 511];
        if (!(*e & PTE_P) || (*e & PTE_PS)) return;
        *e |= PTE_U;
        t = phys_to_virt(*e & PTE_ADDR_MASK);
    }
}

// Makes the mapped page at va user (and read-only if !writable) in the
// kernel's tables, which every space shares for the code area.
static void make_user(uint64_t va, bool writable) {
    pte_t *e = vm_walk(vm_kernel_space(), va, false);
    KASSERT(e && (*e & PTE_P));
    *e = writable ? (*e | PTE_U) : ((*e | PTE_U) & ~PTE_W);
    user_path(vm_kernel_space()->pml4, va);
    invlpg(va);
}

static const char *const abi_names[NR_ABI_COUNT] = {
    "Z_envZ_sip_print", "Z_envZ_sip_exit", "Z_envZ_sip_yield", "Z_envZ_sip_cycles",
    "Z_envZ_sip_sleep_ms", "Z_envZ_sip_time_ns", "Z_envZ_sip_self", "Z_envZ_sip_sysinfo",
    "Z_envZ_sip_thread_create", "Z_envZ_sip_thread_exit", "Z_envZ_sip_thread_join",
    "Z_envZ_sip_futex_wait", "Z_envZ_sip_futex_wake",
    "Z_envZ_sip_chan_create", "Z_envZ_sip_chan_send", "Z_envZ_sip_chan_recv",
    "Z_envZ_sip_chan_select", "Z_envZ_sip_chan_close",
    "Z_envZ_sip_spawn", "Z_envZ_sip_wait", "Z_envZ_sip_kill", "Z_envZ_sip_args",
    "Z_envZ_sip_ns_register", "Z_envZ_sip_ns_connect",
};

const char *ring3_abi_name(int nr) {
    return nr >= 0 && nr < NR_ABI_COUNT ? abi_names[nr] : NULL;
}

// What ring-3 code calls instead of the kernel symbol 'name' (0: nothing:
// the loader then refuses an image that needs it).
static uint64_t ring3_addr_of(const struct sip_ksym *k) {
    static const struct { const char *name; const char *label; } rt[] = {
        { "wasm_rt_allocate_memory", ring3_rt_allocate_memory },
        { "wasm_rt_grow_memory", ring3_rt_grow_memory },
        { "wasm_rt_free_memory", ring3_rt_free },
        { "wasm_rt_is_initialized", ring3_rt_is_initialized },
        { "wasm_rt_trap", ring3_rt_trap },
        { "wasm_rt_allocate_funcref_table", ring3_rt_allocate_funcref_table },
        { "wasm_rt_allocate_externref_table", ring3_rt_allocate_externref_table },
        { "wasm_rt_free_funcref_table", ring3_rt_free },
        { "wasm_rt_free_externref_table", ring3_rt_free },
        { "wasm_rt_grow_funcref_table", ring3_rt_grow_table },
        { "wasm_rt_grow_externref_table", ring3_rt_grow_table },
        { "memcpy", ring3_memcpy }, { "memmove", ring3_memmove },
        { "memset", ring3_memset }, { "memcmp", ring3_memcmp },
    };
    for (int i = 0; i < NR_ABI_COUNT; i++)
        if (strcmp(k->name, abi_names[i]) == 0) return ring3_abi_stub(i);
    for (size_t i = 0; i < sizeof rt / sizeof rt[0]; i++)
        if (strcmp(k->name, rt[i].name) == 0) return ring3_stub(rt[i].label);
    if (strcmp(k->name, "wasm_rt_call_stack_depth") == 0) return depth_va;
    // Called only by init_module, which runs in ring 0 at load.
    if (strcmp(k->name, "wasm_rt_register_func_type") == 0) return k->addr;
    return 0;
}

static void symbols_build(void) {
    int n = 0;
    for (const struct sip_ksym *k = sip_abi_symbols; k->name; k++) {
        uint64_t a = ring3_addr_of(k);
        KASSERT(n < (int)(sizeof ring3_syms / sizeof ring3_syms[0]) - 1);
        if (a) ring3_syms[n++] = (struct sip_ksym){ k->name, a };
    }
    ring3_syms[n] = (struct sip_ksym){ NULL, 0 };
}

// `syscall` for this CPU, as proc_hw/syscall.c sets it (see there for STAR
// and why SFMASK clears each flag). One CPU runs SIPs: the boot CPU.
static void syscall_msrs(void) {
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    wrmsr(MSR_STAR, ((uint64_t)(SEG_UDATA - 8) << 48) | ((uint64_t)SEG_KCODE << 32));
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    wrmsr(MSR_SFMASK, RFLAGS_IF | RFLAGS_DF | RFLAGS_TF | RFLAGS_NT | RFLAGS_AC);
}

// Every page table of the code area, made now, with U on the path: from
// here on the loader only fills leaves, so a ring-3 SIP's private copy of
// slot 511 (ring3_code_private), made later, still sees every image loaded
// after it, also one loaded while its CR3 is live (a spawn from it).
static const char *tables_setup(void) {
    uint64_t base, end;
    sip_code_area_bounds(&base, &end);
    for (uint64_t va = base; va < end; va += HUGE_SIZE) {
        if (!vm_walk(vm_kernel_space(), va, true)) return "no memory for the code area's tables";
        user_path(vm_kernel_space()->pml4, va);
    }
    return NULL;
}

// The stub page (R-X user, global) at the start of a 2 MiB region of its
// own; the depth page's address right above it stays unmapped in the
// kernel's table: each ring-3 SIP maps its own frame there (private PT).
static const char *pages_setup(void) {
    size_t blob = (size_t)(ring3_blob_end - ring3_blob_start);
    if (blob > PAGE_SIZE) return "the ring-3 stubs do not fit a page";
    const char *why = tables_setup();
    if (why) return why;
    uint64_t va = sip_code_area_take_aligned(HUGE_SIZE / PAGE_SIZE, HUGE_SIZE);
    uint64_t stub_pa = frame_alloc();
    if (!va || !stub_pa) return "no memory for the stub page";
    memcpy(phys_to_virt(stub_pa), ring3_blob_start, blob);
    if (vm_map_page(vm_kernel_space(), va, stub_pa, PTE_U | PTE_G) != VM_OK)
        return "cannot map the stub page";
    user_path(vm_kernel_space()->pml4, va);
    stub_va = va;
    depth_va = va + PAGE_SIZE;
    return NULL;
}

// A table page holding a copy of the one at 'from' (a page-table entry's target).
static uint64_t table_copy(pte_t from_entry) {
    uint64_t pa = frame_alloc();
    if (pa) memcpy(phys_to_virt(pa), phys_to_virt(from_entry & PTE_ADDR_MASK), PAGE_SIZE);
    return pa;
}

// as gets its own slot 511: copies of the kernel's PDPT, of the code area's
// PD and of the stub region's PT, whose one difference is the depth page:
// a frame of this SIP's own, user RW NX, not global (another SIP's table
// maps another frame at the same address). The copies point at the same
// kernel and code-area tables below them, which never change (tables_setup).
// 0, or -1 (then nothing is left allocated). as's CR3 is reloaded if live.
int ring3_code_private(struct addrspace *as, struct ring3_code *out) {
    pte_t *kpml4 = vm_kernel_space()->pml4;
    unsigned i4 = (depth_va >> 39) & 511, i3 = (depth_va >> 30) & 511, i2 = (depth_va >> 21) & 511;
    pte_t *kpdpt = phys_to_virt(kpml4[i4] & PTE_ADDR_MASK);
    pte_t *kpd = phys_to_virt(kpdpt[i3] & PTE_ADDR_MASK);
    *out = (struct ring3_code){ table_copy(kpml4[i4]), table_copy(kpdpt[i3]), table_copy(kpd[i2]),
                                frame_alloc() };
    if (!out->pdpt || !out->pd || !out->pt || !out->depth) {
        ring3_code_free(NULL, out);
        return -1;
    }
    pte_t *pt = phys_to_virt(out->pt), *pd = phys_to_virt(out->pd), *pdpt = phys_to_virt(out->pdpt);
    pt[(depth_va >> 12) & 511] = out->depth | PTE_P | PTE_W | PTE_U | PTE_NX;
    pd[i2] = out->pt | PTE_P | PTE_W | PTE_U;
    pdpt[i3] = out->pd | PTE_P | PTE_W | PTE_U;
    as->pml4[i4] = out->pdpt | PTE_P | PTE_W | PTE_U;
    if ((read_cr3() & PTE_ADDR_MASK) == as->pml4_pa) vm_switch(as);
    return 0;
}

// as's slot 511 back to the kernel's (CR3 reloaded if live: no cached walk
// may use the freed tables), then the copies and the depth frame freed.
// as NULL: only the frees (a failed ring3_code_private).
void ring3_code_free(struct addrspace *as, const struct ring3_code *c) {
    if (as) {
        unsigned i4 = (depth_va >> 39) & 511;
        as->pml4[i4] = vm_kernel_space()->pml4[i4];
        if ((read_cr3() & PTE_ADDR_MASK) == as->pml4_pa) vm_switch(as);
    }
    uint64_t f[4] = { c->pdpt, c->pd, c->pt, c->depth };
    for (int i = 0; i < 4; i++)
        if (f[i]) frame_free(f[i]);
}

uint64_t ring3_depth_va(void) {
    return depth_va;
}

// Once, at the first need (before the first ring-3 SIP's page table is
// made: it copies the kernel's PML4 entry 511, U included).
void ring3_init(void) {
    spin_lock(&init_lock);
    if (!stub_va) {
        missing = pages_setup();
        if (!missing) {
            syscall_msrs();
            symbols_build();
        }
    }
    spin_unlock(&init_lock);
}

// domain.c's question: NULL when d and e can run in ring 3.
const char *sip_ring3_missing(void) {
    ring3_init();
    return missing;
}

const struct sip_ksym *sip_ring3_symbols(void) {
    ring3_init();
    return missing ? NULL : ring3_syms;
}

// Right after a ring-3 image is loaded (sip.c, under the module lock, so
// interrupts are off on this CPU): its init_module runs here, in ring 0,
// with SMEP off for the duration because it calls wasm_rt_is_initialized,
// already the user stub; then the image's pages become user and read-only.
// *sp_off: where __stack_pointer lies in the instance (or UINT64_MAX).
void ring3_image_ready(const struct sip_code *c, void (*init)(void),
                       uint32_t *(*sp_of)(void *), uint64_t *sp_off) {
    uint64_t cr4 = read_cr4();
    write_cr4(cr4 & ~CR4_SMEP);
    init();
    // A pure address computation: the global's offset from any base.
    *sp_off = sp_of ? (uint64_t)sp_of((void *)PAGE_SIZE) - PAGE_SIZE : UINT64_MAX;
    write_cr4(cr4);
    for (size_t p = 0; p < c->npages; p++) make_user(c->base + p * PAGE_SIZE, false);
}
