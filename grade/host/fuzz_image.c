// grade/host/fuzz_image.c: libFuzzer target for proc_sip/image.c. Random bytes
// almost never carry a good seal, so each input is tried three ways: as a whole
// image (layout and seal checks), as a manifest alone, and as the manifest of
// an image this target seals itself with the fuzz key (the manifest parser
// behind a good seal, then the digest and object checks). Any input must give a
// refusal with a message or a sip_image whose strings are terminated and whose
// pointers stay inside the input. Seeds: grade/host/corpus/image/.
#include "proc_sip/image.h"
#include "proc_sip/sha256.h"

#include <stdlib.h>
#include <string.h>

static const uint8_t KEY[32] = "twofold fuzz key, not a secret!";

static void require(int ok) {
    if (!ok)
        abort();   // libFuzzer saves the input that broke an invariant
}

static void check_strings(const struct sip_image *img) {
    require(memchr(img->name, 0, sizeof img->name) != NULL);
    require(strcmp(img->name, img->module) == 0);
    require(memchr(img->entry, 0, sizeof img->entry) != NULL);
    require(memchr(img->free, 0, sizeof img->free) != NULL);
    require(img->abi == SIP_ABI_VERSION);
    require(img->memcheck == SIP_MEMCHECK_EXPLICIT || img->memcheck == SIP_MEMCHECK_GUARD ||
            img->memcheck == SIP_MEMCHECK_NONE);
    require(img->instance_size > 0 && img->instance_size <= SIP_INSTANCE_MAX);
    require(img->nendpoints >= 0 && img->nendpoints <= SIP_ENDPOINTS_MAX);
    for (int i = 0; i < img->nendpoints; i++)
        require(strchr(img->endpoint[i], ':') != NULL);
}

static void try_image(const uint8_t *buf, size_t len) {
    struct sip_image img;
    const char *err = NULL;
    if (sip_image_parse(buf, len, KEY, &img, &err) < 0) {
        require(err != NULL && err[0] != '\0');
        return;
    }
    check_strings(&img);
    require(img.object >= buf && img.object + img.object_len + SIP_SEAL_LEN == buf + len);
}

// header + data (as the manifest) + a bare ELF64 ET_REL header, sealed.
static void try_sealed(const uint8_t *data, size_t size) {
    if (size == 0 || size > SIP_MANIFEST_MAX)
        return;
    uint8_t *buf = malloc(16 + size + 64 + 32), obj[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
    obj[16] = 1;
    obj[18] = 62;
    memcpy(buf, "TWOSIP1", 8);
    for (int i = 0; i < 4; i++) {
        buf[8 + i] = (uint8_t)(size >> (8 * i));
        buf[12 + i] = (uint8_t)(sizeof obj >> (8 * i));
    }
    memcpy(buf + 16, data, size);
    memcpy(buf + 16 + size, obj, sizeof obj);
    hmac_sha256(KEY, 32, buf, 16 + size + 64, buf + 16 + size + 64);
    try_image(buf, 16 + size + 64 + 32);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct sip_image img;
    const char *err = NULL;
    try_image(data, size);
    if (sip_manifest_parse(data, size, &img, &err) == 0)
        check_strings(&img);
    else
        require(err != NULL);
    try_sealed(data, size);
    return 0;
}
