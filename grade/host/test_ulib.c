// grade/host/test_ulib.c: the portable user C library (user/lib/*.c), run on
// the host under ASan and UBSan. Most checks are differential: the same
// call through the host's libc and through ours (renamed ulib_*, see
// grade/host/ulib.mk) must agree.
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"

// ---- The library under test ----
int ulib_snprintf(char *buf, size_t size, const char *fmt, ...);
int ulib_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
void *ulib_malloc(size_t n);
void ulib_free(void *p);
void *ulib_calloc(size_t n, size_t size);
void *ulib_realloc(void *p, size_t n);
long ulib_strtol(const char *s, char **end, int base);
unsigned long ulib_strtoul(const char *s, char **end, int base);
int ulib_atoi(const char *s);
void *ulib_memmove(void *dst, const void *src, size_t n);
void *ulib_memset(void *dst, int c, size_t n);
int ulib_memcmp(const void *a, const void *b, size_t n);
size_t ulib_strlen(const char *s);
int ulib_strcmp(const char *a, const char *b);
int ulib_strncmp(const char *a, const char *b, size_t n);
char *ulib_strchr(const char *s, int c);
char *ulib_strrchr(const char *s, int c);
char *ulib_strstr(const char *hay, const char *needle);
size_t ulib_strlcpy(char *dst, const char *src, size_t size);
char *ulib_strncpy(char *dst, const char *src, size_t n);
char *ulib_strtok_r(char *s, const char *delim, char **save);
char *ulib_strdup(const char *s);
char *ulib_strerror(int err);
void ulib_qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
unsigned ulib_rand_r(unsigned *seed);
int ulib_isdigit(int c), ulib_isspace(int c), ulib_isalpha(int c), ulib_isalnum(int c);
int ulib_ispunct(int c), ulib_isprint(int c), ulib_isxdigit(int c), ulib_toupper(int c);
extern int ulib_errno;

// ---- What the library asks of its kernel glue, played by the test ----
static _Alignas(16) char arena[16 << 20];
static size_t arena_used, arena_limit = sizeof arena;
static int morecore_calls;

void *ulib___morecore(size_t n) {
    morecore_calls++;
    if (n > arena_limit - arena_used) return NULL;
    void *p = arena + arena_used;
    arena_used += n;
    return p;
}

void ulib___lock_busy(void) {}                   // one thread: the lock is never busy

static jmp_buf abort_jump;
static bool abort_expected;

void ulib_abort(void) {
    if (!abort_expected) {
        fprintf(stderr, "ulib_abort called unexpectedly\n");
        abort();
    }
    longjmp(abort_jump, 1);
}

static unsigned seed = 12345;
static unsigned next_rand(void) { return ulib_rand_r(&seed); }

// ---- printf ----

// Formats with both printfs; they must agree on the text and the length.
static void same_format(const char *fmt, ...) {
    char ours[512], theirs[512];
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n1 = vsnprintf(theirs, sizeof theirs, fmt, ap);
    va_end(ap);
    int n2 = ulib_vsnprintf(ours, sizeof ours, fmt, ap2);
    va_end(ap2);
    check_named(fmt, n1 == n2 && strcmp(ours, theirs) == 0,
                "host \"%s\" (%d), ours \"%s\" (%d)", theirs, n1, ours, n2);
}

static void test_printf_fixed(void) {
    same_format("%d %i %u", 42, -42, 42u);
    same_format("%5d|%-5d|%05d|%+d|% d", 42, 42, 42, 42, 42);
    same_format("%x %X %#x %#X %o %#o %#o", 255u, 255u, 255u, 255u, 8u, 8u, 0u);
    same_format("%.3d|%.0d|%5.3d|%-8.3x|%08.3d", 7, 0, 7, 10u, 7);
    same_format("%ld %lu %lld %llu", LONG_MIN, ULONG_MAX, LLONG_MIN, ULLONG_MAX);
    same_format("%hhd %hhu %hd %hu", 300, 300, 70000, 70000);
    same_format("%zu %zd %jd %td", (size_t)123, (size_t)-5, (intmax_t)-7, (ptrdiff_t)9);
    same_format("%s|%10s|%-10s|%.2s|%*s|%-*s|", "abc", "abc", "abc", "abc", 6, "x", 6, "y");
    same_format("%c%c%5c%-3c|", 'a', 'b', 'c', 'd');
    same_format("%d%%", 50);
    same_format("%*d|%*d|%.*d", 6, 1, -6, 1, 4, 3);
    same_format("%f %f %f", 0.0, 1.5, -2.25);
    same_format("%.2f %.0f %.1f %10.3f %-10.3f|%010.2f", 3.14159, 2.6, 0.05, 3.14159, 2.0, -1.5);
    same_format("%f %.3f %.9f", 123456789.125, 0.0005, 1.0 / 3);
    same_format("%+.1f % .1f %#.0f", 1.0, 1.0, 3.0);
    same_format("%.6f %.2f", 1e15, 99.999);
    same_format("%x %lx", 0u, 0xdeadbeefcafeUL);
}

