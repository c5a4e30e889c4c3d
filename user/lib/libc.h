// user/lib/libc.h: what the portable C library (user/lib/*.c) needs from
// each kernel's glue (user/lib/hw/ for hw), and the formatter stdio shares.
// Only library sources include this; programs use the standard headers.
#pragma once
#include <stdarg.h>
#include <stddef.h>

// The printf engine writes its output through a sink, so that one formatter
// serves snprintf (a buffer), the FILE layer (a stdio buffer) and dprintf.
struct fmt_sink {
    void (*put)(struct fmt_sink *s, const char *p, size_t n);
};
int __vformat(struct fmt_sink *s, const char *fmt, va_list ap);   // characters produced

// malloc's only contact with the kernel: n more bytes of heap, contiguous
// with nothing in particular, or NULL. hw: over sbrk (user/lib/hw/morecore.c).
void *__morecore(size_t n);

// Called while a library spin lock (malloc's) is held by another thread:
// give the CPU away so the holder can finish. hw: yield().
void __lock_busy(void);
