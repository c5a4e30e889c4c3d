// mm/vm.c: x86_64 four-level page tables and address spaces.
//
// Layout of every address space:
//   lower half (PML4 slots 0..255)    the process's own (hw); SIP windows (sip)
//   DIRECT_BASE (slot 256...)         all physical memory, 2 MiB pages, RW NX global
//   KERNEL_BASE (slot 511, -2 GiB)    the kernel image, 4 KiB pages, W^X, global
//
// INVARIANT: the upper half is the same in every address space, forever.
// vm_init allocates all 256 upper-half PDPTs (slots 256..511) up front and
// vm_new_space copies those 256 PML4 entries. Later kernel mappings
// (vm_map_mmio, a SIP window...) only ever change the PDPTs and the tables
// below them, which every PML4 shares, so no PML4 needs updating when the
// kernel's mappings change, and upper-half PML4 entries are never freed.
//
// The one exception: a space made by vm_new_space_private has a few upper-half
// PML4 slots of its own (the sip kernel's per-SIP page tables, proc_sip/space.c:
// a SIP's window and stacks mapped ONLY in its own table). Those slots start
// empty, get tables of their own (with U|W|P in table entries: the leaves
// decide, and a ring-3 SIP needs U at every level), and vm_free_space frees
// them. Every other upper-half slot is still the kernel's, shared as above.
//
// Locking: vm_lock serializes changes to page-table structure (so two CPUs
// do not both fill the same empty slot). Lookups do not lock. TLB shootdown
// to other CPUs is not done yet: unmapping only flushes this CPU.
#include "kern/kern.h"
#include "mm/mm.h"

extern char __kernel_phys_start[], __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[], __data_start[], __kernel_end[];

#define CR4_PGE (1ull << 7)
#define ENTRIES 512
#define UPPER_HALF_FIRST_SLOT 256
// Flags of page-table (non-leaf) entries. Leaves decide the real access:
// U on lower-half tables lets user leaves work; NX and read-only are left
// to the leaves too.
#define TABLE_FLAGS_KERNEL (PTE_P | PTE_W)
#define TABLE_FLAGS_USER   (PTE_P | PTE_W | PTE_U)

static struct addrspace kernel_space;
static struct spinlock vm_lock = SPINLOCK_INIT("vm");

struct addrspace *vm_kernel_space(void) {
    return &kernel_space;
}

// ---- Address arithmetic ----

// Bit position of the address range one entry covers at a level
// (4 = PML4: 512 GiB, 3 = PDPT: 1 GiB, 2 = PD: 2 MiB, 1 = PT: 4 KiB).
static unsigned level_shift(int level) {
    return 12 + 9 * (unsigned)(level - 1);
}

static unsigned index_at(uint64_t va, int level) {
    return (va >> level_shift(level)) & (ENTRIES - 1);
}

static bool is_upper_half(uint64_t va) {
    return va >= DIRECT_BASE;
}

// Canonical: bits 63..47 all equal.
static bool is_canonical(uint64_t va) {
    uint64_t top = va >> 47;
    return top == 0 || top == 0x1FFFF;
}

static pte_t *table_at(pte_t entry) {
    return phys_to_virt(entry & PTE_ADDR_MASK);
}

// va lies in one of as's private upper-half PML4 slots (vm_new_space_private).
static bool is_private(const struct addrspace *as, uint64_t va) {
    unsigned i = index_at(va, 4);
    if (i < UPPER_HALF_FIRST_SLOT) return false;
    i -= UPPER_HALF_FIRST_SLOT;
    return (as->private_slots[i / 64] >> (i % 64)) & 1;
}

static bool is_current(struct addrspace *as) {
    return (read_cr3() & PTE_ADDR_MASK) == as->pml4_pa;
}

// Drop a stale translation of va from this CPU's TLB, if it could be there:
// in the current space, or in the upper half, which every space shares.
static void flush_va(struct addrspace *as, uint64_t va) {
    if (is_current(as) || is_upper_half(va)) invlpg(va);
}

// ---- Walking ----

// Fill an empty entry at 'level' with a fresh, zeroed table.
static bool install_table(struct addrspace *as, pte_t *entry, uint64_t va, int level) {
    bool shared = is_upper_half(va) && !is_private(as, va);
    if (level == 4 && shared)
        panic("vm: upper-half PML4 slot %u is empty: the shared-kernel invariant broke",
              index_at(va, 4));
    uint64_t pa = frame_alloc();
    if (!pa) return false;
    *entry = pa | (shared ? TABLE_FLAGS_KERNEL : TABLE_FLAGS_USER);
    return true;
}

