// grade/host/fuzz_initrd.c: libFuzzer target for kern/initrd.c. Any input must give
// either an error message or an archive whose every file lies inside the input;
// ASan reports any read outside it. Seeds: grade/host/corpus/initrd/.
#include "kern/initrd.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// Reading every byte into a volatile makes sure the reads happen, so ASan sees them.
static volatile uint8_t sink;

static void require(int ok)
{
    if (!ok)
        abort();   // libFuzzer saves the input that broke an invariant
}

static void walk_files(const struct initrd *rd, const uint8_t *buf, size_t len)
{
    struct initrd_file f, g;
    size_t cursor = 0, n = 0, total = 0;
    while (initrd_next(rd, &cursor, &f)) {
        require(f.name_len > 0 && f.name_len <= 100);
        const uint8_t *name = (const uint8_t *)f.name;
        require(name >= buf && name + f.name_len <= buf + len);
        require(f.size == 0 || (f.data >= buf && f.size <= (size_t)(buf + len - f.data)));
        for (size_t i = 0; i < f.name_len; i++)
            sink ^= (uint8_t)f.name[i];
        for (size_t i = 0; i < f.size; i++)
            sink ^= f.data[i];
        // Every listed file can be found again by its own name.
        char path[101];
        memcpy(path, f.name, f.name_len);
        path[f.name_len] = '\0';
        require(initrd_find(rd, path, &g) == 0);
        n++;
        total += f.size;
    }
    require(n == rd->nfiles && total == rd->total_bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct initrd rd;
    struct initrd_file f;
    const char *err = NULL;
    if (initrd_open(&rd, data, size, &err) != 0) {
        require(err != NULL && err[0] != '\0');
        return 0;
    }
    walk_files(&rd, data, size);
    if (initrd_find(&rd, "/etc/motd", &f) == 0)
        require(f.name_len == 8 && memcmp(f.name, "etc/motd", 8) == 0);
    return 0;
}
