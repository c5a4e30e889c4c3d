// grade/host/test_frame.c: host unit test of mm/frame.c, the frame bitmap.
// Build: make BUILD=build build/host/test_frame (gcc, ASan + UBSan).
// Prints one line per check and "N passed, M failed"; exits 1 on failure.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "grade/host/check.h"
#include "mm/frame.h"


#define PG 4096ull

static struct frame_map *new_map(size_t nframes) {
    static struct frame_map m;
    static uint64_t *bits;
    free(bits);
    bits = malloc(frame_map_bytes(nframes));
    frame_map_init(&m, bits, nframes);
    return &m;
}

// Counts free frames the slow way, to check the map's own count.
static size_t count_free(const struct frame_map *m) {
    size_t n = 0;
    for (size_t f = 0; f < m->nframes; f++) n += !frame_map_in_use(m, f);
    return n;
}

static void test_init_and_ranges(void) {
    struct frame_map *m = new_map(1000);          // not a multiple of 64 on purpose
    CHECK(frame_map_bytes(1000) == 16 * 8);
    CHECK(frame_map_free_count(m) == 0);
    CHECK(frame_map_alloc(m) == FRAME_NONE);
    CHECK(frame_map_alloc_contig(m, 1, 1) == FRAME_NONE);
    // Release rounds inward: [0x1800, 0x5000) holds frames 2, 3, 4 wholly.
    CHECK(frame_map_release_range(m, 0x1800, 0x5000) == 3);
    CHECK(!frame_map_in_use(m, 2) && !frame_map_in_use(m, 4));
    CHECK(frame_map_in_use(m, 1) && frame_map_in_use(m, 5));
    CHECK(frame_map_release_range(m, 0x2000, 0x3000) == 0);    // already free: no double count
    CHECK(frame_map_free_count(m) == 3);
    CHECK(frame_map_release_range(m, 0x3800, 0x3900) == 0);    // no whole frame inside
    CHECK(frame_map_release_range(m, 0x5000, 0x4000) == 0);    // inverted range
    // Everything, and past the end of the map: clamped.
    CHECK(frame_map_release_range(m, 0, 2000 * PG) == 997);
    CHECK(frame_map_free_count(m) == 1000 && count_free(m) == 1000);
    // Reserve rounds outward: [0x1001, 0x2001) touches frames 1 and 2.
    CHECK(frame_map_reserve_range(m, 0x1001, 0x2001) == 2);
    CHECK(frame_map_in_use(m, 1) && frame_map_in_use(m, 2) && !frame_map_in_use(m, 3));
    CHECK(frame_map_reserve_range(m, 0x1000, 0x2000) == 0);
    CHECK(frame_map_reserve_range(m, 999 * PG, ~0ull) == 1);   // clamped at the end
    CHECK(frame_map_free_count(m) == 997 && count_free(m) == 997);
    CHECK(frame_map_in_use(m, 1000) && frame_map_in_use(m, 5000));  // outside: never free
}

static void test_alloc_all(void) {
    struct frame_map *m = new_map(1000);
    frame_map_release_range(m, 0, 1000 * PG);
    static unsigned char seen[1000];
    memset(seen, 0, sizeof seen);
    int dup = 0, out = 0;
    for (int i = 0; i < 1000; i++) {
        size_t f = frame_map_alloc(m);
        if (f >= 1000) { out++; continue; }
        dup += seen[f]++;
    }
    CHECK(out == 0 && dup == 0);
    CHECK(frame_map_free_count(m) == 0);
    CHECK(frame_map_alloc(m) == FRAME_NONE);     // the 24 padding bits are never handed out
    CHECK(frame_map_free(m, 500) == FRAME_OK);
    CHECK(frame_map_free_count(m) == 1);
    CHECK(frame_map_free(m, 500) == FRAME_ERR_NOT_USED);   // double free detected
    CHECK(frame_map_free_count(m) == 1);                   // and the count unharmed
    CHECK(frame_map_free(m, 1000) == FRAME_ERR_RANGE);
    CHECK(frame_map_free(m, (size_t)-1) == FRAME_ERR_RANGE);
    CHECK(frame_map_alloc(m) == 500);                      // the only free one, found by wrapping
}

