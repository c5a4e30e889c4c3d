// mm/kmalloc.c: the kernel heap: mm/heap.c's core behind a spinlock, with
// its pages coming from the frame allocator through the direct map.
// Lock order: heap_lock, then pmm's lock (the page source allocates frames).
#include "kern/kern.h"
#include "mm/mm.h"
#include "mm/heap.h"

static struct spinlock heap_lock = SPINLOCK_INIT("heap");
static struct heap kheap;
static bool heap_ready;

static void *heap_get_pages(size_t npages, void *ctx) {
    (void)ctx;
    uint64_t pa = npages == 1 ? frame_alloc() : frame_alloc_contig(npages, 1);
    return pa ? phys_to_virt(pa) : NULL;
}

static void heap_put_pages(void *pages, size_t npages, void *ctx) {
    (void)ctx;
    frame_free_contig(virt_to_phys(pages), npages);
}

void heap_init(void) {
    struct heap_page_source src = { heap_get_pages, heap_put_pages, NULL };
    heap_core_init(&kheap, &src);
    heap_ready = true;
}

void *kmalloc(size_t n) {
    if (!heap_ready) panic("kmalloc(%lu) before heap_init", n);
    spin_lock(&heap_lock);
    void *p = heap_alloc(&kheap, n);
    spin_unlock(&heap_lock);
    return p;
}

void *kzalloc(size_t n) {
    void *p = kmalloc(n);
    if (p) memset(p, 0, n);
    return p;
}

// Heap blocks all live in the direct map; checking that first means a
// wild pointer panics with its value instead of faulting inside the heap.
static bool in_direct_map(const void *p) {
    uint64_t v = (uint64_t)p;
    return v >= DIRECT_BASE && v - DIRECT_BASE < phys_mem_top();
}

void kfree(void *p) {
    if (!p) return;
    if (!in_direct_map(p)) panic("kfree: %p was never returned by kmalloc", p);
    spin_lock(&heap_lock);
    int err = heap_free(&kheap, p);
    spin_unlock(&heap_lock);
    if (err == HEAP_ERR_DOUBLE) panic("kfree: double free of %p", p);
    if (err != HEAP_OK) panic("kfree: %p is not a live heap block (bad pointer or double free)", p);
}

size_t kheap_trim(void) {
    spin_lock(&heap_lock);
    size_t n = heap_trim(&kheap);
    spin_unlock(&heap_lock);
    return n;
}

size_t kheap_pages(void) {
    return heap_pages_held(&kheap);
}
