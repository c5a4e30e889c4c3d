// mm/frame.h: the bookkeeping of physical frames, and nothing else.
// A bitmap with one bit per 4 KiB frame: 1 = in use (allocated, or reserved
// because it is not RAM or holds the kernel), 0 = free. This file knows
// nothing about the kernel: no locks, no printing, and it never touches the
// frames themselves, so grade/host/test_frame.c runs it on the host.
// mm/pmm.c wraps it with a lock, zeroing and panics.
#pragma once
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#define FRAME_SHIFT 12
#define FRAME_BYTES (1ull << FRAME_SHIFT)
#define FRAME_NONE  SIZE_MAX          // "no frame": what the allocators return when full

// frame_map_free* results.
#define FRAME_OK             0
#define FRAME_ERR_RANGE     (-1)      // frame number beyond the map
#define FRAME_ERR_NOT_USED  (-2)      // frame already free: a double free

struct frame_map {
    uint64_t *bits;     // nframes bits, rounded up to whole words; 1 = in use
    size_t nframes;     // frames [0, nframes) are tracked
    size_t nfree;       // how many bits are 0
    size_t hint;        // where the next single-frame search starts (next-fit)
};

// Bytes of bitmap needed for nframes frames (whole 64-bit words).
size_t frame_map_bytes(size_t nframes);

// Start with every frame in use; the caller then releases what is RAM.
void frame_map_init(struct frame_map *m, uint64_t *bits, size_t nframes);

// Mark the frames inside the byte range [base, end) free: only frames lying
// wholly inside it (rounded inward). Returns how many changed state.
size_t frame_map_release_range(struct frame_map *m, uint64_t base, uint64_t end);

// Mark every frame touching the byte range [base, end) in use (rounded
// outward). Returns how many changed state.
size_t frame_map_reserve_range(struct frame_map *m, uint64_t base, uint64_t end);

// One free frame, searching from the hint and wrapping (next-fit);
// FRAME_NONE when none is free.
size_t frame_map_alloc(struct frame_map *m);

// n consecutive free frames whose first frame number is a multiple of
// align (0 or 1: any); first fit from frame 0. FRAME_NONE when none fits.
size_t frame_map_alloc_contig(struct frame_map *m, size_t n, size_t align);

// Give frames back. Checks everything before changing anything, so a bad
// call leaves the map as it was: FRAME_OK, FRAME_ERR_RANGE or FRAME_ERR_NOT_USED.
int frame_map_free(struct frame_map *m, size_t frame);
int frame_map_free_contig(struct frame_map *m, size_t frame, size_t n);

bool frame_map_in_use(const struct frame_map *m, size_t frame);
size_t frame_map_free_count(const struct frame_map *m);
size_t frame_map_frame_count(const struct frame_map *m);
