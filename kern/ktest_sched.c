// kern/ktest_sched.c: in-kernel tests of threads, the scheduler, wait
// queues, sleeping and per-thread FPU state. Each runs on the boot thread
// (ktest=NAME) and must leave no thread behind: every thread it creates,
// it joins.
#include "kern/kern.h"
#include "mm/mm.h"
#include "arch/x86_64/arch.h"

#define MS ((uint64_t)1000 * 1000)

// Busy-waits (no yield, no block) until time_ns reaches 'until'. The
// caller only gets past this if the timer takes the CPU away and gives it
// back, or if nobody else wants it.
static void spin_until(uint64_t until) {
    while (time_ns() < until) cpu_relax();
}

// ---- thread: create, exit with a code, join, no leaks ----

#define NTHREADS 20
static int code_of(int i) { return 1000 + 7 * i; }

static void exit_with_code(void *arg) {
    thread_exit((int)(uintptr_t)arg);
}

static void return_normally(void *arg) {
    (void)arg;
}

static int create_and_join_all(void) {
    struct thread *ts[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        ts[i] = thread_create("kt-exit", exit_with_code, (void *)(uintptr_t)code_of(i));
        KT_CHECK(ts[i] != NULL);
    }
    KT_CHECK(thread_count() >= NTHREADS + 2);        // plus at least boot and idle
    for (int i = 0; i < NTHREADS; i++)
        KT_CHECK(thread_join(ts[i]) == code_of(i));
    struct thread *t = thread_create("kt-return", return_normally, NULL);
    KT_CHECK(t != NULL);
    KT_CHECK(thread_join(t) == 0);                   // falling off the end is thread_exit(0)
    return 0;
}

// Stacks come straight from the frame allocator, so free frames must come
// back exactly. The structs come from the heap, which caches empty pages:
// kheap_trim before each count gives those back, making the count exact.
KTEST(thread) {
    int threads_before = thread_count();
    kheap_trim();
    size_t frames_before = frame_free_count();
    KT_CHECK(create_and_join_all() == 0);
    KT_CHECK(thread_count() == threads_before);
    kheap_trim();
    KT_CHECK(frame_free_count() == frames_before);
    return 0;
}

// ---- preempt: threads that never yield still share the CPU ----

static volatile bool spinners_stop;
static volatile uint64_t spin_count[2];

static void spin_counting(void *arg) {
    volatile uint64_t *count = arg;
    while (!spinners_stop) (*count)++;     // never yields, never blocks
}

// The boot thread spins too, never yielding: it gets past this only if the
// timer takes the CPU away from it and later gives it back. True once both
// counters are past the given values (both spinners ran meanwhile), false
// at the deadline.
static bool spin_until_both_pass(uint64_t c0, uint64_t c1, uint64_t deadline) {
    while (spin_count[0] <= c0 || spin_count[1] <= c1)
        if (time_ns() >= deadline) return false;
    return true;
}

// ~300 ms of spinning, with a pass point after 150 ms and after 300 ms.
// Each pass point also waits for progress (up to 5 s) instead of sampling
// at a fixed instant: under TCG the TSC follows host time, so a busy host
// can stall the guest past a whole window and a fixed sample would see none.
KTEST(preempt) {
    KT_CHECK(tsc_hz != 0);                 // else time_ns never moves and we would spin forever
    spinners_stop = false;
    spin_count[0] = spin_count[1] = 0;
    struct thread *a = thread_create("kt-spin-a", spin_counting, (void *)&spin_count[0]);
    struct thread *b = thread_create("kt-spin-b", spin_counting, (void *)&spin_count[1]);
    KT_CHECK(a && b);
    uint64_t start = time_ns(), deadline = start + 5000 * MS;
    spin_until(start + 150 * MS);
    bool ran = spin_until_both_pass(0, 0, deadline);
    uint64_t mid0 = spin_count[0], mid1 = spin_count[1];
    spin_until(start + 300 * MS);
    bool ran_again = spin_until_both_pass(mid0, mid1, deadline);
    spinners_stop = true;
    thread_join(a);
    thread_join(b);
    kprintf("  counts after 150 ms: %lu %lu; after 300 ms: %lu %lu; %lu ms in all\n",
            mid0, mid1, spin_count[0], spin_count[1], (time_ns() - start) / MS);
    KT_CHECK(ran);
    KT_CHECK(ran_again);
    return 0;
}

