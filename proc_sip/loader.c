// proc_sip/loader.c: load a SIP's ELF64 ET_REL object (wasm2c output compiled
// with -mcmodel=kernel) into the code area, the way Linux loads a module:
// allocate its sections, apply its relocations, resolve its undefined symbols
// ONLY against the fixed table of kernel entry points, then map code R-X,
// rodata R-- and data RW-, once. The code area lies in the top 2 GiB (above
// the kernel image) so the object's 32-bit kernel-model relocations reach the
// kernel. Nothing in the kernel maps anything executable after this.
#include "kern/elf64.h"
#include "proc_sip/sip.h"
#include "mm/mm.h"
#include "proc_sip/ring3.h"

// The code area: [CODE_AREA_BASE, CODE_AREA_END), pages handed out in order
// and never reused: a loaded image stays for the life of the kernel, so no
// address in it is ever mapped executable twice.
#define CODE_AREA_BASE 0xFFFFFFFFC0000000ull
#define CODE_AREA_END  0xFFFFFFFFF0000000ull
static uint64_t code_area_next = CODE_AREA_BASE;
static struct spinlock code_area_lock = SPINLOCK_INIT("sip code area");

// Inside code loaded so far (read without the lock: the area only grows, and
// an interrupted rip inside it was loaded before it ran).
bool sip_code_contains(uint64_t addr) {
    return addr >= CODE_AREA_BASE && addr < __atomic_load_n(&code_area_next, __ATOMIC_ACQUIRE);
}

// ---- ELF64: the structures are kern/elf64.h's, shared with hw's exec ----

#define SHT_SYMTAB 2
#define SHT_RELA   4
#define SHT_NOBITS 8
#define SHT_REL    9
#define SHF_WRITE     0x1
#define SHF_ALLOC     0x2
#define SHF_EXECINSTR 0x4
#define SHN_UNDEF  0
#define SHN_LORESERVE 0xff00
#define SHN_ABS    0xfff1
#define SHN_COMMON 0xfff2
#define R_X86_64_64    1
#define R_X86_64_PC32  2
#define R_X86_64_PLT32 4
#define R_X86_64_32S   11
#define MAX_SECTIONS 256
#define NOT_LOADED UINT64_MAX

static char errbuf[160];
static int fail(const char **err, const char *msg, const char *detail) {
    ksnprintf(errbuf, sizeof errbuf, "%s%s%s", msg, detail ? ": " : "", detail ? detail : "");
    *err = errbuf;
    return -1;
}

static const struct elf64_shdr *shdr(const uint8_t *obj, unsigned i) {
    const struct elf64_ehdr *eh = (const void *)obj;
    return (const struct elf64_shdr *)(obj + eh->shoff) + i;
}

static bool range_ok(uint64_t off, uint64_t size, uint64_t len) {
    return off <= len && size <= len - off;
}

// The header and the section table lie inside the object and make sense.
static int check_header(const uint8_t *obj, size_t len, const char **err) {
    const struct elf64_ehdr *eh = (const void *)obj;
    if (len < sizeof *eh || memcmp(obj, "\x7f" "ELF", 4) != 0)
        return fail(err, "not an ELF file", NULL);
    if (eh->ident[4] != 2 || eh->ident[5] != 1 || eh->type != 1 || eh->machine != 62)
        return fail(err, "not an ELF64 little-endian x86_64 relocatable object", NULL);
    if (eh->shentsize != sizeof(struct elf64_shdr) || eh->shnum == 0 || eh->shnum > MAX_SECTIONS ||
        eh->shstrndx >= eh->shnum || (eh->shoff & 7) ||
        !range_ok(eh->shoff, (uint64_t)eh->shnum * sizeof(struct elf64_shdr), len))
        return fail(err, "section header table out of bounds", NULL);
    for (unsigned i = 1; i < eh->shnum; i++) {
        const struct elf64_shdr *s = shdr(obj, i);
        if (s->type != SHT_NOBITS && !range_ok(s->offset, s->size, len))
            return fail(err, "section out of bounds", NULL);
        if (s->addralign > PAGE_SIZE || (s->addralign & (s->addralign - 1)))
            return fail(err, "section alignment not a power of two up to 4096", NULL);
        if (s->type == SHT_REL)
            return fail(err, "REL relocations (only RELA is supported)", NULL);
    }
    return 0;
}

