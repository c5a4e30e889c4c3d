// proc_hw/uvm.c: the user half of an address space (hw kernel), on top of
// mm/vm.c's page tables.
//
//   USER_TOP        0x8000_0000_0000 ┌──────────────────────┐
//   USER_STACK_TOP  0x7FFF_FFFF_0000 │ stack (16 pages)     │ RW NX, grows down
//                                    │ guard page           │ never mapped: overflow faults
//                                    │ ...                  │
//                                    │ heap [heap_start,brk)│ RW NX, sbrk
//                                    │ data, bss            │ RW NX   } from the ELF file
//   USER_TEXT_BASE  0x40_0000        │ text, rodata         │ R X / R }
//                   0                └──────────────────────┘ page 0 never mapped
//
// Every user page is PTE_U. A user frame is counted in proc_hw/frameref.c:
// fork shares frames copy-on-write, and the last mapping frees a frame.
//
// COPY-ON-WRITE. uvm_fork maps each frame of the parent into the child and
// makes every writable page read-only with PTE_COW (an available bit) in
// BOTH spaces. A write to such a page faults (from ring 3, or from ring 0 in
// copyout: CR0.WP is set) and cow_break gives the writer its own copy, or
// just write permission back if nobody else maps the frame any more.
//
// PCID (when the CPU has it and the command line does not say pcid=off;
// invpcid=off keeps PCIDs but not INVPCID, to exercise the fallback).
// Each address space gets its own PCID from 1..PCID_COUNT-2 (0 is the
// kernel's space, PCID_SHARED is for everyone once those run out), so its
// TLB entries survive switches to other spaces. The upper half is mapped
// with global pages and survives every switch anyway. uvm_activate sets
// CR3's no-flush bit (63) unless this CPU's bit in stale_cpus says entries
// tagged with this PCID may be out of date:
//   * a new space's PCID may have been used by a destroyed space: all stale;
//   * a PTE weakened or removed while the space is NOT loaded here: without
//     INVPCID we cannot reach those entries, so all stale; with INVPCID we
//     drop that one address for that PCID (type 0) and nothing goes stale;
//   * PTEs of the loaded space: invlpg, as without PCIDs.
// Without PCIDs every CR3 write flushes all non-global entries: nothing to do.
// SMP: other CPUs are not shot down yet (mm/vm.c does not either).
#include "proc_hw/uvm.h"
#include "proc_hw/textshare.h"

#define PROT_MASK (PROT_READ | PROT_WRITE | PROT_EXEC)
#define USER_MIN  PAGE_SIZE                   // page 0 stays unmapped: NULL faults
#define PCID_COUNT  4096
#define PCID_SHARED (PCID_COUNT - 1)
#define CR3_NOFLUSH (1ull << 63)
#define INVPCID_ADDR 0                        // one address in one PCID

static bool pcid_on;
static bool invpcid_on;                       // INVPCID present and not switched off (invpcid=off)
static uint64_t pcid_used[PCID_COUNT / 64];  // bit per PCID
static struct spinlock pcid_lock = SPINLOCK_INIT("pcid");
static struct uspace *active[MAX_CPUS];       // what uvm_activate loaded on each CPU

// ---- PCIDs ----

static uint16_t pcid_alloc(void) {
    if (!pcid_on) return 0;
    uint16_t got = PCID_SHARED;
    spin_lock(&pcid_lock);
    for (unsigned id = 1; id < PCID_SHARED; id++) {
        if (pcid_used[id / 64] & (1ull << (id % 64))) continue;
        pcid_used[id / 64] |= 1ull << (id % 64);
        got = (uint16_t)id;
        break;
    }
    spin_unlock(&pcid_lock);
    return got;
}

static void pcid_free(uint16_t id) {
    if (id == 0 || id == PCID_SHARED) return;
    spin_lock(&pcid_lock);
    pcid_used[id / 64] &= ~(1ull << (id % 64));
    spin_unlock(&pcid_lock);
}

static void invpcid(uint64_t type, uint64_t pcid, uint64_t va) {
    struct { uint64_t pcid, va; } desc = { pcid, va };
    __asm__ volatile("invpcid %0, %1" :: "m"(desc), "r"(type) : "memory");
}

// ---- TLB ----

static bool is_loaded(struct uspace *as) {
    return (read_cr3() & PTE_ADDR_MASK) == as->vm->pml4_pa;
}

