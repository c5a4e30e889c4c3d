// kern/ksyms.c: function names for addresses, from the table that the
// build links into the image's .ksyms section (tools/mksyms writes it).
// Used by register dumps and backtraces, so it must not allocate or lock.
#include "kern/kern.h"

extern const uint8_t __ksyms_start[], __ksyms_end[];
extern const char __text_start[], __text_end[];

struct ksym_entry { uint64_t addr; uint32_t name_off, zero; };

static bool table_ok(uint32_t *count) {
    size_t len = __ksyms_end - __ksyms_start;
    if (len < 8 || memcmp(__ksyms_start, "KSYM", 4) != 0) return false;
    memcpy(count, __ksyms_start + 4, 4);
    return (uint64_t)*count * sizeof(struct ksym_entry) + 8 <= len;
}

// Binary search for the last symbol at or below addr.
const char *ksym_lookup(uint64_t addr, uint64_t *offset) {
    uint32_t n;
    if (!table_ok(&n) || n == 0) return NULL;
    const struct ksym_entry *e = (const void *)(__ksyms_start + 8);
    const char *names = (const char *)(e + n);
    if (addr < e[0].addr || addr >= (uint64_t)__text_end) return NULL;
    uint32_t lo = 0, hi = n - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo + 1) / 2;
        if (e[mid].addr <= addr) lo = mid;
        else hi = mid - 1;
    }
    if (offset) *offset = addr - e[lo].addr;
    return names + e[lo].name_off;
}
