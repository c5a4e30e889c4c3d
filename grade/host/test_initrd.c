// grade/host/test_initrd.c: host unit tests for kern/initrd.c, the ustar parser.
// Archives are built by hand in memory (headers, checksums and all) so each test says
// exactly which bytes are wrong. Built with ASan and UBSan by grade/host/host.mk.
#include "kern/initrd.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "grade/host/check.h"

#define check(ok, name, ...) check_named((name), (ok), __VA_ARGS__)

// ---- Building archives ----

#define BLK 512
static uint8_t arc[64 * BLK];
static size_t arc_len;

static void put_octal(uint8_t *field, size_t width, size_t v)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%0*zo", (int)width - 1, v);
    memcpy(field, tmp, width - 1);
    field[width - 1] = 0;
}

// Recomputes the checksum of the header at off, as tar does after filling it in.
static void seal(size_t off)
{
    uint8_t *h = arc + off;
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (size_t i = 0; i < BLK; i++)
        sum += h[i];
    char tmp[16];
    snprintf(tmp, sizeof tmp, "%06o", sum);
    memcpy(h + 148, tmp, 6);
    h[154] = 0;
    h[155] = ' ';
}

// Appends a POSIX ustar header; returns its offset. name may be exactly 100 bytes.
static size_t add_header(const char *name, char type, size_t size)
{
    size_t off = arc_len;
    uint8_t *h = arc + off;
    memset(h, 0, BLK);
    memcpy(h, name, strlen(name) < 100 ? strlen(name) : 100);
    put_octal(h + 100, 8, 0644);
    put_octal(h + 108, 8, 0);
    put_octal(h + 116, 8, 0);
    put_octal(h + 124, 12, size);
    put_octal(h + 136, 12, 0);
    h[156] = (uint8_t)type;
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    seal(off);
    arc_len += BLK;
    return off;
}

static size_t add_file(const char *name, const void *data, size_t size)
{
    size_t off = add_header(name, '0', size);
    memset(arc + arc_len, 0, (size + BLK - 1) / BLK * BLK);
    memcpy(arc + arc_len, data, size);
    arc_len += (size + BLK - 1) / BLK * BLK;
    return off;
}

static void add_zero_blocks(size_t n)
{
    memset(arc + arc_len, 0, n * BLK);
    arc_len += n * BLK;
}

static void reset(void)
{
    memset(arc, 0, sizeof arc);
    arc_len = 0;
}

static const char motd[] = "hello from the initrd\n";
static uint8_t big[600];
static char long_name[101];

// The reference archive: a directory, four regular files, a symlink, end blocks and
// record padding like tar writes.
static void build_valid(void)
{
    reset();
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 7);
    memset(long_name, 'n', 100);
    long_name[0] = 'x';
    long_name[1] = '/';
    add_header("etc/", '5', 0);
    add_file("etc/motd", motd, strlen(motd));
    add_file("bin/init", big, sizeof big);
    add_header("bin/sh", '2', 0);
    add_file("empty", "", 0);
    add_file(long_name, "L", 1);
    add_zero_blocks(2);
    add_zero_blocks(4);
}

// ---- Helpers for checking ----

static bool name_is(const struct initrd_file *f, const char *want)
{
    return f->name_len == strlen(want) && memcmp(f->name, want, f->name_len) == 0;
}

// Opens arc[0..len) expecting failure with a message containing want.
static void expect_error(const char *test, size_t len, const char *want)
{
    struct initrd rd;
    const char *err = NULL;
    int r = initrd_open(&rd, arc, len, &err);
    check(r == -1 && err != NULL && strstr(err, want) != NULL, test,
          "open returned %d, err \"%s\", wanted an error containing \"%s\"",
          r, err ? err : "(null)", want);
}

// ---- Valid archives ----

static void test_valid_open(struct initrd *rd)
{
    const char *err = NULL;
    build_valid();
    int r = initrd_open(rd, arc, arc_len, &err);
    check(r == 0, "valid: open", "returned %d: %s", r, err ? err : "(null)");
    check(rd->nfiles == 4, "valid: nfiles", "nfiles %zu, want 4", rd->nfiles);
    size_t want_total = strlen(motd) + sizeof big + 0 + 1;
    check(rd->total_bytes == want_total, "valid: total_bytes", "%zu, want %zu",
          rd->total_bytes, want_total);
}

