// proc_hw/ktest_uvm.c: in-kernel tests of user address spaces, copy-on-write,
// sbrk, the user copies and exec (ktest=uvm_space,uvm_cow,uvm_sbrk,uvm_oom,
// usercopy,uvm_pcid,exec_load,exec_text_shared,uvm_spans). They run in a
// kernel thread with no process: a test that needs a space in CR3 loads one
// with uvm_activate and unloads it at the end. Each checks the free-frame
// count came back exactly (kheap_trim first, so cached heap pages do not count).
#include "proc_hw/uvm.h"
#include "kern/fs.h"

#define VA_TEXT 0x400000ull
#define VA_DATA 0x600000ull
#define VA_HEAP 0x10000000ull

static size_t frames_now(void) {
    kheap_trim();
    return frame_free_count();
}

static uint64_t pa_of(struct uspace *as, uint64_t va, uint64_t *flags) {
    uint64_t pa = 0;
    if (!vm_translate(as->vm, va, &pa, flags)) return 0;
    return pa;
}

static uint8_t peek(struct uspace *as, uint64_t va) {
    uint64_t pa = pa_of(as, va, NULL);
    return pa ? *(uint8_t *)phys_to_virt(pa) : 0xEE;
}

// A space with one read-only text page and two writable data pages.
static struct uspace *small_space(void) {
    struct uspace *as = uvm_create();
    if (!as) return NULL;
    if (uvm_map_zero(as, VA_TEXT, PAGE_SIZE, PROT_READ | PROT_EXEC) < 0 ||
        uvm_map_zero(as, VA_DATA, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE) < 0) {
        uvm_destroy(as);
        return NULL;
    }
    uvm_copy_to(as, VA_TEXT, "\xC3", 1);
    uvm_copy_to(as, VA_DATA, "parent", 7);
    uvm_set_heap(as, VA_HEAP);
    return as;
}

// Catches: page tables or frames not freed by uvm_destroy, pages counted wrong.
KTEST(uvm_space) {
    uvm_init();
    size_t before = frames_now();
    struct uspace *as = small_space();
    KT_CHECK(as != NULL);
    KT_CHECK(uvm_pages(as) == 3);
    uint64_t flags;
    KT_CHECK(pa_of(as, VA_TEXT, &flags) && !(flags & PTE_W) && !(flags & PTE_NX) && (flags & PTE_U));
    KT_CHECK(pa_of(as, VA_DATA, &flags) && (flags & PTE_W) && (flags & PTE_NX));
    KT_CHECK(peek(as, VA_TEXT) == 0xC3 && peek(as, VA_DATA) == 'p');
    KT_CHECK(peek(as, VA_DATA + PAGE_SIZE) == 0);                        // fresh pages are zero
    KT_CHECK(uvm_map_zero(as, VA_DATA, PAGE_SIZE, PROT_READ) == -EEXIST);
    KT_CHECK(uvm_map_zero(as, 0, PAGE_SIZE, PROT_READ) == -EINVAL);      // page 0: never
    KT_CHECK(uvm_map_zero(as, USER_TOP - PAGE_SIZE, 2 * PAGE_SIZE, PROT_READ) == -EINVAL);
    KT_CHECK(uvm_copy_to(as, VA_DATA + 2 * PAGE_SIZE - 2, "abc", 3) == -EFAULT);   // runs off the end
    KT_CHECK(uvm_pages(as) == 3);
    uvm_destroy(as);
    KT_CHECK(frames_now() == before);
    return 0;
}

