// proc_hw/proc.c: the process table. A process is a slot in ptable: a pid,
// a name, its parent, its user memory (struct uspace), its open files, its
// threads. fork.c makes processes, exit.c ends and reaps them, uthread.c
// adds threads to them.
//
// Locks: proc_table_lock guards every slot's state, pid, parent and
// reaping; p->lock guards p's threads, killed and exiting. Order:
// proc_table_lock before any p->lock, and both before the scheduler's.
#include "proc_hw/proc.h"

struct spinlock proc_table_lock = SPINLOCK_INIT("proctable");
static struct proc ptable[NPROC];
static int next_pid = 1;

void proc_init(void) {
    for (int i = 0; i < NPROC; i++) {
        spin_init(&ptable[i].lock, "proc");
        ptable[i].state = P_FREE;
    }
}

// Caller holds proc_table_lock. Pids only grow (after 2^31 forks they
// would wrap; skipping those still in use keeps them unique even then).
static int pid_next(void) {
    for (;;) {
        int pid = next_pid;
        next_pid = next_pid == __INT_MAX__ ? 2 : next_pid + 1;
        if (!proc_by_pid(pid)) return pid;
    }
}

// Caller holds proc_table_lock. Zombies count: their pid is still theirs.
struct proc *proc_by_pid(int pid) {
    for (int i = 0; i < NPROC; i++)
        if (ptable[i].state != P_FREE && ptable[i].pid == pid) return &ptable[i];
    return NULL;
}

struct proc *proc_nth(int i) {
    return &ptable[i];
}

// Everything but the lock and the state back to a new process's values.
static void proc_reset(struct proc *p, const char *name) {
    struct spinlock lock = p->lock;
    memset(p, 0, sizeof *p);
    p->lock = lock;
    strlcpy(p->name, name, sizeof p->name);
    waitq_init(&p->child_exited, "child_exited");
    waitq_init(&p->thread_exited, "thread_exited");
    p->kill_status = WSTATUS_KILLED | KILL_REASON_KILL;
}

// A P_ALIVE slot with a fresh pid, no memory, no files, no threads, no
// parent yet; NULL when every slot is taken.
struct proc *proc_alloc(const char *name) {
    spin_lock(&proc_table_lock);
    struct proc *p = NULL;
    for (int i = 0; i < NPROC && !p; i++)
        if (ptable[i].state == P_FREE) p = &ptable[i];
    if (p) {
        proc_reset(p, name);
        p->pid = pid_next();
        p->state = P_ALIVE;
    }
    spin_unlock(&proc_table_lock);
    return p;
}

// Its memory, files and threads must already be gone.
void proc_free(struct proc *p) {
    spin_lock(&proc_table_lock);
    p->state = P_FREE;
    p->parent = NULL;
    spin_unlock(&proc_table_lock);
}

struct proc *proc_current(void) {
    return thread_current()->owner;
}

bool proc_killed(void) {
    struct proc *p = proc_current();
    return p && __atomic_load_n(&p->killed, __ATOMIC_ACQUIRE);
}

// The scheduler's hook (kern/sched.c, interrupts off, sched_lock held):
// a thread of a process runs in that process's address space (none: it
// is exiting and has given its memory back, so the kernel's). A kernel
// thread keeps whatever CR3 is loaded: the upper half, all a kernel
// thread touches, is the same in every space (docs/memory.md).
void variant_thread_switch(struct thread *prev, struct thread *next) {
    (void)prev;
    struct proc *p = next->owner;
    if (p) uvm_activate(p->as);
}

// ---- The snapshot for ps (sys_procs) ----

static int proc_ps_state(struct proc *p) {
    if (p->state == P_ZOMBIE) return PS_ZOMBIE;
    for (int i = 0; i < PROC_MAX_THREADS; i++) {
        struct thread *t = p->threads[i].t;
        if (t && !p->threads[i].exited && (t->state == T_RUNNING || t->state == T_READY))
            return PS_RUNNING;
    }
    return PS_SLEEPING;
}

// Up to max entries into out; how many. Thread states are read without
// the scheduler's lock: a snapshot, good enough to look at.
int proc_snapshot(struct procinfo *out, int max) {
    int n = 0;
    spin_lock(&proc_table_lock);
    for (int i = 0; i < NPROC && n < max; i++) {
        struct proc *p = &ptable[i];
        if (p->state == P_FREE) continue;
        spin_lock(&p->lock);
        out[n] = (struct procinfo){
            .pid = p->pid, .ppid = p->parent ? p->parent->pid : 0,
            .state = proc_ps_state(p), .nthreads = p->nthreads, .mem_pages = uvm_pages(p->as),
        };
        strlcpy(out[n].name, p->name, sizeof out[n].name);
        spin_unlock(&p->lock);
        n++;
    }
    spin_unlock(&proc_table_lock);
    return n;
}

int proc_count(void) {
    int n = 0;
    spin_lock(&proc_table_lock);
    for (int i = 0; i < NPROC; i++) n += ptable[i].state != P_FREE;
    spin_unlock(&proc_table_lock);
    return n;
}

// ---- pid 1 ----

static struct proc *initproc;

struct proc *proc_init_process(void) {
    return initproc;
}

// The first thread's registers: entry point, stack, and main(argc, argv)'s
// arguments in rdi and rsi (crt0 passes them on).
static void init_frame(struct trapframe *tf, const struct exec_image *img) {
    memset(tf, 0, sizeof *tf);
    tf->rip = img->entry;
    tf->rsp = img->user_rsp;
    tf->rdi = img->argc;
    tf->rsi = img->argv;
    tf->cs = SEG_UCODE;
    tf->ss = SEG_UDATA;
    tf->rflags = 0x202;          // IF, and bit 1, which is always one
}

// pid 1 runs /bin/init with its console on fds 0, 1 and 2. Returns a
// negative errno, with nothing started, when it cannot.
int proc_start_init_status(void) {
    char *argv[] = { "init", NULL };
    struct exec_image img;
    int r = exec_load("/bin/init", argv, 1, &img);
    if (r < 0) return r;
    struct proc *p = proc_alloc("init");
    if (!p) {
        uvm_destroy(img.as);
        return -EAGAIN;
    }
    p->as = img.as;
    files_init_console(p);
    struct trapframe tf;
    init_frame(&tf, &img);
    struct thread *t = uthread_spawn(p, &tf);
    if (!t) {
        files_close_all(p);
        p->as = NULL;
        uvm_destroy(img.as);
        proc_free(p);
        return -ENOMEM;
    }
    initproc = p;
    sched_make_ready(t);
    return 0;
}

void proc_start_init(void) {
    int r = proc_start_init_status();
    if (r < 0) kprintf("init: cannot start /bin/init (error %d)\n", r);
}
