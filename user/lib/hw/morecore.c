// user/lib/hw/morecore.c: malloc's heap comes from sbrk, which returns the
// old break or -errno.
#include <limits.h>
#include <unistd.h>
#include "../libc.h"

void *__morecore(size_t n) {
    if (n > LONG_MAX) return NULL;
    long old = sbrk((long)n);
    return old < 0 ? NULL : (void *)old;
}
