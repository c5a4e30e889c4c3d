// proc_hw/exec.c: build a new address space holding a program and its
// arguments. Nothing of the caller changes here: sys_exec (sys_mem.c)
// swaps the result in only when everything worked, so a failed exec
// returns to the old program with an error.
//
//   exec_load(path, argv)
//     prog_open          the file, through the ramfs (kern/fs.h)
//     elf_check          the whole ELF header and program headers (elf.c),
//                        before anything is mapped: -ENOEXEC
//     load_segment       each PT_LOAD: fresh zeroed pages with its
//                        permissions (text R-X, data RW-), then the file's
//                        bytes; the rest of the segment stays zero (bss)
//     load_readonly      a read-only PT_LOAD another live process loaded
//                        from the same file contents: its frames, shared
//                        (textshare.c); else loaded as above and offered
//     map_stack          USER_STACK_PAGES below USER_STACK_TOP; the page
//                        below them stays unmapped: the guard page
//     push_args          argc, argv[], the strings, on the new stack
//     uvm_set_heap       the break starts on the page after the program
//
// The new stack, as the program's entry finds it (rsp 16-byte aligned;
// also rdi = argc, rsi = argv: crt0 calls main(argc, argv) with them):
//
//   USER_STACK_TOP ┌──────────────────────────┐
//                  │ "prog\0" "arg1\0" ...    │ the strings, argv[0] lowest
//                  │ (padding to 16)          │
//                  │ 0, 0                     │ auxv: AT_NULL (System V layout)
//                  │ 0                        │ envp: empty
//                  │ 0                        │ argv[argc]
//                  │ argv[argc-1] ... argv[0] │ pointers to the strings
//   rsp ─────────► │ argc                     │
//                  └──────────────────────────┘
#include "proc_hw/uvm.h"
#include "proc_hw/elf.h"
#include "proc_hw/textshare.h"
#include "kern/fs.h"

#define EXEC_MAX_IMAGE (64ull << 20)      // bytes of segments a program may ask for
#define STACK_BOTTOM (USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE)

// Segments stay below the heap's largest extent, which stays below the
// guard page, so sbrk can never grow into the stack.
static const struct elf_limits exec_limits = {
    .lo = PAGE_SIZE,                      // page 0 stays unmapped: NULL faults
    .hi = STACK_BOTTOM - PAGE_SIZE - USER_HEAP_MAX,
    .max_bytes = EXEC_MAX_IMAGE,
};

// ---- The program file: the only two places that know where it comes from ----

static int prog_open(const char *path, struct inode **out) {
    struct proc *p = proc_current();
    struct inode *ip;
    int r = fs_lookup(p ? p->cwd : NULL, path, &ip);
    if (r < 0) return r;
    int type = inode_type(ip);
    if (type != FS_T_FILE) {
        inode_put(ip);
        return type == FS_T_DIR ? -EISDIR : -ENOEXEC;
    }
    *out = ip;
    return 0;
}

static long prog_read(struct inode *ip, uint64_t off, void *buf, size_t n) {
    return fs_read(ip, off, buf, n);
}

// ---- Arguments ----

// -E2BIG beyond MAXARG strings or MAXARGBYTES bytes (NULs included).
static int check_args(char *const kargv[], int argc) {
    if (argc < 0 || argc > MAXARG) return -E2BIG;
    size_t bytes = 0;
    for (int i = 0; i < argc; i++) {
        if (!kargv[i]) return -EINVAL;
        bytes += strlen(kargv[i]) + 1;
        if (bytes > MAXARGBYTES) return -E2BIG;
    }
    return 0;
}

static int push_args(struct uspace *as, char *const kargv[], int argc, struct exec_image *out) {
    size_t strbytes = 0;
    for (int i = 0; i < argc; i++) strbytes += strlen(kargv[i]) + 1;
    uint64_t strings = ALIGN_DOWN(USER_STACK_TOP - strbytes, 16);
    size_t nwords = (size_t)argc + 5;    // argc, argv[0..argc], envp's NULL, AT_NULL's two
    uint64_t sp = ALIGN_DOWN(strings - nwords * 8, 16);
    size_t size = USER_STACK_TOP - sp;
    uint8_t *block = kzalloc(size);
    if (!block) return -ENOMEM;
    uint64_t *words = (uint64_t *)block;
    words[0] = (uint64_t)argc;
    uint64_t at = strings;
    for (int i = 0; i < argc; i++) {
        size_t len = strlen(kargv[i]) + 1;
        memcpy(block + (at - sp), kargv[i], len);
        words[1 + i] = at;
        at += len;
    }
    int r = uvm_copy_to(as, sp, block, size);
    kfree(block);
    out->user_rsp = sp;
    out->argc = (uint64_t)argc;
    out->argv = sp + 8;
    return r;
}

