// mm/pmm.c: the kernel's physical frame allocator. mm/frame.c does the
// bookkeeping; this file decides which frames are free at boot, keeps the
// bitmap somewhere safe, takes the lock, zeroes frames and panics on misuse.
//
// Free at boot: the usable RAM ranges of the multiboot memory map, except
// [0, 1 MiB) (BIOS data, real-mode leftovers), the kernel image, every boot
// module (the initrd), the multiboot info (boot.cmdline points into it)
// and the bitmap itself.
#include "kern/kern.h"
#include "mm/mm.h"
#include "mm/frame.h"

extern char __kernel_phys_start[], __kernel_phys_end[];

#define LOW_MEMORY_END (1ull << 20)
// Until vm_init maps all RAM, phys_to_virt only works below this
// (entry.asm maps the first 1 GiB), so the bitmap and every frame handed
// out before then must lie below it.
#define EARLY_MAP_END  (1ull << 30)

static struct spinlock pmm_lock = SPINLOCK_INIT("pmm");
static struct frame_map frames;
static uint64_t mem_top;             // highest usable address + 1
static size_t usable_frames;         // frames the memory map gave us (above 1 MiB)
static uint64_t reachable_end = EARLY_MAP_END;   // phys_to_virt works below this

// ---- Boot: what is in use before anyone allocated ----

struct prange { uint64_t base, end; };
#define MAX_BOOT_RANGES (MAX_MODULES + 3)

// The byte ranges that hold something we must keep: collected in one place
// so the bitmap placement and the reservations agree.
static int boot_ranges(struct prange *r) {
    int n = 0;
    r[n++] = (struct prange){ 0, LOW_MEMORY_END };
    r[n++] = (struct prange){ (uint64_t)__kernel_phys_start, (uint64_t)__kernel_phys_end };
    r[n++] = (struct prange){ boot.mbi_phys, boot.mbi_phys + boot.mbi_len };
    for (int i = 0; i < boot.nmods; i++)
        r[n++] = (struct prange){ boot.mods[i].start, boot.mods[i].end };
    return n;
}

// The first boot range overlapping [base, end), or NULL.
static const struct prange *overlap(const struct prange *r, int n, uint64_t base, uint64_t end) {
    for (int i = 0; i < n; i++)
        if (base < r[i].end && r[i].base < end) return &r[i];
    return NULL;
}

// Lowest page-aligned spot of 'bytes' in usable RAM below EARLY_MAP_END
// that overlaps no boot range; in practice just after the kernel and modules.
static uint64_t find_bitmap_home(uint64_t bytes, const struct prange *r, int n) {
    for (int i = 0; i < boot.nram; i++) {
        uint64_t lo = ALIGN_UP(boot.ram[i].base, PAGE_SIZE);
        uint64_t hi = MIN(boot.ram[i].base + boot.ram[i].len, EARLY_MAP_END);
        while (lo + bytes <= hi) {
            const struct prange *o = overlap(r, n, lo, lo + bytes);
            if (!o) return lo;
            lo = ALIGN_UP(o->end, PAGE_SIZE);
        }
    }
    panic("pmm: no room below 1 GiB for the frame bitmap (%lu bytes)", bytes);
}

static uint64_t highest_ram_address(void) {
    uint64_t top = 0;
    for (int i = 0; i < boot.nram; i++)
        top = MAX(top, boot.ram[i].base + boot.ram[i].len);
    return top;
}

