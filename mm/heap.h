// mm/heap.h: the core of the kernel heap, with no kernel dependency, so
// grade/host/test_heap.c runs it on the host. It gets memory only from a
// page source (function pointers returning 4 KiB-aligned pages); the
// kernel's wrapper (mm/kmalloc.c: kmalloc/kfree, with a lock) plugs in
// the frame allocator, the host test plugs in aligned_alloc.
//
// Two kinds of block:
//  * small (1..HEAP_SMALL_MAX bytes): power-of-two size classes 16..1024.
//    Each class carves one-page "slabs": a 64-byte header at the start of
//    the page, then equal objects. The header has a bitmap of the objects
//    in use, so a double free is caught exactly.
//  * large (more than HEAP_SMALL_MAX): whole pages, page-aligned. The size
//    is kept in a small record (itself a small block) in a hash table keyed
//    by address rather than in a header in front of the block: kmalloc(4096)
//    then costs one page, not two, and kfree of anything that is not a live
//    large block (a double free, a stray pointer) is caught.
// kfree tells the two apart by alignment: small objects never start on a
// page boundary (the slab header is there), large blocks always do.
#pragma once
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#define HEAP_PAGE_SIZE   4096u
#define HEAP_MIN_SHIFT   4                    // smallest class: 16 bytes (also the alignment)
#define HEAP_MAX_SHIFT   10                   // largest class: 1024 bytes
#define HEAP_SMALL_MAX   (1u << HEAP_MAX_SHIFT)
#define HEAP_NCLASSES    (HEAP_MAX_SHIFT - HEAP_MIN_SHIFT + 1)
#define HEAP_LARGE_BUCKETS 64
#define HEAP_KEEP_EMPTY  1                    // empty slabs cached per class (heap_trim drops them)

// heap_free results.
#define HEAP_OK          0
#define HEAP_ERR_FOREIGN (-1)    // not a block of this heap (or a large block already freed)
#define HEAP_ERR_DOUBLE  (-2)    // a small block that is already free

struct heap_page_source {
    void *(*get)(size_t npages, void *ctx);           // npages contiguous, aligned; NULL if none
    void (*put)(void *pages, size_t npages, void *ctx);
    void *ctx;
};

struct heap_slab;     // one page of small objects (heap.c)
struct heap_large;    // the record of one large block (heap.c)

struct heap {
    struct heap_page_source src;
    struct heap_slab *partial[HEAP_NCLASSES];       // slabs with a free object, per class
    size_t nempty[HEAP_NCLASSES];                   // of which entirely free
    struct heap_large *large[HEAP_LARGE_BUCKETS];   // live large blocks, hashed by address
    size_t slab_pages;                              // pages holding small objects
    size_t large_pages;                             // pages of live large blocks
};

void heap_core_init(struct heap *h, const struct heap_page_source *src);
void *heap_alloc(struct heap *h, size_t n);       // 16-byte aligned; NULL if out of pages
int heap_free(struct heap *h, void *p);           // HEAP_OK for NULL
size_t heap_block_size(struct heap *h, const void *p);   // usable bytes; 0 if not a live block
size_t heap_trim(struct heap *h);                 // return cached empty slabs; pages returned
size_t heap_pages_held(const struct heap *h);     // pages taken from the source, not yet put back