// Catches: fork copying instead of sharing, a COW write visible to the other
// side, the refcount-1 case copying needlessly, text made writable, faults
// that should kill reported as handled.
KTEST(uvm_cow) {
    uvm_init();
    size_t before = frames_now();
    struct uspace *parent = small_space();
    KT_CHECK(parent != NULL);
    struct uspace *child = uvm_fork(parent);
    KT_CHECK(child != NULL && uvm_pages(child) == 3);
    uint64_t pf, cf;
    uint64_t shared = pa_of(parent, VA_DATA, &pf);
    KT_CHECK(shared && shared == pa_of(child, VA_DATA, &cf));
    KT_CHECK(!(pf & PTE_W) && (pf & PTE_COW) && !(cf & PTE_W) && (cf & PTE_COW));
    KT_CHECK(frameref_get(shared) == 2);
    uint64_t text = pa_of(parent, VA_TEXT, &pf);
    KT_CHECK(text == pa_of(child, VA_TEXT, &cf) && !(cf & PTE_COW) && !(cf & PTE_W));
    // The child writes: it gets its own copy; the parent keeps the original.
    const uint64_t wr = PF_PRESENT | PF_WRITE | PF_USER;
    KT_CHECK(uvm_page_fault(child, VA_DATA + 5, wr) == 0);
    uint64_t mine = pa_of(child, VA_DATA, &cf);
    KT_CHECK(mine != shared && (cf & PTE_W) && !(cf & PTE_COW) && peek(child, VA_DATA) == 'p');
    KT_CHECK(uvm_copy_to(child, VA_DATA, "child", 6) == 0);
    KT_CHECK(peek(parent, VA_DATA) == 'p' && peek(child, VA_DATA) == 'c');
    KT_CHECK(frameref_get(shared) == 1 && frameref_get(mine) == 1);
    // The parent, now the frame's only user, takes it back without a copy.
    KT_CHECK(uvm_page_fault(parent, VA_DATA, wr) == 0);
    KT_CHECK(pa_of(parent, VA_DATA, &pf) == shared && (pf & PTE_W) && !(pf & PTE_COW));
    // What must kill: text, unmapped, guard, kernel, reserved bits, fetch from data.
    KT_CHECK(uvm_page_fault(child, VA_TEXT, wr) < 0);
    KT_CHECK(uvm_page_fault(child, VA_HEAP, PF_WRITE | PF_USER) < 0);
    KT_CHECK(uvm_page_fault(child, 0, PF_USER) < 0);
    KT_CHECK(uvm_page_fault(child, KERNEL_BASE, PF_PRESENT | PF_USER) < 0);
    KT_CHECK(uvm_page_fault(child, VA_DATA + PAGE_SIZE, wr | PF_RSVD) < 0);
    KT_CHECK(uvm_page_fault(child, VA_DATA, PF_PRESENT | PF_FETCH | PF_USER) < 0);
    // A write fault on a page already writable (a stale TLB entry): retry.
    KT_CHECK(uvm_page_fault(child, VA_DATA, wr) == 0);
    uvm_destroy(parent);
    KT_CHECK(peek(child, VA_DATA + PAGE_SIZE) == 0 && frameref_get(text) == 1);
    uvm_destroy(child);
    KT_CHECK(frames_now() == before);
    return 0;
}

// Catches: shrink not freeing pages or page tables, regrown memory not
// zeroed, limits not enforced, the break moving on a failed call.
KTEST(uvm_sbrk) {
    uvm_init();
    size_t before = frames_now();
    struct uspace *as = small_space();
    KT_CHECK(as != NULL);
    size_t base_frames = frames_now();
    KT_CHECK(uvm_sbrk(as, 0) == (long)VA_HEAP);
    KT_CHECK(uvm_sbrk(as, 3 * PAGE_SIZE + 100) == (long)VA_HEAP);
    KT_CHECK(uvm_pages(as) == 3 + 4);
    KT_CHECK(uvm_copy_to(as, VA_HEAP + 3 * PAGE_SIZE, "xyz", 3) == 0);
    KT_CHECK(uvm_copy_to(as, VA_HEAP + 2 * PAGE_SIZE + 10, "xyz", 3) == 0);
    KT_CHECK(uvm_sbrk(as, -(long)(PAGE_SIZE + 98)) == (long)(VA_HEAP + 3 * PAGE_SIZE + 100));
    KT_CHECK(uvm_pages(as) == 3 + 3);                  // break at heap + 2 pages + 2: 3 pages
    KT_CHECK(peek(as, VA_HEAP + 2 * PAGE_SIZE + 10) == 0);   // above the break: zeroed
    KT_CHECK(uvm_sbrk(as, PAGE_SIZE + 98) > 0);
    KT_CHECK(peek(as, VA_HEAP + 3 * PAGE_SIZE) == 0);  // regrown: zero again
    KT_CHECK(uvm_sbrk(as, -(long)(5 * PAGE_SIZE)) == -EINVAL);   // below the heap's start
    KT_CHECK(uvm_sbrk(as, (long)USER_HEAP_MAX) == -ENOMEM);      // past the limit
    KT_CHECK(uvm_sbrk(as, -0x7FFFFFFFFFFFFFFFl - 1) == -EINVAL);
    KT_CHECK(uvm_sbrk(as, 0) == (long)(VA_HEAP + 3 * PAGE_SIZE + 100));
    KT_CHECK(uvm_sbrk(as, -(long)(3 * PAGE_SIZE + 100)) > 0);
    KT_CHECK(uvm_pages(as) == 3 && frames_now() == base_frames);  // tables freed too
    // Across a 2 MiB boundary (a second page table) and back.
    KT_CHECK(uvm_sbrk(as, 600 * PAGE_SIZE) == (long)VA_HEAP);
    KT_CHECK(uvm_sbrk(as, -600 * (long)PAGE_SIZE) > 0);
    KT_CHECK(frames_now() == base_frames);
    uvm_destroy(as);
    KT_CHECK(frames_now() == before);
    return 0;
}

