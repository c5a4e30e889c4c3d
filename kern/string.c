// kern/string.c: the few libc string functions the kernel needs.
// Built with -fno-tree-loop-distribute-patterns (see GNUmakefile) so gcc
// does not turn these loops into calls to themselves.
#include "kern/kern.h"

// memset and memcpy move eight bytes a store, eight stores a turn: the
// kernel zeroes every frame it hands out (page tables, fork, exec, a new
// kernel stack) and copies pages for copy-on-write, and under QEMU's TCG
// each guest store costs the emulator a soft-TLB lookup, so a byte loop
// (4 instructions a byte) made zeroing a page 32 times dearer than this.
// x86 allows unaligned words; the type says so, and that it may alias.
typedef uint64_t __attribute__((may_alias, aligned(1))) word_t;

void *memset(void *d, int c, size_t n) {
    uint8_t *p = d;
    for (; n && ((uintptr_t)p & 7); n--) *p++ = (uint8_t)c;
    const uint64_t w = 0x0101010101010101ull * (uint8_t)c;
    word_t *q = (word_t *)p;
    for (; n >= 64; n -= 64, q += 8)
        q[0] = w, q[1] = w, q[2] = w, q[3] = w, q[4] = w, q[5] = w, q[6] = w, q[7] = w;
    for (; n >= 8; n -= 8) *q++ = w;
    for (p = (uint8_t *)q; n; n--) *p++ = (uint8_t)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n) {
    word_t *dq = d;
    const word_t *sq = s;
    for (; n >= 64; n -= 64, dq += 8, sq += 8)
        dq[0] = sq[0], dq[1] = sq[1], dq[2] = sq[2], dq[3] = sq[3],
        dq[4] = sq[4], dq[5] = sq[5], dq[6] = sq[6], dq[7] = sq[7];
    for (; n >= 8; n -= 8) *dq++ = *sq++;
    uint8_t *dp = (uint8_t *)dq;
    const uint8_t *sp = (const uint8_t *)sq;
    while (n--) *dp++ = *sp++;
    return d;
}

void *memmove(void *d, const void *s, size_t n) {
    uint8_t *dp = d;
    const uint8_t *sp = s;
    if (dp < sp || dp >= sp + n) return memcpy(d, s, n);
    while (n--) dp[n] = sp[n];
    return d;
}

int memcmp(const void *a, const void *b, size_t n) {
    const uint8_t *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y) return *x - *y;
    return 0;
}

size_t strlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

int strcmp(const char *a, const char *b) {
    while (*a && *a == *b) a++, b++;
    return (uint8_t)*a - (uint8_t)*b;
}

int strncmp(const char *a, const char *b, size_t n) {
    for (; n; n--, a++, b++) {
        if (*a != *b) return (uint8_t)*a - (uint8_t)*b;
        if (!*a) return 0;
    }
    return 0;
}

char *strchr(const char *s, int c) {
    for (; *s; s++)
        if (*s == (char)c) return (char *)s;
    return c == 0 ? (char *)s : NULL;
}

// Copies at most n-1 bytes and always terminates (when n > 0).
size_t strlcpy(char *d, const char *s, size_t n) {
    size_t len = strlen(s);
    if (n) {
        size_t k = len < n - 1 ? len : n - 1;
        memcpy(d, s, k);
        d[k] = 0;
    }
    return len;
}
