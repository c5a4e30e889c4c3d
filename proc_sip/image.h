// proc_sip/image.h: the check of a sealed SIP image (docs/sip-image.md) before
// anything of it is used: magic, lengths, the seal (HMAC-SHA256 with the
// per-build key), the manifest, the object's digest and ELF header. Pure C
// over a byte buffer, no kernel headers: the loader (proc_sip/), the host
// unit test (grade/host/test_image.c) and the fuzz target share it.
#pragma once
#include <stdint.h>
#include <stddef.h>

#define SIP_MAGIC          "TWOSIP1"      // 8 bytes with its NUL
#define SIP_HEADER_LEN     16
#define SIP_SEAL_LEN       32
#define SIP_KEY_LEN        32
#define SIP_MANIFEST_MAX   4096
#define SIP_OBJECT_MAX     (16u << 20)
#define SIP_NAME_MAX       32             // name: [a-z][a-z0-9_]{0,30} + NUL
#define SIP_SYM_MAX        64             // symbols and endpoints: 63 chars + NUL
#define SIP_INSTANCE_MAX   (1u << 20)
#define SIP_ENDPOINTS_MAX  8
#define SIP_ABI_VERSION    2              // images of another ABI are refused

// How the image's code keeps its loads and stores inside its linear memory
// (manifest key memcheck, chosen at install: sipc --memcheck).
enum sip_memcheck {
    SIP_MEMCHECK_EXPLICIT,                // a compare and branch before every access
    SIP_MEMCHECK_GUARD,                   // none: the window's unmapped rest faults
    SIP_MEMCHECK_NONE,                    // as guard, and no other run-time check either
                                          // (UNSAFE, for measuring: sipc --memcheck none)
};

struct sip_image {
    const uint8_t *manifest;              // into the caller's buffer
    uint32_t manifest_len;
    const uint8_t *object;                // the ELF64 ET_REL object, unaligned
    uint32_t object_len;
    char name[SIP_NAME_MAX];
    char module[SIP_NAME_MAX];
    char entry[SIP_SYM_MAX];              // void entry(instance *)
    char init_module[SIP_SYM_MAX];        // void init_module(void)
    char instantiate[SIP_SYM_MAX];        // void instantiate(instance *, env *)
    char free[SIP_SYM_MAX];               // void free(instance *)
    char memory[SIP_SYM_MAX];             // wasm_rt_memory_t *memory(instance *)
    char thread_entry[SIP_SYM_MAX];       // void thread_entry(instance *, u32 fn, u32 arg) (abi 2)
    char stack_pointer[SIP_SYM_MAX];      // u32 *stack_pointer(instance *): __stack_pointer (abi 2)
    uint32_t instance_size;
    uint32_t abi;
    enum sip_memcheck memcheck;
    uint8_t digest[32];                   // SHA-256 of the object
    int nendpoints;
    char endpoint[SIP_ENDPOINTS_MAX][SIP_SYM_MAX];   // "CONTRACT:ROLE"
};

// 0 and *img filled, or -1 and *err a static one-line message (the caller
// names the file). Nothing but the header is read before the seal is good.
int sip_image_parse(const uint8_t *buf, size_t len, const uint8_t key[SIP_KEY_LEN],
                    struct sip_image *img, const char **err);

// The manifest alone (no seal, no digest check): for tests and tools.
int sip_manifest_parse(const uint8_t *text, size_t len, struct sip_image *img,
                       const char **err);