static uint64_t cr3_for(struct uspace *as, bool keep_tlb) {
    return as->vm->pml4_pa | as->pcid | (keep_tlb ? CR3_NOFLUSH : 0);
}

static void mark_stale(struct uspace *as) {
    __atomic_store_n(&as->stale_cpus, ~0u, __ATOMIC_RELEASE);
}

// A PTE of 'as' was weakened (write taken away) or removed.
static void tlb_flush_page(struct uspace *as, uint64_t va) {
    if (is_loaded(as)) invlpg(va);
    else if (invpcid_on && as->pcid != PCID_SHARED) invpcid(INVPCID_ADDR, as->pcid, va);
    else if (pcid_on) mark_stale(as);
}

// Many PTEs, or page tables themselves, changed.
static void tlb_flush_all(struct uspace *as) {
    if (is_loaded(as)) write_cr3(cr3_for(as, false));
    else if (pcid_on) mark_stale(as);
}

void uvm_activate(struct uspace *as) {
    struct cpu *c = mycpu();
    if (!as) {
        if (active[c->id]) vm_switch(vm_kernel_space());
        active[c->id] = NULL;
        return;
    }
    uint32_t bit = 1u << c->id;
    bool stale = __atomic_fetch_and(&as->stale_cpus, ~bit, __ATOMIC_ACQ_REL) & bit;
    active[c->id] = as;
    if (!stale && is_loaded(as)) return;
    write_cr3(cr3_for(as, pcid_on && !stale && as->pcid != PCID_SHARED));
}

struct uspace *uvm_current(void) {
    struct uspace *as = active[mycpu()->id];
    return as && is_loaded(as) ? as : NULL;
}

// ---- Walking every user page ----

typedef int (*page_fn)(struct uspace *as, uint64_t va, pte_t *pte, void *ctx);

static unsigned shift_of(int level) {
    return 12 + 9 * (unsigned)(level - 1);
}

static pte_t *table_of(pte_t e) {
    return phys_to_virt(e & PTE_ADDR_MASK);
}

// Calls fn for each present 4 KiB leaf in [lo, hi) below 'table' (at
// 'level', 4 = PML4, covering from 'base'), in address order; stops at the
// first non-zero result and returns it. Only the entries overlapping the
// range are looked at.
static int walk_level(struct uspace *as, pte_t *table, int level, uint64_t base,
                      uint64_t lo, uint64_t hi, page_fn fn, void *ctx) {
    unsigned shift = shift_of(level);
    uint64_t first = lo > base ? (lo - base) >> shift : 0;
    uint64_t last = MIN((hi - 1 - base) >> shift, level == 4 ? 255u : 511u);   // PML4: lower half
    for (uint64_t i = first; i <= last; i++) {
        if (!(table[i] & PTE_P) || (level > 1 && (table[i] & PTE_PS))) continue;
        uint64_t va = base | (i << shift);
        int r = level == 1 ? fn(as, va, &table[i], ctx)
                           : walk_level(as, table_of(table[i]), level - 1, va, lo, hi, fn, ctx);
        if (r) return r;
    }
    return 0;
}

// A space's pages lie in two clusters far apart (program and heap from
// USER_TEXT_BASE up, the stack below USER_STACK_TOP): each keeps the
// bounds of what was ever mapped in it (note_mapped), and a walk looks
// only there, instead of at every entry of every table in between (fork
// and exit spent two thirds of their instructions scanning empty entries).
static int span_of(uint64_t va) {
    return va >= USER_SPAN_SPLIT;
}

// Caller holds as->lock (or alone sees as).
static void note_mapped(struct uspace *as, uint64_t va) {
    int k = span_of(va);
    if (va < as->span_lo[k]) as->span_lo[k] = va;
    if (va + PAGE_SIZE > as->span_hi[k]) as->span_hi[k] = va + PAGE_SIZE;
}

static int for_each_user_page(struct uspace *as, page_fn fn, void *ctx) {
    for (int k = 0; k < 2; k++) {
        if (as->span_lo[k] >= as->span_hi[k]) continue;
        int r = walk_level(as, as->vm->pml4, 4, 0, as->span_lo[k], as->span_hi[k], fn, ctx);
        if (r) return r;
    }
    return 0;
}

static bool table_empty(const pte_t *t) {
    for (int i = 0; i < 512; i++)
        if (t[i] & PTE_P) return false;
    return true;
}