// ---- waitq: a bounded buffer, one producer, two consumers ----

#define BB_SLOTS 8
#define BB_ITEMS 1000
#define BB_CONSUMERS 2
#define BB_DONE 0                          // items are 1..BB_ITEMS; 0 tells a consumer to stop

static struct {
    struct spinlock lock;
    struct waitq not_empty, not_full;
    int slot[BB_SLOTS];
    unsigned r, w;                         // free-running read and write counts
    unsigned consumer_waits, producer_waits;
} bb;

static void bb_put(int v) {
    spin_lock(&bb.lock);
    while (bb.w - bb.r == BB_SLOTS) {
        bb.producer_waits++;
        waitq_sleep(&bb.not_full, &bb.lock);
    }
    bb.slot[bb.w++ % BB_SLOTS] = v;
    spin_unlock(&bb.lock);
    waitq_wake_one(&bb.not_empty);
}

static int bb_get(void) {
    spin_lock(&bb.lock);
    while (bb.w == bb.r) {
        bb.consumer_waits++;
        waitq_sleep(&bb.not_empty, &bb.lock);
    }
    int v = bb.slot[bb.r++ % BB_SLOTS];
    spin_unlock(&bb.lock);
    waitq_wake_one(&bb.not_full);
    return v;
}

static void producer(void *arg) {
    (void)arg;
    for (int i = 1; i <= BB_ITEMS; i++) bb_put(i);
    for (int i = 0; i < BB_CONSUMERS; i++) bb_put(BB_DONE);
}

struct consumed { uint64_t sum; int count; bool in_order; };

static void consumer(void *arg) {
    struct consumed *c = arg;
    int last = 0;
    c->in_order = true;
    for (int v; (v = bb_get()) != BB_DONE; last = v) {
        if (v <= last) c->in_order = false;   // one producer: each consumer sees a rising sequence
        c->sum += (uint64_t)v;
        c->count++;
        // Without this, whichever consumer runs first drains the whole
        // buffer within its slice every time and the other never gets an
        // item: fair, but it would leave half of this test idle.
        thread_yield();
    }
}

KTEST(waitq) {
    static struct consumed got[BB_CONSUMERS];
    struct thread *cons[BB_CONSUMERS];
    memset(&bb, 0, sizeof bb);
    memset(got, 0, sizeof got);
    spin_init(&bb.lock, "kt-bb");
    waitq_init(&bb.not_empty, "kt-not-empty");
    waitq_init(&bb.not_full, "kt-not-full");
    // Consumers first: they run first (FIFO) and find the buffer empty.
    for (int i = 0; i < BB_CONSUMERS; i++) KT_CHECK((cons[i] = thread_create("kt-cons", consumer, &got[i])));
    struct thread *prod = thread_create("kt-prod", producer, NULL);
    KT_CHECK(prod != NULL);
    thread_join(prod);
    for (int i = 0; i < BB_CONSUMERS; i++) thread_join(cons[i]);
    kprintf("  consumers got %d + %d items; consumers waited %u times, producer %u\n",
            got[0].count, got[1].count, bb.consumer_waits, bb.producer_waits);
    KT_CHECK(got[0].count + got[1].count == BB_ITEMS);
    KT_CHECK(got[0].sum + got[1].sum == (uint64_t)BB_ITEMS * (BB_ITEMS + 1) / 2);
    KT_CHECK(got[0].in_order && got[1].in_order);
    KT_CHECK(got[0].count > 0 && got[1].count > 0);
    KT_CHECK(bb.consumer_waits > 0);
    KT_CHECK(bb.producer_waits > 0);
    return 0;
}

// ---- sleep: at least as long as asked, and the CPU goes to others ----

static volatile bool yielder_stop;

static void yield_counting(void *arg) {
    volatile uint64_t *count = arg;
    while (!yielder_stop) {
        (*count)++;
        thread_yield();
    }
}