// The entry for va in the table at 'level' (1 = PT ... 3 = PDPT), walking
// down from the PML4 and creating missing tables if 'create'. NULL with
// *err = VM_EEXIST when a larger page already covers va, VM_ENOMEM when no
// frame was left for a table, or -1 (absent) when !create.
static pte_t *walk_to(struct addrspace *as, uint64_t va, int level, bool create, int *err) {
    pte_t *table = as->pml4;
    for (int l = 4; l > level; l--) {
        pte_t *e = &table[index_at(va, l)];
        if (!(*e & PTE_P)) {
            if (!create) { *err = -1; return NULL; }
            if (!install_table(as, e, va, l)) { *err = VM_ENOMEM; return NULL; }
        } else if (*e & PTE_PS) {
            *err = VM_EEXIST;
            return NULL;
        }
        table = table_at(*e);
    }
    return &table[index_at(va, level)];
}

// The present leaf entry mapping va and its level (1, 2 or 3), or NULL.
static pte_t *find_leaf(struct addrspace *as, uint64_t va, int *level) {
    pte_t *table = as->pml4;
    for (int l = 4; l >= 1; l--) {
        pte_t *e = &table[index_at(va, l)];
        if (!(*e & PTE_P)) return NULL;
        if (l == 1 || (l <= 3 && (*e & PTE_PS))) {
            *level = l;
            return e;
        }
        table = table_at(*e);
    }
    return NULL;
}

pte_t *vm_walk(struct addrspace *as, uint64_t va, bool create) {
    int err = 0;
    if (!is_canonical(va)) return NULL;
    if (create) spin_lock(&vm_lock);
    pte_t *slot = walk_to(as, va, 1, create, &err);
    if (create) spin_unlock(&vm_lock);
    return slot;
}

bool vm_translate(struct addrspace *as, uint64_t va, uint64_t *pa, uint64_t *flags) {
    int level;
    pte_t *e = is_canonical(va) ? find_leaf(as, va, &level) : NULL;
    if (!e) return false;
    uint64_t offset_mask = (1ull << level_shift(level)) - 1;
    if (pa) *pa = (*e & PTE_ADDR_MASK & ~offset_mask) | (va & offset_mask);
    if (flags) *flags = *e & ~PTE_ADDR_MASK;
    return true;
}

// ---- Mapping and unmapping ----

static bool table_is_empty(const pte_t *table) {
    for (int i = 0; i < ENTRIES; i++)
        if (table[i] & PTE_P) return false;
    return true;
}

// Map one leaf at 'level' (1: 4 KiB, 2: 2 MiB). A PD slot that only holds
// an emptied page table (every 4 KiB page unmapped) may take a 2 MiB page:
// the table is freed first.
static int map_leaf(struct addrspace *as, uint64_t va, uint64_t pa, uint64_t leaf, int level) {
    uint64_t size = 1ull << level_shift(level);
    if (va % size || pa % size || !is_canonical(va) || (pa & ~PTE_ADDR_MASK)) return VM_EINVAL;
    int err = VM_OK;
    spin_lock(&vm_lock);
    pte_t *slot = walk_to(as, va, level, true, &err);
    if (slot && level == 2 && (*slot & PTE_P) && !(*slot & PTE_PS) && table_is_empty(table_at(*slot))) {
        frame_free(*slot & PTE_ADDR_MASK);
        *slot = 0;
        flush_va(as, va);          // the CPU may cache the old PD entry
    }
    if (slot && (*slot & PTE_P)) err = VM_EEXIST;
    else if (slot) *slot = pa | leaf;
    spin_unlock(&vm_lock);
    return err;
}

static uint64_t leaf_flags(uint64_t flags) {
    return (flags & ~(PTE_ADDR_MASK | PTE_PS)) | PTE_P;
}

int vm_map_page(struct addrspace *as, uint64_t va, uint64_t pa, uint64_t flags) {
    return map_leaf(as, va, pa, leaf_flags(flags), 1);
}

