// proc_hw/ktest_proc.c: in-kernel tests of the process table and of the
// sleeps a kill must be able to end. They need no user program: they run
// (ktest=...) before init exists.
#include "proc_hw/proc.h"

// Fill the table, check pids are unique and ascending, see the next
// allocation fail cleanly, free everything, allocate again.
// Catches: a full table overrunning ptable or panicking instead of
// returning NULL (fork must turn it into -EAGAIN); a freed slot that is
// never reused; two live processes sharing a pid.
KTEST(proc_table) {
    static struct proc *got[NPROC];
    int n = 0;
    while (n < NPROC && (got[n] = proc_alloc("ktest")) != NULL) {
        KT_CHECK(got[n]->state == P_ALIVE);
        if (n > 0) KT_CHECK(got[n]->pid > got[n - 1]->pid);
        n++;
    }
    KT_CHECK(n > 0);
    KT_CHECK(proc_alloc("one-too-many") == NULL);
    spin_lock(&proc_table_lock);
    struct proc *found = proc_by_pid(got[n / 2]->pid);
    spin_unlock(&proc_table_lock);
    KT_CHECK(found == got[n / 2]);
    int last_pid = got[n - 1]->pid;
    for (int i = 0; i < n; i++) proc_free(got[i]);
    struct proc *again = proc_alloc("again");
    KT_CHECK(again != NULL);
    KT_CHECK(again->pid > last_pid);           // pids are not reused while they grow
    KT_CHECK(again->nthreads == 0 && again->as == NULL && again->parent == NULL);
    proc_free(again);
    return 0;
}

// ---- Killable and timed sleeps ----

static struct spinlock ks_lock = SPINLOCK_INIT("ktest_killable");
static struct waitq ks_q;
static volatile bool ks_asleep;
static volatile int ks_result;

static void killable_sleeper(void *arg) {
    bool timed = arg != NULL;
    spin_lock(&ks_lock);
    ks_asleep = true;
    if (timed) ks_result = waitq_sleep_timed(&ks_q, &ks_lock, time_ns() + 30000000ull, true);
    else ks_result = waitq_sleep_killable(&ks_q, &ks_lock);
    KASSERT(spin_holding(&ks_lock));           // 'held' comes back held, however it ended
    spin_unlock(&ks_lock);
}

// Runs a sleeper; 'end' ends its sleep (or not); returns its result.
static int run_sleeper(bool timed, void (*end)(struct thread *t)) {
    waitq_init(&ks_q, "ktest_killable");
    ks_asleep = false;
    ks_result = 99;
    struct thread *t = thread_create("ks_sleeper", killable_sleeper, timed ? (void *)1 : NULL);
    if (!t) return 98;
    while (!ks_asleep) thread_yield();
    time_sleep_ns(5000000);                    // 5 ms: it is blocked by now
    if (end) end(t);
    thread_join(t);
    return ks_result;
}

static void end_by_interrupt(struct thread *t) { thread_interrupt(t); }
static void end_by_wake(struct thread *t) { (void)t; waitq_wake_all(&ks_q); }

// Catches: a kill that cannot reach a process blocked in a syscall (the
// sleeper never wakes: this test hangs); a wakeup reported as an interrupt
// or the other way round; a timed wait that never times out, or whose
// timer fires into a thread that has already gone on.
KTEST(killable_sleep) {
    KT_CHECK(run_sleeper(false, end_by_interrupt) == -1);
    KT_CHECK(run_sleeper(false, end_by_wake) == 0);
    KT_CHECK(run_sleeper(true, NULL) == WAIT_TIMEDOUT);
    KT_CHECK(run_sleeper(true, end_by_wake) == WAIT_WOKEN);
    KT_CHECK(run_sleeper(true, end_by_interrupt) == WAIT_INTERRUPTED);
    return 0;
}

static volatile int ks_sleep_result;
static volatile bool ks_started;

static void interrupted_before(void *arg) {
    (void)arg;
    while (!thread_current()->interrupted) thread_yield();
    // Interrupted before it ever slept: the sleep must not even start.
    ks_sleep_result = time_sleep_ns_killable(10ull * 1000000000);
}

static void long_sleeper(void *arg) {
    (void)arg;
    ks_started = true;
    ks_sleep_result = time_sleep_ns_killable(10ull * 1000000000);
}

// Catches: an interrupt that lands between "decided to sleep" and
// "asleep" being lost (the sleeper then sleeps its full 10 s, and this
// test times out); sys_sleep_ms not ending at a kill.
KTEST(killable_time_sleep) {
    ks_sleep_result = 99;
    struct thread *t = thread_create("ks_before", interrupted_before, NULL);
    KT_CHECK(t != NULL);
    thread_interrupt(t);
    thread_join(t);
    KT_CHECK(ks_sleep_result == -1);
    ks_sleep_result = 99;
    ks_started = false;
    uint64_t t0 = time_ns();
    t = thread_create("ks_long", long_sleeper, NULL);
    KT_CHECK(t != NULL);
    while (!ks_started) thread_yield();
    time_sleep_ns(20000000);
    thread_interrupt(t);
    thread_join(t);
    KT_CHECK(ks_sleep_result == -1);
    KT_CHECK(time_ns() - t0 < 2000000000ull);
    KT_CHECK(time_sleep_ns_killable(1000000) == 0);   // an uninterrupted sleep just ends
    return 0;
}
