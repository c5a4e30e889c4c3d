// proc_sip/sha256.h: SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104).
// Pure C over byte buffers, no kernel headers: the kernel's seal check
// (proc_sip/image.c), the host unit test (grade/host/test_sha256.c) and the
// fuzz target use the same code. tools/sipc computes the same values with
// Python's hashlib/hmac; the host test checks both agree.
#pragma once
#include <stdint.h>
#include <stddef.h>

#define SHA256_BLOCK  64
#define SHA256_DIGEST 32

struct sha256 {
    uint32_t h[8];
    uint64_t total;                 // bytes hashed so far
    uint8_t buf[SHA256_BLOCK];      // a partial block waiting for more bytes
    size_t buflen;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t out[SHA256_DIGEST]);
void sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST]);

void hmac_sha256(const uint8_t *key, size_t keylen, const void *data, size_t len,
                 uint8_t out[SHA256_DIGEST]);

// Compares n bytes in time independent of where they differ, so a forger
// cannot learn the seal byte by byte from how long a refusal takes.
int sha256_equal(const uint8_t *a, const uint8_t *b, size_t n);
