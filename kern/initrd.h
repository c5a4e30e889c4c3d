// kern/initrd.h: a read-only view of the ustar archive GRUB loads as a multiboot2
// module. Pure C over a byte buffer with no kernel dependencies, so the same code runs
// in the kernel, in host unit tests and under libFuzzer (grade/host/). Nothing is
// copied: names and data point into the archive, which must stay mapped while used.
#pragma once
#include <stddef.h>
#include <stdint.h>

// One regular file. name is NOT NUL-terminated (a full 100-byte ustar name field has
// no room for the NUL): always use name_len. Leading "/" and "./" are already stripped.
struct initrd_file {
    const char *name;
    size_t name_len;
    const uint8_t *data;
    size_t size;
};

// A validated archive. nfiles and total_bytes count regular files only.
struct initrd {
    const uint8_t *base;
    size_t len;
    size_t nfiles;
    size_t total_bytes;
};

// Validate the whole archive. Returns 0 and fills *rd, or -1 and (if err is not NULL)
// sets *err to a message naming the problem and its byte offset. The message lives in
// a static buffer that the next failing call overwrites.
int initrd_open(struct initrd *rd, const void *buf, size_t len, const char **err);

// Iterate the regular files in archive order; *cursor starts at 0.
// Returns 1 and fills *f, or 0 at the end.
int initrd_next(const struct initrd *rd, size_t *cursor, struct initrd_file *f);

// Find a regular file by path; leading "/" and "./" are ignored. If the archive holds
// the same path twice the later entry wins, as extracting the archive would leave it.
// Returns 0 and fills *f, or -1.
int initrd_find(const struct initrd *rd, const char *path, struct initrd_file *f);