// ---- Out of memory: take every free frame but a few, then fail on purpose ----

static uint64_t hoard_head;                // frames linked through their first word

static void hoard_all_but(size_t keep) {
    while (frame_free_count() > keep) {
        uint64_t pa = frame_alloc();
        if (!pa) break;
        *(uint64_t *)phys_to_virt(pa) = hoard_head;
        hoard_head = pa;
    }
}

static void hoard_release(void) {
    while (hoard_head) {
        uint64_t next = *(uint64_t *)phys_to_virt(hoard_head);
        frame_free(hoard_head);
        hoard_head = next;
    }
}

// Catches: a half-done sbrk or fork leaking frames, or moving the break,
// when memory runs out.
KTEST(uvm_oom) {
    uvm_init();
    size_t before = frames_now();
    struct uspace *as = small_space();
    KT_CHECK(as != NULL);
    KT_CHECK(uvm_sbrk(as, 40 * PAGE_SIZE) == (long)VA_HEAP);
    hoard_all_but(3);                      // fewer than a child's page tables need
    size_t left = frames_now();
    long r1 = uvm_sbrk(as, 30 * PAGE_SIZE);
    size_t after_sbrk = frames_now();
    struct uspace *child = uvm_fork(as);
    size_t after_fork = frames_now();
    long brk = uvm_sbrk(as, 0);
    hoard_release();
    KT_CHECK(r1 == -ENOMEM && after_sbrk == left);
    KT_CHECK(child == NULL && after_fork == left);
    KT_CHECK(brk == (long)(VA_HEAP + 40 * PAGE_SIZE));
    KT_CHECK(uvm_copy_to(as, VA_DATA, "again", 6) == 0);  // the parent's COW marks are harmless
    KT_CHECK(peek(as, VA_DATA) == 'a');
    uvm_destroy(as);
    KT_CHECK(frames_now() == before);
    return 0;
}

// ---- copyin / copyout, with a space loaded in this kernel thread's CR3 ----

