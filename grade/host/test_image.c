// grade/host/test_image.c: host unit tests for proc_sip/image.c, the sealed SIP
// image check. A valid image (manifest + a bare ELF64 ET_REL header as the
// object) is built and sealed here with proc_sip/sha256.c; each test breaks
// one thing and expects the refusal that names it. The tools/sipc side (real
// images from Python) is grade/test_sipc.py with grade/host/sip_check.c.
#include "proc_sip/image.h"
#include "proc_sip/sha256.h"

#include <stdio.h>
#include <string.h>
#include "grade/host/check.h"

static const uint8_t KEY[32] = "0123456789abcdef0123456789abcdef";
static uint8_t object[64];
static uint8_t file[8192];
static size_t file_len;

static void make_object(void) {
    static const uint8_t ident[16] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
    memset(object, 0, sizeof object);
    memcpy(object, ident, 16);
    object[16] = 1;             // ET_REL
    object[18] = 62;            // EM_X86_64
    object[20] = 1;             // EV_CURRENT
}

static void digest_hex(char out[65]) {
    uint8_t d[32];
    sha256(object, sizeof object, d);
    for (int i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

// The manifest sipc would write for "hello", with extra lines appended.
static size_t valid_manifest(char *m, size_t cap, const char *extra) {
    char hex[65];
    digest_hex(hex);
    return (size_t)snprintf(m, cap,
        "name=hello\nmodule=hello\nabi=2\nentry=Z_helloZ__start\n"
        "init_module=Z_hello_init_module\ninstantiate=Z_hello_instantiate\n"
        "free=Z_hello_free\nmemory=Z_helloZ_memory\n"
        "thread_entry=Z_helloZ___sip_thread_entry\nstack_pointer=Z_helloZ___stack_pointer\n"
        "instance_size=40\ndigest=%s\nmemcheck=explicit\n%s", hex, extra);
}

static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

// header + manifest + object, sealed with key.
static void build(const char *manifest, size_t mlen, const uint8_t *key) {
    memcpy(file, "TWOSIP1", 8);
    put32(file + 8, (uint32_t)mlen);
    put32(file + 12, sizeof object);
    memcpy(file + 16, manifest, mlen);
    memcpy(file + 16 + mlen, object, sizeof object);
    file_len = 16 + mlen + sizeof object;
    hmac_sha256(key, 32, file, file_len, file + file_len);
    file_len += 32;
}

static void build_with(const char *extra) {
    char m[2048];
    size_t n = valid_manifest(m, sizeof m, extra);
    build(m, n, KEY);
}

static const char *parse(void) {
    struct sip_image img;
    const char *err = NULL;
    return sip_image_parse(file, file_len, KEY, &img, &err) == 0 ? NULL : err;
}

// Expect a refusal whose message contains want.
static void refused(const char *name, const char *want) {
    const char *err = parse();
    check_named(name, err && strstr(err, want), "got %s", err ? err : "accepted");
}

static void test_valid(void) {
    struct sip_image img;
    const char *err = NULL;
    build_with("endpoint=Stdio:exp\n");
    int r = sip_image_parse(file, file_len, KEY, &img, &err);
    check_named("valid image accepted", r == 0, "%s", err);
    CHECK(strcmp(img.name, "hello") == 0 && strcmp(img.module, "hello") == 0);
    CHECK(strcmp(img.entry, "Z_helloZ__start") == 0);
    CHECK(strcmp(img.instantiate, "Z_hello_instantiate") == 0);
    CHECK(strcmp(img.init_module, "Z_hello_init_module") == 0);
    CHECK(strcmp(img.free, "Z_hello_free") == 0 && strcmp(img.memory, "Z_helloZ_memory") == 0);
    CHECK(strcmp(img.thread_entry, "Z_helloZ___sip_thread_entry") == 0);
    CHECK(strcmp(img.stack_pointer, "Z_helloZ___stack_pointer") == 0);
    CHECK(img.instance_size == 40 && img.abi == 2);
    CHECK(img.memcheck == SIP_MEMCHECK_EXPLICIT);
    CHECK(img.object == file + 16 + img.manifest_len && img.object_len == sizeof object);
    CHECK(img.nendpoints == 1 && strcmp(img.endpoint[0], "Stdio:exp") == 0);
}

// Any single changed bit anywhere in the file is refused.
static void test_every_flip(void) {
    int accepted = 0;
    build_with("");
    for (size_t i = 0; i < file_len; i++)
        for (int bit = 0; bit < 8; bit++) {
            file[i] ^= (uint8_t)(1 << bit);
            accepted += parse() == NULL;
            file[i] ^= (uint8_t)(1 << bit);
        }
    check_named("every flipped bit refused", accepted == 0, "%d accepted", accepted);
    file[16] ^= 1;
    refused("flipped manifest byte: bad seal", "bad seal");
    file[16] ^= 1;
    file[file_len - 1] ^= 1;
    refused("flipped seal byte: bad seal", "bad seal");
}

static void test_layout(void) {
    char m[2048];
    size_t n = valid_manifest(m, sizeof m, "");
    build(m, n, (const uint8_t *)"another build's key, 32 bytes!!");
    refused("another key: bad seal", "bad seal");
    build_with("");
    file[0] = 'X';
    refused("bad magic", "bad magic");
    build_with("");
    file_len -= 1;
    refused("truncated", "do not add up");
    build_with("");
    file_len += 1;
    refused("trailing byte", "do not add up");
    build_with("");
    put32(file + 8, 0);
    refused("manifest length 0", "manifest length");
    put32(file + 8, 0xffffffffu);
    refused("manifest length huge", "manifest length");
    build_with("");
    put32(file + 12, 0xfffffff0u);
    refused("object length huge", "object length");
    file_len = 20;
    refused("too short", "too short");
}

static const struct { const char *name, *extra, *want; } BAD_EXTRA[] = {
    { "unknown key", "color=red\n", "unknown key" },
    { "duplicate key", "abi=2\n", "twice" },
    { "duplicate thread_entry", "thread_entry=x\n", "twice" },
    { "line without =", "abi\n", "without '='" },
    { "duplicate memcheck", "memcheck=guard\n", "twice" },
    { "space in a line", "endpoint=A :b\n", "printable" },
    { "blank line", "\n", "without '='" },
    { "endpoint without role", "endpoint=Stdio\n", "CONTRACT:ROLE" },
    { "endpoint with two colons", "endpoint=a:b:c\n", "CONTRACT:ROLE" },
    { "endpoint empty contract", "endpoint=:exp\n", "CONTRACT:ROLE" },
    { "nine endpoints", "endpoint=a:b\nendpoint=a:b\nendpoint=a:b\nendpoint=a:b\n"
      "endpoint=a:b\nendpoint=a:b\nendpoint=a:b\nendpoint=a:b\nendpoint=a:b\n", "more than 8" },
};

// Manifests built from scratch; {D} stands for the right digest.
static const struct { const char *name, *text, *want; } BAD_MANIFEST[] = {
    { "missing key", "name=hello\nmodule=hello\nabi=2\n", "missing" },
    { "no final newline", "name=hello", "newline" },
    { "abi 1 (an image of the first ABI)", "abi=1\n", "abi is not 2" },
    { "abi 3", "abi=3\n", "abi is not 2" },
    { "uppercase name", "name=Hello\n", "name/module" },
    { "name starting with digit", "name=1x\n", "name/module" },
    { "name too long", "name=abcdefghijabcdefghijabcdefghijab\n", "name/module" },
    { "symbol with a dash", "entry=a-b\n", "symbol" },
    { "instance_size 0", "instance_size=0\n", "instance_size" },
    { "instance_size leading zero", "instance_size=040\n", "instance_size" },
    { "instance_size too big", "instance_size=99999999999\n", "instance_size" },
    { "digest uppercase", "digest=ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF01234567\n",
      "digest" },
    { "digest short", "digest=abc\n", "digest" },
};

static void test_manifest(void) {
    for (size_t i = 0; i < sizeof BAD_EXTRA / sizeof BAD_EXTRA[0]; i++) {
        build_with(BAD_EXTRA[i].extra);
        refused(BAD_EXTRA[i].name, BAD_EXTRA[i].want);
    }
    for (size_t i = 0; i < sizeof BAD_MANIFEST / sizeof BAD_MANIFEST[0]; i++) {
        build(BAD_MANIFEST[i].text, strlen(BAD_MANIFEST[i].text), KEY);
        refused(BAD_MANIFEST[i].name, BAD_MANIFEST[i].want);
    }
    char m[2048];
    size_t n = valid_manifest(m, sizeof m, "");
    memcpy(m + 5, "world", 5);          // name=world, module=hello
    build(m, n, KEY);
    refused("module differs from name", "module differs");
}

// memcheck=guard and memcheck=none are the other modes; any other value is
// refused, not taken for the default (the kernel must know what the code
// relies on).
static void accepts_memcheck(const char *mode, enum sip_memcheck want) {
    char m[2048], text[2048];
    valid_manifest(m, sizeof m, "");
    *strstr(m, "memcheck=explicit\n") = '\0';
    size_t n = (size_t)snprintf(text, sizeof text, "%smemcheck=%s\n", m, mode);
    build(text, n, KEY);
    struct sip_image img;
    const char *err = NULL;
    int r = sip_image_parse(file, file_len, KEY, &img, &err);
    char name[64];
    snprintf(name, sizeof name, "memcheck=%s accepted", mode);
    check_named(name, r == 0 && img.memcheck == want, "%s", err ? err : "wrong mode");
}

static void test_memcheck(void) {
    static const char *const bad[] = { "Guard", "explicit2", "", "guar", "None", "non",
                                       "nonex" };
    accepts_memcheck("guard", SIP_MEMCHECK_GUARD);
    accepts_memcheck("none", SIP_MEMCHECK_NONE);
    accepts_memcheck("explicit", SIP_MEMCHECK_EXPLICIT);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char m[2048], text[2048];
        valid_manifest(m, sizeof m, "");
        *strstr(m, "memcheck=explicit\n") = '\0';
        size_t n = (size_t)snprintf(text, sizeof text, "%smemcheck=%s\n", m, bad[i]);
        build(text, n, KEY);
        char name[64];
        snprintf(name, sizeof name, "memcheck=%s refused", bad[i]);
        refused(name, "memcheck is not explicit, guard or none");
    }
}

// The abi 2 keys and memcheck are required: a manifest without one of them is refused.
static void test_abi2_keys_required(void) {
    static const char *const keys[] = { "thread_entry=", "stack_pointer=", "memcheck=" };
    for (int i = 0; i < 3; i++) {
        char m[2048], out[2048];
        size_t n = valid_manifest(m, sizeof m, ""), k = 0;
        char *line = strstr(m, keys[i]), *end = strchr(line, '\n') + 1;
        memcpy(out, m, (size_t)(line - m));
        k = (size_t)(line - m);
        memcpy(out + k, end, n - (size_t)(end - m));
        k += n - (size_t)(end - m);
        build(out, k, KEY);
        check_named(keys[i], parse() && strstr(parse(), "missing"), "got %s",
                    parse() ? parse() : "accepted");
    }
}

static void test_object(void) {
    char m[2048];
    size_t n = valid_manifest(m, sizeof m, "");
    object[0] ^= 1;                      // the digest in m is of the old object
    build(m, n, KEY);
    refused("object changed before sealing: digest", "digest does not match");
    n = valid_manifest(m, sizeof m, "");
    build(m, n, KEY);
    refused("not ELF", "not an ELF64");
    make_object();
    object[16] = 2;                      // ET_EXEC
    n = valid_manifest(m, sizeof m, "");
    build(m, n, KEY);
    refused("ET_EXEC", "ET_REL");
    make_object();
    object[18] = 3;                      // EM_386
    n = valid_manifest(m, sizeof m, "");
    build(m, n, KEY);
    refused("i386", "x86_64");
    make_object();
}

int main(void) {
    make_object();
    test_valid();
    test_every_flip();
    test_layout();
    test_manifest();
    test_abi2_keys_required();
    test_memcheck();
    test_object();
    return check_summary();
}
