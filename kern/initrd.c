// kern/initrd.c: parser for the ustar archive that GRUB passes as the initrd.
//
// This file must stay pure: it includes only freestanding compiler headers and its own
// header, because grade/host/ links it into host unit tests and a libFuzzer target.
// It must survive any input, so every read is checked against [base, base + len).
//
// What is accepted, and why:
//  - Headers with the POSIX magic "ustar\0" or the GNU one "ustar ". The checksum must
//    match, as the unsigned byte sum or the signed one that some old tars wrote.
//  - Regular files are types '0' and '\0' (a '\0' or '0' entry whose name ends in '/'
//    is an old-style directory). Directories, links, devices and fifos ('1'..'6') are
//    skipped and carry no data, as in POSIX. Every other type is refused: pax ('x',
//    'g') and GNU ('L', 'K') extension headers change the meaning of the next entry,
//    and skipping them would silently give files the wrong names.
//  - Names of at most 100 bytes. The ustar prefix field is refused instead of joined:
//    struct initrd_file names point into the archive, where prefix + "/" + name is not
//    contiguous. tools/mkinitrd refuses such paths too, so our own images never hit it.
//  - Leading "/" and "./" are stripped from names; a ".." component is refused, so the
//    file system seeded from the initrd never sees a path that escapes its root.
//  - The archive ends with two zero blocks, and what follows them (tar pads archives to
//    10 KiB records) is ignored. A buffer without them is refused ("missing
//    end-of-archive blocks"): GNU tar and Python's tarfile always write both, so their
//    absence means the module was truncated. The length must be a multiple of 512.
#include "initrd.h"

#include <stdarg.h>
#include <stdbool.h>

#define BLOCK 512

// ustar header layout (POSIX.1-1988): offsets and widths of the fields we read.
#define H_NAME          0
#define H_NAME_LEN      100
#define H_SIZE          124
#define H_SIZE_LEN      12
#define H_CHKSUM        148
#define H_CHKSUM_LEN    8
#define H_TYPE          156
#define H_MAGIC         257
#define H_PREFIX        345

enum entry_kind { ENTRY_FILE, ENTRY_SKIP, ENTRY_END };

// One parsed header; next is the offset of the header after this entry's data.
struct entry {
    enum entry_kind kind;
    const char *name;
    size_t name_len;
    const uint8_t *data;
    size_t size;
    size_t next;
};

// ---- Error messages ----
// No snprintf in the kernel, so a tiny formatter writes into one static buffer. That is
// safe because the initrd is opened once, single-threaded, at boot.

static char errbuf[384];   // fits the longest message with a fully escaped name
static size_t errpos;

static void emit(char c)
{
    if (errpos + 1 < sizeof errbuf)
        errbuf[errpos++] = c;
}

static void emit_str(const char *s)
{
    while (*s)
        emit(*s++);
}

static void emit_uint(uint64_t v)
{
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        emit(digits[--n]);
}

// Archive bytes go into a message a person reads on a serial console: escape them.
static void emit_byte(uint8_t c)
{
    static const char hex[] = "0123456789abcdef";
    if (c >= 0x20 && c < 0x7f && c != '\\') {
        emit((char)c);
        return;
    }
    emit('\\');
    emit('x');
    emit(hex[c >> 4]);
    emit(hex[c & 15]);
}

// A quoted name, cut short so the offset at the end of the message survives.
static void emit_name(const char *s, size_t n)
{
    emit('\'');
    for (size_t i = 0; i < n && i < 60; i++)
        emit_byte((uint8_t)s[i]);
    if (n > 60)
        emit_str("...");
    emit('\'');
}

// One conversion of fail()'s format: %s C string, %z size_t, %U uint64_t,
// %q name as (const char *, size_t), %c archive byte (passed as int), quoted.
static void emit_verb(char verb, va_list *ap)
{
    const char *s;
    switch (verb) {
    case 's': emit_str(va_arg(*ap, const char *)); break;
    case 'z': emit_uint(va_arg(*ap, size_t)); break;
    case 'U': emit_uint(va_arg(*ap, uint64_t)); break;
    case 'q':
        s = va_arg(*ap, const char *);
        emit_name(s, va_arg(*ap, size_t));
        break;
    case 'c':
        emit('\'');
        emit_byte((uint8_t)va_arg(*ap, int));
        emit('\'');
        break;
    default: emit('%'); emit(verb); break;
    }
}

// Formats fmt into errbuf and stores it in *err (if err is not NULL); returns -1 so
// callers can `return fail(...)`.
static int fail(const char **err, const char *fmt, ...)
{
    if (err == NULL)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    errpos = 0;
    for (; *fmt; fmt++) {
        if (*fmt == '%' && fmt[1] != '\0')
            emit_verb(*++fmt, &ap);
        else
            emit(*fmt);
    }
    va_end(ap);
    errbuf[errpos] = '\0';
    *err = errbuf;
    return -1;
}

