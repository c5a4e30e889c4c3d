// proc_hw/fork.c: a new process that is a copy of the calling one.
//
//   parent (in sys_fork)                    child
//   ────────────────────                    ─────
//   proc_alloc: slot + pid      ─► -EAGAIN if the table is full
//   uvm_fork: copy-on-write     ─► -ENOMEM (slot given back)
//   files_fork, cwd reference
//   uthread_spawn(the parent's  ─► -ENOMEM (all of the above undone)
//     user frame, rax = 0)
//   link to parent, make ready ───────────►  first run: "returns" from the
//   return the child's pid                   same syscall with rax = 0
//
// Nothing can fail after the child is linked, so a failed fork leaves no
// trace: no child to wait for, no frames, no file references.
#include "proc_hw/proc.h"
#include "kern/fs.h"

// Back out of a fork that could not finish: in the reverse order.
static void fork_undo(struct proc *c) {
    files_close_all(c);
    if (c->cwd) inode_put(c->cwd);
    c->cwd = NULL;
    uvm_destroy(c->as);
    c->as = NULL;
    proc_free(c);
}

// The child's first thread: the parent's user registers, but fork returns
// 0 there. The FPU/SSE registers are copied too (they are live in the
// CPU: the kernel never touches them, -mgeneral-regs-only).
static struct thread *fork_thread(struct proc *c) {
    struct trapframe tf = *proc_user_frame(thread_current());
    tf.rax = 0;
    struct thread *t = uthread_spawn(c, &tf);
    if (t) {
        push_irq_off();
        fpu_save(t->fpu);
        pop_irq_off();
    }
    return t;
}

// The parent cannot become a zombie while one of its threads is here, so
// linking last is safe: its exit will find this child and give it to init.
static void fork_link(struct proc *c, struct proc *parent) {
    spin_lock(&proc_table_lock);
    c->parent = parent;
    spin_unlock(&proc_table_lock);
}

int proc_fork(void) {
    struct proc *p = proc_current();
    struct proc *c = proc_alloc(p->name);
    if (!c) return -EAGAIN;
    c->as = uvm_fork(p->as);
    if (!c->as) {
        proc_free(c);
        return -ENOMEM;
    }
    files_fork(c, p);
    c->cwd = p->cwd ? inode_dup(p->cwd) : NULL;
    struct thread *t = fork_thread(c);
    if (!t) {
        fork_undo(c);
        return -ENOMEM;
    }
    int pid = c->pid;
    fork_link(c, p);
    sched_make_ready(t);
    return pid;
}
