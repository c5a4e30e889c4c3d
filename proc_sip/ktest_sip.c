// proc_sip/ktest_sip.c: the SIP loader's refusals, on tiny objects built here
// byte by byte: one .text section with one relocation against one undefined
// symbol. What varies is the relocation type, the symbol and the length.
#include "proc_sip/sip.h"
#include "mm/mm.h"
#include "ipc/chan.h"
#include "syscall/errno_list.h"

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
// frame and every heap page they took: linear memory, stacks, tables,
// instance, the struct sip, its thread.
KTEST(sip_run_frees) {
    size_t frames = 0, heap = 0;
    int alive = sip_alive_count();
    for (int i = 0; i < 3; i++) {
        int err = 0;
        struct sip *s = sip_create("hello", "hello", 6, NULL, 0, NULL, &err);
        KT_CHECK(s != NULL);
        KT_CHECK(sip_wait(s) == 0);
        kheap_trim();
        if (i == 1) { frames = frame_free_count(); heap = kheap_pages(); }
        if (i == 2) KT_CHECK(frame_free_count() == frames && kheap_pages() == heap);
    }
    KT_CHECK(sip_alive_count() == alive);
    return 0;
}

// ---- FIXED CODE: after a SIP is loaded, no page of the kernel's address
// space is both writable and executable, and the code area holds code pages
// (R-X) and data pages (NX) only. Walks the real page tables of the upper half.
struct wx_walk {
    uint64_t wx_pages;           // writable and executable: must be 0
    uint64_t first_wx;
    uint64_t code_rx, code_w;    // in the code area: R-X pages, writable pages (all NX)
};

static void wx_leaf(struct wx_walk *w, uint64_t va, uint64_t pages, bool writable, bool nx) {
    if (writable && !nx) {
        if (!w->wx_pages) w->first_wx = va;
        w->wx_pages += pages;
    }
    if (sip_code_contains(va)) {
        if (!writable && !nx) w->code_rx += pages;
        if (writable) w->code_w += pages;
    }
}

// Level 3 = PML4 ... 0 = PT. A leaf's rights: W needs W at every level, NX at any.
static void wx_table(struct wx_walk *w, const pte_t *t, int level, uint64_t base, bool wr, bool nx) {
    for (int i = 0; i < 512; i++) {
        pte_t e = t[i];
        if (level == 3 && i < 256) continue;          // the lower half: no process here
        if (!(e & PTE_P)) continue;
        uint64_t va = base + ((uint64_t)i << (12 + 9 * level));
        if (level == 3) va |= 0xFFFF000000000000ull;
        bool w2 = wr && (e & PTE_W), nx2 = nx || (e & PTE_NX);
        if (level == 0 || (e & PTE_PS))
            wx_leaf(w, va, 1ull << (9 * level), w2, nx2);
        else
            wx_table(w, phys_to_virt(e & PTE_ADDR_MASK), level - 1, va, w2, nx2);
    }
}

KTEST(sip_fixed_code) {
    struct sip *s = sip_spawn("hello");               // loads its code (once)
    KT_CHECK(s != NULL);
    KT_CHECK(sip_wait(s) == 0);
    struct wx_walk w = { 0 };
    wx_table(&w, vm_kernel_space()->pml4, 3, 0, true, false);
    if (w.wx_pages) kprintf("  %lu W+X pages, the first at 0x%lx\n", w.wx_pages, w.first_wx);
    KT_CHECK(w.wx_pages == 0);
    KT_CHECK(w.code_rx > 0);                          // hello's code, R-X
    KT_CHECK(!sip_code_contains(0) && !sip_code_contains((uint64_t)&ktest_fn_sip_fixed_code));
    return 0;
}

// The ABI table lists only the ABI and the runtime: every name is an
// Z_envZ_sip_* function, a wasm_rt_* runtime entry or mem*; none twice.
KTEST(sip_abi_table) {
    int n = 0, abi = 0;
    for (const struct sip_ksym *k = sip_abi_symbols; k->name; k++, n++) {
        const char *nm = k->name;
        bool ok = strncmp(nm, "Z_envZ_sip_", 11) == 0 || strncmp(nm, "wasm_rt_", 8) == 0 ||
                  !strcmp(nm, "memcpy") || !strcmp(nm, "memmove") || !strcmp(nm, "memset") ||
                  !strcmp(nm, "memcmp");
        if (!ok) kprintf("  unexpected symbol %s\n", nm);
        KT_CHECK(ok && k->addr);
        abi += strncmp(nm, "Z_envZ_", 7) == 0;
        for (const struct sip_ksym *j = sip_abi_symbols; j < k; j++) KT_CHECK(strcmp(j->name, nm) != 0);
    }
    KT_CHECK(abi == 24);                              // the lines of syscall/sip_abi.list
    return 0;
}