static void test_valid_list(const struct initrd *rd)
{
    static const char *names[] = { "etc/motd", "bin/init", "empty", long_name };
    size_t sizes[] = { strlen(motd), sizeof big, 0, 1 };
    struct initrd_file f;
    size_t cursor = 0, n = 0;
    bool ok = true;
    while (initrd_next(rd, &cursor, &f)) {
        ok = ok && n < 4 && name_is(&f, names[n]) && f.size == sizes[n];
        n++;
    }
    check(ok && n == 4, "valid: next lists files in order, skips dir and symlink",
          "%zu files or wrong name/size", n);
    check(initrd_next(rd, &cursor, &f) == 0, "valid: next stays at end", "returned 1");
}

static void test_valid_find(const struct initrd *rd)
{
    struct initrd_file f;
    static const char *motd_paths[] = { "etc/motd", "/etc/motd", "./etc/motd", "/./etc/motd" };
    for (size_t i = 0; i < 4; i++) {
        char test[64];
        snprintf(test, sizeof test, "find \"%s\"", motd_paths[i]);
        int r = initrd_find(rd, motd_paths[i], &f);
        check(r == 0 && f.size == strlen(motd) && memcmp(f.data, motd, f.size) == 0,
              test, "returned %d or wrong data", r);
    }
    check(initrd_find(rd, "bin/init", &f) == 0 && f.size == sizeof big &&
          memcmp(f.data, big, sizeof big) == 0, "find multi-block file", "wrong data");
    check(initrd_find(rd, long_name, &f) == 0 && f.name_len == 100 && f.data[0] == 'L',
          "find 100-byte name (no NUL in header)", "not found or wrong");
    check(initrd_find(rd, "empty", &f) == 0 && f.size == 0, "find empty file", "wrong");
    check(initrd_find(rd, "etc", &f) == -1, "find directory fails", "found");
    check(initrd_find(rd, "bin/sh", &f) == -1, "find symlink fails", "found");
    check(initrd_find(rd, "etc/mot", &f) == -1, "find prefix of a name fails", "found");
    check(initrd_find(rd, "etc/motdx", &f) == -1, "find longer name fails", "found");
    check(initrd_find(rd, "", &f) == -1, "find empty path fails", "found");
}

static void test_dot_slash_names_and_duplicates(void)
{
    struct initrd rd;
    struct initrd_file f;
    reset();
    add_header("./", '5', 0);
    add_file("./etc/passwd", "root\n", 5);
    add_file("etc/passwd", "toor:x\n", 7);
    add_header("olddir/", '\0', 0);
    add_zero_blocks(2);
    int r = initrd_open(&rd, arc, arc_len, NULL);
    check(r == 0 && rd.nfiles == 2, "tar -C root . style names open", "r %d nfiles %zu",
          r, rd.nfiles);
    size_t cursor = 0;
    r = initrd_next(&rd, &cursor, &f);
    check(r == 1 && name_is(&f, "etc/passwd"), "leading ./ stripped from listed name",
          "got %.*s", (int)f.name_len, f.name);
    r = initrd_find(&rd, "/etc/passwd", &f);
    check(r == 0 && f.size == 7, "duplicate path: find returns the later entry",
          "r %d size %zu", r, f.size);
}

static void test_gnu_magic_and_empty_archive(void)
{
    struct initrd rd;
    reset();
    size_t off = add_file("a", "x", 1);
    memcpy(arc + off + 257, "ustar  ", 8);   // GNU tar's magic and version
    seal(off);
    add_zero_blocks(2);
    check(initrd_open(&rd, arc, arc_len, NULL) == 0 && rd.nfiles == 1,
          "GNU ustar magic accepted", "refused");
    reset();
    add_zero_blocks(20);   // what `tar cf x.tar -T /dev/null` writes
    check(initrd_open(&rd, arc, arc_len, NULL) == 0 && rd.nfiles == 0 &&
          rd.total_bytes == 0, "archive with no files accepted", "refused");
}

// ---- Malformed archives ----

