// kern/kern.h: the shared kernel's interface: console and printf, panic,
// strings, locks, per-CPU data, threads, scheduler, wait queues, time,
// the boot information, the command line, the symbol table and ktests.
#pragma once
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdarg.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)   (((x) + ((a) - 1)) & ~((uint64_t)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

// ---- Strings (kern/string.c) ----
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
size_t strlcpy(char *d, const char *s, size_t n);

// ---- Console and printf (kern/console.c, kern/printf.c) ----
void console_init(void);                 // serial + VGA output
void console_putc(char c);
void console_lock(void);                 // keeps one kprintf's line whole
void console_unlock(void);
void console_panic_mode(void);           // panic: stop taking the output lock
void console_write(const char *s, size_t n);
void console_start_input(void);          // enable interrupt-driven serial input
int console_getc(void);                  // blocks the calling thread for a byte
int console_getc_killable(void);         // the same; -1 if thread_interrupt() ended the wait
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int kvsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
_Noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void panic_begin(void);                  // interrupts off, console lock bypassed
void backtrace_from(uint64_t rbp);       // frame-pointer walk, with symbol names
#define KASSERT(c) do { if (!(c)) panic("assertion '%s' failed at %s:%d", #c, __FILE__, __LINE__); } while (0)

// Power-off status codes (docs/console-protocol.md).
#define POWEROFF_OK    0
#define POWEROFF_FAIL  1
#define POWEROFF_PANIC 3
_Noreturn void kernel_poweroff(int status);   // prints "poweroff: status N" and leaves

// ---- Spinlocks (kern/spinlock.c): interrupts off while held ----
struct spinlock {
    volatile uint32_t locked;
    const char *name;
    int cpu;                     // holder's cpu id, for debugging
};
#define SPINLOCK_INIT(n) { 0, (n), -1 }
void spin_init(struct spinlock *lk, const char *name);
void spin_lock(struct spinlock *lk);
void spin_unlock(struct spinlock *lk);
bool spin_holding(struct spinlock *lk);
void push_irq_off(void);         // nestable cli, as xv6's pushcli
void pop_irq_off(void);

// ---- Per-CPU data, reached through GS (kern/percpu.c) ----
struct thread;
struct cpu {
    struct cpu *self;            // %gs:0, so mycpu() is one load
    int id;
    uint32_t apic_id;
    struct thread *current;      // thread running here
    struct thread *idle;         // this CPU's idle thread
    int irq_off_depth;           // push_irq_off nesting
    bool irq_were_on;            // IF before the outermost push_irq_off
    uint64_t ticks;              // timer ticks seen here
    uint64_t kstack_top;         // hw: kernel stack for syscalls (read at %gs:...)
    uint64_t user_rsp_scratch;   // hw: syscall entry parks the user rsp here
    uint8_t tss[104] __attribute__((aligned(16)));
};
#define MAX_CPUS 8
void percpu_init_boot(void);     // CPU 0: fill struct cpu and set GS base
static inline struct cpu *mycpu(void) {
    struct cpu *c;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(c));
    return c;
}

// ---- Threads and the scheduler (kern/thread.c, kern/sched.c) ----
enum thread_state { T_UNUSED, T_RUNNING, T_READY, T_BLOCKED, T_ZOMBIE };
#define THREAD_NAME_LEN 24
#define KSTACK_SIZE (16 * 1024)
struct waitq;
struct thread {
    uint64_t saved_rsp;              // context_switch saves here
    enum thread_state state;
    int tid;
    char name[THREAD_NAME_LEN];
    void *kstack;                    // base of KSTACK_SIZE bytes
    uint8_t fpu[512] __attribute__((aligned(16)));   // fxsave image
    struct thread *next;             // run queue or wait queue link
    struct thread *all_next;         // list of every thread
    struct waitq *waiting_on;
    void (*entry)(void *);
    void *arg;
    int exit_code;
    struct waitq *joiners;           // threads in thread_join
    void *owner;                     // the process or SIP, or NULL for kernel threads
    uint64_t wake_at_ns;             // deadline of a timed sleep (kern/time.c)
    uint64_t ticks_run;
    // Interruptible and timed sleeps (kern/waitq.c, kern/time.c).
    bool interrupted;                // thread_interrupt() was called: killable sleeps end at once (sticky)
    bool sleep_killable;             // its current wait-queue sleep may be ended by thread_interrupt
    bool timer_armed;                // on time.c's deadline list
    int wait_result;                 // how its last timed/killable sleep ended: WAIT_*
    struct thread *timer_next;       // time.c's deadline list
};
void sched_init(void);                           // boot thread becomes a thread, idle thread made
struct thread *thread_create(const char *name, void (*fn)(void *), void *arg);
_Noreturn void thread_exit(int code);
int thread_join(struct thread *t);               // waits for zombie, frees it, returns its code
struct thread *thread_current(void);
void thread_yield(void);
void sched_tick(void);                           // timer interrupt: account, maybe preempt
void sched_make_ready(struct thread *t);
void sched_block(struct spinlock *held);         // current thread sleeps; releases 'held'
bool sched_preempt_pending(void);
void sched_start(void);                          // enable interrupts, begin scheduling
int thread_count(void);
void thread_list_print(void);                    // one line per thread: tid, state, ticks, name
// Scheduler internals shared by kern/thread.c, kern/sched.c and kern/time.c.
struct thread *thread_alloc(const char *name, void (*fn)(void *), void *arg);  // made, not ready
struct thread *thread_adopt_context(const char *name);   // the running code (its stack) becomes a thread
void thread_check_stack(const struct thread *t);          // panics if the stack canary is gone
void sched_enter_new_thread(void);               // a new thread's first act: finish the switch
_Noreturn void sched_exit_current(struct spinlock *held);   // become a zombie; releases 'held'
bool sched_is_zombie(struct thread *t);          // true once t has exited AND is off every CPU
_Noreturn void sched_cpu_join(void);             // a second CPU: its startup context becomes its idle thread

// ---- Wait queues (kern/waitq.c) ----
struct waitq {
    struct spinlock lock;
    struct thread *head, *tail;
};
void waitq_init(struct waitq *q, const char *name);
void waitq_sleep(struct waitq *q, struct spinlock *held);   // release held, sleep, reacquire held
void waitq_wake_one(struct waitq *q);
void waitq_wake_all(struct waitq *q);
// Sleeps that can end early. A killable sleep ends when another thread calls
// thread_interrupt() on the sleeper (kill of a process blocked in a syscall);
// a timed one when time_ns() reaches deadline_ns (0: no deadline). Like
// waitq_sleep, both release 'held' while asleep and hold it again on return.
#define WAIT_WOKEN        0          // woken by waitq_wake_*
#define WAIT_INTERRUPTED (-1)        // thread_interrupt()
#define WAIT_TIMEDOUT    (-2)        // the deadline passed
int waitq_sleep_killable(struct waitq *q, struct spinlock *held);   // 0, or -1 if interrupted
// The same, but 'held' stays released on return: for a sleeper that a waker
// may hand its result to directly, so it need not take 'held' again.
int waitq_sleep_killable_release(struct waitq *q, struct spinlock *held);
int waitq_sleep_timed(struct waitq *q, struct spinlock *held, uint64_t deadline_ns, bool killable);
// Marks t interrupted (for good: every later killable sleep of t returns -1
// at once) and, if t is in a killable sleep now, wakes it.
void thread_interrupt(struct thread *t);
void waitq_timeout(struct thread *t);           // kern/time.c: t's deadline has passed

// ---- Time (kern/time.c) ----
#define HZ 100
uint64_t time_ns(void);                          // since boot, from the TSC
uint64_t time_ticks(void);
void time_sleep_ns(uint64_t ns);                 // blocks the calling thread
int time_sleep_ns_killable(uint64_t ns);         // 0, or -1 if thread_interrupt() cut it short
void time_arm(struct thread *t, uint64_t deadline_ns);   // waitq_sleep_timed's deadline list
void time_disarm(struct thread *t);
void time_init(void);                            // records the boot TSC (from sched_init)
void time_tick(void);                            // CPU 0's timer tick: count, wake due sleepers

// ---- Boot information (kern/multiboot.c) ----
struct mem_range { uint64_t base, len; };
#define MAX_MEM_RANGES 64
#define MAX_MODULES 8
struct boot_module { uint64_t start, end; const char *name; };
struct bootinfo {
    const char *cmdline;
    struct mem_range ram[MAX_MEM_RANGES];       // usable RAM from the memory map
    int nram;
    struct boot_module mods[MAX_MODULES];
    int nmods;
    uint64_t mbi_phys, mbi_len;                 // the multiboot2 info itself (keep it)
};
extern struct bootinfo boot;
void multiboot_parse(uint64_t mbi_phys);

// ---- Command line (kern/cmdline.c) ----
const char *cmdline_get(const char *key);        // "ktest=all" -> "all"; bare "key" -> ""; absent -> NULL
bool cmdline_next(const char **cursor, char *key, size_t kcap, char *value, size_t vcap);  // every word in turn

// ---- Kernel symbols (kern/ksyms.c), from the image itself ----
const char *ksym_lookup(uint64_t addr, uint64_t *offset);   // NULL when unknown

// ---- The boot-time initrd, once opened (kern/initrd_boot.c) ----
struct initrd;
const struct initrd *initrd_get(void);           // NULL when absent or refused
void initrd_boot_open(void);

// ---- In-kernel tests (kern/ktest.c) ----
struct ktest { const char *name; int (*fn)(void); };   // fn returns 0 on pass
#define KTEST(n) \
    static int ktest_fn_##n(void); \
    static const struct ktest ktest_##n __attribute__((used, section(".ktests"))) = { #n, ktest_fn_##n }; \
    static int ktest_fn_##n(void)
// Inside a ktest: fail with a reason.
#define KT_CHECK(c) do { if (!(c)) { kprintf("  check failed: %s (%s:%d)\n", #c, __FILE__, __LINE__); return -1; } } while (0)
_Noreturn void ktest_run(const char *spec);     // from cmdline "ktest=..."
int ktest_run_one(const char *name);           // 0 pass, -1 fail, -2 unknown
void ktest_list(void);
// Runs round() twice: the first may load and cache what stays (code, heap
// pages); the second must give back every frame it took. 0, round's
// failure, or -1 with the number of frames missing printed.
int ktest_two_rounds_no_leak(int (*round)(void));
void ktest_deliberate_fault(void);             // ktest=fault: a kernel page fault on purpose

// ---- The kernel monitor (kern/monitor.c): a prompt before there is a shell ----
void monitor_run(void);

// ---- Per-variant hooks: each variant's directory supplies these ----
extern const char variant_name[];                // "hw" or "sip"
void variant_init(void);                         // after the shared core is up
void variant_main(void);                         // what runs when no ktest is asked for
// Called by the scheduler just before it switches from `prev` to `next`
// (interrupts off, sched_lock held, next already this CPU's current thread):
// hw loads next's address space; sip swaps the per-thread state wasm2c keeps
// in globals.
void variant_thread_switch(struct thread *prev, struct thread *next);
