// kern/printf.c: kprintf and ksnprintf over one formatter.
// Supports %d %i %u %x %X %p %s %c %% with l/ll/z modifiers, width,
// zero padding and '-' (left justify): what kernel messages need.
#include "kern/kern.h"

struct sink {
    void (*put)(struct sink *s, char c);
    char *buf;        // for ksnprintf
    size_t cap, len;
};

static void put_console(struct sink *s, char c) { console_putc(c); s->len++; }

static void put_buffer(struct sink *s, char c) {
    if (s->len + 1 < s->cap) s->buf[s->len] = c;
    s->len++;
}

struct spec { int width; int prec; bool prec_from_arg, zero, left; int longs; bool size_t_mod; };

static void emit_padded(struct sink *s, const char *str, size_t n, const struct spec *sp) {
    int pad = sp->width > (int)n ? sp->width - (int)n : 0;
    char pc = sp->zero && !sp->left ? '0' : ' ';
    if (!sp->left) while (pad-- > 0) s->put(s, pc);
    for (size_t i = 0; i < n; i++) s->put(s, str[i]);
    if (sp->left) while (pad-- > 0) s->put(s, ' ');
}

static void emit_number(struct sink *s, uint64_t v, bool neg, unsigned base,
                        bool upper, const struct spec *sp) {
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int i = sizeof tmp;
    do { tmp[--i] = digits[v % base]; v /= base; } while (v);
    if (neg) {
        if (sp->zero && sp->width > 0) {      // "-0042": sign before the zeros
            s->put(s, '-');
            struct spec rest = *sp;
            rest.width--;
            emit_padded(s, tmp + i, sizeof tmp - i, &rest);
            return;
        }
        tmp[--i] = '-';
    }
    emit_padded(s, tmp + i, sizeof tmp - i, sp);
}

static const char *parse_spec(const char *f, struct spec *sp) {
    *sp = (struct spec){0};
    for (;; f++) {
        if (*f == '0') sp->zero = true;
        else if (*f == '-') sp->left = true;
        else break;
    }
    while (*f >= '0' && *f <= '9') sp->width = sp->width * 10 + (*f++ - '0');
    sp->prec = -1;
    if (*f == '.') {                           // precision: only %.Ns and %.*s use it
        f++;
        if (*f == '*') { sp->prec_from_arg = true; f++; }
        else for (sp->prec = 0; *f >= '0' && *f <= '9'; f++) sp->prec = sp->prec * 10 + (*f - '0');
    }
    while (*f == 'l') { sp->longs++; f++; }
    if (*f == 'z') { sp->size_t_mod = true; f++; }
    return f;
}

static uint64_t arg_unsigned(va_list *ap, const struct spec *sp) {
    if (sp->longs || sp->size_t_mod) return va_arg(*ap, uint64_t);
    return va_arg(*ap, unsigned);
}

static void format_one(struct sink *s, char conv, const struct spec *sp, va_list *ap) {
    switch (conv) {
    case 'd': case 'i': {
        int64_t v = (sp->longs || sp->size_t_mod) ? va_arg(*ap, int64_t) : va_arg(*ap, int);
        emit_number(s, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, 10, false, sp);
        break;
    }
    case 'u': emit_number(s, arg_unsigned(ap, sp), false, 10, false, sp); break;
    case 'x': emit_number(s, arg_unsigned(ap, sp), false, 16, false, sp); break;
    case 'X': emit_number(s, arg_unsigned(ap, sp), false, 16, true, sp); break;
    case 'p': {
        s->put(s, '0'); s->put(s, 'x');
        struct spec p = { .width = 16, .zero = true };
        emit_number(s, (uint64_t)va_arg(*ap, void *), false, 16, false, &p);
        break;
    }
    case 's': {
        const char *str = va_arg(*ap, const char *);
        if (!str) str = "(null)";
        size_t n = 0;
        while (str[n] && (sp->prec < 0 || n < (size_t)sp->prec)) n++;
        emit_padded(s, str, n, sp);
        break;
    }
    case 'c': { char c = (char)va_arg(*ap, int); emit_padded(s, &c, 1, sp); break; }
    case '%': s->put(s, '%'); break;
    default: s->put(s, '%'); s->put(s, conv); break;   // show what was not understood
    }
}

static void format(struct sink *s, const char *f, va_list ap) {
    va_list aq;
    va_copy(aq, ap);
    while (*f) {
        if (*f != '%') { s->put(s, *f++); continue; }
        struct spec sp;
        f = parse_spec(f + 1, &sp);
        if (!*f) break;
        if (sp.prec_from_arg) sp.prec = va_arg(aq, int);
        format_one(s, *f++, &sp, &aq);
    }
    va_end(aq);
}

int kvprintf(const char *fmt, va_list ap) {
    struct sink s = { .put = put_console };
    console_lock();
    format(&s, fmt, ap);
    console_unlock();
    return (int)s.len;
}

int kprintf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = kvprintf(fmt, ap);
    va_end(ap);
    return n;
}

int kvsnprintf(char *buf, size_t n, const char *fmt, va_list ap) {
    struct sink s = { .put = put_buffer, .buf = buf, .cap = n };
    format(&s, fmt, ap);
    if (n) buf[s.len < n ? s.len : n - 1] = 0;
    return (int)s.len;
}

int ksnprintf(char *buf, size_t n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = kvsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}