// Catches: range checks letting kernel addresses or wrap-around through, a
// fault inside a copy panicking instead of giving -EFAULT, copyout writing
// into a frame a forked child still shares.
static int usercopy_checks(struct uspace *as, struct uspace *child) {
    char buf[32];
    KT_CHECK(copyout(VA_DATA + 8, "hello", 6) == 0);
    KT_CHECK(peek(as, VA_DATA + 8) == 'h' && peek(child, VA_DATA + 8) == 0);   // COW broken
    KT_CHECK(copyin(buf, VA_DATA + 8, 6) == 0 && strcmp(buf, "hello") == 0);
    KT_CHECK(copyinstr(buf, VA_DATA + 8, sizeof buf) == 5 && strcmp(buf, "hello") == 0);
    KT_CHECK(copyinstr(buf, VA_DATA + 8, 5) == -ENAMETOOLONG);
    KT_CHECK(copyout(VA_DATA + 2 * PAGE_SIZE - 3, "abc", 3) == 0);
    KT_CHECK(copyinstr(buf, VA_DATA + 2 * PAGE_SIZE - 3, sizeof buf) == -EFAULT);  // runs off
    KT_CHECK(copyin(buf, VA_DATA + 2 * PAGE_SIZE - 4, 8) == -EFAULT);
    KT_CHECK(copyout(VA_DATA + 2 * PAGE_SIZE - 4, buf, 8) == -EFAULT);
    KT_CHECK(copyout(VA_TEXT, buf, 1) == -EFAULT);                // read-only text
    KT_CHECK(copyin(buf, 0, 1) == -EFAULT);
    KT_CHECK(copyin(buf, KERNEL_BASE, 8) == -EFAULT);
    KT_CHECK(copyin(buf, DIRECT_BASE, 8) == -EFAULT);
    KT_CHECK(copyin(buf, USER_TOP - 4, 8) == -EFAULT);
    KT_CHECK(copyin(buf, ~0ull - 3, 8) == -EFAULT);               // wraps around
    KT_CHECK(copyout(~0ull, buf, 1) == -EFAULT);
    KT_CHECK(copyinstr(buf, KERNEL_BASE, sizeof buf) == -EFAULT);
    KT_CHECK(copyin(buf, 0, 0) == 0);                             // nothing to copy
    return 0;
}

// The recovery decision itself: only page faults inside the copy routines.
static int fixup_checks(void) {
    extern const char usercopy_begin[];
    struct trapframe tf = { .vector = 14, .rip = (uint64_t)usercopy_begin, .error = PF_PRESENT };
    KT_CHECK(usercopy_fixup_at(&tf, KERNEL_BASE) == false);       // a kernel address: panic
    tf.vector = 13;
    KT_CHECK(usercopy_fixup_at(&tf, VA_DATA) == false);
    tf.vector = 14;
    tf.rip = (uint64_t)fixup_checks;
    KT_CHECK(usercopy_fixup_at(&tf, VA_DATA) == false);           // not in a copy
    return 0;
}

KTEST(usercopy) {
    uvm_init();
    size_t before = frames_now();
    struct uspace *as = small_space();
    KT_CHECK(as != NULL);
    struct uspace *child = uvm_fork(as);
    KT_CHECK(child != NULL);
    uvm_activate(as);
    int r = usercopy_checks(as, child);
    uvm_activate(NULL);
    KT_CHECK(r == 0);
    KT_CHECK(fixup_checks() == 0);
    uvm_destroy(child);
    uvm_destroy(as);
    KT_CHECK(frames_now() == before);
    return 0;
}

// Catches (with PCIDs on: Bochs): a CR3 write that keeps TLB entries of a
// space whose PTEs changed while it was not loaded. Each round caches a's
// translation of VA_DATA (a read while loaded), then moves that page to a
// new frame while b is loaded (a COW break); the next round's read must see
// the new frame. Without PCIDs every CR3 write flushes and this passes
// trivially; so it does under Bochs 2.7 too, which flushes non-global
// entries on every CR3 write, no-flush bit or not: only real hardware (KVM)
// can catch a missing invalidation here.
KTEST(uvm_pcid) {
    uvm_init();
    size_t before = frames_now();
    struct uspace *a = small_space(), *b = small_space();
    KT_CHECK(a && b);
    uvm_copy_to(b, VA_DATA, "B", 1);
    struct uspace *kids[4] = { 0 };
    char c = 0;
    for (int round = 0; round < 4; round++) {
        uvm_activate(a);
        kids[round] = uvm_fork(a);               // a's pages become COW (a is loaded: flushed)
        KT_CHECK(kids[round] != NULL);
        KT_CHECK(copyin(&c, VA_DATA, 1) == 0 && c == (round ? 'A' + round - 1 : 'p'));
        uvm_activate(b);
        KT_CHECK(copyin(&c, VA_DATA, 1) == 0 && c == 'B');
        char v = (char)('A' + round);
        KT_CHECK(uvm_copy_to(a, VA_DATA, &v, 1) == 0);   // a's page moves while b is loaded
    }
    uvm_activate(a);
    KT_CHECK(copyin(&c, VA_DATA, 1) == 0 && c == 'D');
    KT_CHECK(copyout(VA_DATA, "Y", 1) == 0);
    uvm_activate(NULL);
    KT_CHECK(peek(a, VA_DATA) == 'Y' && peek(kids[0], VA_DATA) == 'p' && peek(kids[3], VA_DATA) == 'C');
    for (int i = 0; i < 4; i++) uvm_destroy(kids[i]);
    uvm_destroy(a);
    uvm_destroy(b);
    KT_CHECK(frames_now() == before);
    return 0;
}

