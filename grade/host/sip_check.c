// grade/host/sip_check.c: checks a sealed SIP image file with the kernel's own
// code (proc_sip/image.c) on the host, and prints its manifest fields, one
// "key=value" a line, or "sip_check: FILE: problem" and exit 1.
// usage: sip_check IMAGE.sip KEYFILE   (grade/test_sipc.py runs it on sipc's output)
#include "proc_sip/image.h"

#include <stdio.h>
#include <stdlib.h>

static long read_file(const char *path, uint8_t *buf, size_t cap) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n == cap ? -1 : (long)n;
}

static void print_image(const struct sip_image *img) {
    printf("name=%s\nmodule=%s\nabi=%u\nentry=%s\ninit_module=%s\ninstantiate=%s\n"
           "free=%s\nmemory=%s\nthread_entry=%s\nstack_pointer=%s\ninstance_size=%u\ndigest=",
           img->name, img->module, img->abi, img->entry, img->init_module,
           img->instantiate, img->free, img->memory, img->thread_entry, img->stack_pointer,
           img->instance_size);
    for (int i = 0; i < 32; i++)
        printf("%02x", img->digest[i]);
    static const char *const modes[] = { "explicit", "guard", "none" };
    printf("\nmemcheck=%s\n", modes[img->memcheck]);
    for (int i = 0; i < img->nendpoints; i++)
        printf("endpoint=%s\n", img->endpoint[i]);
    printf("object_len=%u\n", img->object_len);
}

int main(int argc, char **argv) {
    static uint8_t buf[SIP_OBJECT_MAX + SIP_MANIFEST_MAX + 64];
    uint8_t key[SIP_KEY_LEN + 1];
    struct sip_image img;
    const char *err;
    if (argc != 3) {
        fprintf(stderr, "usage: sip_check IMAGE.sip KEYFILE\n");
        return 2;
    }
    if (read_file(argv[2], key, sizeof key) != SIP_KEY_LEN) {
        fprintf(stderr, "sip_check: %s: not a 32-byte key\n", argv[2]);
        return 2;
    }
    long n = read_file(argv[1], buf, sizeof buf);
    if (n < 0) {
        fprintf(stderr, "sip_check: %s: cannot read\n", argv[1]);
        return 2;
    }
    if (sip_image_parse(buf, (size_t)n, key, &img, &err) < 0) {
        printf("sip_check: %s: %s\n", argv[1], err);
        return 1;
    }
    print_image(&img);
    return 0;
}
