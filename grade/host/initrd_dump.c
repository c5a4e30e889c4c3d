// grade/host/initrd_dump.c: list an initrd the way the kernel reads it.
// usage: initrd_dump ARCHIVE.tar   prints "path size" per regular file, in archive order
// (the format of tools/mkinitrd's .list file), or the parser's error and exits 1.
#include "kern/initrd.h"

#include <stdio.h>
#include <stdlib.h>

// Reads the whole file into memory; exits 2 on an I/O error.
static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    size_t cap = 1 << 16, n = 0, got;
    uint8_t *buf = malloc(cap);
    while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    if (buf == NULL || ferror(f)) {
        fprintf(stderr, "initrd_dump: %s: read failed\n", path);
        exit(2);
    }
    fclose(f);
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: initrd_dump ARCHIVE.tar\n");
        return 2;
    }
    size_t len;
    uint8_t *buf = read_file(argv[1], &len);
    struct initrd rd;
    const char *err;
    if (initrd_open(&rd, buf, len, &err) != 0) {
        fprintf(stderr, "initrd_dump: %s: %s\n", argv[1], err);
        free(buf);
        return 1;
    }
    struct initrd_file f;
    size_t cursor = 0;
    while (initrd_next(&rd, &cursor, &f))
        printf("%.*s %zu\n", (int)f.name_len, f.name, f.size);
    free(buf);
    return 0;
}
