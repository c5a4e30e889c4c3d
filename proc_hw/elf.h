// proc_hw/elf.h: a complete check of a static x86_64 ELF executable before
// anything of it is loaded. Pure C over a byte buffer, no kernel headers:
// the same code runs in the kernel (proc_hw/exec.c), in a host unit test
// (grade/host/test_elf.c) and under libFuzzer (grade/host/fuzz_elf.c).
#pragma once
#include <stdint.h>
#include <stddef.h>

#include "kern/elf64.h"     // struct elf64_ehdr, elf64_phdr: shared with the sip loader

#define ELF_PAGE       4096u
#define ELF_MAX_PHDRS  64     // more program headers than this: refused
#define ELF_MAX_LOADS  16     // more PT_LOAD segments than this: refused

#define ELF_PROT_R 1          // the same values as PROT_READ/WRITE/EXEC (proc_hw/proc.h)
#define ELF_PROT_W 2
#define ELF_PROT_X 4

// One PT_LOAD: bytes [offset, offset+filesz) of the file go to vaddr; the
// rest of [vaddr, vaddr+memsz) is zero (bss).
struct elf_segment {
    uint64_t vaddr, memsz;
    uint64_t offset, filesz;
    unsigned prot;            // ELF_PROT_*
};

struct elf_info {
    uint64_t entry;
    int nloads;
    struct elf_segment loads[ELF_MAX_LOADS];
    uint64_t end;             // highest vaddr+memsz of any segment: the break starts above it
};

// Where segments may go: every byte in [lo, hi); at most max_bytes of
// whole pages in all.
struct elf_limits {
    uint64_t lo, hi;
    uint64_t max_bytes;
};

// buf holds the first buflen bytes of a file of filesize bytes (the whole
// file, or at least its headers: the program header table must lie in buf).
// Returns NULL and fills *out when the file is a valid, loadable static
// executable; otherwise a constant message naming the first problem found.
const char *elf_check(const void *buf, size_t buflen, uint64_t filesize,
                      const struct elf_limits *lim, struct elf_info *out);