static void test_next_fit(void) {
    struct frame_map *m = new_map(256);
    frame_map_release_range(m, 0, 256 * PG);
    size_t a = frame_map_alloc(m), b = frame_map_alloc(m), c = frame_map_alloc(m);
    CHECK(a == 0 && b == 1 && c == 2);
    frame_map_free(m, a);
    // Next-fit: the search goes on from the hint's word, so frame 0 (same
    // word) may come back; what matters is it never skips a free frame.
    size_t d = frame_map_alloc(m);
    CHECK(d == 0 || d == 3);
    // Fill it; the hint wraps to 0 after the last frame.
    while (frame_map_free_count(m) > 0) frame_map_alloc(m);
    frame_map_free(m, 200);
    frame_map_free(m, 7);
    CHECK(frame_map_alloc(m) == 7);                        // from the hint (word 0)
    CHECK(frame_map_alloc(m) == 200);                      // onwards to word 3
    frame_map_free(m, 5);
    CHECK(frame_map_alloc(m) == 5);                        // wrapped around
}

static void test_contig(void) {
    struct frame_map *m = new_map(512);
    frame_map_release_range(m, 0, 512 * PG);
    size_t a = frame_map_alloc_contig(m, 8, 8);
    CHECK(a != FRAME_NONE && a % 8 == 0);
    size_t b = frame_map_alloc_contig(m, 3, 16);
    CHECK(b != FRAME_NONE && b % 16 == 0 && (b >= a + 8 || b + 3 <= a));
    CHECK(frame_map_free_count(m) == 512 - 11);
    // Fragment: make every 10th frame of [100, 300) used.
    struct frame_map *f = new_map(400);
    frame_map_release_range(f, 0, 400 * PG);
    frame_map_reserve_range(f, 0, 100 * PG);
    for (size_t i = 100; i < 300; i += 10) frame_map_reserve_range(f, i * PG, i * PG + 1);
    size_t c = frame_map_alloc_contig(f, 9, 1);
    CHECK(c == 101);                                      // first fit: the first gap of 9
    size_t d = frame_map_alloc_contig(f, 10, 1);
    CHECK(d == 291);                                      // the first gap of 10: 291..300
    size_t e = frame_map_alloc_contig(f, 64, 64);
    CHECK(e == 320);                                      // aligned, past d
    CHECK(frame_map_alloc_contig(f, 1000, 1) == FRAME_NONE);
    CHECK(frame_map_alloc_contig(f, 0, 1) == FRAME_NONE);
    size_t before = frame_map_free_count(f);
    CHECK(frame_map_free_contig(f, e, 64) == FRAME_OK);
    CHECK(frame_map_free_count(f) == before + 64);
    // Freeing a range that is partly free changes nothing.
    CHECK(frame_map_free_contig(f, d, 12) == FRAME_ERR_NOT_USED);   // d + 10 is free
    CHECK(frame_map_free_count(f) == before + 64 && frame_map_in_use(f, d));
    CHECK(frame_map_free_contig(f, 395, 10) == FRAME_ERR_RANGE);
    CHECK(count_free(f) == frame_map_free_count(f));
}

static void test_random(void) {
    enum { N = 777, STEPS = 20000 };
    struct frame_map *m = new_map(N);
    frame_map_release_range(m, 0, N * PG);
    static size_t held[N];
    size_t nheld = 0;
    int bad = 0;
    uint32_t seed = 12345;
    for (int i = 0; i < STEPS; i++) {
        seed = seed * 1103515245u + 12345u;
        if ((seed >> 16) % 3 != 0 && nheld < N) {
            size_t f = frame_map_alloc(m);
            if (f == FRAME_NONE || f >= N) bad++;
            else held[nheld++] = f;
        } else if (nheld > 0) {
            size_t k = (seed >> 8) % nheld;
            if (frame_map_free(m, held[k]) != FRAME_OK) bad++;
            held[k] = held[--nheld];
        }
        if (frame_map_free_count(m) != N - nheld) bad++;
    }
    CHECK(bad == 0);
    CHECK(count_free(m) == N - nheld);
    while (nheld > 0) bad += frame_map_free(m, held[--nheld]) != FRAME_OK;
    CHECK(bad == 0 && frame_map_free_count(m) == N && count_free(m) == N);
}

int main(void) {
    test_init_and_ranges();
    test_alloc_all();
    test_next_fit();
    test_contig();
    test_random();
    return check_summary();
}
