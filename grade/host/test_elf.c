// grade/host/test_elf.c: host unit tests for proc_hw/elf.c, the ELF64 executable check.
// A valid two-segment image is built by hand in memory; each test breaks one field and
// expects the refusal that names it. Then every real program in the seed corpus
// (grade/host/corpus/elf/, made by gcc -static -nostdlib) must pass.
// Built with ASan and UBSan by grade/host/host.mk.
#include "proc_hw/elf.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "grade/host/check.h"

// The same limits the kernel passes (proc_hw/exec.c), give or take the stack.
static const struct elf_limits LIM = { 0x1000, 0x7FFF00000000ull, 256ull << 20 };

#define FILE_SIZE 0x1100
#define MAX_PH 20
static struct {
    struct elf64_ehdr e;
    struct elf64_phdr ph[MAX_PH];
} img;                          // headers only; the file's bytes are in file[]
static uint8_t file[FILE_SIZE];
static size_t file_len;

// text: R+X, 0x100 bytes at 0x400000 from offset 0; data: RW, 0x80 bytes from
// offset 0x1000 at 0x401000, 0x2000 bytes in memory (the rest is bss).
static void build_valid(void)
{
    memset(&img, 0, sizeof img);
    memcpy(img.e.ident, "\x7f" "ELF", 4);
    img.e.ident[4] = 2;
    img.e.ident[5] = 1;
    img.e.ident[6] = 1;
    img.e.type = 2;
    img.e.machine = 62;
    img.e.version = 1;
    img.e.entry = 0x400078;
    img.e.phoff = 64;
    img.e.ehsize = 64;
    img.e.phentsize = 56;
    img.e.phnum = 2;
    img.ph[0] = (struct elf64_phdr){ 1, 5, 0, 0x400000, 0x400000, 0x100, 0x100, 0x1000 };
    img.ph[1] = (struct elf64_phdr){ 1, 6, 0x1000, 0x401000, 0x401000, 0x80, 0x2000, 0x1000 };
    file_len = FILE_SIZE;
}

// Writes the headers into file[] and runs the check on the whole file.
static const char *check_image(struct elf_info *info)
{
    memset(file, 0xAB, sizeof file);
    memcpy(file, &img.e, sizeof img.e);
    size_t table = img.e.phnum <= MAX_PH ? img.e.phnum * sizeof(struct elf64_phdr) : 0;
    if (img.e.phoff == 64 && 64 + table <= sizeof file) memcpy(file + 64, img.ph, table);
    return elf_check(file, file_len, file_len, &LIM, info);
}

// Expects a refusal whose message contains 'want'.
static void expect_refusal(const char *name, const char *want)
{
    struct elf_info info;
    const char *err = check_image(&info);
    check_named(name, err && strstr(err, want), "got \"%s\", wanted \"%s\"",
                err ? err : "(accepted)", want);
    build_valid();
}

static void test_valid(void)
{
    struct elf_info info;
    build_valid();
    const char *err = check_image(&info);
    check_named("valid image accepted", err == NULL, "%s", err);
    if (err) return;
    CHECK(info.entry == 0x400078);
    CHECK(info.nloads == 2);
    CHECK(info.loads[0].vaddr == 0x400000 && info.loads[0].prot == (ELF_PROT_R | ELF_PROT_X));
    CHECK(info.loads[1].prot == (ELF_PROT_R | ELF_PROT_W));
    CHECK(info.loads[1].filesz == 0x80 && info.loads[1].memsz == 0x2000);
    CHECK(info.end == 0x403000);
}

static void test_header_refusals(void)
{
    build_valid();
    img.e.ident[1] = 'X';       expect_refusal("bad magic", "bad magic");
    img.e.ident[4] = 1;         expect_refusal("32-bit class", "64-bit");
    img.e.ident[5] = 2;         expect_refusal("big-endian", "little-endian");
    img.e.version = 2;          expect_refusal("bad version", "version");
    img.e.type = 3;             expect_refusal("ET_DYN", "ET_DYN");
    img.e.type = 1;             expect_refusal("ET_REL", "ET_EXEC");
    img.e.machine = 3;          expect_refusal("i386 machine", "x86_64");
    img.e.phentsize = 32;       expect_refusal("phentsize", "program header size");
    img.e.phnum = 0;            expect_refusal("no phdrs", "no program headers");
    img.e.phnum = 65;           expect_refusal("65 phdrs", "too many program headers");
    img.e.phoff = FILE_SIZE;    expect_refusal("phoff at the end", "program header table beyond");
    img.e.phoff = UINT64_MAX - 8; expect_refusal("phoff overflow", "program header table beyond");
    file_len = 40;              expect_refusal("40-byte file", "too short");
}