// The object's one symbol table and its string table, checked.
struct symtab {
    const struct elf64_sym *syms;
    size_t nsyms;
    const char *str;
    size_t strsize;
};
static int find_symtab(const uint8_t *obj, struct symtab *st, const char **err) {
    const struct elf64_ehdr *eh = (const void *)obj;
    st->syms = NULL;
    for (unsigned i = 1; i < eh->shnum; i++) {
        const struct elf64_shdr *s = shdr(obj, i);
        if (s->type != SHT_SYMTAB) continue;
        if (st->syms || s->link >= eh->shnum || s->entsize != sizeof(struct elf64_sym) ||
            (s->offset & 7))
            return fail(err, "bad or second symbol table", NULL);
        const struct elf64_shdr *ss = shdr(obj, s->link);
        if (ss->type == SHT_NOBITS || ss->size == 0 || obj[ss->offset + ss->size - 1] != 0)
            return fail(err, "bad symbol string table", NULL);
        st->syms = (const void *)(obj + s->offset);
        st->nsyms = s->size / sizeof(struct elf64_sym);
        st->str = (const char *)obj + ss->offset;
        st->strsize = ss->size;
    }
    return st->syms ? 0 : fail(err, "no symbol table", NULL);
}

static const char *sym_name(const struct symtab *st, const struct elf64_sym *s) {
    return s->name < st->strsize ? st->str + s->name : "?";
}

static const struct sip_ksym *ksym_find(const struct sip_ksym *allowed, const char *name) {
    for (const struct sip_ksym *k = allowed; k->name; k++)
        if (strcmp(k->name, name) == 0) return k;
    return NULL;
}

// Every symbol is defined in an allocated section, absolute, or an allowed
// kernel symbol; anything else is refused by name.
static int check_symbols(const uint8_t *obj, const struct symtab *st,
                         const struct sip_ksym *allowed, const char **err) {
    const struct elf64_ehdr *eh = (const void *)obj;
    for (size_t i = 1; i < st->nsyms; i++) {
        const struct elf64_sym *s = &st->syms[i];
        if (s->shndx == SHN_UNDEF) {
            if (!ksym_find(allowed, sym_name(st, s)))
                return fail(err, "undefined symbol outside the kernel ABI", sym_name(st, s));
        } else if (s->shndx == SHN_COMMON) {
            return fail(err, "common symbol (compile with -fno-common)", sym_name(st, s));
        } else if (s->shndx < SHN_LORESERVE && s->shndx >= eh->shnum) {
            return fail(err, "symbol in a nonexistent section", sym_name(st, s));
        }
    }
    return 0;
}

static bool reloc_type_ok(uint32_t type) {
    return type == R_X86_64_64 || type == R_X86_64_PC32 || type == R_X86_64_PLT32 ||
           type == R_X86_64_32S;
}

// Relocations of allocated sections: known types, symbols and offsets in bounds.
static int check_relocs(const uint8_t *obj, const struct symtab *st, const char **err) {
    const struct elf64_ehdr *eh = (const void *)obj;
    for (unsigned i = 1; i < eh->shnum; i++) {
        const struct elf64_shdr *s = shdr(obj, i);
        if (s->type != SHT_RELA) continue;
        if (s->info >= eh->shnum || !(shdr(obj, s->info)->flags & SHF_ALLOC)) continue;
        const struct elf64_shdr *target = shdr(obj, s->info);
        const struct elf64_rela *r = (const void *)(obj + s->offset);
        if (s->entsize != sizeof *r || (s->offset & 7))
            return fail(err, "bad relocation section", NULL);
        for (size_t j = 0; j < s->size / sizeof *r; j++) {
            uint32_t type = (uint32_t)r[j].info;
            if (!reloc_type_ok(type)) {
                char num[16];
                ksnprintf(num, sizeof num, "%u", type);
                return fail(err, "unsupported relocation type", num);
            }
            uint64_t width = type == R_X86_64_64 ? 8 : 4;
            if ((r[j].info >> 32) == 0 || (r[j].info >> 32) >= st->nsyms || !range_ok(r[j].offset, width, target->size) ||
                target->type == SHT_NOBITS)
                return fail(err, "relocation out of bounds", NULL);
        }
    }
    return 0;
}

