// grade/host/test_heap.c: host unit test of mm/heap.c, the heap core, over a
// page source built on aligned_alloc (one allocation per request, so ASan
// sees every page boundary). Build: make BUILD=build build/host/test_heap.
// Prints one line per check and "N passed, M failed"; exits 1 on failure.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "grade/host/check.h"
#include "mm/heap.h"


// ---- The page source: aligned_alloc, with a budget to test running out ----
struct pages {
    size_t out;          // pages handed out and not yet returned
    size_t limit;        // refuse beyond this many
    int bad_puts;        // put with a count that does not match the get
};

#define MAX_BLOCKS 4096
static struct { void *p; size_t n; } given[MAX_BLOCKS];

static void *pages_get(size_t npages, void *ctx) {
    struct pages *pg = ctx;
    if (pg->out + npages > pg->limit) return NULL;
    for (int i = 0; i < MAX_BLOCKS; i++) {
        if (given[i].p) continue;
        given[i].p = aligned_alloc(HEAP_PAGE_SIZE, npages * HEAP_PAGE_SIZE);
        given[i].n = npages;
        memset(given[i].p, 0xEE, npages * HEAP_PAGE_SIZE);   // not zeroed: the heap must not assume
        pg->out += npages;
        return given[i].p;
    }
    return NULL;
}

static void pages_put(void *p, size_t npages, void *ctx) {
    struct pages *pg = ctx;
    for (int i = 0; i < MAX_BLOCKS; i++) {
        if (given[i].p != p) continue;
        if (given[i].n != npages) pg->bad_puts++;
        free(p);
        given[i].p = NULL;
        pg->out -= npages;
        return;
    }
    pg->bad_puts++;
}

static struct pages pg;
static struct heap heap;

static void fresh_heap(size_t limit) {
    pg = (struct pages){ .limit = limit };
    struct heap_page_source src = { pages_get, pages_put, &pg };
    heap_core_init(&heap, &src);
}

// ---- Helpers: fill a block with a pattern derived from its index ----
static void fill(unsigned char *p, size_t n, unsigned tag) {
    for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(tag * 31 + i);
}

static int intact(const unsigned char *p, size_t n, unsigned tag) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(tag * 31 + i)) return 0;
    return 1;
}

// ---- Tests ----
static void test_sizes(void) {
    fresh_heap(100000);
    static const size_t sizes[] = { 1, 15, 16, 17, 31, 32, 33, 64, 100, 128, 200, 256, 500,
                                    512, 513, 1000, 1024, 1025, 2048, 4095, 4096, 4097, 10000,
                                    65536, 100000 };
    enum { NS = sizeof sizes / sizeof sizes[0] };
    void *p[NS];
    int misaligned = 0, too_small = 0;
    for (int i = 0; i < NS; i++) {
        p[i] = heap_alloc(&heap, sizes[i]);
        if (!p[i] || (uintptr_t)p[i] % 16) misaligned++;
        else if (heap_block_size(&heap, p[i]) < sizes[i]) too_small++;
        if (p[i]) fill(p[i], sizes[i], i);
    }
    CHECK(misaligned == 0);
    CHECK(too_small == 0);
    CHECK(heap_block_size(&heap, p[0]) == 16 && heap_block_size(&heap, p[3]) == 32);
    CHECK(heap_block_size(&heap, p[16]) == 1024 && heap_block_size(&heap, p[17]) == 4096);
    CHECK(heap_block_size(&heap, p[20]) == 4096 && heap_block_size(&heap, p[21]) == 8192);
    CHECK((uintptr_t)p[20] % HEAP_PAGE_SIZE == 0);          // large blocks: whole pages
    int damaged = 0;
    for (int i = 0; i < NS; i++) damaged += !intact(p[i], sizes[i], i);
    CHECK(damaged == 0);
    int errs = 0;
    for (int i = NS - 1; i >= 0; i--) errs += heap_free(&heap, p[i]) != HEAP_OK;
    CHECK(errs == 0);
    CHECK(heap.large_pages == 0);
    heap_trim(&heap);
    CHECK(heap_pages_held(&heap) == 0 && pg.out == 0 && pg.bad_puts == 0);
}

static void test_zero_and_null(void) {
    fresh_heap(100);
    void *a = heap_alloc(&heap, 0), *b = heap_alloc(&heap, 0);
    CHECK(a && b && a != b);
    CHECK(heap_free(&heap, NULL) == HEAP_OK);
    heap_free(&heap, a);
    heap_free(&heap, b);
    CHECK(heap_alloc(&heap, SIZE_MAX) == NULL);
    CHECK(heap_alloc(&heap, SIZE_MAX - 100) == NULL);
    heap_trim(&heap);
    CHECK(pg.out == 0);
}

static void test_bad_frees(void) {
    fresh_heap(100);
    char *s = heap_alloc(&heap, 40);
    char *l = heap_alloc(&heap, 3 * HEAP_PAGE_SIZE);
    CHECK(heap_free(&heap, s + 16) == HEAP_ERR_FOREIGN);    // inside an object
    CHECK(heap_free(&heap, s) == HEAP_OK);
    CHECK(heap_free(&heap, s) == HEAP_ERR_DOUBLE);          // small double free
    CHECK(heap_free(&heap, l + HEAP_PAGE_SIZE) == HEAP_ERR_FOREIGN);   // page inside a block
    CHECK(heap_free(&heap, l + 16) == HEAP_ERR_FOREIGN);
    CHECK(heap_free(&heap, l) == HEAP_OK);
    CHECK(heap_free(&heap, l) == HEAP_ERR_FOREIGN);         // large double free
    // Memory that never came from the heap: a page-aligned buffer and a
    // pointer into a page without the slab magic.
    unsigned char *other = aligned_alloc(HEAP_PAGE_SIZE, HEAP_PAGE_SIZE);
    memset(other, 0, HEAP_PAGE_SIZE);
    CHECK(heap_free(&heap, other) == HEAP_ERR_FOREIGN);
    CHECK(heap_free(&heap, other + 64) == HEAP_ERR_FOREIGN);
    CHECK(heap_block_size(&heap, other + 64) == 0 && heap_block_size(&heap, s) == 0);
    free(other);
    heap_trim(&heap);
    CHECK(pg.out == 0 && pg.bad_puts == 0);
}

