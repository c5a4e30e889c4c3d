// proc_sip/wasm_rt.c: the runtime wasm2c 1.0.32's output calls, in the kernel.
// Linear memory: each SIP gets a window of the upper half, mapped page by page
// with frames from the page manager, RW and NX (never executable), growing only
// through memory.grow, in its own page table (sip_space_of: the kernel's in
// domains a and b, its own in c..e; 2 MiB pages in a). Traps end the SIP,
// not the kernel.
//
// The kernel build cannot include proc_sip/include/wasm-rt.h (it pulls in the
// SIP-side libc headers), so the two types used here mirror it exactly; the
// loader test (ktest_sip.c) and docs/sip.md pin wabt 1.0.32.
#include "proc_sip/sip.h"
#include "mm/mm.h"

typedef struct {          // wasm-rt.h's wasm_rt_memory_t
    uint8_t *data;
    uint32_t pages, max_pages;
    uint32_t size;
} wasm_rt_memory_t;
enum {                    // wasm-rt.h's wasm_rt_trap_t (WASM_RT_MERGED_OOB_AND_EXHAUSTION_TRAPS=0)
    TRAP_NONE, TRAP_OOB, TRAP_INT_OVERFLOW, TRAP_DIV_BY_ZERO, TRAP_INVALID_CONVERSION,
    TRAP_UNREACHABLE, TRAP_CALL_INDIRECT, TRAP_UNCAUGHT_EXCEPTION, TRAP_EXHAUSTION,
};

#define WASM_PAGE        65536ull
// Windows of 8 GiB in PML4 slot 384: wasm2c's address is the memory's data
// + (u64)i32 index + u32 offset, always below data + 8 GiB. Only the linear
// memory (at most 16 MiB) is ever mapped in a window, so whether a SIP's code
// checks bounds (memcheck=explicit) or not (memcheck=guard: the fault is the
// check, proc_sip/fault.c), it reaches nothing outside its own memory. (An
// access starting just below 8 GiB may extend a few bytes past: its first
// byte is unmapped, and an x86 fault is precise: nothing is read or written.)
#define LINMEM_BASE      0xFFFFC00000000000ull
#define LINMEM_WINDOW    (8ull << 30)
#define LINMEM_SLOTS     64
// A SIP's linear memory is capped so one SIP cannot take every frame.
#define SIP_MAX_WASM_PAGES 256u          // 16 MiB

// The depth of wasm calls on the running SIP thread; variant_thread_switch
// saves and restores it, so it is per thread although wasm2c reads a global.
uint32_t wasm_rt_call_stack_depth;

static struct spinlock slots_lock = SPINLOCK_INIT("sip linmem slots");
static bool slot_used[LINMEM_SLOTS];

static int slot_take(void) {
    int got = -1;
    spin_lock(&slots_lock);
    for (int i = 0; i < LINMEM_SLOTS && got < 0; i++)
        if (!slot_used[i]) { slot_used[i] = true; got = i; }
    spin_unlock(&slots_lock);
    return got;
}

static uint64_t window_of(const struct sip *s) {
    return LINMEM_BASE + (uint64_t)s->mem_slot * LINMEM_WINDOW;
}

uint64_t sip_window_base(const struct sip *s) {
    return window_of(s);
}

// Unmaps and frees the window's pages from 'from' bytes up to what is
// mapped. 'from' is where a page starts (0, or an earlier mem_mapped).
static void shrink_to(struct sip *s, uint64_t from) {
    struct addrspace *as = sip_space_of(s);
    for (uint64_t off = from; off < s->mem_mapped;) {
        uint64_t pa, flags = 0;
        // 2 MiB pages (configuration a) start only at 2 MiB offsets.
        bool huge = off % HUGE_SIZE == 0 && vm_translate(as, window_of(s) + off, NULL, &flags) &&
                    (flags & PTE_PS);
        if (vm_unmap_page(as, window_of(s) + off, &pa) == 0) {
            if (huge) frame_free_contig(pa, HUGE_SIZE / PAGE_SIZE);
            else frame_free(pa);
        }
        off += huge ? HUGE_SIZE : PAGE_SIZE;
    }
    s->mem_mapped = MIN(s->mem_mapped, from);
}