int sip_object_check(const uint8_t *obj, size_t len, const struct sip_ksym *allowed,
                     const char **err) {
    struct symtab st;
    if (check_header(obj, len, err) < 0 || find_symtab(obj, &st, err) < 0 ||
        check_symbols(obj, &st, allowed, err) < 0 || check_relocs(obj, &st, err) < 0)
        return -1;
    return 0;
}

// ---- Layout: code, then rodata, then data, each group page-aligned ----
enum group { G_CODE, G_RODATA, G_DATA, G_NONE };
static enum group group_of(const struct elf64_shdr *s) {
    if (!(s->flags & SHF_ALLOC) || s->size == 0) return G_NONE;
    if (s->flags & SHF_EXECINSTR) return G_CODE;
    return (s->flags & SHF_WRITE) ? G_DATA : G_RODATA;
}

// Section offsets from the image start (secoff[i]; ~0 if not loaded) and
// each group's end, in bytes.
static size_t layout(const uint8_t *obj, uint64_t secoff[], uint64_t group_end[3]) {
    const struct elf64_ehdr *eh = (const void *)obj;
    uint64_t at = 0;
    for (unsigned i = 0; i < eh->shnum; i++) secoff[i] = NOT_LOADED;
    for (int g = G_CODE; g <= G_DATA; g++) {
        for (unsigned i = 0; i < eh->shnum; i++) {
            const struct elf64_shdr *s = shdr(obj, i);
            if (i == 0 || group_of(s) != (enum group)g) continue;
            at = ALIGN_UP(at, s->addralign ? s->addralign : 1);
            secoff[i] = at;
            at += s->size;
        }
        at = ALIGN_UP(at, PAGE_SIZE);
        group_end[g] = at;
    }
    return at / PAGE_SIZE;
}

static uint64_t sym_addr(const uint8_t *obj, const struct symtab *st, size_t idx,
                         const struct sip_code *c, const uint64_t secoff[],
                         const struct sip_ksym *allowed) {
    const struct elf64_sym *s = &st->syms[idx];
    (void)obj;
    if (s->shndx == SHN_UNDEF) return ksym_find(allowed, sym_name(st, s))->addr;
    if (s->shndx == SHN_ABS) return s->value;
    return c->base + secoff[s->shndx] + s->value;
}

// Applies every relocation of allocated sections, writing through the
// direct map ('image' is the frames' kernel address). Values that do not fit
// their 32-bit field are refused: they would jump or load somewhere else.
static int relocate(const uint8_t *obj, const struct symtab *st, uint8_t *image,
                    const struct sip_code *c, const uint64_t secoff[],
                    const struct sip_ksym *allowed, const char **err) {
    const struct elf64_ehdr *eh = (const void *)obj;
    for (unsigned i = 1; i < eh->shnum; i++) {
        const struct elf64_shdr *s = shdr(obj, i);
        if (s->type != SHT_RELA || s->info >= eh->shnum || group_of(shdr(obj, s->info)) == G_NONE)
            continue;
        const struct elf64_rela *r = (const void *)(obj + s->offset);
        for (size_t j = 0; j < s->size / sizeof *r; j++) {
            const struct elf64_sym *sym = &st->syms[r[j].info >> 32];
            if (sym->shndx != SHN_UNDEF && sym->shndx < SHN_LORESERVE && secoff[sym->shndx] == NOT_LOADED)
                return fail(err, "relocation against a section that is not loaded", sym_name(st, sym));
            uint64_t where = secoff[s->info] + r[j].offset;
            uint64_t S = sym_addr(obj, st, r[j].info >> 32, c, secoff, allowed);
            uint64_t P = c->base + where;
            uint64_t v = S + (uint64_t)r[j].addend;
            uint32_t type = (uint32_t)r[j].info;
            if (type == R_X86_64_64) { memcpy(image + where, &v, 8); continue; }
            if (type == R_X86_64_PC32 || type == R_X86_64_PLT32) v -= P;
            int64_t sv = (int64_t)v;
            if (sv != (int32_t)sv) return fail(err, "relocation value out of 32-bit range", NULL);
            int32_t v32 = (int32_t)sv;
            memcpy(image + where, &v32, 4);
        }
    }
    return 0;
}