// ---- Memory ----

static int load_segment(struct uspace *as, struct inode *ip, const struct elf_segment *s,
                        uint8_t *buf) {
    int r = uvm_map_zero(as, s->vaddr, s->memsz, s->prot);
    if (r < 0) return r == -ENOMEM ? r : -ENOEXEC;
    for (uint64_t done = 0; done < s->filesz;) {
        size_t n = MIN(PAGE_SIZE, s->filesz - done);
        if (prog_read(ip, s->offset + done, buf, n) != (long)n) return -ENOEXEC;   // file shrank
        r = uvm_copy_to(as, s->vaddr + done, buf, n);
        if (r < 0) return r;
        done += n;
    }
    return 0;
}

// A read-only segment (text, rodata) that a live process loaded from the
// same contents of the same file is mapped from its frames (textshare.c):
// no copy, and under TCG no translating the same code again at new
// addresses. Otherwise it is loaded here and offered to the next exec.
static int load_readonly(struct uspace *as, struct inode *ip, const struct elf_segment *s,
                         uint8_t *buf) {
    struct textseg_key key = { .offset = s->offset, .vaddr = s->vaddr, .memsz = s->memsz,
                               .prot = s->prot };
    inode_version(ip, &key.ino, &key.version);
    struct textseg *t = textseg_find(&key);
    if (t) {
        int r = uvm_map_textseg(as, ALIGN_DOWN(s->vaddr, PAGE_SIZE), t, s->prot);
        if (r == 0) return 0;
        textseg_put(t);
        return r == -ENOMEM ? r : -ENOEXEC;
    }
    int r = load_segment(as, ip, s, buf);
    if (r == 0) uvm_publish_textseg(as, &key);
    return r;
}

static int load_any(struct uspace *as, struct inode *ip, const struct elf_segment *s, uint8_t *buf) {
    return s->prot & ELF_PROT_W ? load_segment(as, ip, s, buf) : load_readonly(as, ip, s, buf);
}

static int map_stack(struct uspace *as) {
    return uvm_map_zero(as, STACK_BOTTOM, USER_STACK_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE);
}

// The file's first page holds the headers elf_check needs (it refuses a
// program header table further in). A refusal prints one line saying why:
// "Exec format error" alone tells a student nothing about a broken linker script.
static int read_headers(struct inode *ip, const char *path, uint8_t *buf, struct elf_info *info) {
    long n = prog_read(ip, 0, buf, PAGE_SIZE);
    if (n < 0) return (int)n;
    const char *err = elf_check(buf, (size_t)n, inode_size(ip), &exec_limits, info);
    if (!err) return 0;
    kprintf("exec: %s: %s\n", path, err);
    return -ENOEXEC;
}

static int build_space(struct inode *ip, const struct elf_info *info, uint8_t *buf,
                       char *const kargv[], int argc, struct exec_image *out) {
    struct uspace *as = uvm_create();
    if (!as) return -ENOMEM;
    int r = 0;
    for (int i = 0; i < info->nloads && r == 0; i++) r = load_any(as, ip, &info->loads[i], buf);
    if (r == 0) r = map_stack(as);
    if (r == 0) r = push_args(as, kargv, argc, out);
    if (r < 0) {
        uvm_destroy(as);
        return r;
    }
    uvm_set_heap(as, info->end);
    out->as = as;
    out->entry = info->entry;
    return 0;
}

int exec_load(const char *path, char *const kargv[], int argc, struct exec_image *out) {
    int r = check_args(kargv, argc);
    if (r < 0) return r;
    struct inode *ip;
    r = prog_open(path, &ip);
    if (r < 0) return r;
    uint8_t *buf = kmalloc(PAGE_SIZE);
    struct elf_info *info = kmalloc(sizeof *info);
    if (!buf || !info) r = -ENOMEM;
    if (r == 0) r = read_headers(ip, path, buf, info);
    if (r == 0) r = build_space(ip, info, buf, kargv, argc, out);
    kfree(info);
    kfree(buf);
    inode_put(ip);
    return r;
}