// Configuration (a) (sipdom=a): a kernel-space SIP's linear memory in 2 MiB
// pages, so its accesses need fewer TLB entries. At each 2 MiB boundary, one
// 2 MiB page if 512 contiguous aligned frames are free; else (memory
// fragmented) that 2 MiB is mapped in 4 KiB pages as in (b), and the next
// boundary tries a 2 MiB page again. With a 2 MiB page, mem_mapped runs up
// to the next 2 MiB boundary: in guard mode an access between the memory's size and
// that boundary reads the SIP's own zeroed frames instead of trapping (the
// trap's granularity in (a) is 2 MiB; nothing of anyone else is reachable).
// 1 GiB pages would need 1 GiB of contiguous frames per SIP: not offered.
static bool map_huge_here(struct sip *s) {
    if (!sip_domain_large_pages() || s->domain != SIPDOM_KERNEL || s->mem_mapped % HUGE_SIZE)
        return false;
    uint64_t pa = frame_alloc_contig(HUGE_SIZE / PAGE_SIZE, HUGE_SIZE / PAGE_SIZE);
    if (!pa) return false;
    if (vm_map_huge(sip_space_of(s), window_of(s) + s->mem_mapped, pa, PTE_W | PTE_NX) != VM_OK) {
        frame_free_contig(pa, HUGE_SIZE / PAGE_SIZE);
        return false;
    }
    s->mem_mapped += HUGE_SIZE;
    return true;
}

// Maps zeroed frames until 'bytes' are mapped, in s's own page table (the
// kernel's for a kernel-space SIP); false (and nothing added) if the frames
// run out.
static bool grow_to(struct sip *s, uint64_t bytes) {
    uint64_t old = s->mem_mapped;
    while (s->mem_mapped < bytes) {
        if (map_huge_here(s)) continue;
        uint64_t pa = frame_alloc();
        if (!pa || vm_map_page(sip_space_of(s), window_of(s) + s->mem_mapped, pa,
                               sip_pte_flags(s, PTE_W | PTE_NX)) != VM_OK) {
            if (pa) frame_free(pa);
            shrink_to(s, old);
            return false;
        }
        s->mem_mapped += PAGE_SIZE;
    }
    return true;
}

static struct sip *sip_or_panic(const char *what) {
    struct sip *s = sip_current();
    if (!s) panic("%s called outside a SIP", what);
    return s;
}

void wasm_rt_allocate_memory(wasm_rt_memory_t *m, uint32_t initial, uint32_t max) {
    struct sip *s = sip_or_panic("wasm_rt_allocate_memory");
    if (s->mem) sip_trap_current("a second linear memory");
    if (initial > SIP_MAX_WASM_PAGES) sip_trap_current("linear memory over the limit");
    if (!grow_to(s, initial * WASM_PAGE)) sip_trap_current("out of memory for linear memory");
    m->data = (uint8_t *)window_of(s);
    m->pages = initial;
    m->max_pages = MIN(max, SIP_MAX_WASM_PAGES);
    m->size = (uint32_t)(initial * WASM_PAGE);
    s->mem = m;
}

// memory.grow: the old size in pages, or 0xFFFFFFFF when refused (the SIP
// sees -1 and goes on, as wasm says; it is not a trap).
uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *m, uint32_t delta) {
    struct sip *s = sip_or_panic("wasm_rt_grow_memory");
    uint32_t old = m->pages;
    if (s->mem != m || delta > m->max_pages - old) return 0xFFFFFFFFu;
    if (!grow_to(s, (uint64_t)(old + delta) * WASM_PAGE)) return 0xFFFFFFFFu;
    m->pages = old + delta;
    m->size = (uint32_t)((uint64_t)m->pages * WASM_PAGE);   // 16 MiB cap: fits
    return old;
}

// The module's own free (Z_NAME_free) is never called by the kernel, which
// releases the memory itself with sip_mem_release, even after a trap.
void wasm_rt_free_memory(wasm_rt_memory_t *m) {
    (void)m;
}