static void test_segment_refusals(void)
{
    build_valid();
    img.ph[1].filesz = 0x3000;  expect_refusal("filesz > memsz", "file size larger");
    img.ph[1].filesz = 0x200;   expect_refusal("truncated file", "beyond the end of the file");
    img.ph[1].offset = UINT64_MAX - 0x10; expect_refusal("offset overflow", "beyond the end of the file");
    img.ph[1].offset = 0x1008;  img.ph[1].filesz = 0x10;
                                expect_refusal("vaddr/offset incongruent", "modulo the page size");
    img.ph[1].align = 0x1800;   expect_refusal("align not a power of two", "power of two");
    img.ph[0].vaddr = 0;        img.e.entry = 0x78;
                                expect_refusal("segment at page 0", "outside the user address range");
    img.ph[1].vaddr = 0x7FFF00000000ull; expect_refusal("segment above the limit", "outside the user");
    img.ph[1].memsz = UINT64_MAX - 0x1000; expect_refusal("memsz overflow", "outside the user");
    img.ph[1].vaddr = 0xFFFFFFFF80001000ull; expect_refusal("kernel address", "outside the user");
    img.ph[1].flags = 7;        expect_refusal("W+X segment", "writable and executable");
    img.ph[1].vaddr = 0x400000; expect_refusal("overlapping segments", "overlap");
    img.ph[1].vaddr = 0x400100; img.ph[1].offset = 0x100;
                                expect_refusal("segments sharing a page", "overlap");
    img.ph[1].type = 3;         expect_refusal("PT_INTERP", "dynamically linked");
    img.ph[1].type = 2;         expect_refusal("PT_DYNAMIC", "dynamically linked");
    img.ph[1].type = 7;         expect_refusal("PT_TLS", "thread-local");
    img.e.entry = 0x401000;     expect_refusal("entry in data", "entry point");
    img.e.entry = 0x500000;     expect_refusal("entry outside", "entry point");
    img.ph[0].type = 4;         img.ph[1].type = 4;
                                expect_refusal("no PT_LOAD", "no loadable segment");
    img.ph[1].memsz = 0x100000; img.ph[0].memsz = 0x1000;
    {
        struct elf_limits small = LIM;
        small.max_bytes = 0x10000;
        memset(file, 0, sizeof file);
        memcpy(file, &img.e, sizeof img.e);
        memcpy(file + 64, img.ph, 2 * sizeof(struct elf64_phdr));
        struct elf_info info;
        const char *err = elf_check(file, file_len, file_len, &small, &info);
        check_named("segments too large", err && strstr(err, "too large"), "%s", err);
        build_valid();
    }
}

static void test_limits(void)
{
    build_valid();
    img.e.phnum = 17;
    for (int i = 0; i < 17; i++)
        img.ph[i] = (struct elf64_phdr){ 1, 4, 0, 0x400000 + 0x1000 * (uint64_t)i, 0, 0x10, 0x10, 0x1000 };
    img.ph[0].flags = 5;
    for (int i = 0; i < 17; i++) img.ph[i].offset = 0;   // congruent: vaddr is page-aligned
    expect_refusal("17 PT_LOADs", "too many loadable segments");
    // The kernel reads only the file's first page: a table past it is refused.
    struct elf_info info;
    memset(file, 0, sizeof file);
    memcpy(file, &img.e, sizeof img.e);
    memcpy(file + 64, img.ph, 2 * sizeof(struct elf64_phdr));
    const char *err = elf_check(file, 100, FILE_SIZE, &LIM, &info);
    check_named("phdr table past the buffer", err && strstr(err, "too far into the file"), "%s", err);
    // An empty (memsz 0) PT_LOAD is ignored, not refused.
    build_valid();
    img.e.phnum = 3;
    img.ph[2] = (struct elf64_phdr){ 1, 6, 0, 0x900000, 0, 0, 0, 0x1000 };
    err = check_image(&info);
    check_named("empty PT_LOAD ignored", err == NULL && info.nloads == 2, "%s", err);
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    *len = fread(buf, 1, (size_t)n, f);
    fclose(f);
    return buf;
}

// Real gcc output: valid as a whole; every truncation of it refused, never a crash.
static void test_corpus(void)
{
    const char *dir = "grade/host/corpus/elf";
    DIR *d = opendir(dir);
    check_named("corpus directory exists", d != NULL, "%s", dir);
    if (!d) return;
    int seen = 0;
    for (struct dirent *de; (de = readdir(d));) {
        if (de->d_name[0] == '.') continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        size_t len;
        uint8_t *buf = read_file(path, &len);
        struct elf_info info;
        const char *err = buf ? elf_check(buf, len, len, &LIM, &info) : "unreadable";
        check_named(path, err == NULL, "%s", err);
        bool all_refused = true;
        for (size_t cut = 0; buf && cut < len; cut += 1 + cut / 8) {
            // A cut inside the headers or a segment's bytes must be refused.
            const char *e2 = elf_check(buf, cut, cut, &LIM, &info);
            bool covers = !e2;
            if (covers) for (int i = 0; i < info.nloads; i++)
                if (info.loads[i].offset + info.loads[i].filesz > cut) covers = false;
            if (!e2 && !covers) all_refused = false;
        }
        check_named("every truncation refused or self-consistent", all_refused, "%s", path);
        free(buf);
        seen++;
    }
    closedir(d);
    check_named("corpus has programs", seen >= 1, "%d", seen);
}

int main(void)
{
    test_valid();
    test_header_refusals();
    test_segment_refusals();
    test_limits();
    test_corpus();
    return check_summary();
}
