// proc_sip/kill.c: the end of a SIP. Whatever ends it (sip_exit from any
// thread, _start returning, a trap in any thread, a contract violation,
// sip_kill by its parent, its parent's own end), the first cause is recorded
// with its status and line, and every thread is told to leave:
//   - a thread asleep in a killable wait (every wait a SIP can block in) wakes;
//   - a thread in an ABI call checks on the way out (sip_check_dying);
//   - a thread running wasm code is redirected at its next timer interrupt
//     (trap_return_to_kernel), only when the interrupted rip is in the SIP
//     code area: wasm code holds no kernel lock, so leaving it there is safe,
//     while kernel code it called (memcpy, an ABI function) is left to finish.
// Each thread unwinds to its own base (sip_longjmp); the main thread then waits
// for the others, ends its children, prints the line and frees everything.
#include "proc_sip/sip.h"
#include "arch/x86_64/arch.h"
#include "ipc/chan.h"

// s->lock held. thread_interrupt is sticky: a thread told now never again
// sleeps killably, so it cannot miss this even if it is not asleep yet.
static void interrupt_threads(struct sip *s) {
    struct thread *me = thread_current();
    for (int i = 0; i < SIP_MAX_THREADS; i++) {
        struct thread *t = s->threads[i].t;
        if (t && t != me) thread_interrupt(t);
    }
}

void sip_end(struct sip *s, int status, const char *line) {
    spin_lock(&s->lock);
    if (!s->dying) {
        s->status = status;
        strlcpy(s->end_line, line, sizeof s->end_line);
        __atomic_store_n(&s->dying, true, __ATOMIC_SEQ_CST);
    }
    interrupt_threads(s);
    spin_unlock(&s->lock);
}

void sip_kill_by(struct sip *s, int killer_id) {
    char line[40];
    ksnprintf(line, sizeof line, "killed by sip %d", killer_id);
    sip_end(s, -1, line);
}

_Noreturn void sip_unwind_current(void) {
    struct sip *s = sip_current();
    KASSERT(s);
    struct sip_thread *st = sip_thread_current(s);
    KASSERT(st);
    sip_longjmp(st->jmp, 1);
}

_Noreturn void sip_exit_current(int status) {
    struct sip *s = sip_current();
    KASSERT(s);
    sip_end(s, status, "");
    sip_unwind_current();
}

_Noreturn void sip_trap_current(const char *what) {
    struct sip *s = sip_current();
    KASSERT(s);
    char line[SIP_END_LINE_MAX];
    ksnprintf(line, sizeof line, "trap: %s, killed", what);
    s->trap = what;
    sip_end(s, -1, line);
    sip_unwind_current();
}

// The weak hook of arch/x86_64/trap.c: an interrupt is about to return to
// ring 0. If it interrupted wasm code of a dying SIP, return instead into
// sip_unwind_current, on the thread's kernel stack below where its base
// saved rsp (only the abandoned call into the SIP's code lies there), aligned
// as right after a call.
void trap_return_to_kernel(struct trapframe *tf) {
    struct sip *s = thread_current()->owner;
    if (!s || !__atomic_load_n(&s->dying, __ATOMIC_SEQ_CST) || !sip_code_contains(tf->rip))
        return;
    struct sip_thread *st = sip_thread_current(s);
    if (!st) return;
    tf->rsp = ALIGN_DOWN(st->jmp[6] - 512, 16) - 8;
    tf->rip = (uint64_t)sip_unwind_current;
}

// Kills and waits for every child not yet waited for: a SIP's end leaves no
// orphan. Its other threads are gone, so nobody else is waiting for one.
static void children_end(struct sip *s) {
    for (;;) {
        spin_lock(&s->lock);
        struct sip *c = s->children;
        if (c) s->children = c->sibling;
        spin_unlock(&s->lock);
        if (!c) return;
        sip_kill_by(c, s->id);
        sip_wait(c);
    }
}

_Noreturn void sip_finish(struct sip *s) {
    sip_threads_end(s);
    children_end(s);
    if (s->end_line[0])
        kprintf("sip %d (%s): %s\n", s->id, s->name, s->end_line);
    else if (s->print_exit)
        kprintf("sip %d (%s): exited with status %d\n", s->id, s->name, s->status);
    sip_free_resources(s);
    int status = s->status;
    // From here the thread is no SIP's: the last switch away must not save
    // into s, which the parent's sip_wait frees once this thread is gone.
    thread_current()->owner = NULL;
    spin_lock(&s->lock);
    s->ended = true;
    waitq_wake_all(&s->end_q);
    spin_unlock(&s->lock);
    thread_exit(status);
}
