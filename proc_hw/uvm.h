// proc_hw/uvm.h: the inside of a user address space, for the files that
// build and use one (uvm.c, exec.c, usercopy.c, sys_mem.c, ktest_uvm.c).
// Everyone else sees only `struct uspace *` through proc_hw/proc.h.
#pragma once
#include "proc_hw/proc.h"

#define USPACE_SHARED_MAX 4
#define USER_SPAN_SPLIT   (USER_TOP / 2)     // shared program segments per space (text, rodata, ...)

struct textseg;

struct uspace {
    struct addrspace *vm;       // the PML4; upper half shared with the kernel (mm/vm.c)
    struct spinlock lock;       // the lower-half tables, pages, and the COW state of each PTE
    uint64_t heap_start;        // first byte of the heap (just above the program)
    uint64_t brk;               // current break: the heap is [heap_start, brk)
    size_t pages;               // user pages mapped
    uint16_t pcid;              // 0 when PCIDs are off
    uint32_t stale_cpus;        // bit c: CPU c may hold stale TLB entries for pcid
    bool brk_busy;              // an sbrk is mapping or unmapping (may take a while)
    struct waitq brk_wait;      // other sbrk callers wait here
    struct textseg *shared[USPACE_SHARED_MAX];   // read-only segments mapped from textshare.c
    // Bounds of every page ever mapped, below and above USER_SPAN_SPLIT
    // (program and heap; stack): walks over all pages look only there.
    uint64_t span_lo[2], span_hi[2];
};

// The space loaded in this CPU's CR3 by uvm_activate, or NULL (the kernel's).
struct uspace *uvm_current(void);
// exec: the break starts here (page-aligned, above the highest segment).
void uvm_set_heap(struct uspace *as, uint64_t start);

// usercopy_fixup with the fault address given rather than read from CR2
// (ktests drive the recovery decision with it).
bool usercopy_fixup_at(struct trapframe *tf, uint64_t fault_addr);

// Page-fault error code bits (SDM vol. 3, 4.7).
#define PF_PRESENT (1u << 0)
#define PF_WRITE   (1u << 1)
#define PF_USER    (1u << 2)
#define PF_RSVD    (1u << 3)
#define PF_FETCH   (1u << 4)

// ---- Frame reference counts (proc_hw/frameref.c) ----
// How many user PTEs map each physical frame: copy-on-write shares a frame
// between a parent and its child; the last one to let go frees it.
void frameref_init(void);
void frameref_set_one(uint64_t pa);   // a frame just allocated and mapped once
bool frameref_inc(uint64_t pa);       // one more mapping; false if the count is saturated
unsigned frameref_get(uint64_t pa);
void frameref_put(uint64_t pa);       // one mapping fewer; frees the frame at zero