// Frees the page tables below 'table' that cover only [lo, hi) and hold no
// mapping any more, so sbrk's shrink gives back tables as well as pages.
static void prune_tables(pte_t *table, int level, uint64_t base, uint64_t lo, uint64_t hi) {
    uint64_t span = 1ull << shift_of(level);
    for (unsigned i = 0; i < (level == 4 ? 256u : 512u); i++) {
        uint64_t start = base + i * span;
        if (start + span <= lo || start >= hi) continue;
        if (!(table[i] & PTE_P) || (table[i] & PTE_PS)) continue;
        pte_t *child = table_of(table[i]);
        if (level > 2) prune_tables(child, level - 1, start, lo, hi);
        if (!table_empty(child)) continue;
        table[i] = 0;
        frame_free(virt_to_phys(child));
    }
}

// ---- Creating and destroying ----

struct uspace *uvm_create(void) {
    struct uspace *as = kzalloc(sizeof *as);
    if (!as) return NULL;
    as->vm = vm_new_space();
    if (!as->vm) {
        kfree(as);
        return NULL;
    }
    spin_init(&as->lock, "uspace");
    waitq_init(&as->brk_wait, "brk");
    for (int k = 0; k < 2; k++) as->span_lo[k] = UINT64_MAX, as->span_hi[k] = 0;   // nothing yet
    as->pcid = pcid_alloc();
    mark_stale(as);              // the PCID may carry a dead space's entries
    return as;
}

static int drop_page(struct uspace *as, uint64_t va, pte_t *pte, void *ctx) {
    (void)va, (void)ctx;
    frameref_put(*pte & PTE_ADDR_MASK);
    *pte = 0;
    as->pages--;
    return 0;
}

