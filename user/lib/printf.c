// user/lib/printf.c: the printf engine (__vformat) and snprintf. stdio's
// printf/fprintf (user/lib/hw/stdio.c) run the same engine into a FILE.
//
// Conversions: d i u x X o c s p % and f (no e/g); flags - + space 0 #;
// width and precision (also *); length hh h l ll z j t. An unknown
// conversion is printed as it was written.
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "libc.h"

// Widths and precisions are capped, so that a hostile "%*d" cannot make one
// call pad for minutes.
#define MAX_WIDTH (1 << 20)

struct spec {
    bool left, plus, space, zero, alt;
    int width, prec;             // prec < 0: none given
    char len;                    // 'H' hh, 'h', 'l', 'L' ll (and z j t), 0
    char conv;
};

struct counter {                 // wraps the caller's sink to count output
    struct fmt_sink *out;
    size_t n;
};

static void emit(struct counter *c, const char *p, size_t n) {
    if (n) c->out->put(c->out, p, n);
    c->n += n;
}

static void pad(struct counter *c, char ch, int n) {
    char block[16];
    memset(block, ch, sizeof block);
    for (; n > 0; n -= (int)sizeof block)
        emit(c, block, n < (int)sizeof block ? (size_t)n : sizeof block);
}

// sign/prefix, precision zeros, digits, padded to the width.
static void emit_field(struct counter *c, const struct spec *sp, const char *prefix,
                       int zeros, const char *body, int nbody) {
    int nprefix = (int)strlen(prefix);
    int len = nprefix + zeros + nbody;
    int fill = sp->width > len ? sp->width - len : 0;
    bool zero_fill = sp->zero && !sp->left;
    if (!sp->left && !zero_fill) pad(c, ' ', fill);
    emit(c, prefix, (size_t)nprefix);
    if (zero_fill) pad(c, '0', fill);
    pad(c, '0', zeros);
    emit(c, body, (size_t)nbody);
    if (sp->left) pad(c, ' ', fill);
}

// Digits of v in base, most significant first, into the end of buf.
static int utoa(char *end, unsigned long long v, int base, bool upper) {
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    int n = 0;
    do {
        *--end = digits[v % (unsigned)base];
        v /= (unsigned)base;
        n++;
    } while (v);
    return n;
}

static void format_int(struct counter *c, struct spec *sp, unsigned long long v, bool neg) {
    char buf[24];
    int base = sp->conv == 'o' ? 8 : (sp->conv == 'x' || sp->conv == 'X' || sp->conv == 'p') ? 16 : 10;
    int n = utoa(buf + sizeof buf, v, base, sp->conv == 'X');
    if (sp->prec == 0 && v == 0) n = 0;           // "%.0d" of 0 prints nothing
    bool is_signed = sp->conv == 'd' || sp->conv == 'i';
    const char *prefix = neg ? "-" : !is_signed ? "" : sp->plus ? "+" : sp->space ? " " : "";
    if (sp->alt && v != 0 && sp->conv == 'x') prefix = "0x";
    if (sp->alt && v != 0 && sp->conv == 'X') prefix = "0X";
    if (sp->conv == 'p') prefix = "0x";
    int zeros = sp->prec > n ? sp->prec - n : 0;
    if (sp->alt && sp->conv == 'o' && zeros == 0 && (n == 0 || buf[sizeof buf - n] != '0'))
        zeros = 1;                                  // "%#o" always starts with 0
    if (sp->prec >= 0) sp->zero = false;           // a precision turns off the 0 flag
    emit_field(c, sp, prefix, zeros, buf + sizeof buf - n, n);
}

// %f: integer part and prec fraction digits (at most 18), rounded half up
// (glibc rounds an exact tie to even: "%.0f" of 2.5 is "3" here, "2" there).
// Exact for integer parts below 10^18; a larger one keeps its first 18
// digits and is filled with zeros (a double has only ~17 anyway).
static void format_float(struct counter *c, struct spec *sp, double v) {
    char buf[24 + 310 + 1 + 18], *p = buf;
    const char *prefix = v < 0 ? "-" : sp->plus ? "+" : sp->space ? " " : "";
    if (v < 0) v = -v;
    if (v != v || v > 1.7976931348623157e308) {
        sp->zero = false;
        emit_field(c, sp, prefix, 0, v != v ? "nan" : "inf", 3);
        return;
    }
    int prec = sp->prec < 0 ? 6 : sp->prec > 18 ? 18 : sp->prec;
    unsigned long long scale = 1;
    for (int i = 0; i < prec; i++) scale *= 10;
    int tens = 0;
    while (v >= 1e18) v /= 10, tens++;
    unsigned long long ip = (unsigned long long)v;
    unsigned long long f = (unsigned long long)((v - (double)ip) * (double)scale + 0.5);
    if (f >= scale) f -= scale, ip++;              // 0.9999 rounded up to 1.000
    char digits[24];
    int n = utoa(digits + sizeof digits, ip, 10, false);
    memcpy(p, digits + sizeof digits - n, (size_t)n);
    p += n;
    for (; tens > 0; tens--) *p++ = '0';
    if (prec > 0 || sp->alt) *p++ = '.';
    for (int i = prec - 1; i >= 0; i--, f /= 10) p[i] = (char)('0' + f % 10);
    p += prec;
    emit_field(c, sp, prefix, 0, buf, (int)(p - buf));
}