static void test_printf_ours(void) {
    char buf[64];
    int n = ulib_snprintf(buf, sizeof buf, "%s", (char *)NULL);
    check_named("%s of NULL prints (null)", n == 6 && strcmp(buf, "(null)") == 0, "got \"%s\"", buf);
    ulib_snprintf(buf, sizeof buf, "%p %p", (void *)0x1234, NULL);
    check_named("%p", strcmp(buf, "0x1234 0x0") == 0, "got \"%s\"", buf);
    ulib_snprintf(buf, sizeof buf, "a%yb%");
    check_named("unknown conversion and a trailing % print as written", strcmp(buf, "a%yb%") == 0,
                "got \"%s\"", buf);
    n = ulib_snprintf(buf, 5, "%s", "hello world");
    check_named("truncation: terminated, full length returned", n == 11 && strcmp(buf, "hell") == 0,
                "n %d \"%s\"", n, buf);
    n = ulib_snprintf(NULL, 0, "%d", 12345);
    check_named("size 0 with a NULL buffer only counts", n == 5, "n %d", n);
    n = ulib_snprintf(buf, sizeof buf, "%*d", INT_MIN, 1);
    check_named("a width of INT_MIN does not overflow", n > 0, "n %d", n);
    ulib_snprintf(buf, sizeof buf, "%f %f %f", 1.0 / 0.0, -1.0 / 0.0, 0.0 / 0.0);
    check_named("inf and nan", strcmp(buf, "inf -inf nan") == 0 || strcmp(buf, "inf -inf -nan") == 0,
                "got \"%s\"", buf);
    char *big = malloc(1 << 21);
    n = ulib_snprintf(big, 1 << 21, "%.0f", 1e300);
    check_named("%.0f of 1e300: 301 digits", n == 301 && big[0] == '1', "n %d", n);
    free(big);
}

// Random conversions with random flags, widths and precisions.
static void test_printf_random(void) {
    static const char *convs[] = { "d", "i", "u", "x", "X", "o", "ld", "lu", "lx", "hd", "hhu" };
    static const char *flags[] = { "", "-", "0", "+", " ", "#", "-+", "0#", "- #" };
    char fmt[32], ours[128], theirs[128];
    int bad = 0;
    for (int i = 0; i < 20000; i++) {
        const char *conv = convs[next_rand() % 11];
        const char *flag = flags[next_rand() % 9];
        int width = (int)(next_rand() % 25) - 1, prec = (int)(next_rand() % 22) - 1;
        char w[8] = "", p[8] = "";
        if (width >= 0) snprintf(w, sizeof w, "%d", width);
        if (prec >= 0) snprintf(p, sizeof p, ".%d", prec);
        // '#' with d/i/u is undefined in C: leave those out.
        if (strchr(flag, '#') && strpbrk(conv, "diu")) flag = "-";
        snprintf(fmt, sizeof fmt, "%%%s%s%s%s", flag, w, p, conv);
        long v = (long)(((uint64_t)next_rand() << 32) | next_rand()) >> (next_rand() % 64);
        if (next_rand() % 8 == 0) v = 0;
        int n1, n2;
        if (conv[0] == 'l') {
            n1 = snprintf(theirs, sizeof theirs, fmt, v);
            n2 = ulib_snprintf(ours, sizeof ours, fmt, v);
        } else {
            n1 = snprintf(theirs, sizeof theirs, fmt, (int)v);
            n2 = ulib_snprintf(ours, sizeof ours, fmt, (int)v);
        }
        if (n1 != n2 || strcmp(ours, theirs) != 0) {
            if (bad++ < 5) check_named(fmt, false, "host \"%s\", ours \"%s\"", theirs, ours);
        }
    }
    check_named("20000 random integer conversions agree with the host", bad == 0, "%d differ", bad);
}

// ---- malloc ----

static bool aligned(void *p) { return ((uintptr_t)p & 15) == 0; }

static void test_malloc_basics(void) {
    void *a = ulib_malloc(1), *b = ulib_malloc(100), *c = ulib_malloc(0);
    CHECK(a && b && c && aligned(a) && aligned(b) && aligned(c));
    CHECK(a != b && b != c && a != c);
    ulib_free(b);
    void *d = ulib_malloc(100);
    check_named("a freed block is reused", d == b, "%p vs %p", d, b);
    ulib_free(a), ulib_free(c), ulib_free(d);
    CHECK(ulib_malloc(SIZE_MAX) == NULL);
    CHECK(ulib_malloc(SIZE_MAX / 2 + 1) == NULL);
    CHECK(ulib_calloc(SIZE_MAX / 8, 16) == NULL);
    unsigned char *z = ulib_calloc(100, 7);
    bool zero = z != NULL;
    for (int i = 0; zero && i < 700; i++) zero = z[i] == 0;
    check_named("calloc zeroes (even reused memory)", zero, NULL);
    ulib_free(z);
    ulib_free(NULL);
}