int sip_window_reserve(struct sip *s) {
    s->mem_slot = slot_take();
    return s->mem_slot < 0 ? -1 : 0;
}

// A SIP thread's code runs on a native stack of its own, not on its thread's
// 16 KiB kernel stack: wasm2c allows WASM_RT_MAX_CALL_STACK_DEPTH (500)
// nested calls, each a C frame. The stacks are NOT in the window (a guard-mode
// SIP's unchecked address reaches all of it: it must stay unmapped past the
// memory) but in the stack area right after the windows (PML4 slot 385), one
// 2 MiB block per window slot (one page table, made once: a SIP making
// threads takes no new table pages): the main thread's 256 KiB above one
// unmapped guard page, then for thread slot i >= 1 a 96 KiB region, its
// 64 KiB stack at the top above 32 KiB unmapped; the block's last 96 KiB stay
// unmapped. So an overflow faults instead of writing on.
//
// The stack area stays in the kernel's shared half even for a SIP with its
// own page table (domain c, proc_sip/space.c): a ring-0 SIP's ABI calls run
// on its native stack, and kernel code on another SIP's thread writes into
// what they keep there (a receiver's chan hand-off record, wait-queue
// entries), and the scheduler switches threads on it before the CR3 of the
// next is loaded. A ring-3 SIP (d, e) enters the kernel on its kernel stack,
// so its native stacks, user pages, are in PML4 slot 387, private to its
// table (SIP_STACK_AREA_RING3), at the same offsets.
#define SIP_STACK_AREA   (LINMEM_BASE + LINMEM_SLOTS * LINMEM_WINDOW)
#define SIP_STACK_AREA_RING3 (SIP_STACK_AREA + 2 * (512ull << 30))
#define SIP_STACK_BLOCK  (2ull << 20)
#define SIP_MAIN_STACK   (256ull << 10)
#define SIP_MAIN_REGION  (512ull << 10)
#define SIP_THREAD_STACK (64ull << 10)
#define SIP_THREAD_GUARD (32ull << 10)
#define SIP_THREAD_REGION (SIP_THREAD_STACK + SIP_THREAD_GUARD)
_Static_assert(SIP_MAIN_REGION + (SIP_MAX_THREADS - 1) * SIP_THREAD_REGION < SIP_STACK_BLOCK,
               "the stacks fit one page table, with an unmapped gap at its top");

static uint64_t stack_block(const struct sip *s) {
    uint64_t area = s->domain == SIPDOM_RING3 ? SIP_STACK_AREA_RING3 : SIP_STACK_AREA;
    return area + (uint64_t)s->mem_slot * SIP_STACK_BLOCK;
}

static uint64_t stack_bottom(const struct sip *s, int slot) {
    uint64_t base = stack_block(s);
    if (slot == 0) return base + PAGE_SIZE;
    return base + SIP_MAIN_REGION + (uint64_t)(slot - 1) * SIP_THREAD_REGION + SIP_THREAD_GUARD;
}
static uint64_t stack_size(int slot) {
    return slot == 0 ? SIP_MAIN_STACK : SIP_THREAD_STACK;
}

uint64_t sip_stack_top(struct sip *s, int slot) {
    return stack_bottom(s, slot) + stack_size(slot);
}

uint64_t sip_stack_map(struct sip *s, int slot) {
    uint64_t bottom = stack_bottom(s, slot);
    for (uint64_t off = 0; off < stack_size(slot); off += PAGE_SIZE) {
        uint64_t pa = frame_alloc();
        if (!pa) return 0;           // sip_mem_release frees what was mapped
        if (vm_map_page(sip_space_of(s), bottom + off, pa, sip_pte_flags(s, PTE_W | PTE_NX)) != VM_OK) {
            frame_free(pa);
            return 0;
        }
    }
    return bottom + stack_size(slot);
}