// ---- exec_load: the layout a new program finds ----

static uint64_t peek64(struct uspace *as, uint64_t va) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | peek(as, va + (uint64_t)i);
    return v;
}

static int check_exec_stack(struct uspace *as, const struct exec_image *img) {
    KT_CHECK(img->user_rsp % 16 == 0 && img->argc == 2 && img->argv == img->user_rsp + 8);
    KT_CHECK(peek64(as, img->user_rsp) == 2);                       // argc, System V style
    uint64_t a0 = peek64(as, img->argv), a1 = peek64(as, img->argv + 8);
    KT_CHECK(peek64(as, img->argv + 16) == 0);                      // argv[argc] == NULL
    KT_CHECK(a0 > img->user_rsp && a1 > a0 && a1 + 4 <= USER_STACK_TOP);
    KT_CHECK(peek(as, a0) == 'e' && peek(as, a0 + 4) == 0 && peek(as, a1) == 'h' && peek(as, a1 + 3) == 0);
    uint64_t flags;
    uint64_t bottom = USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE;
    KT_CHECK(pa_of(as, bottom, &flags) && (flags & PTE_W) && (flags & PTE_NX));
    KT_CHECK(!pa_of(as, bottom - PAGE_SIZE, NULL));                  // the guard page
    return 0;
}

// Catches: argv laid out wrong or misaligned, text writable or data
// executable, no guard page, exec errors that leak the half-built space.
KTEST(exec_load) {
    uvm_init();
    size_t before = frames_now();
    char *argv[] = { "echo", "hi", NULL };
    struct exec_image img;
    KT_CHECK(exec_load("/bin/echo", argv, 2, &img) == 0);
    struct uspace *as = img.as;
    uint64_t flags;
    KT_CHECK(img.entry >= USER_TEXT_BASE && pa_of(as, img.entry, &flags));
    KT_CHECK(!(flags & PTE_W) && !(flags & PTE_NX) && (flags & PTE_U));
    KT_CHECK(check_exec_stack(as, &img) == 0);
    long brk = uvm_sbrk(as, 0);
    KT_CHECK(brk > (long)USER_TEXT_BASE && brk % PAGE_SIZE == 0 && !pa_of(as, (uint64_t)brk, NULL));
    KT_CHECK(pa_of(as, (uint64_t)brk - PAGE_SIZE, &flags) && (flags & PTE_NX));   // data/bss below it
    uvm_destroy(as);
    KT_CHECK(exec_load("/no/such/program", argv, 2, &img) == -ENOENT);
    KT_CHECK(exec_load("/etc/motd", argv, 2, &img) == -ENOEXEC);
    KT_CHECK(exec_load("/bin", argv, 2, &img) == -EISDIR);
    char *many[MAXARG + 2];
    for (int i = 0; i <= MAXARG; i++) many[i] = "a";
    many[MAXARG + 1] = NULL;
    KT_CHECK(exec_load("/bin/echo", many, MAXARG + 1, &img) == -E2BIG);
    KT_CHECK(frames_now() == before);
    return 0;
}

// ---- exec shares read-only segments (textshare.c) ----

// /bin/echo copied to a file the test may change.
static int copy_echo(const char *to) {
    struct inode *src, *dst;
    KT_CHECK(fs_lookup(NULL, "/bin/echo", &src) == 0);
    KT_CHECK(fs_open(NULL, to, true, &dst) == 0);
    uint8_t *buf = kmalloc(PAGE_SIZE);
    KT_CHECK(buf != NULL);
    long n;
    for (uint64_t off = 0; (n = fs_read(src, off, buf, PAGE_SIZE)) > 0; off += (uint64_t)n)
        KT_CHECK(fs_write(dst, off, buf, (size_t)n) == n);
    kfree(buf);
    inode_put(src);
    inode_put(dst);
    return 0;
}

