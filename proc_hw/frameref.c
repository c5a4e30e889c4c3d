// proc_hw/frameref.c: a reference count per physical frame that user
// memory uses, indexed by frame number. Copy-on-write fork maps one frame
// into two address spaces; the count says when the last mapping is gone
// (free it) and when a write fault may simply take the frame over (count 1)
// instead of copying it.
//
// Counts change with atomic instructions, so no lock: two address spaces
// that share a frame have two different locks (struct uspace's), and both
// may drop their reference at the same moment.
#include "proc_hw/uvm.h"

#define REF_MAX 0xFFFFu

static uint16_t *refs;          // refs[pa / PAGE_SIZE]
static size_t nframes;

void frameref_init(void) {
    if (refs) return;
    nframes = phys_mem_top() / PAGE_SIZE;
    refs = kzalloc(nframes * sizeof *refs);
    if (!refs) panic("frameref: no memory for %zu frame counts", nframes);
}

static uint16_t *ref_of(uint64_t pa) {
    uint64_t f = pa / PAGE_SIZE;
    if (f >= nframes) panic("frameref: frame 0x%lx is beyond physical memory", pa);
    return &refs[f];
}

void frameref_set_one(uint64_t pa) {
    __atomic_store_n(ref_of(pa), 1, __ATOMIC_RELAXED);
}

unsigned frameref_get(uint64_t pa) {
    return __atomic_load_n(ref_of(pa), __ATOMIC_ACQUIRE);
}

// Saturation cannot happen with NPROC processes, but a count that wrapped
// to 0 would free a frame still mapped, so refuse rather than trust that.
bool frameref_inc(uint64_t pa) {
    uint16_t *r = ref_of(pa);
    uint16_t old = __atomic_load_n(r, __ATOMIC_RELAXED);
    do {
        if (old == 0) panic("frameref: sharing frame 0x%lx that nobody maps", pa);
        if (old == REF_MAX) return false;
    } while (!__atomic_compare_exchange_n(r, &old, old + 1, false,
                                          __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
    return true;
}

void frameref_put(uint64_t pa) {
    uint16_t *r = ref_of(pa);
    if (__atomic_load_n(r, __ATOMIC_RELAXED) == 0)
        panic("frameref: dropping frame 0x%lx that nobody maps", pa);
    if (__atomic_sub_fetch(r, 1, __ATOMIC_ACQ_REL) == 0) frame_free(pa);
}
