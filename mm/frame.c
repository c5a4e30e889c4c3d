// mm/frame.c: a bitmap of physical frames (see mm/frame.h). Pure
// bookkeeping: the kernel's allocator (mm/pmm.c) and the host unit test
// (grade/host/test_frame.c) both build on it.
//
// Invariant: bits past nframes in the last word are always 1 ("in use"),
// so a word-at-a-time search can never hand out a frame beyond the map.
#include "mm/frame.h"

#define WORD_BITS 64
#define ALL_USED  (~0ull)

static size_t word_count(size_t nframes) {
    return (nframes + WORD_BITS - 1) / WORD_BITS;
}

static bool bit_get(const struct frame_map *m, size_t f) {
    return (m->bits[f / WORD_BITS] >> (f % WORD_BITS)) & 1;
}

static void bit_set(struct frame_map *m, size_t f) {
    m->bits[f / WORD_BITS] |= 1ull << (f % WORD_BITS);
}

static void bit_clear(struct frame_map *m, size_t f) {
    m->bits[f / WORD_BITS] &= ~(1ull << (f % WORD_BITS));
}

size_t frame_map_bytes(size_t nframes) {
    return word_count(nframes) * sizeof(uint64_t);
}

void frame_map_init(struct frame_map *m, uint64_t *bits, size_t nframes) {
    m->bits = bits;
    m->nframes = nframes;
    m->nfree = 0;
    m->hint = 0;
    for (size_t w = 0; w < word_count(nframes); w++)
        bits[w] = ALL_USED;
}

// Frame numbers [*first, *last) of the byte range, clamped to the map.
// 'inward' keeps only frames wholly inside; otherwise every frame touched.
static void range_to_frames(const struct frame_map *m, uint64_t base, uint64_t end,
                            bool inward, size_t *first, size_t *last) {
    uint64_t mask = FRAME_BYTES - 1;
    uint64_t lo = base >> FRAME_SHIFT, hi = end >> FRAME_SHIFT;
    if (inward && (base & mask)) lo++;
    if (!inward && (end & mask)) hi++;
    if (end <= base) hi = lo;                 // empty or inverted range
    if (hi > m->nframes) hi = m->nframes;
    if (lo > hi) lo = hi;
    *first = (size_t)lo;
    *last = (size_t)hi;
}

size_t frame_map_release_range(struct frame_map *m, uint64_t base, uint64_t end) {
    size_t first, last, changed = 0;
    range_to_frames(m, base, end, true, &first, &last);
    for (size_t f = first; f < last; f++) {
        if (bit_get(m, f)) {
            bit_clear(m, f);
            changed++;
        }
    }
    m->nfree += changed;
    return changed;
}

size_t frame_map_reserve_range(struct frame_map *m, uint64_t base, uint64_t end) {
    size_t first, last, changed = 0;
    range_to_frames(m, base, end, false, &first, &last);
    for (size_t f = first; f < last; f++) {
        if (!bit_get(m, f)) {
            bit_set(m, f);
            changed++;
        }
    }
    m->nfree -= changed;
    return changed;
}

// Next-fit at word granularity: start at the hint's word, skip full words,
// wrap around once. Cheap, and spreads allocations instead of always
// hammering the lowest frames.
size_t frame_map_alloc(struct frame_map *m) {
    size_t nwords = word_count(m->nframes);
    if (m->nfree == 0 || nwords == 0) return FRAME_NONE;
    size_t start = (m->hint / WORD_BITS) % nwords;
    for (size_t k = 0; k < nwords; k++) {
        size_t w = (start + k) % nwords;
        if (m->bits[w] == ALL_USED) continue;
        size_t f = w * WORD_BITS + (size_t)__builtin_ctzll(~m->bits[w]);
        bit_set(m, f);
        m->nfree--;
        m->hint = f + 1 < m->nframes ? f + 1 : 0;
        return f;
    }
    return FRAME_NONE;     // unreachable while nfree is right
}

static size_t round_up(size_t x, size_t align) {
    return (x + align - 1) / align * align;
}

// The highest in-use frame in [first, first + n), or FRAME_NONE if all are
// free. Scanning from the top lets a failed window skip past the obstacle.
static size_t last_used_in(const struct frame_map *m, size_t first, size_t n) {
    for (size_t f = first + n; f > first; f--)
        if (bit_get(m, f - 1)) return f - 1;
    return FRAME_NONE;
}

size_t frame_map_alloc_contig(struct frame_map *m, size_t n, size_t align) {
    if (align == 0) align = 1;
    if (n == 0 || n > m->nfree) return FRAME_NONE;
    size_t start = 0;
    while (start <= m->nframes && m->nframes - start >= n) {
        size_t used = last_used_in(m, start, n);
        if (used == FRAME_NONE) {
            for (size_t f = start; f < start + n; f++) bit_set(m, f);
            m->nfree -= n;
            return start;
        }
        start = round_up(used + 1, align);
    }
    return FRAME_NONE;
}

int frame_map_free_contig(struct frame_map *m, size_t frame, size_t n) {
    if (frame >= m->nframes || n > m->nframes - frame) return FRAME_ERR_RANGE;
    for (size_t f = frame; f < frame + n; f++)
        if (!bit_get(m, f)) return FRAME_ERR_NOT_USED;
    for (size_t f = frame; f < frame + n; f++) bit_clear(m, f);
    m->nfree += n;
    return FRAME_OK;
}

int frame_map_free(struct frame_map *m, size_t frame) {
    return frame_map_free_contig(m, frame, 1);
}

bool frame_map_in_use(const struct frame_map *m, size_t frame) {
    return frame >= m->nframes || bit_get(m, frame);
}

size_t frame_map_free_count(const struct frame_map *m) {
    return m->nfree;
}

size_t frame_map_frame_count(const struct frame_map *m) {
    return m->nframes;
}