// The handle table: add up to 64, -EMFILE after; get, take, close; lend and
// return keep the number; busy defers a close; nothing leaks.
KTEST(sip_handles) {
    const struct contract *c = contract_find("Stream");
    KT_CHECK(c != NULL);
    size_t alive = chan_endpoints_alive();
    struct sip *s = kzalloc(sizeof *s);
    KT_CHECK(s != NULL);
    spin_init(&s->lock, "ktest sip");
    struct endpoint *a, *b;
    for (int i = 0; i < SIP_MAX_HANDLES / 2; i++) {
        KT_CHECK(chan_create(c, &a, &b) == 0);
        KT_CHECK(sip_handle_add(s, a) == 2 * i && sip_handle_add(s, b) == 2 * i + 1);
    }
    KT_CHECK(chan_create(c, &a, &b) == 0);
    KT_CHECK(sip_handle_add(s, a) == -EMFILE);        // full
    KT_CHECK(sip_handle_close(s, 5) == 0 && sip_handle_close(s, 5) == -EBADF);
    KT_CHECK(sip_handle_get(s, 5) == NULL && sip_handle_get(s, 64) == NULL && sip_handle_get(s, -1) == NULL);
    KT_CHECK(sip_handle_add(s, a) == 5);              // the lowest free one
    KT_CHECK(sip_handle_take(s, 5) == a && sip_handle_get(s, 5) == NULL);
    KT_CHECK(sip_handle_lend(s, 6) != NULL && sip_handle_get(s, 6) == NULL);
    KT_CHECK(sip_handle_add(s, a) == 5);              // 6 is lent: not free
    KT_CHECK(sip_handle_add(s, b) == -EMFILE);
    sip_handle_return(s, 6);
    KT_CHECK(sip_handle_get(s, 6) != NULL);
    KT_CHECK(sip_handle_use(s, 7) != NULL);
    KT_CHECK(sip_handle_close(s, 7) == 0 && sip_handle_get(s, 7) == NULL);
    KT_CHECK(sip_handle_add(s, b) == -EMFILE);        // 7 closes when its user is done
    sip_handle_put(s, 7);
    KT_CHECK(sip_handle_add(s, b) == 7);
    sip_handles_close_all(s);
    kfree(s);
    KT_CHECK(chan_endpoints_alive() == alive);
    return 0;
}

// A SIP spinning in its own code (no ABI call, so no wait to interrupt) is
// ended from outside: the timer interrupt redirects it (trap_return_to_kernel);
// its status is -1, and every frame it held goes back.
KTEST(sip_kill_running) {
    size_t frames = 0;
    for (int i = 0; i < 2; i++) {               // the first round loads the code
        int err = 0;
        struct sip *s = sip_create("hostile_spin", "hostile_spin", 13, NULL, 0, NULL, &err);
        KT_CHECK(s != NULL);
        time_sleep_ns(30 * 1000000ull);         // it runs, in its own code
        KT_CHECK(!sip_was_killed(s));
        sip_kill_by(s, 0);
        KT_CHECK(sip_was_killed(s));
        KT_CHECK(sip_wait(s) == -1);
        kheap_trim();
        if (i == 0) frames = frame_free_count();
        else KT_CHECK(frame_free_count() == frames);
    }
    return 0;
}

// sip_create checks what it is given before anything runs: the initial
// endpoints against the manifest (hello's: Stream:reader, Stream:writer),
// the args; a refused create takes nothing. An accepted endpoint is the
// child's, closed at its end.
KTEST(sip_create_checks) {
    const struct contract *c = contract_find("Stream");
    KT_CHECK(c != NULL);
    size_t alive = chan_endpoints_alive();
    struct endpoint *w, *r;
    KT_CHECK(chan_create(c, &w, &r) == 0);
    struct endpoint *swapped[2] = { w, r }, *right[2] = { r, NULL }, *three[3] = { r, NULL, w };
    int err = 0;
    KT_CHECK(!sip_create("hello", NULL, 0, swapped, 2, NULL, &err) && err == -EINVAL);
    KT_CHECK(!sip_create("hello", NULL, 0, three, 3, NULL, &err) && err == -EINVAL);
    KT_CHECK(!sip_create("hello", "x", SIP_ARGS_MAX + 1, NULL, 0, NULL, &err) && err == -EINVAL);
    KT_CHECK(chan_endpoints_alive() == alive + 2);      // nothing taken
    struct sip *s = sip_create("hello", "hello", 6, right, 2, NULL, &err);
    KT_CHECK(s != NULL);
    KT_CHECK(sip_wait(s) == 0);
    const char *why;
    KT_CHECK(chan_send(w, 0, "x", 1, NULL, 0, &why) == -EPIPE);   // r closed at its end
    endpoint_close(w);
    KT_CHECK(chan_endpoints_alive() == alive);
    return 0;
}