KTEST(sleep) {
    static volatile uint64_t others;
    KT_CHECK(tsc_hz != 0);
    uint64_t t0 = time_ns();
    time_sleep_ns(20 * MS);                // alone: only the idle thread is left to run
    KT_CHECK(time_ns() - t0 >= 20 * MS);
    yielder_stop = false;
    others = 0;
    struct thread *y = thread_create("kt-yielder", yield_counting, (void *)&others);
    KT_CHECK(y != NULL);
    struct thread *me = thread_current();
    uint64_t my_ticks = me->ticks_run;
    t0 = time_ns();
    time_sleep_ns(50 * MS);
    uint64_t slept = time_ns() - t0, ran = me->ticks_run - my_ticks, seen = others;
    yielder_stop = true;
    thread_join(y);
    kprintf("  slept %lu us; the other thread looped %lu times; ticks charged to the sleeper: %lu\n",
            slept / 1000, seen, ran);
    KT_CHECK(slept >= 50 * MS);
    KT_CHECK(seen > 0);
    KT_CHECK(ran <= 2);                    // a tick just before and just after, at most
    return 0;
}

// ---- fpu_switch: SSE registers are per thread ----
// (Named fpu_switch, not fpu: arch/x86_64/ktest_arch.c has KTEST(fpu), the
// save/restore round trip; ktest names must be unique to be run by name.)
//
// INLINE ASSEMBLY ON PURPOSE: the kernel is compiled integer-only, so C
// cannot touch xmm registers; these two helpers load and read back
// xmm0..xmm3 directly, because whether they survive switches is exactly
// what this test checks. No clobbers are declared: nothing the compiler
// generates in this kernel ever uses an xmm register.

#define XMM_WORDS 8                        // xmm0..xmm3, two 64-bit halves each

static void xmm_load(const uint64_t *w) {
    __asm__ volatile("movdqu 0(%0), %%xmm0\n\tmovdqu 16(%0), %%xmm1\n\t"
                     "movdqu 32(%0), %%xmm2\n\tmovdqu 48(%0), %%xmm3"
                     :: "r"(w) : "memory");
}

static void xmm_read(uint64_t *w) {
    __asm__ volatile("movdqu %%xmm0, 0(%0)\n\tmovdqu %%xmm1, 16(%0)\n\t"
                     "movdqu %%xmm2, 32(%0)\n\tmovdqu %%xmm3, 48(%0)"
                     :: "r"(w) : "memory");
}

struct fpu_job { uint64_t pattern[XMM_WORDS]; int checks, mismatches; };

static void fpu_fill(struct fpu_job *j, uint64_t seed) {
    for (int i = 0; i < XMM_WORDS; i++) j->pattern[i] = seed * 0x9E3779B97F4A7C15ull + (uint64_t)i;
    j->checks = j->mismatches = 0;
}

static void fpu_check(struct fpu_job *j) {
    uint64_t now[XMM_WORDS];
    xmm_read(now);
    j->checks++;
    if (memcmp(now, j->pattern, sizeof now) != 0) j->mismatches++;
}

// Switched away from both by yielding and by the timer (the spin).
static void fpu_worker(void *arg) {
    struct fpu_job *j = arg;
    xmm_load(j->pattern);
    for (int i = 0; i < 200; i++) {
        thread_yield();
        fpu_check(j);
    }
    spin_until(time_ns() + 60 * MS);
    fpu_check(j);
}

KTEST(fpu_switch) {
    static struct fpu_job jobs[2], mine;
    KT_CHECK(tsc_hz != 0);
    fpu_fill(&jobs[0], 1);
    fpu_fill(&jobs[1], 2);
    fpu_fill(&mine, 3);
    xmm_load(mine.pattern);                // the boot thread's own state must survive too
    struct thread *a = thread_create("kt-fpu-a", fpu_worker, &jobs[0]);
    struct thread *b = thread_create("kt-fpu-b", fpu_worker, &jobs[1]);
    KT_CHECK(a && b);
    thread_join(a);
    thread_join(b);
    fpu_check(&mine);
    kprintf("  mismatches: %d/%d, %d/%d, boot %d/%d\n", jobs[0].mismatches, jobs[0].checks,
            jobs[1].mismatches, jobs[1].checks, mine.mismatches, mine.checks);
    KT_CHECK(jobs[0].checks == 201 && jobs[1].checks == 201);
    KT_CHECK(jobs[0].mismatches == 0 && jobs[1].mismatches == 0 && mine.mismatches == 0);
    return 0;
}