static void test_realloc(void) {
    char *p = ulib_malloc(10);
    memcpy(p, "123456789", 10);
    p = ulib_realloc(p, 100000);
    CHECK(p && aligned(p) && strcmp(p, "123456789") == 0);
    char *q = ulib_realloc(p, 5);
    check_named("shrinking realloc keeps the block", q == p, NULL);
    CHECK(ulib_realloc(q, 0) == NULL);
    p = ulib_realloc(NULL, 32);
    CHECK(p != NULL);
    ulib_free(p);
}

// Many live blocks, each filled with its own byte; any overlap shows up as
// a wrong byte. Frees in random order; then the heap must coalesce enough
// to satisfy one big request without growing.
static void test_malloc_stress(void) {
    enum { N = 2000 };
    static unsigned char *blocks[N];
    static size_t sizes[N];
    int corrupt = 0;
    for (int round = 0; round < 20000; round++) {
        int i = (int)(next_rand() % N);
        if (blocks[i]) {
            for (size_t k = 0; k < sizes[i]; k++)
                if (blocks[i][k] != (unsigned char)i) corrupt++;
            ulib_free(blocks[i]);
            blocks[i] = NULL;
        } else {
            sizes[i] = next_rand() % (next_rand() % 8 == 0 ? 20000 : 200);
            blocks[i] = ulib_malloc(sizes[i]);
            if (!blocks[i] || !aligned(blocks[i])) corrupt++;
            else memset(blocks[i], i, sizes[i]);
        }
    }
    for (int i = 0; i < N; i++) ulib_free(blocks[i]), blocks[i] = NULL;
    check_named("20000 random mallocs and frees: no overlap, all aligned", corrupt == 0,
                "%d bad bytes or blocks", corrupt);
    int calls = morecore_calls;
    void *big = ulib_malloc(arena_used / 2);
    check_named("after freeing everything, neighbours merged into one big block",
                big && morecore_calls == calls, "morecore called %d more times", morecore_calls - calls);
    ulib_free(big);
}

static void test_malloc_out_of_memory(void) {
    arena_limit = arena_used;                        // the "kernel" refuses to grow the heap
    void *p = ulib_malloc(sizeof arena);
    CHECK(p == NULL);
    void *small = ulib_malloc(64);                   // still served from free memory
    CHECK(small != NULL);
    ulib_free(small);
    arena_limit = sizeof arena;
}

static bool aborts(void (*fn)(void *), void *arg) {
    abort_expected = true;
    bool aborted = setjmp(abort_jump) != 0;
    if (!aborted) fn(arg);
    abort_expected = false;
    return aborted;
}

static void free_it(void *p) { ulib_free(p); }

static void test_bad_free(void) {
    char *a = ulib_malloc(48), *b = ulib_malloc(48);
    ulib_free(a);
    check_named("double free aborts", aborts(free_it, a), NULL);
    check_named("free of a pointer inside a block aborts", aborts(free_it, b + 16), NULL);
    check_named("free of a misaligned pointer aborts", aborts(free_it, b + 3), NULL);
    ulib_free(b);
    void *c = ulib_malloc(48);
    CHECK(c != NULL);                                // the heap still works after all that
    ulib_free(c);
}

// ---- strings, numbers, sorting ----

