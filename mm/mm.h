// mm/mm.h: physical frames, the kernel heap, page tables and address spaces.
#pragma once
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include "arch/x86_64/arch.h"

// ---- Physical <-> virtual ----
static inline void *phys_to_virt(uint64_t pa) { return (void *)(pa + DIRECT_BASE); }
static inline uint64_t virt_to_phys(const void *va) {
    uint64_t v = (uint64_t)va;
    return v >= KERNEL_BASE ? v - KERNEL_BASE : v - DIRECT_BASE;
}

// ---- Physical frames (mm/frame.c bookkeeping, mm/pmm.c the kernel's allocator) ----
void pmm_init(void);                   // from boot.ram, minus kernel, modules, mbi
uint64_t frame_alloc(void);            // one zeroed 4 KiB frame, physical address; 0 if none
uint64_t frame_alloc_contig(size_t n, size_t align_frames);  // n frames, zeroed; 0 if none
void frame_free(uint64_t pa);
void frame_free_contig(uint64_t pa, size_t n);
size_t frame_free_count(void);         // for leak checks
size_t frame_total_count(void);
uint64_t phys_mem_top(void);           // highest usable physical address + 1
void pmm_direct_map_ready(void);       // vm_init: every frame is now reachable by phys_to_virt

// ---- Kernel heap (mm/kmalloc.c: mm/heap.c's core over frame_alloc) ----
// Up to 1024 bytes: size classes carved from pages; larger: whole pages,
// page-aligned. kfree(NULL) is a no-op; a bad or double kfree panics.
void heap_init(void);
void *kmalloc(size_t n);               // 16-byte aligned; NULL if out of memory
void *kzalloc(size_t n);
void kfree(void *p);
size_t kheap_trim(void);               // give cached empty pages back to the frame allocator
size_t kheap_pages(void);              // frames the heap holds now (for leak checks)

// ---- Page tables (mm/vm.c) ----
typedef uint64_t pte_t;
#define PTE_P    (1ull << 0)
#define PTE_W    (1ull << 1)
#define PTE_U    (1ull << 2)
#define PTE_PWT  (1ull << 3)
#define PTE_PCD  (1ull << 4)
#define PTE_A    (1ull << 5)
#define PTE_D    (1ull << 6)
#define PTE_PS   (1ull << 7)      // 2 MiB page in a PD entry
#define PTE_G    (1ull << 8)
#define PTE_COW  (1ull << 9)      // available bit: copy-on-write (hw)
#define PTE_NX   (1ull << 63)
#define PTE_ADDR_MASK 0x000FFFFFFFFFF000ull

struct addrspace {
    uint64_t pml4_pa;           // physical address of the PML4 (what CR3 gets)
    pte_t *pml4;                // the same, through the direct map
    uint64_t private_slots[4];  // bit i: upper-half PML4 slot 256+i is this space's own
};
void vm_init(void);                                  // the kernel's own tables; switch to them
bool vm_global_pages_on(void);                       // CR4.PGE set (not on with pge=off)
struct addrspace *vm_kernel_space(void);
struct addrspace *vm_new_space(void);                // upper half shared with the kernel's
// Upper half shared with the kernel's except slots[0..n) (256..511), which are
// its own, empty at first (the sip kernel's per-SIP tables); NULL if no memory.
struct addrspace *vm_new_space_private(const int *slots, int n);
void vm_free_space(struct addrspace *as);            // frees lower-half and private tables (not the pages)
// vm_map_page/vm_map_huge results. flags: PTE_W, PTE_U, PTE_NX, PTE_G, PTE_PCD...;
// PTE_P (and PTE_PS for huge) are added. Nothing is ever silently replaced.
#define VM_OK      0
#define VM_EEXIST (-1)    // something is already mapped there (or a 2 MiB page covers va)
#define VM_ENOMEM (-2)    // no frame for a page table
#define VM_EINVAL (-3)    // va or pa misaligned, or va not canonical
int vm_map_page(struct addrspace *as, uint64_t va, uint64_t pa, uint64_t flags);   // 4 KiB
int vm_map_huge(struct addrspace *as, uint64_t va, uint64_t pa, uint64_t flags);   // 2 MiB
// Unmaps the 4 KiB page at va, or the 2 MiB page if va is its (aligned) start;
// 0, or -1 if nothing is mapped exactly there. Page-table pages stay.
int vm_unmap_page(struct addrspace *as, uint64_t va, uint64_t *pa_out);            // 0 or -1
bool vm_translate(struct addrspace *as, uint64_t va, uint64_t *pa, uint64_t *flags);
// The 4 KiB PTE slot for va (creating page tables if 'create'); NULL if a
// 2 MiB page covers va, a table is missing (!create) or memory ran out.
pte_t *vm_walk(struct addrspace *as, uint64_t va, bool create);
void vm_switch(struct addrspace *as);                // write CR3
void *vm_map_mmio(uint64_t pa, size_t len);         // uncached, in the direct-map window
                                                     // (idempotent; splits a RAM 2 MiB page if needed)
