// proc_hw/exit.c: how a process ends, and how its parent learns of it.
//
//   exit(3), a kill, a fault            wait() in the parent
//   ────────────────────────            ─────────────────────
//   proc_exit: siblings told to leave;  finds a P_ZOMBIE child,
//   waits until they have; closes       copies its status out,
//   files; frees memory; children  ──►  joins its threads (their
//   to init; P_ZOMBIE; wakes parent     kernel stacks), frees the slot
//
// A kill only marks the process (p->killed) and interrupts its threads'
// killable sleeps: each thread notices at its next return to user mode
// (syscall.c, or trap_return_to_user) and calls proc_exit_killed. So the
// process is always torn down by one of its own threads, in its own
// context, never under another process's feet.
#include "proc_hw/proc.h"
#include "kern/fs.h"

static struct waitq init_exited = { SPINLOCK_INIT("init_exited"), NULL, NULL };

// Files, cwd and memory: everything a zombie does not need.
static void proc_release(struct proc *p) {
    files_close_all(p);
    if (p->cwd) inode_put(p->cwd);
    p->cwd = NULL;
    struct uspace *as = p->as;
    // From here the scheduler gives this thread the kernel's space
    // (variant_thread_switch); uvm_destroy leaves it if it is loaded.
    __atomic_store_n(&p->as, NULL, __ATOMIC_RELEASE);
    uvm_destroy(as);
}

// Caller holds proc_table_lock. Orphans go to init, which reaps them.
static void reparent_children(struct proc *p) {
    struct proc *init = proc_init_process();
    bool zombie_for_init = false;
    for (int pid_slot = 0; pid_slot < NPROC; pid_slot++) {
        struct proc *c = proc_nth(pid_slot);
        if (c->state == P_FREE || c->parent != p) continue;
        c->parent = init;
        zombie_for_init |= c->state == P_ZOMBIE;
    }
    if (zombie_for_init && init) waitq_wake_all(&init->child_exited);
}

// The last thread's last steps. Everything it touches in p happens before
// the parent can see P_ZOMBIE: from then on the parent may reap p (its
// thread_join waits until this thread is off its CPU) and reuse the slot.
_Noreturn static void become_zombie(struct proc *p, int wstatus) {
    spin_lock(&p->lock);
    struct uthread_slot *s = NULL;
    for (int i = 0; i < PROC_MAX_THREADS && !s; i++)
        if (p->threads[i].t == thread_current()) s = &p->threads[i];
    if (s) s->exited = true;
    p->nthreads = 0;
    spin_unlock(&p->lock);
    spin_lock(&proc_table_lock);
    reparent_children(p);
    p->exit_status = wstatus;
    p->state = P_ZOMBIE;
    if (p->parent) waitq_wake_all(&p->parent->child_exited);
    else waitq_wake_all(&init_exited);           // init itself: the boot thread waits
    spin_unlock(&proc_table_lock);
    thread_exit(0);
}

// The whole process, from any of its threads. The first thread here does
// the work; any other (a second exit, a sibling noticing the kill) leaves.
_Noreturn void proc_exit(int wstatus) {
    struct proc *p = proc_current();
    struct thread *me = thread_current();
    spin_lock(&p->lock);
    if (p->exiting) uthread_leave(p);
    p->exiting = true;
    __atomic_store_n(&p->killed, true, __ATOMIC_RELEASE);   // siblings: leave
    uthread_interrupt_all(p, me);
    while (p->nthreads > 1)
        waitq_sleep(&p->thread_exited, &p->lock);  // not killable: we are the exit
    spin_unlock(&p->lock);
    proc_release(p);
    become_zombie(p, wstatus);
}

_Noreturn void proc_exit_killed(void) {
    struct proc *p = proc_current();
    proc_exit(p->kill_status);
}