static void test_strings(void) {
    char buf[64], hostbuf[64];
    for (int i = 0; i < 2000; i++) {                 // memmove over every kind of overlap
        for (int k = 0; k < 64; k++) buf[k] = hostbuf[k] = (char)(k + 1);
        size_t src = next_rand() % 32, dst = next_rand() % 32, n = next_rand() % 32;
        ulib_memmove(buf + dst, buf + src, n);
        memmove(hostbuf + dst, hostbuf + src, n);
        if (memcmp(buf, hostbuf, 64) != 0) {
            check_named("memmove", false, "src %zu dst %zu n %zu", src, dst, n);
            return;
        }
    }
    check_named("memmove agrees with the host for 2000 overlaps", true, NULL);
    CHECK(ulib_strlen("") == 0 && ulib_strlen("abc") == 3);
    CHECK(ulib_strcmp("abc", "abd") < 0 && ulib_strcmp("b", "a") > 0 && ulib_strcmp("x", "x") == 0);
    CHECK(ulib_strcmp("\xff", "a") > 0);             // compared as unsigned char
    CHECK(ulib_strncmp("abcX", "abcY", 3) == 0 && ulib_strncmp("ab", "abc", 5) < 0);
    const char *s = "hello world";
    CHECK(ulib_strchr(s, 'o') == s + 4 && ulib_strrchr(s, 'o') == s + 7 && ulib_strchr(s, 0) == s + 11);
    CHECK(ulib_strchr(s, 'z') == NULL);
    CHECK(ulib_strstr(s, "wor") == s + 6 && ulib_strstr(s, "") == s && ulib_strstr(s, "xyz") == NULL);
    CHECK(ulib_strlcpy(buf, "abcdef", 4) == 6 && strcmp(buf, "abc") == 0);
    ulib_strncpy(buf, "ab", 5);
    CHECK(buf[0] == 'a' && buf[2] == 0 && buf[4] == 0);
    char text[] = "  a,b ,, c  ", *save, *t;
    int count = 0;
    for (t = ulib_strtok_r(text, " ,", &save); t; t = ulib_strtok_r(NULL, " ,", &save)) count++;
    CHECK(count == 3);
    char *d = ulib_strdup("dup");
    CHECK(d && strcmp(d, "dup") == 0);
    ulib_free(d);
    CHECK(ulib_memcmp("ab", "ac", 2) < 0);
    ulib_memset(buf, 'x', 10);
    CHECK(buf[0] == 'x' && buf[9] == 'x');
}

static void test_strtol(void) {
    char *end;
    CHECK(ulib_strtol("  -123abc", &end, 10) == -123 && *end == 'a');
    CHECK(ulib_strtol("0x1F", &end, 0) == 31 && *end == 0);
    CHECK(ulib_strtol("0x1F", &end, 16) == 31);
    CHECK(ulib_strtol("017", &end, 0) == 15);
    CHECK(ulib_strtol("0xz", &end, 16) == 0 && *end == 'x');
    CHECK(ulib_strtol("+7", NULL, 10) == 7);
    const char *none = "abc";
    CHECK(ulib_strtol(none, &end, 10) == 0 && end == none);
    ulib_errno = 0;
    CHECK(ulib_strtol("99999999999999999999", &end, 10) == LONG_MAX && ulib_errno == ERANGE && *end == 0);
    ulib_errno = 0;
    CHECK(ulib_strtol("-9223372036854775808", NULL, 10) == LONG_MIN && ulib_errno == 0);
    CHECK(ulib_strtol("-9223372036854775809", NULL, 10) == LONG_MIN && ulib_errno == ERANGE);
    CHECK(ulib_strtoul("18446744073709551615", NULL, 10) == ULONG_MAX);
    CHECK(ulib_strtol("zz", NULL, 36) == 35 * 36 + 35);
    CHECK(ulib_atoi("42") == 42 && ulib_atoi("") == 0);
}

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static void test_qsort(void) {
    static int a[1000], b[1000];
    bool ok = true;
    for (int n = 0; n <= 1000 && ok; n += 37) {
        for (int i = 0; i < n; i++) a[i] = b[i] = (int)(next_rand() % 100) - 50;
        ulib_qsort(a, (size_t)n, sizeof a[0], cmp_int);
        qsort(b, (size_t)n, sizeof b[0], cmp_int);
        ok = memcmp(a, b, sizeof(int) * (size_t)n) == 0;
    }
    check_named("qsort sorts like the host's", ok, NULL);
}

static void test_ctype_strerror(void) {
    int bad = 0;
    for (int c = -1; c < 256; c++) {
        bad += !ulib_isdigit(c) != !isdigit(c);
        bad += !ulib_isspace(c) != !isspace(c);
        bad += !ulib_isalpha(c) != !isalpha(c);
        bad += !ulib_isalnum(c) != !isalnum(c);
        bad += !ulib_ispunct(c) != !ispunct(c);
        bad += !ulib_isprint(c) != !isprint(c);
        bad += !ulib_isxdigit(c) != !isxdigit(c);
        bad += ulib_toupper(c) != toupper(c);
    }
    check_named("ctype agrees with the host's C locale", bad == 0, "%d differ", bad);
    CHECK(strcmp(ulib_strerror(ENOENT), "No such file or directory") == 0);
    CHECK(strcmp(ulib_strerror(-ENOENT), "No such file or directory") == 0);
    CHECK(strcmp(ulib_strerror(9999), "Unknown error 9999") == 0);
}

int main(void) {
    test_printf_fixed();
    test_printf_ours();
    test_printf_random();
    test_malloc_basics();
    test_realloc();
    test_malloc_stress();
    test_malloc_out_of_memory();
    test_bad_free();
    test_strings();
    test_strtol();
    test_qsort();
    test_ctype_strerror();
    return check_summary();
}
