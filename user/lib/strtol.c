// user/lib/strtol.c: number parsing. Out-of-range values clamp and set
// errno = ERANGE, as in C; *end (when given) points past the digits, or at
// s when there were none.
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>

static int digit_value(int c) {
    if (isdigit(c)) return c - '0';
    if (islower(c)) return c - 'a' + 10;
    if (isupper(c)) return c - 'A' + 10;
    return 99;
}

// The magnitude, with its sign apart; *overflow when it passed limit.
static unsigned long long parse(const char *s, char **end, int base, bool *neg,
                                unsigned long long limit, bool *overflow) {
    const char *p = s;
    unsigned long long v = 0;
    bool any = false;
    *neg = *overflow = false;
    while (isspace(*p)) p++;
    if (*p == '+' || *p == '-') *neg = *p++ == '-';
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
        digit_value(p[2]) < 16) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = p[0] == '0' ? 8 : 10;
    }
    if (base < 2 || base > 36) {
        errno = EINVAL;
        if (end) *end = (char *)s;
        return 0;
    }
    for (; digit_value(*p) < base; p++, any = true) {
        unsigned d = (unsigned)digit_value(*p);
        if (v > (limit - d) / (unsigned)base) *overflow = true;
        else v = v * (unsigned)base + d;
    }
    if (end) *end = (char *)(any ? p : s);
    return v;
}

long long strtoll(const char *s, char **end, int base) {
    bool neg, overflow;
    unsigned long long v = parse(s, end, base, &neg, (unsigned long long)LLONG_MAX + 1, &overflow);
    if (overflow || (!neg && v > LLONG_MAX)) {
        errno = ERANGE;
        return neg ? LLONG_MIN : LLONG_MAX;
    }
    return neg ? (long long)(0ull - v) : (long long)v;
}

unsigned long long strtoull(const char *s, char **end, int base) {
    bool neg, overflow;
    unsigned long long v = parse(s, end, base, &neg, ULLONG_MAX, &overflow);
    if (overflow) {
        errno = ERANGE;
        return ULLONG_MAX;
    }
    return neg ? 0ull - v : v;                      // C says "-1" is ULLONG_MAX
}

// long is 64 bits on x86_64 (hw) but 32 on wasm32 (a SIP): clamp to its own range.
long strtol(const char *s, char **end, int base) {
    long long v = strtoll(s, end, base);
    if ((long)v != v) {
        errno = ERANGE;
        return v < 0 ? -__LONG_MAX__ - 1 : __LONG_MAX__;
    }
    return (long)v;
}

unsigned long strtoul(const char *s, char **end, int base) {
    return (unsigned long)strtoull(s, end, base);
}

int atoi(const char *s) { return (int)strtol(s, NULL, 10); }
long atol(const char *s) { return strtol(s, NULL, 10); }
int abs(int x) { return x < 0 ? -x : x; }
long labs(long x) { return x < 0 ? -x : x; }