// Rewrites byte 'off' with its own value: the same contents, a new version.
static int touch_byte(const char *path, uint64_t off) {
    struct inode *ip;
    uint8_t b;
    KT_CHECK(fs_lookup(NULL, path, &ip) == 0);
    KT_CHECK(fs_read(ip, off, &b, 1) == 1 && fs_write(ip, off, &b, 1) == 1);
    inode_put(ip);
    return 0;
}

static struct uspace *load(const char *path) {
    char *argv[] = { "echo", "hi", NULL };
    struct exec_image img;
    return exec_load(path, argv, 2, &img) == 0 ? img.as : NULL;
}

// Catches: two execs of one file copying the text (or sharing its data),
// a fork losing the sharing, a changed file still served from the old
// frames, frames held after the last process of a program is gone.
KTEST(exec_text_shared) {
    uvm_init();
    KT_CHECK(copy_echo("/kt-echo") == 0);
    size_t before = frames_now();
    struct uspace *a = load("/kt-echo"), *b = load("/kt-echo");
    KT_CHECK(a && b);
    uint64_t data = (uint64_t)uvm_sbrk(a, 0) - PAGE_SIZE;
    KT_CHECK(pa_of(a, USER_TEXT_BASE, NULL) && pa_of(a, USER_TEXT_BASE, NULL) == pa_of(b, USER_TEXT_BASE, NULL));
    KT_CHECK(pa_of(a, data, NULL) != pa_of(b, data, NULL));
    struct uspace *child = uvm_fork(b);
    KT_CHECK(child && child->shared[0] == b->shared[0]);
    uvm_destroy(b);
    uvm_destroy(a);
    KT_CHECK(touch_byte("/kt-echo", 0) == 0);
    struct uspace *c = load("/kt-echo");
    KT_CHECK(c && pa_of(c, USER_TEXT_BASE, NULL) != pa_of(child, USER_TEXT_BASE, NULL));
    KT_CHECK(peek(c, USER_TEXT_BASE) == peek(child, USER_TEXT_BASE));
    uvm_destroy(child);
    uvm_destroy(c);
    KT_CHECK(frames_now() == before);
    KT_CHECK(fs_unlink(NULL, "/kt-echo") == 0);
    return 0;
}

// ---- fork and exit walk only where pages were mapped (uvm.c's spans) ----

// Catches: a walk that misses pages at the edges of its spans (either side
// of USER_SPAN_SPLIT, the first and last page of the lower half), so fork
// leaves them out or exit leaks them.
KTEST(uvm_spans) {
    uvm_init();
    size_t before = frames_now();
    static const uint64_t at[] = { PAGE_SIZE, USER_TEXT_BASE, USER_SPAN_SPLIT - PAGE_SIZE,
                                   USER_SPAN_SPLIT, USER_STACK_TOP - PAGE_SIZE, USER_TOP - PAGE_SIZE };
    const size_t n = sizeof at / sizeof at[0];
    struct uspace *parent = uvm_create();
    KT_CHECK(parent != NULL);
    for (size_t i = 0; i < n; i++) {
        KT_CHECK(uvm_map_zero(parent, at[i], PAGE_SIZE, PROT_READ | PROT_WRITE) == 0);
        KT_CHECK(uvm_copy_to(parent, at[i], "x", 1) == 0);
    }
    struct uspace *child = uvm_fork(parent);
    KT_CHECK(child != NULL && uvm_pages(child) == n);
    for (size_t i = 0; i < n; i++)
        KT_CHECK(pa_of(child, at[i], NULL) && pa_of(child, at[i], NULL) == pa_of(parent, at[i], NULL));
    uvm_destroy(parent);
    for (size_t i = 0; i < n; i++) KT_CHECK(peek(child, at[i]) == 'x');
    uvm_destroy(child);
    KT_CHECK(frames_now() == before);            // every page and table of both came back
    return 0;
}