int vm_map_huge(struct addrspace *as, uint64_t va, uint64_t pa, uint64_t flags) {
    return map_leaf(as, va, pa, leaf_flags(flags) | PTE_PS, 2);
}

int vm_unmap_page(struct addrspace *as, uint64_t va, uint64_t *pa_out) {
    int level, result = -1;
    if (!is_canonical(va)) return -1;
    spin_lock(&vm_lock);
    pte_t *e = find_leaf(as, va, &level);
    if (e && va % (1ull << level_shift(level)) == 0) {
        if (pa_out) *pa_out = *e & PTE_ADDR_MASK & ~((1ull << level_shift(level)) - 1);
        *e = 0;
        flush_va(as, va);
        result = 0;
    }
    spin_unlock(&vm_lock);
    return result;
}

// ---- Address spaces ----

struct addrspace *vm_new_space(void) {
    struct addrspace *as = kmalloc(sizeof *as);
    if (!as) return NULL;
    as->pml4_pa = frame_alloc();
    if (!as->pml4_pa) {
        kfree(as);
        return NULL;
    }
    as->pml4 = phys_to_virt(as->pml4_pa);
    memset(as->private_slots, 0, sizeof as->private_slots);
    // The shared upper half: see the invariant at the top of this file.
    for (int i = UPPER_HALF_FIRST_SLOT; i < ENTRIES; i++)
        as->pml4[i] = kernel_space.pml4[i];
    return as;
}

// Like vm_new_space, but the upper-half PML4 slots slots[0..n) are this
// space's own and start empty (the exception at the top of this file).
struct addrspace *vm_new_space_private(const int *slots, int n) {
    for (int k = 0; k < n; k++)
        if (slots[k] < UPPER_HALF_FIRST_SLOT || slots[k] >= ENTRIES) return NULL;
    struct addrspace *as = vm_new_space();
    if (!as) return NULL;
    for (int k = 0; k < n; k++) {
        unsigned i = (unsigned)slots[k] - UPPER_HALF_FIRST_SLOT;
        as->pml4[slots[k]] = 0;
        as->private_slots[i / 64] |= 1ull << (i % 64);
    }
    return as;
}

// Free a page table at 'level' and every table below it (not the pages
// its leaves map: those belong to whoever mapped them).
static void free_table(pte_t *table, int level) {
    for (int i = 0; level > 1 && i < ENTRIES; i++)
        if ((table[i] & PTE_P) && !(table[i] & PTE_PS))
            free_table(table_at(table[i]), level - 1);
    frame_free(virt_to_phys(table));
}

void vm_free_space(struct addrspace *as) {
    if (as == &kernel_space) panic("vm_free_space: the kernel's space");
    if (is_current(as)) panic("vm_free_space: space %p is loaded in CR3", as);
    for (int i = 0; i < ENTRIES; i++)
        if ((as->pml4[i] & PTE_P) && (i < UPPER_HALF_FIRST_SLOT || is_private(as, (uint64_t)i << 39)))
            free_table(table_at(as->pml4[i]), 3);
    frame_free(as->pml4_pa);
    kfree(as);
}

void vm_switch(struct addrspace *as) {
    write_cr3(as->pml4_pa);
}

// ---- MMIO ----

// Replace the 2 MiB page in *pde by a page table of 512 4 KiB pages
// mapping the same memory with the same flags.
static int split_huge(pte_t *pde, uint64_t va) {
    uint64_t pt_pa = frame_alloc();
    if (!pt_pa) return VM_ENOMEM;
    pte_t *pt = phys_to_virt(pt_pa);
    uint64_t base = *pde & PTE_ADDR_MASK & ~(HUGE_SIZE - 1);
    uint64_t flags = *pde & ~PTE_ADDR_MASK & ~PTE_PS;
    for (int i = 0; i < ENTRIES; i++)
        pt[i] = (base + (uint64_t)i * PAGE_SIZE) | flags;
    *pde = pt_pa | TABLE_FLAGS_KERNEL;
    invlpg(ALIGN_DOWN(va, HUGE_SIZE));    // drops the 2 MiB translation
    return VM_OK;
}