static void test_bad_checksum(void)
{
    build_valid();
    arc[0] ^= 1;
    expect_error("bad checksum in first header", arc_len, "bad header checksum at offset 0");
    build_valid();
    arc[BLK + 3] ^= 0x40;   // etc/motd's header
    expect_error("bad checksum reports its offset", arc_len,
                 "bad header checksum at offset 512");
    build_valid();
    arc[BLK + 150] = 'z';
    expect_error("non-octal checksum field", arc_len, "non-octal checksum field at offset 512");
}

static void test_truncated(void)
{
    build_valid();
    expect_error("truncated header", 3 * BLK + 300, "truncated header at offset 1536");
    expect_error("buffer shorter than one header", 100, "truncated header at offset 0");
    expect_error("file data cut short", 2 * BLK + 10, "runs past end of archive");
    expect_error("missing end blocks after last file", 10 * BLK,
                 "missing end-of-archive blocks at offset 5120");
    reset();
    add_file("a", "x", 1);
    add_zero_blocks(1);
    expect_error("only one end block", arc_len, "missing end-of-archive blocks");
    reset();
    add_file("a", "x", 1);
    add_zero_blocks(1);
    add_file("b", "y", 1);
    add_zero_blocks(2);
    expect_error("lone zero block before a header", arc_len, "lone zero block");
}

static void test_bad_sizes(void)
{
    reset();
    size_t off = add_file("etc/motd", "hi", 2);
    add_zero_blocks(2);
    put_octal(arc + off + 124, 12, 9999);
    seal(off);
    expect_error("size past end", arc_len,
                 "file 'etc/motd' (size 9999) runs past end of archive at offset 0");
    memcpy(arc + off + 124, "77777777777", 12);   // 8 GiB - 1
    seal(off);
    expect_error("huge size", arc_len, "runs past end of archive");
    memcpy(arc + off + 124, "0000000x012", 12);
    seal(off);
    expect_error("non-octal size", arc_len, "non-octal size field at offset 0");
    memset(arc + off + 124, 0, 12);
    arc[off + 124] = 0x80;   // GNU base-256
    arc[off + 135] = 2;
    seal(off);
    expect_error("base-256 size refused", arc_len, "non-octal size field");
    memset(arc + off + 124, ' ', 12);
    seal(off);
    expect_error("blank size field", arc_len, "non-octal size field");
}

static void test_bad_headers(void)
{
    build_valid();
    memcpy(arc + 257, "ustaR", 5);
    expect_error("bad magic", arc_len, "not a ustar archive (no magic) at offset 0");
    reset();
    memset(arc, 'A', 4 * BLK);
    expect_error("not a tar file at all", 4 * BLK, "no magic");
    reset();
    size_t off = add_file("file", "x", 1);
    add_zero_blocks(2);
    memcpy(arc + off + 345, "some/long/prefix", 16);
    seal(off);
    expect_error("prefix field refused", arc_len, "prefix field");
    arc[off + 345] = 0;
    arc[off + 156] = 'x';
    seal(off);
    expect_error("pax header refused", arc_len, "unsupported entry type 'x' (pax");
    arc[off + 156] = 0xff;
    seal(off);
    expect_error("binary type byte escaped", arc_len,
                 "unsupported entry type '\\xff' at offset 0");
}

static void test_bad_names(void)
{
    reset();
    add_file("etc/../../boot/x", "x", 1);
    add_zero_blocks(2);
    expect_error("'..' component refused", arc_len, "has a '..' component at offset 0");
    reset();
    add_file("..", "x", 1);
    add_zero_blocks(2);
    expect_error("bare '..' refused", arc_len, "'..' component");
    reset();
    add_file("a..b/..c", "x", 1);
    add_zero_blocks(2);
    struct initrd rd;
    check(initrd_open(&rd, arc, arc_len, NULL) == 0, "'..' inside a component is fine",
          "refused");
    reset();
    add_file("", "x", 1);
    add_zero_blocks(2);
    expect_error("empty name refused", arc_len, "empty file name at offset 0");
    reset();
    add_file("./", "", 0);   // a '/' at the end makes it an old-style directory
    add_file("/", "", 0);
    add_zero_blocks(2);
    const char *err = NULL;
    int r = initrd_open(&rd, arc, arc_len, &err);
    check(r == 0 && rd.nfiles == 0, "'./' and '/' typed as files are old-style directories",
          "open returned %d (%s)", r, err ? err : "no error");
}

