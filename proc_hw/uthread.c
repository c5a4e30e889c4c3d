// proc_hw/uthread.c: threads inside a process, and the futex they block on.
//
// A user thread is a kernel thread (kern/thread.c) whose owner is a process:
// it runs user code in ring 3 and enters the kernel on its own kernel
// stack. Every thread of a process sits in a slot of p->threads until it is
// reclaimed: by thread_join, or, with the rest, by the parent's wait().
//
// A new user thread's kernel stack, before its first run:
//
//   top of kstack ─► ┌───────────────────────┐
//                    │ struct trapframe      │  the user registers it starts
//                    │ (proc_user_frame)     │  with (fork: the parent's, rax 0)
//                    ├───────────────────────┤
//                    │ thread_alloc's primed │  what context_switch pops
//   saved_rsp ─────► │ context, slid down    │  (arch/x86_64/switch.asm)
//                    └───────────────────────┘
//
// context_switch → thread_trampoline → thread_start → uthread_first_run →
// user_frame_return (syscall_entry.asm): rsp := the frame, then the common
// trap exit pops it and irets to ring 3.
#include "proc_hw/proc.h"

extern _Noreturn void user_frame_return(struct trapframe *tf);   // syscall_entry.asm

static void uthread_first_run(void *arg) {
    (void)arg;
    if (proc_killed()) proc_exit_killed();     // killed before it ever ran
    user_frame_return(proc_user_frame(thread_current()));
}

// thread_alloc primed the very top of t's stack with the saved context
// context_switch will pop (kern/thread.c, switch.asm), where the frame
// must go. Slide that context down below the frame, whatever its layout:
// it holds only values (registers, the trampoline's address), no pointers
// into the stack, so it works anywhere. Then the frame can be written.
static struct trapframe *make_room_for_frame(struct thread *t) {
    struct trapframe *frame = proc_user_frame(t);
    uint64_t top = (uint64_t)t->kstack + KSTACK_SIZE;
    size_t size = top - t->saved_rsp;
    uint64_t sp = (uint64_t)frame - size;
    memmove((void *)sp, (void *)t->saved_rsp, size);
    t->saved_rsp = sp;
    return frame;
}

// A free slot, marked used, counted in nthreads at once: a proc_exit that
// starts meanwhile waits for this thread too. -1: full, or p is exiting.
static int slot_reserve(struct proc *p) {
    spin_lock(&p->lock);
    int i = -1;
    for (int k = 0; k < PROC_MAX_THREADS && i < 0 && !p->exiting; k++)
        if (!p->threads[k].used) i = k;
    if (i >= 0) {
        p->threads[i] = (struct uthread_slot){ .used = true };
        p->nthreads++;
    }
    spin_unlock(&p->lock);
    return i;
}

struct thread *uthread_spawn(struct proc *p, const struct trapframe *tf) {
    int i = slot_reserve(p);
    if (i < 0) return NULL;
    struct thread *t = thread_alloc(p->name, uthread_first_run, NULL);
    spin_lock(&p->lock);
    if (t) {
        t->owner = p;
        *make_room_for_frame(t) = *tf;
        p->threads[i].t = t;
        if (!p->main_thread) p->main_thread = t;
    } else {
        p->threads[i].used = false;
        p->nthreads--;
        waitq_wake_all(&p->thread_exited);     // a proc_exit may be counting
    }
    spin_unlock(&p->lock);
    return t;
}

static struct uthread_slot *slot_of(struct proc *p, struct thread *t) {
    for (int i = 0; i < PROC_MAX_THREADS; i++)
        if (p->threads[i].used && p->threads[i].t == t) return &p->threads[i];
    return NULL;
}

// This thread leaves for good; its slot keeps the zombie for a joiner.
_Noreturn void uthread_leave(struct proc *p) {
    struct thread *me = thread_current();
    struct uthread_slot *s = slot_of(p, me);
    if (s) s->exited = true;
    p->nthreads--;
    waitq_wake_all(&p->thread_exited);
    spin_unlock(&p->lock);
    thread_exit(me->exit_code);
}

// thread_exit(): the last thread out ends the process, with status 0.
_Noreturn void uthread_exit(int status) {
    struct proc *p = proc_current();
    spin_lock(&p->lock);
    if (p->nthreads == 1 && !p->exiting) {
        spin_unlock(&p->lock);
        proc_exit(0);
    }
    thread_current()->exit_code = status;
    uthread_leave(p);
}

void uthread_interrupt_all(struct proc *p, struct thread *except) {
    for (int i = 0; i < PROC_MAX_THREADS; i++) {
        struct uthread_slot *s = &p->threads[i];
        if (s->used && s->t && !s->exited && s->t != except) thread_interrupt(s->t);
    }
}

// ---- thread_create, thread_join ----

// The new thread starts at fn(arg) on its own stack, as if called: the
// kernel pushes a return address of 0 below stack_top (one past the end of
// the stack), so rsp = stack_top - 8 and fn must end with thread_exit
// (returning jumps to 0: a page fault). Errors: -EINVAL for an fn outside
// the user half or a stack_top not 16-aligned (the x86-64 ABI's rule:
// SSE code on a misaligned stack faults); -EFAULT if the return address
// cannot be written there (unmapped, read-only, kernel; 0 wraps around).
int uthread_create(uaddr_t fn, uaddr_t arg, uaddr_t stack_top) {
    if (fn >= USER_TOP || (stack_top & 15)) return -EINVAL;
    uint64_t rsp = stack_top - 8;
    uint64_t zero = 0;
    if (copyout(rsp, &zero, sizeof zero) < 0) return -EFAULT;
    struct trapframe tf = { .rip = fn, .rsp = rsp, .rdi = arg, .cs = SEG_UCODE,
                            .ss = SEG_UDATA, .rflags = 0x202 };
    struct thread *t = uthread_spawn(proc_current(), &tf);
    if (!t) return -EAGAIN;
    int tid = t->tid;
    sched_make_ready(t);
    return tid;
}