// Make the 4 KiB page at DIRECT_BASE + pa an uncached mapping of pa,
// whether or not the direct map already covers it (RAM-sized maps can
// reach past 4 GiB and over the MMIO hole).
static int map_mmio_page(uint64_t pa) {
    const uint64_t mmio = PTE_P | PTE_W | PTE_NX | PTE_G | PTE_PCD | PTE_PWT;
    uint64_t va = DIRECT_BASE + pa;
    int err = VM_OK;
    spin_lock(&vm_lock);
    pte_t *pde = walk_to(&kernel_space, va, 2, true, &err);
    if (pde && (*pde & PTE_P) && (*pde & PTE_PS)) err = split_huge(pde, va);
    pte_t *pte = err == VM_OK ? walk_to(&kernel_space, va, 1, true, &err) : NULL;
    if (pte) {
        *pte = pa | mmio;
        invlpg(va);
    }
    spin_unlock(&vm_lock);
    return err;
}

void *vm_map_mmio(uint64_t pa, size_t len) {
    for (uint64_t p = ALIGN_DOWN(pa, PAGE_SIZE); p < pa + len; p += PAGE_SIZE)
        if (map_mmio_page(p) != VM_OK) panic("vm_map_mmio: cannot map 0x%lx", p);
    return phys_to_virt(pa);
}

// ---- Building the kernel's tables ----

static void prealloc_upper_half(void) {
    for (int i = UPPER_HALF_FIRST_SLOT; i < ENTRIES; i++) {
        uint64_t pa = frame_alloc();
        if (!pa) panic("vm_init: out of memory for the kernel's PDPTs");
        kernel_space.pml4[i] = pa | TABLE_FLAGS_KERNEL;
    }
}

// All of physical memory up to 'end' at DIRECT_BASE, in 2 MiB pages.
static void map_direct(uint64_t end) {
    const uint64_t flags = PTE_W | PTE_NX | PTE_G;
    for (uint64_t pa = 0; pa < end; pa += HUGE_SIZE)
        if (vm_map_huge(&kernel_space, DIRECT_BASE + pa, pa, flags) != VM_OK)
            panic("vm_init: cannot direct-map 0x%lx", pa);
}

// Kernel-window virtual range [start, end) with 4 KiB pages at phys = va - KERNEL_BASE.
static void map_image_part(uint64_t start, uint64_t end, uint64_t flags) {
    for (uint64_t va = ALIGN_DOWN(start, PAGE_SIZE); va < end; va += PAGE_SIZE)
        if (vm_map_page(&kernel_space, va, va - KERNEL_BASE, flags | PTE_G) != VM_OK)
            panic("vm_init: cannot map kernel page 0x%lx", va);
}

// W^X for the image. .boot (multiboot header, early tables, and the boot
// stack we are running on) is reached through the kernel window too.
static void map_kernel_image(void) {
    map_image_part(KERNEL_BASE + (uint64_t)__kernel_phys_start, (uint64_t)__text_start, PTE_W | PTE_NX);
    map_image_part((uint64_t)__text_start, (uint64_t)__text_end, 0);
    map_image_part((uint64_t)__rodata_start, (uint64_t)__rodata_end, PTE_NX);
    map_image_part((uint64_t)__data_start, (uint64_t)__kernel_end, PTE_W | PTE_NX);
}

// CR4.PGE makes the CPU keep PTE_G (kernel) entries across CR3 writes.
// pge=off on the command line leaves it clear, so every address-space
// switch flushes the kernel's entries too: what a kernel without global
// pages pays (make demo-tlb compares it). PTE_G is still set in the
// tables; with PGE clear the CPU ignores it.
static void enable_global_pages(void) {
    const char *sw = cmdline_get("pge");
    bool off = sw && strcmp(sw, "off") == 0;
    if (!off) write_cr4(read_cr4() | CR4_PGE);
    kprintf("vm: pge %s\n", off ? "off (pge=off)" : "on");
}

bool vm_global_pages_on(void) {
    return (read_cr4() & CR4_PGE) != 0;
}

// After this the identity map of low memory is gone: physical memory is
// reached only through phys_to_virt, the image only through KERNEL_BASE.
void vm_init(void) {
    kernel_space.pml4_pa = frame_alloc();
    if (!kernel_space.pml4_pa) panic("vm_init: out of memory");
    kernel_space.pml4 = phys_to_virt(kernel_space.pml4_pa);
    prealloc_upper_half();
    map_direct(ALIGN_UP(phys_mem_top(), HUGE_SIZE));
    map_kernel_image();
    vm_switch(&kernel_space);
    enable_global_pages();
    pmm_direct_map_ready();
}