// Nobody else may use 'as' any more (its last thread is leaving, or it was
// never installed), so no lock: but it may still be in this CPU's CR3.
void uvm_destroy(struct uspace *as) {
    if (!as) return;
    if (is_loaded(as)) vm_switch(vm_kernel_space());
    for (int c = 0; c < MAX_CPUS; c++) {
        struct uspace *expect = as;
        __atomic_compare_exchange_n(&active[c], &expect, NULL, false,
                                    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
    }
    for_each_user_page(as, drop_page, NULL);
    for (int i = 0; i < USPACE_SHARED_MAX; i++)
        if (as->shared[i]) textseg_put(as->shared[i]);
    vm_free_space(as->vm);
    pcid_free(as->pcid);
    kfree(as);
}

size_t uvm_pages(struct uspace *as) {
    return as ? as->pages : 0;
}

void uvm_set_heap(struct uspace *as, uint64_t start) {
    as->heap_start = as->brk = ALIGN_UP(start, PAGE_SIZE);
}

// ---- Mapping fresh pages ----

static uint64_t pte_flags_for(uint64_t prot) {
    return PTE_U | (prot & PROT_WRITE ? PTE_W : 0) | (prot & PROT_EXEC ? 0 : PTE_NX);
}

static bool user_range_ok(uint64_t va, size_t len) {
    return va >= USER_MIN && va < USER_TOP && len <= USER_TOP - va;
}

static int map_fresh_page(struct uspace *as, uint64_t va, uint64_t flags) {
    uint64_t pa = frame_alloc();
    if (!pa) return -ENOMEM;
    spin_lock(&as->lock);
    int r = vm_map_page(as->vm, va, pa, flags);
    if (r == VM_OK) {
        frameref_set_one(pa);
        note_mapped(as, va);
        as->pages++;
    }
    spin_unlock(&as->lock);
    if (r == VM_OK) return 0;
    frame_free(pa);
    return r == VM_EEXIST ? -EEXIST : r == VM_ENOMEM ? -ENOMEM : -EINVAL;
}

static void unmap_page(struct uspace *as, uint64_t va) {
    uint64_t pa;
    spin_lock(&as->lock);
    if (vm_unmap_page(as->vm, va, &pa) == 0) {
        tlb_flush_page(as, va);
        frameref_put(pa);
        as->pages--;
    }
    spin_unlock(&as->lock);
}

static void unmap_range(struct uspace *as, uint64_t start, uint64_t end) {
    for (uint64_t va = start; va < end; va += PAGE_SIZE) unmap_page(as, va);
    spin_lock(&as->lock);
    prune_tables(as->vm->pml4, 4, 0, start, end);
    tlb_flush_all(as);           // paging-structure caches may hold the freed tables
    spin_unlock(&as->lock);
}

// Every page touching [va, va+len), zeroed, with 'prot'. All or nothing:
// on failure the pages this call mapped are unmapped again.
int uvm_map_zero(struct uspace *as, uint64_t va, size_t len, uint64_t prot) {
    if (!user_range_ok(va, len) || (prot & ~PROT_MASK)) return -EINVAL;
    uint64_t start = ALIGN_DOWN(va, PAGE_SIZE), end = ALIGN_UP(va + len, PAGE_SIZE);
    uint64_t flags = pte_flags_for(prot);
    for (uint64_t p = start; p < end; p += PAGE_SIZE) {
        int r = map_fresh_page(as, p, flags);
        if (r < 0) {
            unmap_range(as, start, p);
            return r;
        }
    }
    return 0;
}

// ---- Shared program segments (textshare.c) ----

static int free_shared_slot(struct uspace *as) {
    for (int i = 0; i < USPACE_SHARED_MAX; i++)
        if (!as->shared[i]) return i;
    return -1;
}

static int map_shared_page(struct uspace *as, uint64_t va, uint64_t pa, uint64_t flags) {
    if (!frameref_inc(pa)) return -ENOMEM;
    spin_lock(&as->lock);
    int r = vm_map_page(as->vm, va, pa, flags);
    if (r == VM_OK) {
        note_mapped(as, va);
        as->pages++;
    }
    spin_unlock(&as->lock);
    if (r == VM_OK) return 0;
    frameref_put(pa);
    return r == VM_EEXIST ? -EEXIST : r == VM_ENOMEM ? -ENOMEM : -EINVAL;
}

// The entry's frames from va on, never writable: nobody may write them, so
// they are shared as fork shares text, and a kernel write (uvm_copy_to)
// would find them shared and copy first. All or nothing.
int uvm_map_textseg(struct uspace *as, uint64_t va, struct textseg *t, uint64_t prot) {
    size_t n;
    const uint64_t *frames = textseg_frames(t, &n);
    int slot = free_shared_slot(as);
    if (slot < 0 || (prot & (PROT_WRITE | ~PROT_MASK)) || va % PAGE_SIZE ||
        !user_range_ok(va, n * PAGE_SIZE)) return -EINVAL;
    uint64_t flags = pte_flags_for(prot);
    for (size_t i = 0; i < n; i++) {
        int r = map_shared_page(as, va + i * PAGE_SIZE, frames[i], flags);
        if (r < 0) {
            unmap_range(as, va, va + i * PAGE_SIZE);
            return r;
        }
    }
    as->shared[slot] = t;
    return 0;
}

// The pages exec just loaded for key's segment become an entry others may
// map. Best effort: without memory or a free slot they stay private.
void uvm_publish_textseg(struct uspace *as, const struct textseg_key *key) {
    uint64_t start = ALIGN_DOWN(key->vaddr, PAGE_SIZE);
    size_t n = (ALIGN_UP(key->vaddr + key->memsz, PAGE_SIZE) - start) / PAGE_SIZE;
    int slot = free_shared_slot(as);
    uint64_t *frames = slot < 0 ? NULL : kmalloc(n * sizeof *frames);
    if (!frames) return;
    bool all = true;
    spin_lock(&as->lock);
    for (size_t i = 0; i < n && all; i++) {
        pte_t *pte = vm_walk(as->vm, start + i * PAGE_SIZE, false);
        all = pte && (*pte & PTE_P) && !(*pte & PTE_W);
        if (all) frames[i] = *pte & PTE_ADDR_MASK;
    }
    spin_unlock(&as->lock);
    if (all) as->shared[slot] = textseg_publish(key, frames, n);
    kfree(frames);
}

// ---- Copy-on-write ----

// THE copy-on-write break (a lab: students write this function). *pte maps
// a frame this space may share with others. Afterwards 'as' alone maps the
// frame at va, writable if the page was copy-on-write, and its old TLB
// entry is gone. Caller holds as->lock. 0, or -ENOMEM (nothing changed).
static int cow_break(struct uspace *as, uint64_t va, pte_t *pte) {
    uint64_t old_pa = *pte & PTE_ADDR_MASK;
    uint64_t flags = *pte & ~PTE_ADDR_MASK;
    if (flags & PTE_COW) flags = (flags | PTE_W) & ~PTE_COW;
    if (frameref_get(old_pa) == 1) {
        *pte = old_pa | flags;                 // the last sharer: take it over
    } else {
        uint64_t new_pa = frame_alloc();
        if (!new_pa) return -ENOMEM;
        memcpy(phys_to_virt(new_pa), phys_to_virt(old_pa), PAGE_SIZE);
        frameref_set_one(new_pa);
        *pte = new_pa | flags;
        frameref_put(old_pa);                  // may free it if the other side let go meanwhile
    }
    tlb_flush_page(as, va);
    return 0;
}

// A page fault at addr with the CPU's error code, from ring 3 or from ring 0
// inside a user copy. Only a write to a copy-on-write page is legitimate;
// everything else (unmapped, the stack guard page, text, kernel addresses,
// reserved bits, instruction fetch from NX) returns < 0: kill the process.
int uvm_page_fault(struct uspace *as, uint64_t addr, uint64_t error) {
    if (!as || addr >= USER_TOP || (error & (PF_RSVD | PF_FETCH))) return -EFAULT;
    if (!(error & PF_PRESENT) || !(error & PF_WRITE)) return -EFAULT;
    uint64_t va = ALIGN_DOWN(addr, PAGE_SIZE);
    int r = -EFAULT;
    spin_lock(&as->lock);
    pte_t *pte = vm_walk(as->vm, va, false);
    if (pte && (*pte & PTE_P) && (*pte & PTE_W)) {
        tlb_flush_page(as, va);                // already fixed (a stale TLB entry): retry
        r = 0;
    } else if (pte && (*pte & PTE_P) && (*pte & PTE_COW)) {
        r = cow_break(as, va, pte);
    }
    spin_unlock(&as->lock);
    return r;
}

// ---- Taking turns on the break ----

// sbrk may map thousands of pages: too long to hold a spinlock (interrupts
// off), so concurrent sbrk calls of one process take turns on brk_busy.
static void brk_begin(struct uspace *as) {
    spin_lock(&as->lock);
    while (as->brk_busy) waitq_sleep(&as->brk_wait, &as->lock);
    as->brk_busy = true;
    spin_unlock(&as->lock);
}

static void brk_end(struct uspace *as) {
    spin_lock(&as->lock);
    as->brk_busy = false;
    spin_unlock(&as->lock);
    waitq_wake_one(&as->brk_wait);
}

// ---- fork ----

// Parent's PTE -> the same frame in the child; writable pages become
// read-only + PTE_COW on both sides. Read-only pages (text) are shared as
// they are: nobody may write them, so they never need a copy.
static int share_page(struct uspace *parent, uint64_t va, pte_t *pte, void *ctx) {
    struct uspace *child = ctx;
    (void)parent;
    if (*pte & (PTE_W | PTE_COW)) *pte = (*pte & ~PTE_W) | PTE_COW;
    uint64_t pa = *pte & PTE_ADDR_MASK;
    if (!frameref_inc(pa)) return -ENOMEM;
    uint64_t flags = *pte & ~(PTE_ADDR_MASK | PTE_A | PTE_D);
    if (vm_map_page(child->vm, va, pa, flags) != VM_OK) {
        frameref_put(pa);
        return -ENOMEM;
    }
    note_mapped(child, va);
    child->pages++;
    return 0;
}

// On failure the parent keeps some pages marked copy-on-write: harmless,
// its next write to one finds the count at 1 and just takes it back.
// brk_begin: another thread's sbrk must not be half done (pages mapped,
// break not yet moved) while the child copies both.
struct uspace *uvm_fork(struct uspace *parent) {
    struct uspace *child = uvm_create();
    if (!child) return NULL;
    for (int i = 0; i < USPACE_SHARED_MAX; i++)
        if ((child->shared[i] = parent->shared[i])) textseg_dup(child->shared[i]);
    brk_begin(parent);
    spin_lock(&parent->lock);
    int r = for_each_user_page(parent, share_page, child);
    child->heap_start = parent->heap_start;
    child->brk = parent->brk;
    tlb_flush_all(parent);       // its writable entries just became read-only
    spin_unlock(&parent->lock);
    brk_end(parent);
    if (r) {
        uvm_destroy(child);
        return NULL;
    }
    return child;
}

// ---- Writing into a space from the kernel ----

// The kernel address of va's byte in 'as', on a frame 'as' alone maps, so
// that writing it through the direct map changes nobody else's memory.
// Caller holds as->lock. NULL if va is unmapped or memory ran out.
static uint8_t *private_byte(struct uspace *as, uint64_t va) {
    pte_t *pte = vm_walk(as->vm, ALIGN_DOWN(va, PAGE_SIZE), false);
    if (!pte || !(*pte & PTE_P)) return NULL;
    if (frameref_get(*pte & PTE_ADDR_MASK) > 1 || (*pte & PTE_COW))
        if (cow_break(as, ALIGN_DOWN(va, PAGE_SIZE), pte) < 0) return NULL;
    return (uint8_t *)phys_to_virt(*pte & PTE_ADDR_MASK) + (va % PAGE_SIZE);
}

// Writes whatever the page permissions say (exec fills read-only text this
// way), never into a frame another space shares. -EFAULT where unmapped.
int uvm_copy_to(struct uspace *as, uint64_t va, const void *src, size_t len) {
    if (len && !user_range_ok(va, len)) return -EFAULT;
    const uint8_t *s = src;
    while (len) {
        size_t n = MIN(len, PAGE_SIZE - va % PAGE_SIZE);
        spin_lock(&as->lock);
        uint8_t *d = private_byte(as, va);
        if (d) memcpy(d, s, n);
        spin_unlock(&as->lock);
        if (!d) return -EFAULT;
        va += n, s += n, len -= n;
    }
    return 0;
}

// ---- sbrk ----

static long brk_grow(struct uspace *as, uint64_t by) {
    uint64_t old = as->brk;
    if (by > USER_HEAP_MAX - (old - as->heap_start)) return -ENOMEM;
    uint64_t start = ALIGN_UP(old, PAGE_SIZE), end = ALIGN_UP(old + by, PAGE_SIZE);
    if (end > start) {
        int r = uvm_map_zero(as, start, end - start, PROT_READ | PROT_WRITE);
        if (r < 0) return r == -EEXIST ? -EINVAL : -ENOMEM;
    }
    as->brk = old + by;
    return (long)old;
}

// The bytes between the new break and the end of its page are zeroed, so
// that memory sbrk hands out is always zero, even when it was handed out,
// written and given back before.
static long brk_shrink(struct uspace *as, uint64_t by) {
    uint64_t old = as->brk;
    if (by > old - as->heap_start) return -EINVAL;
    uint64_t new = old - by;
    unmap_range(as, ALIGN_UP(new, PAGE_SIZE), ALIGN_UP(old, PAGE_SIZE));
    if (new % PAGE_SIZE) {
        spin_lock(&as->lock);
        uint8_t *tail = private_byte(as, new);
        if (tail) memset(tail, 0, PAGE_SIZE - new % PAGE_SIZE);
        spin_unlock(&as->lock);
    }
    as->brk = new;
    return (long)old;
}

// The old break, or -ENOMEM (past USER_HEAP_MAX or out of frames: nothing
// changed) or -EINVAL (below the heap's start, or no heap: not exec'd).
long uvm_sbrk(struct uspace *as, long delta) {
    if (!as || !as->heap_start) return -EINVAL;
    brk_begin(as);
    long r = (long)as->brk;
    if (delta > 0) r = brk_grow(as, (uint64_t)delta);
    else if (delta < 0) r = brk_shrink(as, 0 - (uint64_t)delta);
    brk_end(as);
    return r;
}

// ---- Boot ----

void uvm_init(void) {
    static bool done;
    if (done) return;
    done = true;
    frameref_init();
    cpu_enable_protection();
    const char *sw = cmdline_get("pcid");
    bool wanted = !(sw && strcmp(sw, "off") == 0);
    pcid_on = wanted && cpu_enable_pcid();
    sw = cmdline_get("invpcid");
    invpcid_on = pcid_on && cpu_has.invpcid && !(sw && strcmp(sw, "off") == 0);
    kprintf("hw: smep %s, smap %s, pcid %s%s\n",
            cpu_has.smep ? "on" : "off (not supported)",
            cpu_has.smap ? "on" : "off (not supported)",
            pcid_on ? "on" : "off",
            pcid_on ? (invpcid_on ? ", invpcid on" : cpu_has.invpcid ? ", invpcid off (invpcid=off)"
                                                                   : ", invpcid off (not supported)")
                    : !cpu_has.pcid ? " (not supported)" : " (pcid=off)");
}
