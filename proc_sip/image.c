// proc_sip/image.c: the sealed SIP image check (docs/sip-image.md). The order
// matters: the seal is checked before the manifest or the object is looked at,
// so a tampered image reaches no parser; every refusal is a one-line message.
#include "proc_sip/image.h"
#include "proc_sip/sha256.h"

#define FIELD(f) __builtin_offsetof(struct sip_image, f), sizeof(((struct sip_image *)0)->f)

enum kind { K_NAME, K_SYM, K_SIZE, K_ABI, K_DIGEST, K_MEMCHECK, K_ENDPOINT };

// One manifest key: how its value is checked and where it is stored.
struct key {
    const char *key;
    enum kind kind;
    size_t off, size;
};

static const struct key KEYS[] = {
    { "name",          K_NAME,     FIELD(name) },
    { "module",        K_NAME,     FIELD(module) },
    { "abi",           K_ABI,      FIELD(abi) },
    { "entry",         K_SYM,      FIELD(entry) },
    { "init_module",   K_SYM,      FIELD(init_module) },
    { "instantiate",   K_SYM,      FIELD(instantiate) },
    { "free",          K_SYM,      FIELD(free) },
    { "memory",        K_SYM,      FIELD(memory) },
    { "thread_entry",  K_SYM,      FIELD(thread_entry) },
    { "stack_pointer", K_SYM,      FIELD(stack_pointer) },
    { "instance_size", K_SIZE,     FIELD(instance_size) },
    { "digest",        K_DIGEST,   FIELD(digest) },
    { "memcheck",      K_MEMCHECK, FIELD(memcheck) },
    { "endpoint",      K_ENDPOINT, 0, 0 },
};
#define NKEYS (sizeof KEYS / sizeof KEYS[0])

static uint32_t load_le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int fail(const char **err, const char *msg) {
    *err = msg;
    return -1;
}

static int is_lower(uint8_t c) { return c >= 'a' && c <= 'z'; }
static int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
static int is_word(uint8_t c) {
    return is_lower(c) || is_digit(c) || c == '_' || (c >= 'A' && c <= 'Z');
}

// The program name rule: [a-z][a-z0-9_]{0,30}.
static int valid_name(const uint8_t *v, size_t n) {
    if (n == 0 || n >= SIP_NAME_MAX || !is_lower(v[0]))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!is_lower(v[i]) && !is_digit(v[i]) && v[i] != '_')
            return 0;
    return 1;
}

// A C symbol: [A-Za-z_][A-Za-z0-9_]*, at most 63 chars.
static int valid_sym(const uint8_t *v, size_t n) {
    if (n == 0 || n >= SIP_SYM_MAX || is_digit(v[0]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!is_word(v[i]))
            return 0;
    return 1;
}

// CONTRACT:ROLE, both [A-Za-z0-9_]+, at most 63 chars in all.
static int valid_endpoint(const uint8_t *v, size_t n) {
    size_t colon = 0, ncolon = 0;
    if (n == 0 || n >= SIP_SYM_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == ':') {
            colon = i;
            ncolon++;
        } else if (!is_word(v[i])) {
            return 0;
        }
    }
    return ncolon == 1 && colon > 0 && colon < n - 1;
}

// Decimal, no sign, no leading zero; 0 if malformed or above max.
static uint32_t parse_u32(const uint8_t *v, size_t n, uint32_t max) {
    uint64_t x = 0;
    if (n == 0 || n > 10 || (v[0] == '0'))
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(v[i]))
            return 0;
        x = x * 10 + (v[i] - '0');
    }
    return x <= max ? (uint32_t)x : 0;
}

