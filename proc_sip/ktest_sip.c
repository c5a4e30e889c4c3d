// proc_sip/ktest_sip.c: the SIP loader's refusals, on tiny objects built here
// byte by byte: one .text section with one relocation against one undefined
// symbol. What varies is the relocation type, the symbol and the length.
#include "proc_sip/sip.h"
#include "mm/mm.h"

struct tiny_obj {
    uint8_t ehdr[64];
    uint8_t text[16];
    char strtab[32];
    uint8_t symtab[2][24];
    uint8_t rela[24];
    uint8_t shdr[5][64];
} __attribute__((aligned(8)));

static void put(uint8_t *p, uint64_t v, int n) {
    for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void section(struct tiny_obj *o, int i, uint32_t type, uint64_t flags, const void *at,
                    uint64_t size, uint32_t link, uint32_t info, uint64_t entsize) {
    uint8_t *s = o->shdr[i];
    put(s + 4, type, 4);
    put(s + 8, flags, 8);
    put(s + 24, (uint64_t)((const uint8_t *)at - (const uint8_t *)o), 8);
    put(s + 32, size, 8);
    put(s + 40, link, 4);
    put(s + 44, info, 4);
    put(s + 48, 1, 8);
    put(s + 56, entsize, 8);
}

static void make_obj(struct tiny_obj *o, uint32_t rtype, const char *sym) {
    memset(o, 0, sizeof *o);
    memcpy(o->ehdr, "\x7f" "ELF\x02\x01\x01", 7);
    put(o->ehdr + 16, 1, 2);                 // ET_REL
    put(o->ehdr + 18, 62, 2);                // EM_X86_64
    put(o->ehdr + 40, offsetof(struct tiny_obj, shdr), 8);
    put(o->ehdr + 58, 64, 2);                // shentsize
    put(o->ehdr + 60, 5, 2);                 // shnum
    put(o->ehdr + 62, 3, 2);                 // shstrndx
    strlcpy(o->strtab + 1, sym, sizeof o->strtab - 1);
    put(o->symtab[1], 1, 4);                 // name at strtab+1
    o->symtab[1][4] = 0x10;                  // GLOBAL NOTYPE, undefined
    put(o->rela, 4, 8);                      // offset 4 in .text
    put(o->rela + 8, (1ull << 32) | rtype, 8);
    section(o, 1, 1, 0x6, o->text, sizeof o->text, 0, 0, 0);                  // .text AX
    section(o, 2, 2, 0, o->symtab, sizeof o->symtab, 3, 1, 24);              // .symtab
    section(o, 3, 3, 0, o->strtab, sizeof o->strtab, 0, 0, 0);               // .strtab
    section(o, 4, 4, 0, o->rela, sizeof o->rela, 2, 1, 24);                  // .rela.text
}

static const char *check(const struct tiny_obj *o, size_t len) {
    const char *err = NULL;
    return sip_object_check((const uint8_t *)o, len, sip_abi_symbols, &err) == 0 ? NULL : err;
}

KTEST(sip_loader) {
    static struct tiny_obj o;
    const char *err;
    make_obj(&o, 4, "Z_envZ_sip_print");          // PLT32 to an ABI function: fine
    KT_CHECK(check(&o, sizeof o) == NULL);
    make_obj(&o, 10, "Z_envZ_sip_print");         // R_X86_64_32: not allowed
    KT_CHECK((err = check(&o, sizeof o)) && strcmp(err, "unsupported relocation type: 10") == 0);
    make_obj(&o, 2, "kprintf");                   // a kernel function outside the ABI
    KT_CHECK((err = check(&o, sizeof o)) &&
             strcmp(err, "undefined symbol outside the kernel ABI: kprintf") == 0);
    make_obj(&o, 2, "memcpy");
    KT_CHECK(check(&o, sizeof o) == NULL);
    KT_CHECK((err = check(&o, sizeof o - 1)) && strcmp(err, "section header table out of bounds") == 0);
    o.ehdr[18] = 3;                               // EM_386
    KT_CHECK((err = check(&o, sizeof o)) && strncmp(err, "not an ELF64", 12) == 0);
    return 0;
}

// hello runs three times (the first loads it); the later runs give back every
// frame they took: linear memory, stack, tables, instance.
KTEST(sip_run_frees) {
    size_t before = 0;
    for (int i = 0; i < 3; i++) {
        struct sip *s = sip_spawn("hello");
        KT_CHECK(s != NULL);
        KT_CHECK(sip_wait(s) == 0);
        kheap_trim();
        if (i == 1) before = frame_free_count();
        if (i == 2) KT_CHECK(frame_free_count() == before);
    }
    return 0;
}