void pmm_init(void) {
    struct prange keep[MAX_BOOT_RANGES];
    int nkeep = boot_ranges(keep);
    mem_top = highest_ram_address();
    if (mem_top == 0) panic("pmm: the memory map lists no usable RAM");
    size_t nframes = (size_t)(mem_top / PAGE_SIZE);
    uint64_t map_bytes = ALIGN_UP(frame_map_bytes(nframes), PAGE_SIZE);
    uint64_t map_pa = find_bitmap_home(map_bytes, keep, nkeep);
    frame_map_init(&frames, phys_to_virt(map_pa), nframes);
    for (int i = 0; i < boot.nram; i++) {
        uint64_t base = MAX(boot.ram[i].base, LOW_MEMORY_END);
        frame_map_release_range(&frames, base, boot.ram[i].base + boot.ram[i].len);
    }
    usable_frames = frame_map_free_count(&frames);
    for (int i = 0; i < nkeep; i++)
        frame_map_reserve_range(&frames, keep[i].base, keep[i].end);
    frame_map_reserve_range(&frames, map_pa, map_pa + map_bytes);
    kprintf("mm: %lu MiB usable, %lu free frames\n",
            (size_t)(usable_frames * PAGE_SIZE >> 20), frame_map_free_count(&frames));
}

void pmm_direct_map_ready(void) {
    reachable_end = ALIGN_UP(mem_top, HUGE_SIZE);
}

// ---- Allocation ----

// Zero n frames at pa. They must be reachable through the direct map: with
// next-fit from frame 0 the few frames vm_init needs come from low memory.
static void zero_frames(uint64_t pa, size_t n) {
    if (pa + n * PAGE_SIZE > reachable_end)
        panic("pmm: frame 0x%lx allocated before vm_init mapped it", pa);
    memset(phys_to_virt(pa), 0, n * PAGE_SIZE);
}

uint64_t frame_alloc(void) {
    spin_lock(&pmm_lock);
    size_t f = frame_map_alloc(&frames);
    spin_unlock(&pmm_lock);
    if (f == FRAME_NONE) return 0;
    uint64_t pa = (uint64_t)f * PAGE_SIZE;
    zero_frames(pa, 1);
    return pa;
}

uint64_t frame_alloc_contig(size_t n, size_t align_frames) {
    spin_lock(&pmm_lock);
    size_t f = frame_map_alloc_contig(&frames, n, align_frames);
    spin_unlock(&pmm_lock);
    if (f == FRAME_NONE) return 0;
    uint64_t pa = (uint64_t)f * PAGE_SIZE;
    zero_frames(pa, n);
    return pa;
}

// ---- Freeing: misuse panics here, naming the address ----

// A freed frame is the next one handed out (the search starts at the lowest
// frame freed since): memory just used is reused rather than the search
// moving on through frames untouched for long. Under QEMU the first touch
// of a guest frame the host has never backed costs a host page fault
// (~8 us): with pure next-fit every SIP's stack and every exec walked into
// fresh frames until the search had gone round all of memory once.
static void free_frames(uint64_t pa, size_t n) {
    if (pa % PAGE_SIZE != 0) panic("frame_free: 0x%lx is not page-aligned", pa);
    size_t first = (size_t)(pa / PAGE_SIZE);
    spin_lock(&pmm_lock);
    int err = frame_map_free_contig(&frames, first, n);
    if (err == FRAME_OK && first < frames.hint) frames.hint = first;
    spin_unlock(&pmm_lock);
    uint64_t end = pa + n * PAGE_SIZE;
    if (err == FRAME_ERR_RANGE)
        panic("frame_free: [0x%lx, 0x%lx) is beyond physical memory", pa, end);
    if (err == FRAME_ERR_NOT_USED && n == 1)
        panic("frame_free: double free of frame 0x%lx", pa);
    if (err == FRAME_ERR_NOT_USED)
        panic("frame_free: double free: a frame in [0x%lx, 0x%lx) is already free", pa, end);
}

void frame_free(uint64_t pa) {
    free_frames(pa, 1);
}

void frame_free_contig(uint64_t pa, size_t n) {
    free_frames(pa, n);
}

// ---- Counts ----

size_t frame_free_count(void) {
    return frames.nfree;      // one aligned word: a racy read is still a value it had
}

size_t frame_total_count(void) {
    return usable_frames;
}

uint64_t phys_mem_top(void) {
    return mem_top;
}
