// grade/host/test_sha256.c: host unit tests for proc_sip/sha256.c against
// values computed by Python's hashlib and hmac (the same libraries tools/sipc
// seals with), so the kernel's check and the installer agree byte for byte.
// Messages are a fixed pattern, lengths around the 55/56/64-byte padding edges.
#include "proc_sip/sha256.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "grade/host/check.h"

// pat(n)[i] = (7*i + 3) & 255; the HMAC key is pat(keylen) reversed.
static void pat(uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 7 + 3);
}

static void hex(const uint8_t d[32], char out[65]) {
    for (int i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static const struct { size_t n; const char *hex; } SHA[] = {
    { 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
    { 1, "084fed08b978af4d7d196a7446a86b58009e636b611db16211b65a9aadff29c5" },
    { 55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b" },
    { 56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27" },
    { 63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055" },
    { 64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241" },
    { 65, "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e" },
    { 119, "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e" },
    { 120, "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5" },
    { 127, "a8d23e75d936f303d248888d9b165ee543f4cbafcad3c9dd2a79bd84faa11d07" },
    { 128, "d2742f1f4ac6bb7ca2b239ee18402ba8b3f9f8e652d2a72973c2b9ba11c08cf6" },
    { 1000, "1e9bc38cbf860b9ec31918b065f9b52476c549a782e0e7990bed8ce3868d2371" },
};

static const struct { size_t keylen, n; const char *hex; } HMAC[] = {
    { 0, 0, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad" },
    { 20, 8, "2ba506bbee5d214cb7c4a54bc913091e179040943288e22ede9ed00fe0d0349f" },
    { 32, 100, "a85f948434ac5b63e71dcf6d7c2f0117d1afbd58d88ca1bcc0a55bb874bf9f44" },
    { 64, 50, "d3fd092e06d2bb8209188b30f9f2d92a4ec9c34f586df98dad0c3862e1e52d9f" },
    { 65, 50, "110270212c5bebb73230b262aa9ff06e2ec601841d7a15f5478d5bbcff193d47" },
    { 131, 54, "d9ca8cfba9f12d688b4e7be65e267d27cb7dc8ba45e1fbc4233782d26c1074cd" },
};

static void test_sha(void) {
    uint8_t msg[1000], d[32];
    char h[65], name[64];
    pat(msg, sizeof msg);
    for (size_t i = 0; i < sizeof SHA / sizeof SHA[0]; i++) {
        sha256(msg, SHA[i].n, d);
        hex(d, h);
        snprintf(name, sizeof name, "sha256 of %zu bytes", SHA[i].n);
        check_named(name, strcmp(h, SHA[i].hex) == 0, "got %s", h);
    }
}

// Feeding the same bytes in pieces of every size gives the same digest.
static void test_incremental(void) {
    uint8_t msg[1000], d[32];
    char h[65];
    bool ok = true;
    pat(msg, sizeof msg);
    for (size_t step = 1; step <= 130; step++) {
        struct sha256 s;
        sha256_init(&s);
        for (size_t off = 0; off < sizeof msg; off += step)
            sha256_update(&s, msg + off, off + step <= sizeof msg ? step : sizeof msg - off);
        sha256_final(&s, d);
        hex(d, h);
        ok = ok && strcmp(h, SHA[11].hex) == 0;
    }
    check_named("sha256 incremental, pieces of 1..130 bytes", ok, NULL);
}

static void test_million_a(void) {
    uint8_t *m = malloc(1000000), d[32];
    char h[65];
    memset(m, 'a', 1000000);
    sha256(m, 1000000, d);
    hex(d, h);
    check_named("sha256 of a million 'a' (FIPS 180-2)",
                strcmp(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0,
                "got %s", h);
    free(m);
}

static void test_hmac(void) {
    uint8_t msg[200], key[200], rkey[200], d[32];
    char h[65], name[64];
    pat(msg, sizeof msg);
    pat(key, sizeof key);
    for (size_t i = 0; i < sizeof HMAC / sizeof HMAC[0]; i++) {
        size_t kl = HMAC[i].keylen;
        for (size_t j = 0; j < kl; j++)
            rkey[j] = key[kl - 1 - j];
        hmac_sha256(rkey, kl, msg, HMAC[i].n, d);
        hex(d, h);
        snprintf(name, sizeof name, "hmac key %zu bytes, message %zu", kl, HMAC[i].n);
        check_named(name, strcmp(h, HMAC[i].hex) == 0, "got %s", h);
    }
}

static void test_equal(void) {
    uint8_t a[32] = {1, 2, 3}, b[32] = {1, 2, 3};
    CHECK(sha256_equal(a, b, 32));
    b[31] = 1;
    CHECK(!sha256_equal(a, b, 32));
    CHECK(sha256_equal(a, b, 0));
}

int main(void) {
    test_sha();
    test_incremental();
    test_million_a();
    test_hmac();
    test_equal();
    return check_summary();
}
