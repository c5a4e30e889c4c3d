// proc_hw/elf.c: the ELF64 executable check (see elf.h). Every number in
// the file is an attacker's number: each sum is checked for overflow before
// it is used, and the file is refused with a message at the first problem,
// so the loader after it can trust everything in struct elf_info.
#include "proc_hw/elf.h"


#define ET_EXEC 2
#define ET_DYN  3
#define EM_X86_64 62
#define PT_LOAD 1
#define PT_DYNAMIC 2
#define PT_INTERP 3
#define PT_TLS 7
#define PF_X 1
#define PF_W 2
#define PF_R 4

static uint64_t page_down(uint64_t x) { return x & ~(uint64_t)(ELF_PAGE - 1); }
// Callers make sure x + ELF_PAGE - 1 does not overflow (x < lim->hi).
static uint64_t page_up(uint64_t x) { return page_down(x + ELF_PAGE - 1); }

// The bytes are copied out, not cast in place: buf may be unaligned.
static void copy(void *dst, const void *src, size_t n) {
    uint8_t *d = dst;
    const uint8_t *s = src;
    while (n--) *d++ = *s++;
}

static const char *check_ident(const struct elf64_ehdr *e) {
    if (e->ident[0] != 0x7f || e->ident[1] != 'E' || e->ident[2] != 'L' || e->ident[3] != 'F')
        return "not an ELF file (bad magic)";
    if (e->ident[4] != 2) return "not a 64-bit ELF file (class)";
    if (e->ident[5] != 1) return "not little-endian (data encoding)";
    if (e->ident[6] != 1 || e->version != 1) return "unknown ELF version";
    return NULL;
}

static const char *check_header(const struct elf64_ehdr *e, size_t buflen, uint64_t filesize) {
    const char *err = check_ident(e);
    if (err) return err;
    if (e->type == ET_DYN) return "position-independent (ET_DYN): link with -static -no-pie";
    if (e->type != ET_EXEC) return "not an executable (ELF type is not ET_EXEC)";
    if (e->machine != EM_X86_64) return "not an x86_64 program (machine)";
    if (e->phentsize != sizeof(struct elf64_phdr)) return "bad program header size";
    if (e->phnum == 0) return "no program headers";
    if (e->phnum > ELF_MAX_PHDRS) return "too many program headers";
    uint64_t table = (uint64_t)e->phnum * sizeof(struct elf64_phdr);
    if (e->phoff > filesize || table > filesize - e->phoff)
        return "program header table beyond the end of the file";
    if (e->phoff > buflen || table > buflen - e->phoff)
        return "program header table too far into the file";
    return NULL;
}

static const char *check_load(const struct elf64_phdr *p, uint64_t filesize, const struct elf_limits *lim) {
    if (p->filesz > p->memsz) return "segment with file size larger than memory size";
    if (p->offset > filesize || p->filesz > filesize - p->offset)
        return "segment beyond the end of the file (truncated?)";
    if (p->align > 1 && (p->align & (p->align - 1))) return "segment alignment not a power of two";
    if (p->vaddr % ELF_PAGE != p->offset % ELF_PAGE)
        return "segment address and file offset differ modulo the page size";
    if (p->vaddr < lim->lo || p->vaddr >= lim->hi || p->memsz > lim->hi - p->vaddr)
        return "segment outside the user address range";
    if ((p->flags & PF_W) && (p->flags & PF_X)) return "segment both writable and executable";
    return NULL;
}

static unsigned prot_of(uint32_t flags) {
    return (flags & PF_R ? ELF_PROT_R : 0) | (flags & PF_W ? ELF_PROT_W : 0) |
           (flags & PF_X ? ELF_PROT_X : 0) | ELF_PROT_R;   // x86 pages are always readable
}

// Segments share no page: each page gets one segment's permissions.
static const char *check_overlap(const struct elf_info *info, const struct elf_segment *s) {
    for (int i = 0; i < info->nloads; i++) {
        const struct elf_segment *o = &info->loads[i];
        if (page_down(s->vaddr) < page_up(o->vaddr + o->memsz) &&
            page_down(o->vaddr) < page_up(s->vaddr + s->memsz))
            return "segments overlap (or share a page)";
    }
    return NULL;
}

static const char *add_load(struct elf_info *info, const struct elf64_phdr *p, uint64_t *pages_bytes) {
    if (p->memsz == 0) return NULL;                  // nothing to map
    if (info->nloads == ELF_MAX_LOADS) return "too many loadable segments";
    struct elf_segment s = { p->vaddr, p->memsz, p->offset, p->filesz, prot_of(p->flags) };
    const char *err = check_overlap(info, &s);
    if (err) return err;
    *pages_bytes += page_up(s.vaddr + s.memsz) - page_down(s.vaddr);   // each < 2^48: no overflow
    info->loads[info->nloads++] = s;
    if (s.vaddr + s.memsz > info->end) info->end = s.vaddr + s.memsz;
    return NULL;
}

static const char *check_phdr(struct elf_info *info, const struct elf64_phdr *p, uint64_t filesize,
                              const struct elf_limits *lim, uint64_t *pages_bytes) {
    if (p->type == PT_INTERP || p->type == PT_DYNAMIC) return "dynamically linked: link with -static";
    if (p->type == PT_TLS) return "thread-local storage (PT_TLS) is not supported";
    if (p->type != PT_LOAD) return NULL;             // notes, GNU_STACK...: nothing to do
    const char *err = check_load(p, filesize, lim);
    return err ? err : add_load(info, p, pages_bytes);
}

static const char *check_entry(const struct elf_info *info) {
    for (int i = 0; i < info->nloads; i++) {
        const struct elf_segment *s = &info->loads[i];
        if ((s->prot & ELF_PROT_X) && info->entry >= s->vaddr && info->entry - s->vaddr < s->memsz)
            return NULL;
    }
    return "entry point outside every executable segment";
}

const char *elf_check(const void *buf, size_t buflen, uint64_t filesize,
                      const struct elf_limits *lim, struct elf_info *out) {
    struct elf64_ehdr e;
    if (buflen > filesize) buflen = (size_t)filesize;
    if (buflen < sizeof e) return "too short for an ELF header";
    copy(&e, buf, sizeof e);
    const char *err = check_header(&e, buflen, filesize);
    if (err) return err;
    struct elf_info info = { .entry = e.entry };
    uint64_t pages_bytes = 0;
    for (unsigned i = 0; i < e.phnum; i++) {
        struct elf64_phdr p;
        copy(&p, (const uint8_t *)buf + e.phoff + i * sizeof p, sizeof p);
        err = check_phdr(&info, &p, filesize, lim, &pages_bytes);
        if (err) return err;
    }
    if (info.nloads == 0) return "no loadable segment";
    if (pages_bytes > lim->max_bytes) return "segments too large";
    err = check_entry(&info);
    if (err) return err;
    *out = info;
    return NULL;
}