// Many blocks of each class, freed in an odd order: no two overlap, every
// pattern survives, and everything is given back in the end.
static void test_many_odd_order(void) {
    enum { N = 3000 };
    static unsigned char *blk[N];
    static size_t len[N];
    fresh_heap(1000000);
    for (int i = 0; i < N; i++) {
        len[i] = 1 + (size_t)(i * 7919) % (i % 10 == 0 ? 9000 : 1024);
        blk[i] = heap_alloc(&heap, len[i]);
        if (blk[i]) fill(blk[i], len[i], i);
    }
    int missing = 0, damaged = 0, errs = 0;
    for (int i = 0; i < N; i++) missing += blk[i] == NULL;
    CHECK(missing == 0);
    for (int i = 0; i < N; i += 3) errs += heap_free(&heap, blk[i]) != HEAP_OK;  // every third
    for (int i = 1; i < N; i += 3) damaged += !intact(blk[i], len[i], i);
    for (int i = N - 1; i >= 0; i--)                                             // the rest, backwards
        if (i % 3) errs += heap_free(&heap, blk[i]) != HEAP_OK;
    CHECK(damaged == 0 && errs == 0);
    CHECK(heap_pages_held(&heap) <= HEAP_NCLASSES * HEAP_KEEP_EMPTY);   // only cached empties
    size_t cached = heap_pages_held(&heap);
    CHECK(heap_trim(&heap) == cached);
    CHECK(heap_pages_held(&heap) == 0 && pg.out == 0 && pg.bad_puts == 0);
}

// Random allocations and frees against a shadow list.
static void test_random(void) {
    enum { SLOTS = 500, STEPS = 50000 };
    static unsigned char *blk[SLOTS];
    static size_t len[SLOTS];
    static unsigned tag[SLOTS];
    memset(blk, 0, sizeof blk);
    fresh_heap(1000000);
    uint32_t seed = 42;
    int bad = 0;
    for (unsigned step = 0; step < STEPS; step++) {
        seed = seed * 1103515245u + 12345u;
        unsigned k = (seed >> 10) % SLOTS;
        if (blk[k]) {
            bad += !intact(blk[k], len[k], tag[k]);
            bad += heap_free(&heap, blk[k]) != HEAP_OK;
            blk[k] = NULL;
            continue;
        }
        len[k] = 1 + (seed >> 4) % ((seed & 15) == 0 ? 20000 : 700);
        tag[k] = step;
        blk[k] = heap_alloc(&heap, len[k]);
        if (!blk[k]) bad++;
        else fill(blk[k], len[k], step);
    }
    CHECK(bad == 0);
    for (int k = 0; k < SLOTS; k++) {
        if (!blk[k]) continue;
        bad += !intact(blk[k], len[k], tag[k]);
        bad += heap_free(&heap, blk[k]) != HEAP_OK;
    }
    CHECK(bad == 0);
    heap_trim(&heap);
    CHECK(heap_pages_held(&heap) == 0 && pg.out == 0 && pg.bad_puts == 0);
}

// The source running dry: NULL back, and nothing leaked or half-made.
static void test_out_of_pages(void) {
    fresh_heap(3);
    void *a = heap_alloc(&heap, 2 * HEAP_PAGE_SIZE);   // 2 pages + 1 slab for its record
    CHECK(a != NULL && pg.out == 3);
    CHECK(heap_alloc(&heap, HEAP_PAGE_SIZE) == NULL);  // the record fits, the page does not
    CHECK(heap_alloc(&heap, 100) == NULL);             // a new class needs a new slab
    void *b = heap_alloc(&heap, 20);                   // same slab as the record: fits
    CHECK(b != NULL);
    heap_free(&heap, a);
    heap_free(&heap, b);
    heap_trim(&heap);
    CHECK(pg.out == 0 && pg.bad_puts == 0);
}

// A slab that fills up leaves the list and comes back when one object is freed.
static void test_full_slab(void) {
    fresh_heap(100);
    size_t per_page = (HEAP_PAGE_SIZE - 64) / 1024;      // 3 objects of 1024
    void *o[4];
    for (size_t i = 0; i <= per_page; i++) o[i] = heap_alloc(&heap, 1024);
    CHECK(pg.out == 2);                                  // the 4th needed a second page
    heap_free(&heap, o[1]);
    void *again = heap_alloc(&heap, 1000);
    CHECK(again == o[1] && pg.out == 2);                 // the freed slot, no new page
    heap_free(&heap, again);
    heap_free(&heap, o[0]);
    heap_free(&heap, o[2]);
    heap_free(&heap, o[3]);
    CHECK(heap_pages_held(&heap) == HEAP_KEEP_EMPTY);   // one empty slab kept as a cache
    CHECK(heap_trim(&heap) == HEAP_KEEP_EMPTY && pg.out == 0);
}

int main(void) {
    test_sizes();
    test_zero_and_null();
    test_bad_frees();
    test_many_odd_order();
    test_random();
    test_out_of_pages();
    test_full_slab();
    return check_summary();
}
