// proc_sip/threads.c: a SIP's threads and futexes. Each SIP thread is a kernel
// thread whose owner is the struct sip, with a slot in s->threads (slot 0 is
// the main thread): its tid, its native stack in the SIP's window, the
// __stack_pointer value and wasm call depth it has while switched out
// (switch.c swaps them), and the jmpbuf its end unwinds to. A new thread runs
// the SIP library's exported __sip_thread_entry(fn, arg), which does the
// call_indirect, so wasm itself checks fn's type.
//
// A slot is free when tid == 0. Joining takes t out (t = NULL) under s->lock
// before the kernel thread is freed, so nobody interrupts a freed thread; the
// slot becomes free only after that.
#include "proc_sip/sip.h"
#include "proc_sip/ring3.h"
#include "syscall/errno_list.h"

struct sip_thread *sip_thread_current(struct sip *s) {
    struct thread *t = thread_current();
    for (int i = 0; i < SIP_MAX_THREADS; i++)
        if (s->threads[i].t == t) return &s->threads[i];
    return NULL;
}

static int slot_of(struct sip *s, struct sip_thread *st) {
    return (int)(st - s->threads);
}

static void run_thread(void *arg) {
    struct sip_thread *st = arg;
    sip_run_thread_entry(sip_current(), st->fn, st->arg);
}

static void sip_thread_main(void *arg) {
    struct sip_thread *st = arg;
    struct sip *s = sip_current();
    wasm_rt_call_stack_depth = 0;
    if (sip_setjmp(st->jmp) == 0) {
        uint64_t top = sip_stack_top(s, slot_of(s, st));
        if (s->r3) ring3_run_thread(s, st, top, sip_thread_entry_addr(s));
        sip_call_on_stack(run_thread, st, top);
    }
    ring3_left();                // an unwind from a ring-3 ABI call: SMAP closed
    spin_lock(&s->lock);
    st->exited = true;
    waitq_wake_all(&s->thread_q);
    spin_unlock(&s->lock);
    thread_exit(0);
}

// A free slot, claimed (tid set), or NULL. s->lock held.
static struct sip_thread *slot_claim(struct sip *s) {
    for (int i = 1; i < SIP_MAX_THREADS; i++) {
        struct sip_thread *st = &s->threads[i];
        if (st->tid) continue;
        st->tid = s->next_tid++;
        st->t = NULL;
        st->starting = true;
        st->exited = st->joining = false;
        st->status = 0;
        st->call_depth = 0;
        st->kentry_top = 0;
        st->futex_waiting = st->futex_woken = false;
        return st;
    }
    return NULL;
}

static void slot_free(struct sip *s, struct sip_thread *st) {
    spin_lock(&s->lock);
    st->tid = 0;
    st->starting = false;
    spin_unlock(&s->lock);
}

int sip_thread_spawn(struct sip *s, uint32_t fn, uint32_t arg, uint32_t stack_top) {
    if (!sip_threads_supported(s)) return -EINVAL;
    if (stack_top == 0 || (stack_top & 15) || stack_top > sip_mem_size(s)) return -EINVAL;
    spin_lock(&s->lock);
    struct sip_thread *st = s->dying ? NULL : slot_claim(s);
    spin_unlock(&s->lock);
    if (!st) return s->dying ? -EINTR : -EAGAIN;
    st->fn = fn;
    st->arg = arg;
    st->sp = stack_top;          // switch.c loads it into __stack_pointer when it first runs
    if (!st->stack_mapped) {
        if (!sip_stack_map(s, slot_of(s, st))) {
            sip_stack_release(s, slot_of(s, st));    // what it did map
            slot_free(s, st);
            return -ENOMEM;
        }
        st->stack_mapped = true;
    }
    struct thread *t = thread_alloc(s->name, sip_thread_main, st);
    if (!t) { slot_free(s, st); return -EAGAIN; }
    t->owner = s;
    spin_lock(&s->lock);
    st->t = t;
    st->starting = false;
    if (s->dying) thread_interrupt(t);   // sip_end may have looked before t was there
    int tid = st->tid;
    spin_unlock(&s->lock);
    sched_make_ready(t);
    return tid;
}

_Noreturn void sip_thread_exit_current(int status) {
    struct sip *s = sip_current();
    struct sip_thread *st = sip_thread_current(s);
    if (st == &s->threads[0]) sip_exit_current(status);
    st->status = status & 0x7fffffff;
    sip_unwind_current();
}