static int hexval(uint8_t c) {
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

// 64 lowercase hex digits into 32 bytes.
static int parse_digest(const uint8_t *v, size_t n, uint8_t out[32]) {
    if (n != 64)
        return 0;
    for (size_t i = 0; i < 32; i++) {
        int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return 0;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 1;
}

static void copy_str(char *dst, const uint8_t *v, size_t n) {
    for (size_t i = 0; i < n; i++)
        dst[i] = (char)v[i];
    dst[n] = '\0';
}

static const struct key *find_key(const uint8_t *k, size_t n) {
    for (size_t i = 0; i < NKEYS; i++) {
        const char *s = KEYS[i].key;
        size_t j = 0;
        while (j < n && s[j] && s[j] == (char)k[j])
            j++;
        if (j == n && s[j] == '\0')
            return &KEYS[i];
    }
    return 0;
}

// "explicit", "guard" or "none" (docs/sip-image.md), in enum order; anything
// else is refused, not taken for the default: the kernel must know which the
// code relies on.
static int parse_memcheck(const uint8_t *v, size_t n, enum sip_memcheck *out) {
    static const char *const names[] = { "explicit", "guard", "none" };
    for (int m = 0; m < 3; m++) {
        size_t j = 0;
        while (j < n && names[m][j] && names[m][j] == (char)v[j])
            j++;
        if (j == n && names[m][j] == '\0') {
            *out = (enum sip_memcheck)m;
            return 1;
        }
    }
    return 0;
}

static int store_endpoint(struct sip_image *img, const uint8_t *v, size_t n,
                          const char **err) {
    if (!valid_endpoint(v, n))
        return fail(err, "manifest: endpoint is not CONTRACT:ROLE");
    if (img->nendpoints == SIP_ENDPOINTS_MAX)
        return fail(err, "manifest: more than 8 endpoint lines");
    copy_str(img->endpoint[img->nendpoints++], v, n);
    return 0;
}

// Checks one value by its key's kind and stores it into *img.
static int store_value(struct sip_image *img, const struct key *k,
                       const uint8_t *v, size_t n, const char **err) {
    uint8_t *field = (uint8_t *)img + k->off;
    switch (k->kind) {
    case K_NAME:
        if (!valid_name(v, n))
            return fail(err, "manifest: name/module is not [a-z][a-z0-9_]{0,30}");
        copy_str((char *)field, v, n);
        return 0;
    case K_SYM:
        if (!valid_sym(v, n))
            return fail(err, "manifest: a symbol value is not a C identifier under 64 chars");
        copy_str((char *)field, v, n);
        return 0;
    case K_SIZE:
        img->instance_size = parse_u32(v, n, SIP_INSTANCE_MAX);
        return img->instance_size ? 0 : fail(err, "manifest: bad instance_size");
    case K_ABI:
        img->abi = parse_u32(v, n, 0xffffffffu);
        return img->abi == SIP_ABI_VERSION ? 0 : fail(err, "manifest: abi is not 2 (rebuild the image with this tree's sipc)");
    case K_DIGEST:
        return parse_digest(v, n, img->digest) ? 0
               : fail(err, "manifest: digest is not 64 lowercase hex digits");
    case K_MEMCHECK:
        return parse_memcheck(v, n, &img->memcheck) ? 0
               : fail(err, "manifest: memcheck is not explicit, guard or none");
    case K_ENDPOINT:
        return store_endpoint(img, v, n, err);
    }
    return fail(err, "manifest: internal error");
}

// One line "key=value" (without its '\n'): every byte printable, no spaces.
static int parse_line(struct sip_image *img, const uint8_t *line, size_t n,
                      unsigned *seen, const char **err) {
    size_t eq = n;
    for (size_t i = 0; i < n; i++) {
        if (line[i] < 0x21 || line[i] > 0x7e)
            return fail(err, "manifest: a byte outside printable ASCII (or a space)");
        if (line[i] == '=' && eq == n)
            eq = i;
    }
    if (eq == n)
        return fail(err, "manifest: a line without '='");
    const struct key *k = find_key(line, eq);
    if (!k)
        return fail(err, "manifest: unknown key");
    unsigned bit = 1u << (k - KEYS);
    if (k->kind != K_ENDPOINT && (*seen & bit))
        return fail(err, "manifest: a key appears twice");
    *seen |= bit;
    return store_value(img, k, line + eq + 1, n - eq - 1, err);
}

static void clear(struct sip_image *img) {
    uint8_t *p = (uint8_t *)img;
    for (size_t i = 0; i < sizeof *img; i++)
        p[i] = 0;
}

int sip_manifest_parse(const uint8_t *text, size_t len, struct sip_image *img,
                       const char **err) {
    unsigned seen = 0, all = (1u << (NKEYS - 1)) - 1;   // every key but endpoint
    size_t start = 0;
    clear(img);
    if (len == 0 || text[len - 1] != '\n')
        return fail(err, "manifest: empty or last line without newline");
    for (size_t i = 0; i < len; i++) {
        if (text[i] != '\n')
            continue;
        if (parse_line(img, text + start, i - start, &seen, err) < 0)
            return -1;
        start = i + 1;
    }
    if ((seen & all) != all)
        return fail(err, "manifest: a required key is missing");
    for (int i = 0; img->name[i] || img->module[i]; i++)
        if (img->name[i] != img->module[i])
            return fail(err, "manifest: module differs from name");
    return 0;
}

// ELF64, little endian, current version, relocatable, x86_64.
static int check_object(const uint8_t *o, uint32_t n, const char **err) {
    static const uint8_t ident[7] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
    if (n < 64)
        return fail(err, "object: shorter than an ELF64 header");
    for (int i = 0; i < 7; i++)
        if (o[i] != ident[i])
            return fail(err, "object: not an ELF64 little-endian file");
    if ((o[16] | o[17] << 8) != 1)
        return fail(err, "object: not a relocatable (ET_REL) object");
    if ((o[18] | o[19] << 8) != 62)
        return fail(err, "object: not an x86_64 object");
    return 0;
}

// Magic and lengths: the file is exactly header + manifest + object + seal.
static int check_layout(const uint8_t *buf, size_t len, struct sip_image *img,
                        const char **err) {
    static const uint8_t magic[8] = "TWOSIP1";
    if (len < SIP_HEADER_LEN + SIP_SEAL_LEN)
        return fail(err, "image: too short for a header and a seal");
    for (int i = 0; i < 8; i++)
        if (buf[i] != magic[i])
            return fail(err, "image: bad magic (not a sealed SIP image)");
    uint32_t m = load_le32(buf + 8), o = load_le32(buf + 12);
    if (m == 0 || m > SIP_MANIFEST_MAX)
        return fail(err, "image: manifest length out of range");
    if (o == 0 || o > SIP_OBJECT_MAX)
        return fail(err, "image: object length out of range");
    if ((uint64_t)SIP_HEADER_LEN + m + o + SIP_SEAL_LEN != len)
        return fail(err, "image: lengths do not add up to the file size");
    img->manifest_len = m;
    img->object_len = o;
    return 0;
}

int sip_image_parse(const uint8_t *buf, size_t len, const uint8_t key[SIP_KEY_LEN],
                    struct sip_image *img, const char **err) {
    struct sip_image layout;
    uint8_t mac[SHA256_DIGEST], digest[SHA256_DIGEST];
    clear(&layout);
    if (check_layout(buf, len, &layout, err) < 0)
        return -1;
    size_t sealed = len - SIP_SEAL_LEN;
    hmac_sha256(key, SIP_KEY_LEN, buf, sealed, mac);
    if (!sha256_equal(mac, buf + sealed, SIP_SEAL_LEN))
        return fail(err, "image: bad seal (changed after sealing, or sealed by another build)");
    const uint8_t *manifest = buf + SIP_HEADER_LEN;
    const uint8_t *object = manifest + layout.manifest_len;
    if (sip_manifest_parse(manifest, layout.manifest_len, img, err) < 0)
        return -1;
    img->manifest = manifest;
    img->manifest_len = layout.manifest_len;
    img->object = object;
    img->object_len = layout.object_len;
    sha256(object, img->object_len, digest);
    if (!sha256_equal(digest, img->digest, SHA256_DIGEST))
        return fail(err, "image: object digest does not match the manifest");
    return check_object(object, img->object_len, err);
}