static const char *parse_spec(const char *f, struct spec *sp, va_list *ap) {
    memset(sp, 0, sizeof *sp);
    sp->prec = -1;
    for (;; f++) {
        if (*f == '-') sp->left = true;
        else if (*f == '+') sp->plus = true;
        else if (*f == ' ') sp->space = true;
        else if (*f == '0') sp->zero = true;
        else if (*f == '#') sp->alt = true;
        else break;
    }
    if (*f == '*') {
        sp->width = va_arg(*ap, int);
        if (sp->width < 0) sp->left = true, sp->width = sp->width < -MAX_WIDTH ? MAX_WIDTH : -sp->width;
        if (sp->width > MAX_WIDTH) sp->width = MAX_WIDTH;
        f++;
    } else {
        for (; *f >= '0' && *f <= '9'; f++)
            if (sp->width < MAX_WIDTH) sp->width = sp->width * 10 + (*f - '0');
    }
    if (*f == '.') {
        f++;
        sp->prec = 0;
        if (*f == '*') {
            sp->prec = va_arg(*ap, int);
            if (sp->prec > MAX_WIDTH) sp->prec = MAX_WIDTH;
            f++;
        } else {
            for (; *f >= '0' && *f <= '9'; f++)
                if (sp->prec < MAX_WIDTH) sp->prec = sp->prec * 10 + (*f - '0');
        }
    }
    if (f[0] == 'h' && f[1] == 'h') sp->len = 'H', f += 2;
    else if (f[0] == 'l' && f[1] == 'l') sp->len = 'L', f += 2;
    else if (*f == 'h' || *f == 'l') sp->len = *f++;
    // size_t and ptrdiff_t are long-sized both on x86_64 and on wasm32 (a SIP,
    // where long is 32 bits); intmax_t is long long.
    else if (*f == 'z' || *f == 't') sp->len = 'l', f++;
    else if (*f == 'j') sp->len = 'L', f++;
    sp->conv = *f;
    return f;
}

static long long signed_arg(const struct spec *sp, va_list *ap) {
    switch (sp->len) {
    case 'L': return va_arg(*ap, long long);
    case 'l': return va_arg(*ap, long);
    case 'h': return (short)va_arg(*ap, int);
    case 'H': return (signed char)va_arg(*ap, int);
    default: return va_arg(*ap, int);
    }
}

static unsigned long long unsigned_arg(const struct spec *sp, va_list *ap) {
    switch (sp->len) {
    case 'L': return va_arg(*ap, unsigned long long);
    case 'l': return va_arg(*ap, unsigned long);
    case 'h': return (unsigned short)va_arg(*ap, unsigned);
    case 'H': return (unsigned char)va_arg(*ap, unsigned);
    default: return va_arg(*ap, unsigned);
    }
}

static void format_string(struct counter *c, struct spec *sp, const char *s) {
    if (!s) s = "(null)";
    size_t n = sp->prec >= 0 ? strnlen(s, (size_t)sp->prec) : strlen(s);
    sp->zero = false;
    emit_field(c, sp, "", 0, s, (int)(n > INT_MAX ? INT_MAX : n));
}

// One conversion, as parsed into sp. Returns false for an unknown one.
static bool convert(struct counter *c, struct spec *sp, va_list *ap) {
    char ch;
    switch (sp->conv) {
    case 'd': case 'i': {
        long long v = signed_arg(sp, ap);
        format_int(c, sp, v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v, v < 0);
        return true;
    }
    case 'u': case 'x': case 'X': case 'o':
        format_int(c, sp, unsigned_arg(sp, ap), false);
        return true;
    case 'p':
        format_int(c, sp, (uintptr_t)va_arg(*ap, void *), false);
        return true;
    case 'c':
        ch = (char)va_arg(*ap, int);
        sp->zero = false;
        emit_field(c, sp, "", 0, &ch, 1);
        return true;
    case 's':
        format_string(c, sp, va_arg(*ap, const char *));
        return true;
    case 'f': case 'F':
        format_float(c, sp, va_arg(*ap, double));
        return true;
    case '%':
        emit(c, "%", 1);
        return true;
    default:
        return false;
    }
}

int __vformat(struct fmt_sink *out, const char *fmt, va_list ap0) {
    struct counter c = { out, 0 };
    struct spec sp;
    va_list ap;
    va_copy(ap, ap0);
    while (*fmt) {
        const char *lit = fmt;
        while (*fmt && *fmt != '%') fmt++;
        emit(&c, lit, (size_t)(fmt - lit));
        if (!*fmt) break;
        const char *start = fmt;
        fmt = parse_spec(fmt + 1, &sp, &ap);
        if (!*fmt) {                                // a lone '%' at the end
            emit(&c, start, (size_t)(fmt - start));
            break;
        }
        if (!convert(&c, &sp, &ap)) emit(&c, start, (size_t)(fmt + 1 - start));
        fmt++;
    }
    va_end(ap);
    return c.n > INT_MAX ? INT_MAX : (int)c.n;
}

// ---- snprintf: into a buffer, always terminated, returns the full length ----
struct buf_sink {
    struct fmt_sink sink;
    char *buf;
    size_t size, used;
};

static void buf_put(struct fmt_sink *s, const char *p, size_t n) {
    struct buf_sink *b = (struct buf_sink *)s;
    size_t room = b->size > b->used + 1 ? b->size - b->used - 1 : 0;
    if (room == 0) return;
    memcpy(b->buf + b->used, p, n < room ? n : room);
    b->used += n < room ? n : room;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) {
    struct buf_sink b = { { buf_put }, buf, size, 0 };
    int n = __vformat(&b.sink, fmt, ap);
    if (size) buf[b.used] = 0;
    return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int sprintf(char *buf, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, SIZE_MAX / 2, fmt, ap);
    va_end(ap);
    return n;
}