// ---- Header fields ----

static bool is_zero_block(const uint8_t *b)
{
    for (size_t i = 0; i < BLOCK; i++)
        if (b[i] != 0)
            return false;
    return true;
}

static bool has_magic(const uint8_t *h)
{
    static const char magic[] = "ustar";
    for (size_t i = 0; i < 5; i++)
        if (h[H_MAGIC + i] != (uint8_t)magic[i])
            return false;
    // POSIX follows with NUL and version "00"; GNU with " " and " \0".
    return h[H_MAGIC + 5] == '\0' || h[H_MAGIC + 5] == ' ';
}

// A numeric field: optional leading spaces, at least one octal digit, then only NULs or
// spaces to the end of the field. Fields are at most 12 bytes, so 36 bits: no overflow.
// GNU's base-256 encoding (first byte 0x80) is for files over 8 GiB: refused as non-octal.
static int parse_octal(const uint8_t *field, size_t width, uint64_t *out)
{
    size_t i = 0;
    uint64_t v = 0;
    while (i < width && field[i] == ' ')
        i++;
    size_t first_digit = i;
    for (; i < width && field[i] >= '0' && field[i] <= '7'; i++)
        v = (v << 3) | (uint64_t)(field[i] - '0');
    if (i == first_digit)
        return -1;
    for (; i < width; i++)
        if (field[i] != ' ' && field[i] != '\0')
            return -1;
    *out = v;
    return 0;
}

// The checksum field itself counts as eight spaces. Accept the unsigned sum (POSIX) or
// the signed one (historic tars that summed plain, signed chars).
static bool checksum_ok(const uint8_t *h, uint64_t stored)
{
    int64_t usum = 0, ssum = 0;
    for (size_t i = 0; i < BLOCK; i++) {
        bool in_field = i >= H_CHKSUM && i < H_CHKSUM + H_CHKSUM_LEN;
        int b = in_field ? ' ' : h[i];
        usum += b;
        ssum += b >= 128 ? b - 256 : b;
    }
    return (int64_t)stored == usum || (int64_t)stored == ssum;
}

static size_t field_len(const uint8_t *f, size_t width)
{
    size_t n = 0;
    while (n < width && f[n] != 0)
        n++;
    return n;
}

// So that "/etc/motd", "./etc/motd" and "etc/motd" all name one file.
static void strip_leading(const char **s, size_t *n)
{
    for (;;) {
        if (*n >= 1 && (*s)[0] == '/') {
            *s += 1;
            *n -= 1;
        } else if (*n >= 2 && (*s)[0] == '.' && (*s)[1] == '/') {
            *s += 2;
            *n -= 2;
        } else {
            return;
        }
    }
}

static bool has_dotdot(const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '/')
            continue;
        if (i - start == 2 && s[start] == '.' && s[start + 1] == '.')
            return true;
        start = i + 1;
    }
    return false;
}