// Waits (s->lock held) until st has exited, then reaps its kernel thread.
// Returns with s->lock released.
static int reap(struct sip *s, struct sip_thread *st) {
    struct thread *t = st->t;
    st->t = NULL;
    int status = st->status;
    spin_unlock(&s->lock);
    thread_join(t);
    sip_stack_release(s, slot_of(s, st));
    st->stack_mapped = false;
    slot_free(s, st);
    return status;
}

int sip_thread_join_tid(struct sip *s, int tid) {
    struct sip_thread *me = sip_thread_current(s), *st = NULL;
    spin_lock(&s->lock);
    for (int i = 1; i < SIP_MAX_THREADS && !st; i++)
        if (tid > 0 && s->threads[i].tid == tid && s->threads[i].t && !s->threads[i].joining &&
            &s->threads[i] != me)
            st = &s->threads[i];
    if (!st) { spin_unlock(&s->lock); return -ESRCH; }
    st->joining = true;
    while (!st->exited) {
        if (waitq_sleep_killable(&s->thread_q, &s->lock) < 0) {
            st->joining = false;
            spin_unlock(&s->lock);
            return -EINTR;
        }
    }
    return reap(s, st);
}

// The main thread at the SIP's end: every other thread was interrupted by
// sip_end and unwinds soon; wait for each (not killably: the main thread is
// itself interrupted) and reap it. A thread another one is joining is left
// to that joiner, which finishes (or gives up) before it exits itself, and
// a slot still starting gets its thread from a creator that is itself one
// of the threads waited for: so a second pass finds whatever the first left.
void sip_threads_end(struct sip *s) {
    bool again = true;
    while (again) {
        again = false;
        for (int i = 1; i < SIP_MAX_THREADS; i++) {
            struct sip_thread *st = &s->threads[i];
            spin_lock(&s->lock);
            if (!st->t || st->joining) {
                again |= st->t != NULL || st->starting;
                spin_unlock(&s->lock);
                continue;
            }
            while (!st->exited) waitq_sleep(&s->thread_q, &s->lock);
            reap(s, st);
        }
    }
}

// ---- Futexes: keyed by offset in the SIP's memory, per SIP ----

static uint64_t deadline_of(int64_t timeout_ns) {
    if (timeout_ns < 0) return 0;                    // no deadline
    uint64_t now = time_ns();
    return (uint64_t)timeout_ns > UINT64_MAX - now ? UINT64_MAX : now + (uint64_t)timeout_ns;
}

int sip_futex_wait(struct sip *s, uint32_t off, uint32_t expected, int64_t timeout_ns) {
    if (off & 3) return -EINVAL;
    volatile uint32_t *p = sip_mem_range(s, off, 4);
    if (!p) return -EFAULT;
    struct sip_thread *me = sip_thread_current(s);
    uint64_t deadline = deadline_of(timeout_ns);
    int r = 0;
    spin_lock(&s->lock);                 // futex_wake takes it too: no wake is lost
    if (*p != expected) { spin_unlock(&s->lock); return -EAGAIN; }
    me->futex_off = off;
    me->futex_waiting = true;
    me->futex_woken = false;
    while (!me->futex_woken && r == 0) {
        int w = waitq_sleep_timed(&me->futex_q, &s->lock, deadline, true);
        if (w == WAIT_TIMEDOUT) r = -ETIMEDOUT;
        else if (w == WAIT_INTERRUPTED) r = -EINTR;
    }
    if (me->futex_woken) r = 0;
    me->futex_waiting = false;
    spin_unlock(&s->lock);
    return r;
}

int sip_futex_wake(struct sip *s, uint32_t off, uint32_t n) {
    if (off & 3) return -EINVAL;
    if (!sip_mem_range(s, off, 4)) return -EFAULT;
    uint32_t woken = 0;
    spin_lock(&s->lock);
    for (int i = 0; i < SIP_MAX_THREADS && woken < n; i++) {
        struct sip_thread *st = &s->threads[i];
        if (!st->futex_waiting || st->futex_woken || st->futex_off != off) continue;
        st->futex_woken = true;
        waitq_wake_one(&st->futex_q);
        woken++;
    }
    spin_unlock(&s->lock);
    return (int)woken;
}