static struct uthread_slot *slot_by_tid(struct proc *p, int tid) {
    for (int i = 0; i < PROC_MAX_THREADS; i++)
        if (p->threads[i].used && p->threads[i].t && p->threads[i].t->tid == tid)
            return &p->threads[i];
    return NULL;
}

// Waits (killably) for thread tid of this process to exit, then reclaims it.
int uthread_join(int tid, int *status) {
    struct proc *p = proc_current();
    spin_lock(&p->lock);
    struct uthread_slot *s = slot_by_tid(p, tid);
    int err = !s ? -ESRCH : s->t == thread_current() || s->joining ? -EINVAL : 0;
    if (err) {
        spin_unlock(&p->lock);
        return err;
    }
    s->joining = true;
    while (!s->exited) {
        if (waitq_sleep_killable(&p->thread_exited, &p->lock) < 0) {
            s->joining = false;
            spin_unlock(&p->lock);
            return -EINTR;
        }
    }
    struct thread *t = s->t;
    *s = (struct uthread_slot){ 0 };
    spin_unlock(&p->lock);
    *status = thread_join(t);            // at most a moment: it has already left
    return 0;
}

// The parent's wait(), on a zombie: every thread has left; take them all.
void uthread_reap_all(struct proc *p) {
    for (int i = 0; i < PROC_MAX_THREADS; i++) {
        struct uthread_slot *s = &p->threads[i];
        if (s->used && s->t) thread_join(s->t);
        *s = (struct uthread_slot){ 0 };
    }
    p->main_thread = NULL;
}

// ---- futex ----
//
// A waiter is a record on its own kernel stack, on one list of all
// waiters, keyed by (process, user address). The lost-wakeup problem: the
// value check (copyin) may fault, so it cannot run under a spinlock. So
// the waiter joins the list FIRST, then reads the value, then sleeps unless
// already woken. A waker that changed the value after our read finds us on
// the list and sets 'woken'; one that changed it before our read is seen
// by the read. Either way nobody sleeps through a wake.
struct futex_waiter {
    struct proc *p;
    uaddr_t addr;
    bool woken;
    struct waitq q;
    struct futex_waiter *next;
};

static struct spinlock futex_lock = SPINLOCK_INIT("futex");
static struct futex_waiter *futex_waiters;

// Caller holds futex_lock.
static void futex_unlink(struct futex_waiter *w) {
    struct futex_waiter **pp = &futex_waiters;
    while (*pp && *pp != w) pp = &(*pp)->next;
    if (*pp) *pp = w->next;
}

static void futex_enqueue(struct futex_waiter *w, uaddr_t addr) {
    *w = (struct futex_waiter){ .p = proc_current(), .addr = addr };
    waitq_init(&w->q, "futex");
    spin_lock(&futex_lock);
    w->next = futex_waiters;
    futex_waiters = w;
    spin_unlock(&futex_lock);
}

static int futex_sleep(struct futex_waiter *w, uint64_t deadline) {
    int r = WAIT_WOKEN;
    spin_lock(&futex_lock);
    while (!w->woken && r == WAIT_WOKEN)
        r = waitq_sleep_timed(&w->q, &futex_lock, deadline, true);
    if (w->woken) r = WAIT_WOKEN;        // a wake counted us: report it
    else futex_unlink(w);
    spin_unlock(&futex_lock);
    return r == WAIT_WOKEN ? 0 : r == WAIT_TIMEDOUT ? -ETIMEDOUT : -EINTR;
}

int futex_wait(uaddr_t addr, int expected, long timeout_ms) {
    if (addr & 3) return -EINVAL;
    if (timeout_ms < 0) return -EINVAL;
    uint64_t deadline = 0;
    if (timeout_ms > 0)
        deadline = time_ns() + (uint64_t)MIN(timeout_ms, 1000000000L) * 1000000;
    struct futex_waiter w;
    futex_enqueue(&w, addr);
    int now;
    int r = copyin(&now, addr, sizeof now);
    if (r == 0 && now != expected) r = -EAGAIN;
    if (r < 0) {
        spin_lock(&futex_lock);
        if (!w.woken) futex_unlink(&w);
        spin_unlock(&futex_lock);
        return r;
    }
    return futex_sleep(&w, deadline);
}

int futex_wake(uaddr_t addr, int count) {
    if (addr & 3 || count < 0) return -EINVAL;
    struct proc *p = proc_current();
    int n = 0;
    spin_lock(&futex_lock);
    struct futex_waiter **pp = &futex_waiters;
    while (*pp && n < count) {
        struct futex_waiter *w = *pp;
        if (w->p != p || w->addr != addr) {
            pp = &w->next;
            continue;
        }
        *pp = w->next;
        w->woken = true;
        waitq_wake_one(&w->q);
        n++;
    }
    spin_unlock(&futex_lock);
    return n;
}