static bool names_equal(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn)
        return false;
    for (size_t i = 0; i < an; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

// ---- Entries ----

// A zero block must be the first of the two that end the archive.
static int parse_end(size_t len, size_t off, const uint8_t *h, struct entry *e,
                     const char **err)
{
    if (len - off < 2 * BLOCK)
        return fail(err, "missing end-of-archive blocks (only one zero block) at offset %z",
                    off);
    if (!is_zero_block(h + BLOCK))
        return fail(err, "lone zero block before more headers at offset %z", off);
    if (len % BLOCK != 0)
        return fail(err, "archive length %z is not a multiple of 512 (partial block at "
                    "offset %z)", len, len - len % BLOCK);
    e->kind = ENTRY_END;
    e->next = off;
    return 0;
}

// Checks what every non-zero header needs: magic, checksum, size, no prefix.
static int check_header(const uint8_t *h, size_t off, uint64_t *size, const char **err)
{
    uint64_t stored = 0;
    if (!has_magic(h))
        return fail(err, "not a ustar archive (no magic) at offset %z", off);
    if (parse_octal(h + H_CHKSUM, H_CHKSUM_LEN, &stored) < 0)
        return fail(err, "non-octal checksum field at offset %z", off);
    if (!checksum_ok(h, stored))
        return fail(err, "bad header checksum at offset %z", off);
    if (parse_octal(h + H_SIZE, H_SIZE_LEN, size) < 0)
        return fail(err, "non-octal size field at offset %z", off);
    if (h[H_PREFIX] != 0)
        return fail(err, "path longer than 100 bytes (ustar prefix field, not supported) "
                    "at offset %z", off);
    return 0;
}

// Regular file, skipped entry without data, or (-1) a type we refuse.
static int classify(uint8_t type, const char *name, size_t name_len)
{
    if (type == '0' || type == '\0') {
        bool dir = name_len > 0 && name[name_len - 1] == '/';
        return dir ? ENTRY_SKIP : ENTRY_FILE;
    }
    if (type >= '1' && type <= '6')
        return ENTRY_SKIP;
    return -1;
}

// The usual reason for a refused type: an archive made by a tar with extensions on.
static const char *type_hint(uint8_t type)
{
    bool extension = type == 'x' || type == 'g' || type == 'L' || type == 'K';
    return extension ? " (pax/GNU extension header: pack with tools/mkinitrd or "
                       "tar --format=ustar)" : "";
}

static int parse_file(const uint8_t *h, size_t len, size_t off, uint64_t size,
                      struct entry *e, const char **err)
{
    if (e->name_len == 0)
        return fail(err, "empty file name at offset %z", off);
    if (has_dotdot(e->name, e->name_len))
        return fail(err, "file %q has a '..' component at offset %z",
                    e->name, e->name_len, off);
    // Compare in 64 bits against the room left, so a huge size cannot wrap an offset.
    uint64_t room = len - off - BLOCK;
    uint64_t padded = (size + BLOCK - 1) / BLOCK * BLOCK;
    if (padded > room)
        return fail(err, "file %q (size %U) runs past end of archive at offset %z",
                    e->name, e->name_len, size, off);
    e->data = h + BLOCK;
    e->size = (size_t)size;
    e->next = off + BLOCK + (size_t)padded;
    return 0;
}

// Parses the entry whose header is at off; any off is safe, even past the end.
static int parse_entry(const uint8_t *base, size_t len, size_t off, struct entry *e,
                       const char **err)
{
    if (off == len)
        return fail(err, "missing end-of-archive blocks at offset %z", off);
    if (off > len)
        return fail(err, "header offset %z is past the end of the archive", off);
    if (len - off < BLOCK)
        return fail(err, "truncated header at offset %z (%z bytes left)", off, len - off);
    const uint8_t *h = base + off;
    if (is_zero_block(h))
        return parse_end(len, off, h, e, err);
    uint64_t size = 0;
    if (check_header(h, off, &size, err) < 0)
        return -1;
    e->name = (const char *)h + H_NAME;
    e->name_len = field_len(h + H_NAME, H_NAME_LEN);
    // Classify before stripping, so "./" and "/" keep the '/' that marks a directory.
    int kind = classify(h[H_TYPE], e->name, e->name_len);
    strip_leading(&e->name, &e->name_len);
    if (kind < 0)
        return fail(err, "unsupported entry type %c%s at offset %z", h[H_TYPE],
                    type_hint(h[H_TYPE]), off);
    e->kind = (enum entry_kind)kind;
    e->data = NULL;
    e->size = 0;
    e->next = off + BLOCK;
    return kind == ENTRY_FILE ? parse_file(h, len, off, size, e, err) : 0;
}

// ---- Interface ----

int initrd_open(struct initrd *rd, const void *buf, size_t len, const char **err)
{
    if (buf == NULL || len == 0)
        return fail(err, "empty archive (0 bytes) at offset 0");
    size_t off = 0, nfiles = 0, total = 0;
    struct entry e;
    for (;;) {
        if (parse_entry(buf, len, off, &e, err) < 0)
            return -1;
        if (e.kind == ENTRY_END)
            break;
        if (e.kind == ENTRY_FILE) {
            nfiles++;
            total += e.size;
        }
        off = e.next;
    }
    rd->base = buf;
    rd->len = len;
    rd->nfiles = nfiles;
    rd->total_bytes = total;
    return 0;
}

int initrd_next(const struct initrd *rd, size_t *cursor, struct initrd_file *f)
{
    struct entry e;
    // initrd_open validated the archive, but every check runs again here: it is cheap,
    // and then even a corrupted cursor cannot make us read outside the archive.
    while (rd->base != NULL && parse_entry(rd->base, rd->len, *cursor, &e, NULL) == 0 &&
           e.kind != ENTRY_END) {
        *cursor = e.next;
        if (e.kind == ENTRY_FILE) {
            f->name = e.name;
            f->name_len = e.name_len;
            f->data = e.data;
            f->size = e.size;
            return 1;
        }
    }
    return 0;
}

int initrd_find(const struct initrd *rd, const char *path, struct initrd_file *f)
{
    size_t path_len = 0;
    while (path[path_len] != '\0')
        path_len++;
    strip_leading(&path, &path_len);
    size_t cursor = 0;
    struct initrd_file cur;
    int found = -1;
    while (initrd_next(rd, &cursor, &cur)) {
        if (names_equal(cur.name, cur.name_len, path, path_len)) {
            *f = cur;
            found = 0;
        }
    }
    return found;
}