// rsp at a fault says a SIP thread ran off its stack: it is in the unmapped
// gap below one of the stacks or within that stack's lowest bytes.
int sip_stack_slot_of(struct sip *s, uint64_t rsp) {
    if (s->mem_slot < 0) return -1;
    for (int i = 0; i < SIP_MAX_THREADS; i++) {
        uint64_t lo = i == 0 ? stack_block(s) : sip_stack_top(s, i - 1);
        if (rsp >= lo && rsp < stack_bottom(s, i) + 512) return i;
    }
    return -1;
}

bool sip_window_beyond_memory(const struct sip *s, uint64_t addr) {
    if (s->mem_slot < 0) return false;
    uint64_t w = window_of(s);
    return addr >= w + s->mem_mapped && addr < w + LINMEM_WINDOW;
}

static void stack_unmap(struct sip *s, int slot) {
    uint64_t bottom = stack_bottom(s, slot);
    for (uint64_t off = 0; off < stack_size(slot); off += PAGE_SIZE) {
        uint64_t pa;
        if (vm_unmap_page(sip_space_of(s), bottom + off, &pa) == 0) frame_free(pa);
    }
}

// Every slot's stack, mapped or not (unmapping a hole is a no-op).
static void stack_release(struct sip *s) {
    for (int i = 0; i < SIP_MAX_THREADS; i++) stack_unmap(s, i);
}

// invlpg in shrink_to and stack_release clears only this CPU's TLB. Another
// CPU may still cache a freed window page; before a reused window's new SIP
// could read through such an entry, that CPU must flush. There is no TLB
// shootdown yet, so: every release bumps a generation, and a CPU about to run
// a SIP thread reloads CR3 (dropping its non-global entries, which window
// pages are) if it has not seen the latest generation (sip_tlb_sync). It
// reloads the CR3 loaded now (the next SIP's own, for domains c..e:
// variant_thread_switch loads that first): any CR3 write drops them all.
static uint64_t tlb_gen;
static uint64_t cpu_tlb_gen[MAX_CPUS];

void sip_tlb_sync(void) {
    int c = mycpu()->id;
    uint64_t g = __atomic_load_n(&tlb_gen, __ATOMIC_ACQUIRE);
    if (cpu_tlb_gen[c] == g) return;
    write_cr3(read_cr3());
    cpu_tlb_gen[c] = g;
}

// A reaped thread's stack goes back at once (a SIP making and joining
// threads all its life keeps no frames for them); no CPU may keep its
// translations for the slot's next thread.
void sip_stack_release(struct sip *s, int slot) {
    stack_unmap(s, slot);
    __atomic_add_fetch(&tlb_gen, 1, __ATOMIC_RELEASE);
}

void sip_mem_release(struct sip *s) {
    if (s->mem_slot < 0) return;
    shrink_to(s, 0);
    stack_release(s);
    __atomic_add_fetch(&tlb_gen, 1, __ATOMIC_RELEASE);   // before the slot can be reused
    spin_lock(&slots_lock);
    slot_used[s->mem_slot] = false;
    spin_unlock(&slots_lock);
    s->mem_slot = -1;
    s->mem = NULL;
}

// ---- Function types: one global registry, so equal signatures get equal
// indices across modules (call_indirect compares indices) ----
#define MAX_FUNC_TYPES 512
#define MAX_FUNC_ARITY 16
struct func_type { uint32_t params, results; uint8_t types[MAX_FUNC_ARITY]; };
static struct func_type func_types[MAX_FUNC_TYPES];
static uint32_t nfunc_types;
static struct spinlock func_types_lock = SPINLOCK_INIT("wasm func types");

static uint32_t func_type_find_or_add(const struct func_type *ft) {
    spin_lock(&func_types_lock);
    uint32_t i = 0;
    while (i < nfunc_types && memcmp(&func_types[i], ft, sizeof *ft) != 0) i++;
    if (i == nfunc_types && i < MAX_FUNC_TYPES) func_types[nfunc_types++] = *ft;
    spin_unlock(&func_types_lock);
    return i;
}

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {
    struct func_type ft;
    memset(&ft, 0, sizeof ft);
    if (params + results > MAX_FUNC_ARITY) sip_trap_current("function type too large");
    ft.params = params;
    ft.results = results;
    va_list ap;
    va_start(ap, results);
    for (uint32_t i = 0; i < params + results; i++) ft.types[i] = (uint8_t)va_arg(ap, int);
    va_end(ap);
    uint32_t idx = func_type_find_or_add(&ft);
    if (idx == MAX_FUNC_TYPES) sip_trap_current("too many function types");
    return idx;
}