static void copy_sections(const uint8_t *obj, uint8_t *image, const uint64_t secoff[]) {
    const struct elf64_ehdr *eh = (const void *)obj;
    for (unsigned i = 1; i < eh->shnum; i++) {
        const struct elf64_shdr *s = shdr(obj, i);
        if (group_of(s) != G_NONE && s->type != SHT_NOBITS)
            memcpy(image + secoff[i], obj + s->offset, s->size);
    }
}

// Fresh code-area pages starting at a multiple of 'align' bytes (the pages
// skipped to get there are never used), never handed out again; 0 if full.
uint64_t sip_code_area_take_aligned(size_t npages, uint64_t align) {
    spin_lock(&code_area_lock);
    uint64_t base = ALIGN_UP(code_area_next, align);
    if (base > CODE_AREA_END || npages > (CODE_AREA_END - base) / PAGE_SIZE) base = 0;
    else code_area_next = base + npages * PAGE_SIZE;
    spin_unlock(&code_area_lock);
    return base;
}

uint64_t sip_code_area_take(size_t npages) {
    return sip_code_area_take_aligned(npages, PAGE_SIZE);
}

void sip_code_area_bounds(uint64_t *base, uint64_t *end) {
    *base = CODE_AREA_BASE;
    *end = CODE_AREA_END;
}

// Maps the relocated image: code R-X, rodata R-- NX, data RW- NX.
static void map_image(const struct sip_code *c, uint64_t pa, const uint64_t group_end[3]) {
    for (size_t p = 0; p < c->npages; p++) {
        uint64_t off = p * PAGE_SIZE, flags = PTE_G;
        if (off >= group_end[G_CODE]) flags |= PTE_NX;
        if (off >= group_end[G_RODATA]) flags |= PTE_W;
        int r = vm_map_page(vm_kernel_space(), c->base + off, pa + off, flags);
        KASSERT(r == VM_OK);     // the area is fresh: only out-of-memory can fail
    }
}

// One load at a time (sip.c's module lock): the layout arrays are static
// because 256 offsets do not belong on a 16 KiB kernel stack.
int sip_load_object(const uint8_t *obj, size_t len, const struct sip_ksym *allowed,
                    struct sip_code *out, const char **err) {
    static uint64_t secoff[MAX_SECTIONS];
    uint64_t group_end[3];
    struct symtab st;
    if (sip_object_check(obj, len, allowed, err) < 0) return -1;
    find_symtab(obj, &st, err);
    out->npages = layout(obj, secoff, group_end);
    if (out->npages == 0) return fail(err, "object has no code", NULL);
    uint64_t pa = frame_alloc_contig(out->npages, 1);
    if (!pa) return fail(err, "out of memory for the code", NULL);
    out->base = sip_code_area_take(out->npages);
    if (!out->base) {
        frame_free_contig(pa, out->npages);
        return fail(err, "code area full", NULL);
    }
    uint8_t *image = phys_to_virt(pa);
    copy_sections(obj, image, secoff);
    if (relocate(obj, &st, image, out, secoff, allowed, err) < 0) {
        frame_free_contig(pa, out->npages);   // the area's pages stay unused: never reused
        return -1;
    }
    map_image(out, pa, group_end);
    out->obj = obj;
    out->obj_len = len;
    return 0;
}

// Looked up after loading, while the object is still at hand.
uint64_t sip_object_symbol(const uint8_t *obj, size_t len, const struct sip_code *code,
                           const char *name) {
    static uint64_t secoff[MAX_SECTIONS];
    uint64_t group_end[3];
    struct symtab st;
    const char *err;
    (void)len;
    if (find_symtab(obj, &st, &err) < 0) return 0;
    layout(obj, secoff, group_end);
    for (size_t i = 1; i < st.nsyms; i++) {
        const struct elf64_sym *s = &st.syms[i];
        if ((s->info >> 4) != 1 || (s->info & 0xf) != 2) continue;   // GLOBAL FUNC
        if (s->shndx == SHN_UNDEF || s->shndx >= SHN_LORESERVE) continue;
        if (group_of(shdr(obj, s->shndx)) != G_CODE) continue;
        if (strcmp(sym_name(&st, s), name) == 0) return code->base + secoff[s->shndx] + s->value;
    }
    return 0;
}