// The one line a fault in user mode prints, then the process goes.
_Noreturn void proc_fault_exit(const char *what, int reason) {
    struct proc *p = proc_current();
    kprintf("pid %d (%s): %s, killed\n", p->pid, p->name, what);
    proc_exit(WSTATUS_KILLED | (reason & 0xff));
}

void proc_kill_current(const char *why) {
    proc_fault_exit(why, 0);
}

int proc_kill(int pid) {
    spin_lock(&proc_table_lock);
    struct proc *p = pid > 0 ? proc_by_pid(pid) : NULL;
    int r = !p ? -ESRCH : p == proc_init_process() ? -EPERM : 0;
    if (r == 0 && p->state == P_ALIVE) {
        spin_lock(&p->lock);
        if (!p->killed) p->kill_status = WSTATUS_KILLED | KILL_REASON_KILL;
        __atomic_store_n(&p->killed, true, __ATOMIC_RELEASE);
        uthread_interrupt_all(p, NULL);
        spin_unlock(&p->lock);
    }
    spin_unlock(&proc_table_lock);
    return r;
}

// ---- wait ----

// Caller holds proc_table_lock. A zombie child nobody is reaping yet, or
// NULL; *any says whether p has children at all.
static struct proc *zombie_child(struct proc *p, bool *any) {
    *any = false;
    for (int i = 0; i < NPROC; i++) {
        struct proc *c = proc_nth(i);
        if (c->state == P_FREE || c->parent != p) continue;
        *any = true;
        if (c->state == P_ZOMBIE && !c->reaping) return c;
    }
    return NULL;
}

// Claims a zombie child (marks it reaping); -ECHILD or -EINTR otherwise.
static int claim_zombie(struct proc *p, struct proc **out) {
    spin_lock(&proc_table_lock);
    for (;;) {
        bool any;
        struct proc *c = zombie_child(p, &any);
        if (c) {
            c->reaping = true;
            *out = c;
            spin_unlock(&proc_table_lock);
            return 0;
        }
        int r = !any ? -ECHILD : waitq_sleep_killable(&p->child_exited, &proc_table_lock) < 0 ? -EINTR : 0;
        if (r < 0) {
            spin_unlock(&proc_table_lock);
            return r;
        }
    }
}

// The zombie's last resources: its threads' stacks, then its slot. Then
// the parent's other waiters look again: another thread of the parent may
// have slept because this child existed, and it may have been the last.
static void proc_reap(struct proc *parent, struct proc *c) {
    uthread_reap_all(c);
    proc_free(c);
    waitq_wake_all(&parent->child_exited);
}

// Copies the status out BEFORE reaping: with a bad pointer the child stays
// a zombie (-EFAULT) and a later wait can still have it.
long proc_wait_user(uaddr_t ustatus) {
    struct proc *p = proc_current();
    struct proc *c;
    int r = claim_zombie(p, &c);
    if (r < 0) return r;
    int pid = c->pid, st = c->exit_status;
    if (ustatus && copyout(ustatus, &st, sizeof st) < 0) {
        spin_lock(&proc_table_lock);
        c->reaping = false;
        spin_unlock(&proc_table_lock);
        waitq_wake_all(&p->child_exited);    // another thread of ours may want it
        return -EFAULT;
    }
    proc_reap(p, c);
    return pid;
}

int proc_wait(int *wstatus) {
    struct proc *p = proc_current();
    struct proc *c;
    int r = claim_zombie(p, &c);
    if (r < 0) return r;
    int pid = c->pid;
    if (wstatus) *wstatus = c->exit_status;
    proc_reap(p, c);
    return pid;
}

// The boot thread (variant_main) waits here for init, which has no parent.
int proc_wait_init(void) {
    spin_lock(&proc_table_lock);
    struct proc *init;
    while (!(init = proc_init_process()) || init->state != P_ZOMBIE)
        waitq_sleep(&init_exited, &proc_table_lock);
    int st = init->exit_status;
    spin_unlock(&proc_table_lock);
    return st;
}