static void test_buffer_shape(void)
{
    struct initrd rd;
    const char *err = NULL;
    check(initrd_open(&rd, arc, 0, &err) == -1 && err && strstr(err, "empty"),
          "empty buffer", "err %s", err ? err : "(null)");
    err = NULL;
    check(initrd_open(&rd, NULL, 0, &err) == -1 && err && strstr(err, "empty"),
          "NULL buffer", "err %s", err ? err : "(null)");
    build_valid();
    expect_error("len not a multiple of 512", arc_len - 100,
                 "archive length 8092 is not a multiple of 512");
    expect_error("len not a multiple of 512 (bytes after end)", arc_len - BLK + 1,
                 "not a multiple of 512");
    check(initrd_open(&rd, arc, 2 * BLK + 1, NULL) == -1, "error with err == NULL",
          "accepted");
    struct initrd zero = { 0 };
    struct initrd_file f;
    size_t cursor = 0;
    check(initrd_next(&zero, &cursor, &f) == 0 && initrd_find(&zero, "a", &f) == -1,
          "zeroed struct initrd is empty", "found something");
}

// ---- Robustness: nothing may crash or read out of bounds (ASan watches) ----

// Iterates an accepted archive checking its invariants; false if any is broken.
static bool walk_ok(const struct initrd *rd, const uint8_t *buf, size_t len)
{
    struct initrd_file f, g;
    size_t cursor = 0, n = 0, total = 0;
    while (initrd_next(rd, &cursor, &f)) {
        const uint8_t *end = buf + len;
        if ((const uint8_t *)f.name < buf || (const uint8_t *)f.name + f.name_len > end ||
            f.data < buf || f.size > (size_t)(end - f.data) || f.name_len == 0)
            return false;
        char path[128];
        snprintf(path, sizeof path, "%.*s", (int)f.name_len, f.name);
        if (initrd_find(rd, path, &g) != 0)
            return false;
        n++;
        total += f.size;
    }
    return n == rd->nfiles && total == rd->total_bytes;
}

static void test_every_bit_flip(void)
{
    build_valid();
    size_t len = 12 * BLK;   // the entries and the end blocks, without record padding
    static uint8_t copy[12 * BLK];
    size_t accepted = 0, bad = 0;
    for (size_t bit = 0; bit < len * 8; bit++) {
        memcpy(copy, arc, len);
        copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        struct initrd rd;
        const char *err = NULL;
        int r = initrd_open(&rd, copy, len, &err);
        if (r == 0)
            bad += !walk_ok(&rd, copy, len), accepted++;
        else if (r != -1 || err == NULL || err[0] == '\0')
            bad++;
    }
    check(bad == 0, "every single-bit flip: error message or consistent archive",
          "%zu bad outcomes (%zu accepted)", bad, accepted);
}

static void test_every_truncation(void)
{
    build_valid();
    size_t full = arc_len, bad = 0;
    for (size_t len = 0; len <= full; len++) {
        static uint8_t copy[64 * BLK];
        memcpy(copy, arc, len);
        struct initrd rd;
        const char *err = NULL;
        int r = initrd_open(&rd, copy, len, &err);
        bool should_open = len >= 12 * BLK && len % BLK == 0;
        if (r != (should_open ? 0 : -1) || (r == 0 && !walk_ok(&rd, copy, len)))
            bad++;
    }
    check(bad == 0, "every truncation: refused unless whole blocks past the end marker",
          "%zu bad outcomes", bad);
}

int main(void)
{
    struct initrd rd;
    test_valid_open(&rd);
    test_valid_list(&rd);
    test_valid_find(&rd);
    test_dot_slash_names_and_duplicates();
    test_gnu_magic_and_empty_archive();
    test_bad_checksum();
    test_truncated();
    test_bad_sizes();
    test_bad_headers();
    test_bad_names();
    test_buffer_shape();
    test_every_bit_flip();
    test_every_truncation();
    return check_summary();
}
