// user/lib/malloc.c: malloc and free over __morecore (sbrk on hw), after
// K&R: a circular free list in address order, first fit, neighbours merged
// on free. Each block starts with a 16-byte header (its size in 16-byte
// units), so every pointer handed out is 16-byte aligned, as SSE code wants.
// Memory is never given back to the kernel. A lock keeps the list
// consistent when threads of one process allocate at once: a spin lock
// that yields the CPU while busy (short critical sections, no futex needed,
// and the portable code stays free of system calls).
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "libc.h"

typedef union header {
    struct {
        union header *next;      // next free block (free blocks only)
        size_t units;            // size of this block, header included
    } s;
    _Alignas(16) char align[16];
} Header;

#define MIN_GROW_UNITS 4096      // ask the kernel for at least 64 KiB at a time

static Header base;              // a zero-size block that anchors the list
static Header *freep;            // where the last search ended
static volatile char heap_lock;

#ifdef __wasm__
// A SIP (user/sip/lib/morecore.c): wasm2c translates no atomic instruction,
// so the SIP C library provides the lock (a kernel channel).
void __sip_heap_lock(void);
void __sip_heap_unlock(void);
static void lock(void) { (void)heap_lock; __sip_heap_lock(); }
static void unlock(void) { __sip_heap_unlock(); }
#else
static void lock(void) {
    while (__atomic_test_and_set(&heap_lock, __ATOMIC_ACQUIRE)) __lock_busy();
}

static void unlock(void) {
    __atomic_clear(&heap_lock, __ATOMIC_RELEASE);
}
#endif

// An allocated block's header holds this in place of a next pointer, so
// that free() can tell a block malloc handed out from a double free or a
// pointer malloc never returned.
#define IN_USE(h) ((Header *)((uintptr_t)(h) ^ 0xa110ca7edull))

// The free block after which bp belongs (address order), or NULL when bp
// is already free.
static Header *find_slot(Header *bp) {
    for (Header *p = freep;; p = p->s.next) {
        if (bp == p) return NULL;
        if (bp > p && bp < p->s.next) return p;
        if (p >= p->s.next && (bp > p || bp < p->s.next)) return p;   // past an end
    }
}

// Puts block bp back in the free list, merged with free neighbours.
// Returns false, changing nothing, when bp overlaps a free block.
static bool insert_free(Header *bp) {
    Header *p = find_slot(bp), *next = p ? p->s.next : NULL;
    if (!p || (p < bp && p + p->s.units > bp) || (next > bp && bp + bp->s.units > next))
        return false;
    if (bp + bp->s.units == next) {                 // merge with the block above
        bp->s.units += next->s.units;
        bp->s.next = next->s.next;
    } else {
        bp->s.next = next;
    }
    if (p + p->s.units == bp) {                     // merge with the block below
        p->s.units += bp->s.units;
        p->s.next = bp->s.next;
    } else {
        p->s.next = bp;
    }
    freep = p;
    return true;
}

// More heap from the kernel, added to the free list. Asking in multiples
// of 16 keeps the break aligned, so that successive pieces touch and merge;
// if something else moved the break to an odd place, 16 bytes more (sbrk
// memory is contiguous) pay for aligning this piece.
static Header *grow(size_t units) {
    if (units < MIN_GROW_UNITS) units = MIN_GROW_UNITS;
    if (units > (SIZE_MAX - 16) / sizeof(Header)) return NULL;
    char *raw = __morecore(units * sizeof(Header));
    if (!raw) return NULL;
    if ((uintptr_t)raw & 15) {
        if (!__morecore(16)) return NULL;
        raw += 16 - ((uintptr_t)raw & 15);
    }
    Header *h = (Header *)raw;
    h->s.units = units;
    return insert_free(h) ? freep : NULL;
}

// First fit from where the last search stopped; splits off the tail.
static void *take(size_t units) {
    Header *prev = freep;
    for (Header *p = prev->s.next;; prev = p, p = p->s.next) {
        if (p->s.units >= units) {
            if (p->s.units == units) {
                prev->s.next = p->s.next;
            } else {
                p->s.units -= units;
                p += p->s.units;
                p->s.units = units;
            }
            p->s.next = IN_USE(p);
            freep = prev;
            return p + 1;
        }
        if (p == freep && !(p = grow(units))) return NULL;
    }
}

void *malloc(size_t n) {
    if (n > SIZE_MAX / 2) return NULL;              // also keeps units from overflowing
    size_t units = (n + sizeof(Header) - 1) / sizeof(Header) + 1;
    lock();
    if (!freep) {
        base.s.next = freep = &base;
        base.s.units = 0;
    }
    void *p = take(units);
    unlock();
    return p;
}

// A bad free (twice, or a pointer malloc never returned) aborts the
// program: going on would hand the same memory out twice later.
void free(void *ptr) {
    if (!ptr) return;
    Header *h = (Header *)ptr - 1;
    lock();
    bool ok = ((uintptr_t)ptr & 15) == 0 && h->s.next == IN_USE(h) && insert_free(h);
    unlock();
    if (!ok) abort();
}

void *calloc(size_t n, size_t size) {
    if (size && n > SIZE_MAX / size) return NULL;
    void *p = malloc(n * size);
    if (p) memset(p, 0, n * size);
    return p;
}

void *realloc(void *ptr, size_t n) {
    if (!ptr) return malloc(n);
    if (n == 0) {
        free(ptr);
        return NULL;
    }
    size_t have = (((Header *)ptr - 1)->s.units - 1) * sizeof(Header);
    if (n <= have) return ptr;                      // shrinking keeps the block
    void *p = malloc(n);
    if (p) {
        memcpy(p, ptr, have);
        free(ptr);
    }
    return p;
}