// init_module runs once per loaded image (sip.c), so this only says the
// runtime exists: there is nothing global to set up.
bool wasm_rt_is_initialized(void) {
    return true;
}

static const char *trap_text(int code) {
    switch (code) {
    case TRAP_OOB: return "out of bounds";
    case TRAP_INT_OVERFLOW: return "integer overflow";
    case TRAP_DIV_BY_ZERO: return "divide by zero";
    case TRAP_INVALID_CONVERSION: return "invalid conversion";
    case TRAP_UNREACHABLE: return "unreachable";
    case TRAP_CALL_INDIRECT: return "indirect call type mismatch";
    case TRAP_UNCAUGHT_EXCEPTION: return "uncaught exception";
    case TRAP_EXHAUSTION: return "call stack exhausted";
    default: return "unknown trap";
    }
}

_Noreturn void wasm_rt_trap(int code) {
    sip_or_panic("wasm_rt_trap");
    sip_trap_current(trap_text(code));
}

// The software copyin/copyout: [off, off+len) inside s's linear memory as it
// is now. Returns the kernel address, or NULL if any byte is outside.
uint32_t sip_mem_size(struct sip *s) {
    const wasm_rt_memory_t *m = s->mem;
    return m ? m->size : 0;
}

void *sip_mem_range(struct sip *s, uint32_t off, uint32_t len) {
    const wasm_rt_memory_t *m = s->mem;
    if (!m || (uint64_t)off + len > m->size) return NULL;
    return m->data + off;
}

// ---- Tables: in the kernel heap, recorded in the SIP so they are freed at
// its end (like its memory, without running any of its code). They do not
// grow: table.grow answers -1, which wasm allows. ----
typedef struct { uint32_t func_type; void (*func)(void); void *module_instance; } wasm_rt_funcref_t;
typedef struct { void *data; uint32_t max_size, size; } wasm_rt_table_t;   // both table kinds
#define SIP_MAX_TABLE_ELEMS 65536u

static void table_allocate(wasm_rt_table_t *t, uint32_t elems, uint32_t max, size_t elem_size) {
    struct sip *s = sip_or_panic("wasm_rt_allocate_*_table");
    if (elems > SIP_MAX_TABLE_ELEMS) sip_trap_current("table over the limit");
    if (s->ntables == SIP_MAX_TABLES) sip_trap_current("too many tables");
    t->data = kzalloc(MAX(elems, 1u) * elem_size);
    if (!t->data) sip_trap_current("out of memory for a table");
    t->size = elems;
    t->max_size = max;
    s->tables[s->ntables++] = t->data;
}

void wasm_rt_allocate_funcref_table(wasm_rt_table_t *t, uint32_t elems, uint32_t max) {
    table_allocate(t, elems, max, sizeof(wasm_rt_funcref_t));
}
void wasm_rt_allocate_externref_table(wasm_rt_table_t *t, uint32_t elems, uint32_t max) {
    table_allocate(t, elems, max, sizeof(void *));
}
void wasm_rt_free_funcref_table(wasm_rt_table_t *t) { (void)t; }
void wasm_rt_free_externref_table(wasm_rt_table_t *t) { (void)t; }
uint32_t wasm_rt_grow_funcref_table(wasm_rt_table_t *t, uint32_t delta, wasm_rt_funcref_t init) {
    (void)t; (void)delta; (void)init;
    return 0xFFFFFFFFu;
}
uint32_t wasm_rt_grow_externref_table(wasm_rt_table_t *t, uint32_t delta, void *init) {
    (void)t; (void)delta; (void)init;
    return 0xFFFFFFFFu;
}

void sip_tables_release(struct sip *s) {
    for (int i = 0; i < s->ntables; i++) kfree(s->tables[i]);
    s->ntables = 0;
}
