// grade/host/fuzz_elf.c: libFuzzer target for proc_hw/elf.c. Any input must give either
// a refusal with a message or an elf_info the loader can trust: every segment's file
// bytes inside the input, every segment inside the limits, no two segments sharing a
// page, no W+X, the entry in an executable segment. ASan reports any read outside the
// input. Seeds: grade/host/corpus/elf/ (tiny gcc -static -nostdlib programs).
#include "proc_hw/elf.h"

#include <stdint.h>
#include <stdlib.h>

static const struct elf_limits LIM = { 0x1000, 0x7FFF00000000ull, 256ull << 20 };

static void require(int ok)
{
    if (!ok)
        abort();   // libFuzzer saves the input that broke an invariant
}

static uint64_t page_down(uint64_t x) { return x & ~(uint64_t)(ELF_PAGE - 1); }
static uint64_t page_up(uint64_t x) { return page_down(x + ELF_PAGE - 1); }

static void check_segment(const struct elf_info *info, int i, size_t size)
{
    const struct elf_segment *s = &info->loads[i];
    require(s->filesz <= s->memsz && s->memsz > 0);
    require(s->offset <= size && s->filesz <= size - s->offset);
    require(s->vaddr >= LIM.lo && s->vaddr < LIM.hi && s->memsz <= LIM.hi - s->vaddr);
    require(!((s->prot & ELF_PROT_W) && (s->prot & ELF_PROT_X)));
    require(s->vaddr % ELF_PAGE == s->offset % ELF_PAGE);
    require(s->vaddr + s->memsz <= info->end);
    for (int j = 0; j < i; j++) {
        const struct elf_segment *o = &info->loads[j];
        require(page_up(s->vaddr + s->memsz) <= page_down(o->vaddr) ||
                page_up(o->vaddr + o->memsz) <= page_down(s->vaddr));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct elf_info info;
    const char *err = elf_check(data, size, size, &LIM, &info);
    if (err) {
        require(err[0] != '\0');
        return 0;
    }
    require(info.nloads >= 1 && info.nloads <= ELF_MAX_LOADS);
    int entry_ok = 0;
    for (int i = 0; i < info.nloads; i++) {
        check_segment(&info, i, size);
        const struct elf_segment *s = &info.loads[i];
        if ((s->prot & ELF_PROT_X) && info.entry >= s->vaddr && info.entry - s->vaddr < s->memsz)
            entry_ok = 1;
    }
    require(entry_ok);
    // The kernel checks only the first page it read: the same verdict for a prefix
    // that still holds the headers.
    if (size > 4096) {
        struct elf_info again;
        const char *err2 = elf_check(data, 4096, size, &LIM, &again);
        require(err2 == NULL || err2[0] != '\0');
    }
    return 0;
}
