// proc_hw/sys_mem.c: the system calls that replace or grow a process's
// memory: exec and sbrk.
//
//   exec(path, argv)                    user space
//   ─────────────────────────────────────────────────────────────
//   sys_exec      copyinstr the path; copy_argv: every pointer with
//                 copyin, every string with copyinstr (E2BIG past
//                 MAXARG / MAXARGBYTES); kernel copies from here on
//   exec_load     a whole new address space (exec.c); on failure the old
//                 program carries on and gets the error
//   install       swap the spaces, destroy the old one, rename the
//                 process, and rewrite this thread's saved user registers
//                 (proc_user_frame) so the syscall "returns" into the new
//                 program's entry with rdi = argc, rsi = argv
//
// A process with more than one thread gets -EBUSY: the other threads run
// in the old address space, and ending them first (as Linux does) would
// need a way to stop threads that are inside the kernel. One thread is what
// a shell's child has; a threaded program may fork and exec in the child.
#include "proc_hw/uvm.h"
#include "hw_sysprotos.h"

struct exec_args {
    char *argv[MAXARG + 1];
    char strings[MAXARGBYTES];
};

// argc, or -EFAULT / -E2BIG.
static int copy_argv(struct exec_args *a, uaddr_t uargv) {
    size_t used = 0;
    for (int i = 0;; i++) {
        uint64_t up;
        if (copyin(&up, uargv + 8 * (uint64_t)i, sizeof up) < 0) return -EFAULT;
        if (!up) {
            a->argv[i] = NULL;
            return i;
        }
        if (i == MAXARG) return -E2BIG;
        long n = copyinstr(a->strings + used, up, MAXARGBYTES - used);
        if (n == -ENAMETOOLONG) return -E2BIG;
        if (n < 0) return (int)n;
        a->argv[i] = a->strings + used;
        used += (size_t)n + 1;
    }
}

static void set_name(struct proc *p, const char *path) {
    const char *base = path;
    for (const char *c = path; *c; c++)
        if (*c == '/' && c[1]) base = c + 1;
    strlcpy(p->name, base, sizeof p->name);
    char *slash = strchr(p->name, '/');       // "dir/" leaves a trailing one
    if (slash) *slash = 0;
}

// The point of no return: exec has succeeded.
static void install(struct proc *p, const char *path, const struct exec_image *img) {
    spin_lock(&p->lock);
    struct uspace *old = p->as;
    p->as = img->as;
    set_name(p, path);
    spin_unlock(&p->lock);
    uvm_activate(img->as);
    uvm_destroy(old);
    struct thread *t = thread_current();
    struct trapframe *tf = proc_user_frame(t);
    uint64_t cs = tf->cs, ss = tf->ss, vector = tf->vector;
    memset(tf, 0, sizeof *tf);               // no register of the old program survives
    tf->cs = cs, tf->ss = ss, tf->vector = vector;
    tf->rip = img->entry;
    tf->rsp = img->user_rsp;
    tf->rdi = img->argc;
    tf->rsi = img->argv;
    tf->rflags = RFLAGS_IF | 0x2;            // bit 1 is always set
    fpu_init_state(t->fpu);                  // nor any FPU/SSE state
    fpu_restore(t->fpu);
}

long sys_exec(uaddr_t upath, uaddr_t uargv) {
    struct proc *p = proc_current();
    if (p->nthreads > 1) return -EBUSY;
    char *path = kmalloc(MAXPATH);
    struct exec_args *a = kmalloc(sizeof *a);
    long r = path && a ? 0 : -ENOMEM;
    if (r == 0) r = copyinstr(path, upath, MAXPATH);
    if (r >= 0) r = copy_argv(a, uargv);
    struct exec_image img;
    if (r >= 0) r = exec_load(path, a->argv, (int)r, &img);
    if (r == 0) install(p, path, &img);
    kfree(a);
    kfree(path);
    return r < 0 ? r : 0;
}

long sys_sbrk(long delta) {
    return uvm_sbrk(proc_current()->as, delta);
}
