// sysfuzz N SEED [-t] [-r]: N random system calls with random and adversarial
// arguments (bad and kernel pointers, huge lengths, invalid descriptors,
// odd flags, negative values), to show that nothing a program can pass
// makes the kernel panic, hang or lose memory.
//
// The calls run in a forked child, in batches; a child that ends before its
// batch is done (a fuzzed _exit, exec, kill of itself, a thread started at
// a bad address) is counted as died and a new one carries on. The child
// reports its progress through a pipe on descriptor REPORT_FD, which the
// fuzzing never touches, before every call that may end it. Everything is
// drawn from one xorshift generator per child, seeded from SEED and the
// child's number: the same N and SEED make the same calls.
//
// What the calls may not do is end the experiment itself: poweroff is never
// called; kill is aimed only at the child's own children, itself, init
// (-EPERM) and pids that cannot exist; files are created, truncated and
// removed only under SCRATCH (other paths are opened read-only); the console
// is never opened, and fds 0-2 are closed in the child, so nothing is
// written to it; and nothing may block forever: a pipe keeps only one of its
// ends, futex waits have timeouts, sleeps are short. A child still running
// after CHILD_LIMIT_MS anyway is killed and counted as hung.
//
// At the end: "sysfuzz: N calls, K errors, D children died, seed S", and the
// free-frame count after every child is reaped and SCRATCH removed must
// equal the count before ("sysfuzz: frames leaked: X" and exit 1 if not).
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCRATCH "/sysfuzz.d"
#define REPORT_FD (NOFILE - 1)      // the child's progress pipe: never a fuzzed descriptor
#define TRACE_FD (NOFILE - 2)       // -t: every call, before it is made (TRACE_FILE)
#define TRACE_FILE "/sysfuzz.trace"
#define BATCH 20000                 // calls per child, at most
#define REPORT_EVERY 1024
#define CHILD_LIMIT_MS 120000
#define PAGE 4096ul
#define USER_STACK_TOP 0x7FFFFFFF0000ul   // proc_hw/proc.h
#define HEAP_SOFT_MAX (32ul << 20)        // the child gives heap back past this

// ------------------------------------------------------------------ the generator

static uint64_t rng;

static uint64_t next(void) {            // xorshift64*
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ull;
}

static uint64_t below(uint64_t n) { return n ? next() % n : 0; }
static bool chance(unsigned percent) { return below(100) < percent; }

#define PICK(arr) ((arr)[below(sizeof(arr) / sizeof((arr)[0]))])

// ------------------------------------------------------------------ the child's state

struct report { long calls, errors; };

static struct report progress;
// Memory the kernel may write into: at the bottom of the heap, so that a
// huge length from a valid pointer runs into more heap or unmapped pages,
// never into this program's own variables.
#define SCRATCH_SIZE (64 * 1024)
static char *scratch;
static uint64_t scratch_end;
static char stacks[4][4096] __attribute__((aligned(16)));
static int kids[8], nkids;              // children forked by fuzzed forks, not yet reaped
static int tids[16], ntids;             // threads created, not yet joined
static int fds[NOFILE], nfds;           // descriptors we think are open

static void report(void) {
    write(REPORT_FD, &progress, sizeof progress);
}

// A thread that leaves at once, touching no stack: thread_exit(arg).
__asm__(".text\n"
        ".globl fz_thread\n"
        "fz_thread:\n"
        "    mov $14, %eax\n"          // SYS_thread_exit
        "    syscall\n"
        "    ud2\n");
void fz_thread(void *arg);

static bool tracing;

static void trace(long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
    char line[160];
    int n = snprintf(line, sizeof line, "%ld: %ld(%lx, %lx, %lx, %lx, %lx, %lx)\n", progress.calls,
                     nr, a0, a1, a2, a3, a4, a5);
    write(TRACE_FD, line, (size_t)n);
}

static long raw6(long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
    if (tracing) trace(nr, a0, a1, a2, a3, a4, a5);
    register long r10 __asm__("r10") = a3;
    register long r8 __asm__("r8") = a4;
    register long r9 __asm__("r9") = a5;
    long ret;
    __asm__ volatile("syscall" : "=a"(ret)
                     : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

// ------------------------------------------------------------------ arguments

static uint64_t heap_top(void) {
    return ((uint64_t)sbrk(0) + PAGE - 1) & ~(PAGE - 1);
}

// Pointers to nothing a program may use: unmapped, kernel, non-canonical.
static uint64_t bad_ptr(void) {
    static const uint64_t bad[] = {
        0, 1, 0x1000, 0x3ff000, 0x500000000000, USER_STACK_TOP, 0x7fffffffffff,
        0x800000000000, 0x8000000000000000, 0xffff800000000000, 0xffffffff80000000,
        0xffffffff80100000, 0xfffffffffffff000, 0xffffffffffffffff,
    };
    switch (below(5)) {
    case 0: case 1: return PICK(bad);
    case 2: return 0xffff800000000000 + (next() & 0x7fffffffffff);   // the kernel half
    case 3: return heap_top() + below(2 * PAGE);                     // just past the heap
    default: return next() | (1ul << 62);                            // kernel or non-canonical
    }
}

// Pointers: valid scratch memory, the edges of mapped memory, our own
// read-only text, and everything a pointer must not be.
static uint64_t any_ptr(void) {
    switch (below(10)) {
    case 0: case 1: case 2: case 3:
        return (uint64_t)scratch + below(SCRATCH_SIZE);
    case 4: case 5: return bad_ptr();
    case 6: return heap_top() - below(64);                    // runs off the heap (scratch at worst)
    case 7: return USER_STACK_TOP - 1 - below(32);            // runs off the stack top
    case 8: return 0x400000 + below(0x2000);                  // our own text: read-only
    default: return next();
    }
}

// A pointer to memory the kernel may write: scratch, the heap above it, the
// top of the stack (argv strings we no longer need), or something bad.
static uint64_t out_ptr(void) {
    return any_ptr();
}

static uint64_t any_len(void) {
    static const uint64_t huge[] = {
        1ul << 31, 1ul << 32, 1ul << 40, LONG_MAX, (uint64_t)LONG_MAX + 1, ULONG_MAX,
        ULONG_MAX - 4095, 0x800000000000,
    };
    switch (below(8)) {
    case 0: return 0;
    case 1: return 1;
    case 2: case 3: return below(512);
    case 4: return below(8192);
    case 5: return below(70000);
    case 6: return PICK(huge);
    default: return below(4096) + 4096 * below(3);
    }
}

static long any_int(void) {
    static const long odd[] = { 0, 1, -1, 2, 3, INT_MAX, INT_MIN, LONG_MAX, LONG_MIN,
                                0x100000000, -0x100000000, 255, 256 };
    return chance(50) ? PICK(odd) : (long)next();
}

// A descriptor: one we opened, a small number, or one no table has. Never
// REPORT_FD, not even through a high bit the kernel narrows away.
static long any_fd(void) {
    static const long bad[] = { -1, NOFILE, NOFILE + 1, 1000, INT_MAX, INT_MIN, LONG_MIN,
                                0x100000000l | 3 };
    long fd;
    switch (below(6)) {
    case 0: case 1: case 2: fd = nfds ? fds[below((uint64_t)nfds)] : 3; break;
    case 3: fd = (long)below(NOFILE - 2); break;
    case 4: fd = PICK(bad); break;
    default: fd = (long)next();
    }
    return (int)fd == REPORT_FD || (int)fd == TRACE_FD ? 3 : fd;
}

static long any_newfd(void) {
    long fd = chance(80) ? (long)below(NOFILE - 2) : any_fd();
    return (int)fd == REPORT_FD || (int)fd == TRACE_FD ? 4 : fd;
}

// Paths inside SCRATCH: any operation may use them.
static const char *const own_paths[] = {
    "f0", "f1", "f2", "d0", "d1", "d0/f0", "d0/d1", "d1/f1", "d0/d1/f2", ".", "",
    SCRATCH "/f0", SCRATCH "/d0", SCRATCH "/d0/f1", SCRATCH "/d1/d0", "d0/../f1", "d0/./f2",
    "f0/x", "nonexistent/f0", SCRATCH "//f1", SCRATCH,
};
// Paths outside it: only looked at (open read-only, fstat, readdir, exec).
static const char *const other_paths[] = {
    "/", "/bin", "/bin/echo", "/etc/motd", "/dev", "..", "../bin", "/nonexistent",
    "/bin/echo/x", "/etc/motd/",
};

static char long_name[NAME_MAX + 8];
static char long_path[MAXPATH + 16];

static void init_long_strings(void) {
    memset(long_name, 'n', sizeof long_name - 1);
    for (size_t i = 0; i + 1 < sizeof long_path; i++) long_path[i] = i % 3 == 2 ? '/' : 'p';
}

// A path for an operation that may change things, or *foreign set when the
// path is outside SCRATCH (the caller then only looks). Never a pointer into
// memory whose bytes happen to name something ("/bin/sh", the console):
// pool strings, over-long ones, strings with no end, and bad pointers.
static uint64_t any_path(bool *foreign) {
    *foreign = false;
    switch (below(10)) {
    case 0: case 1: case 2: case 3: case 4:
        return (uint64_t)PICK(own_paths);
    case 5:
        *foreign = true;
        return (uint64_t)PICK(other_paths);
    case 6: return (uint64_t)(chance(50) ? long_name : long_path);
    case 7: {                           // no NUL before the end of the heap
        uint64_t top = heap_top();
        uint64_t n = 1 + below(16);
        memset((void *)(top - n), 'z', n);   // top >= scratch_end: see fz_sbrk
        return top - n;
    }
    case 8: {                           // nor at the top of the stack
        uint64_t n = 1 + below(16);
        memset((void *)(USER_STACK_TOP - n), 'z', n);
        return USER_STACK_TOP - n;
    }
    default:
        return bad_ptr();
    }
}

static void remember_fd(long fd) {
    if (fd >= 0 && fd < NOFILE && nfds < NOFILE) fds[nfds++] = (int)fd;
}

static void forget_fd(long fd) {
    for (int i = 0; i < nfds; i++)
        if (fds[i] == fd) fds[i--] = fds[--nfds];
}

// ------------------------------------------------------------------ the calls
//
// Each returns the call's result. A call that may end the child reports
// progress first (its count included), so a death loses nothing.

static long fz_open(void) {
    static const int flag_sets[] = { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT | O_RDWR,
        O_CREAT | O_TRUNC | O_WRONLY, O_APPEND | O_WRONLY, O_CREAT | O_APPEND | O_RDWR,
        O_ACCMODE, O_TRUNC, -1, 0x7fffffff, 0x10, O_CREAT };
    bool foreign;
    uint64_t path = any_path(&foreign);
    long flags = chance(80) ? PICK(flag_sets) : any_int();
    if (foreign) flags = O_RDONLY | (flags & O_APPEND);
    long fd = raw6(SYS_open, (long)path, flags, 0, 0, 0, 0);
    remember_fd(fd);
    return fd;
}

static long fz_read(void) {
    return raw6(SYS_read, any_fd(), (long)out_ptr(), (long)any_len(), 0, 0, 0);
}

static long fz_write(void) {
    return raw6(SYS_write, any_fd(), (long)any_ptr(), (long)any_len(), 0, 0, 0);
}

static long fz_close(void) {
    long fd = any_fd();
    long r = raw6(SYS_close, fd, 0, 0, 0, 0, 0);
    if (r == 0) forget_fd(fd);
    return r;
}

static long fz_lseek(void) {
    static const long offs[] = { 0, 1, -1, 4096, 1 << 20, 16 << 20, (16 << 20) + 1, LONG_MAX,
                                 LONG_MIN, -4096 };
    return raw6(SYS_lseek, any_fd(), chance(70) ? PICK(offs) : (long)next(),
                chance(80) ? (long)below(3) : any_int(), 0, 0, 0);
}

static long fz_fstat(void) { return raw6(SYS_fstat, any_fd(), (long)out_ptr(), 0, 0, 0, 0); }
static long fz_readdir(void) { return raw6(SYS_readdir, any_fd(), (long)out_ptr(), 0, 0, 0, 0); }
static long fz_getcwd(void) { return raw6(SYS_getcwd, (long)out_ptr(), (long)any_len(), 0, 0, 0, 0); }

static long fz_dup(void) {
    long fd = raw6(SYS_dup, any_fd(), 0, 0, 0, 0, 0);
    remember_fd(fd);
    return fd;
}

static long fz_dup2(void) {
    long fd = raw6(SYS_dup2, any_fd(), any_newfd(), 0, 0, 0, 0);
    remember_fd(fd);
    return fd;
}

// A pipe keeps one end only, so that no read or write on it can block.
static long fz_pipe(void) {
    uint64_t p = out_ptr();
    long r = raw6(SYS_pipe, (long)p, 0, 0, 0, 0, 0);
    if (r == 0) {
        int ends[2];
        memcpy(ends, (void *)p, sizeof ends);
        int keep = (int)below(2);
        close(ends[!keep]);
        remember_fd(ends[keep]);
    }
    return r;
}

static long fz_name_op(long nr) {
    bool foreign;
    uint64_t path = any_path(&foreign);
    if (foreign) path = (uint64_t)"/bin";   // exists (mkdir) and is not empty (unlink)
    return raw6(nr, (long)path, 0, 0, 0, 0, 0);
}

static long fz_mkdir(void) { return fz_name_op(SYS_mkdir); }
static long fz_unlink(void) { return fz_name_op(SYS_unlink); }

static long fz_chdir(void) {
    static const char *const dirs[] = { SCRATCH, SCRATCH "/d0", SCRATCH "/d1", "d0", "d1",
        "d0/d1", ".", "", "f0", "/nonexistent", "/etc/motd" };
    uint64_t path = chance(80) ? (uint64_t)PICK(dirs) : bad_ptr();
    return raw6(SYS_chdir, (long)path, 0, 0, 0, 0, 0);
}

static uint64_t any_argv(void) {
    static uint64_t argv[MAXARG + 4];
    static char big[MAXARGBYTES + 8];
    switch (below(5)) {
    case 0: return any_ptr();
    case 1:                               // too many
        for (int i = 0; i < MAXARG + 2; i++) argv[i] = (uint64_t)"a";
        argv[MAXARG + 2] = 0;
        return (uint64_t)argv;
    case 2:                               // too long
        memset(big, 'b', sizeof big - 1);
        argv[0] = (uint64_t)"echo", argv[1] = (uint64_t)big, argv[2] = 0;
        return (uint64_t)argv;
    default: {                            // a few entries, some perhaps bad
        int n = (int)below(4);
        for (int i = 0; i < n; i++) argv[i] = chance(80) ? (uint64_t)"x" : any_ptr();
        argv[n] = 0;
        return (uint64_t)argv;
    }
    }
}

static long fz_exec(void) {
    bool foreign;
    uint64_t path = any_path(&foreign);
    progress.calls++;
    report();                             // /bin/echo would replace us
    progress.calls--;
    return raw6(SYS_exec, (long)path, (long)any_argv(), 0, 0, 0, 0);
}

static void reap_kids(void) {
    for (int i = 0; i < nkids; i++) wait(NULL);
    nkids = 0;
}

static long fz_fork(void) {
    if (nkids == (int)(sizeof kids / sizeof kids[0])) reap_kids();
    long r = raw6(SYS_fork, 0, 0, 0, 0, 0, 0);
    if (r == 0) _exit((int)below(256));   // the grandchild does nothing
    if (r > 0) kids[nkids++] = (int)r;
    return r;
}

static long fz_wait(void) {
    long r = raw6(SYS_wait, (long)out_ptr(), 0, 0, 0, 0, 0);
    for (int i = 0; r > 0 && i < nkids; i++)
        if (kids[i] == r) kids[i] = kids[--nkids];
    return r;
}

static long fz_kill(void) {
    static const long others[] = { 0, -1, 1, INT_MAX, INT_MIN, LONG_MAX, 0x100000001l };
    long pid;
    int what = (int)below(100);
    if (what < 2) pid = getpid();
    else if (what < 50 && nkids) pid = kids[below((uint64_t)nkids)];
    else pid = PICK(others);
    if (pid == getpid()) {
        progress.calls++;
        report();
        progress.calls--;
    }
    return raw6(SYS_kill, pid, 0, 0, 0, 0, 0);
}

// The heap may grow and shrink, but never below the end of scratch: a
// shrink that could succeed and would go lower is cut short. (One that
// reaches below the program, where the kernel must refuse, stays as drawn.)
static long fz_sbrk(void) {
    static const long deltas[] = { 0, 1, -1, 4096, -4096, 1 << 20, -(1 << 20), 4 << 20,
        -(4 << 20), 1l << 40, -(1l << 40), LONG_MAX, LONG_MIN, 300 << 20, 4095, -4095 };
    uint64_t cur = (uint64_t)sbrk(0);
    if (cur - scratch_end > HEAP_SOFT_MAX) sbrk(-(long)(cur - scratch_end));
    cur = (uint64_t)sbrk(0);
    long delta = chance(80) ? PICK(deltas) : any_int();
    if (delta < 0 && (uint64_t)0 - (uint64_t)delta <= cur - 0x400000 &&
        cur - ((uint64_t)0 - (uint64_t)delta) < scratch_end)
        delta = -(long)(cur - scratch_end);
    return raw6(SYS_sbrk, delta, 0, 0, 0, 0, 0);
}

static long fz_sleep(void) {
    static const long ms[] = { 0, -1, LONG_MIN, 0, 0, 1 };
    return raw6(SYS_sleep_ms, PICK(ms), 0, 0, 0, 0, 0);
}

static long fz_thread_create(void) {
    // Never our own text at a random offset: who knows what that would run.
    uint64_t fn = chance(97) ? (uint64_t)fz_thread
                : chance(50) ? bad_ptr() : (uint64_t)scratch + below(SCRATCH_SIZE);   // NX
    uint64_t stack = chance(70) ? (uint64_t)stacks[below(4)] + sizeof stacks[0] : any_ptr();
    if (fn != (uint64_t)fz_thread) {      // it may start, and fault: the end of us
        progress.calls++;
        report();
        progress.calls--;
    }
    long r = raw6(SYS_thread_create, (long)fn, any_int(), (long)stack, 0, 0, 0);
    if (r > 0 && ntids < (int)(sizeof tids / sizeof tids[0])) tids[ntids++] = (int)r;
    return r;
}

static int racer_tid;                   // -r: the racing thread, which never ends by itself

static long fz_thread_join(void) {
    long tid;
    if (ntids && chance(70)) {
        int i = (int)below((uint64_t)ntids);
        tid = tids[i];
        tids[i] = tids[--ntids];
    } else {
        tid = chance(50) ? gettid() : any_int();
    }
    if (racer_tid && (int)tid == racer_tid) tid = gettid();   // joining it would wait forever
    return raw6(SYS_thread_join, tid, (long)out_ptr(), 0, 0, 0, 0);
}

// Never an endless wait: a word of scratch is compared with a value it
// does not hold, or waited on for a millisecond or two; a bad address may
// come with any timeout (the kernel must refuse it before sleeping). Other
// mapped memory (the heap above scratch, text, the stack) is not used: its
// words are unknown, and a match with a long timeout would sleep for days.
static long fz_futex_wait(void) {
    static const long timeouts[] = { 1, 2, -1, LONG_MIN };
    uint64_t addr;
    long expected, timeout = PICK(timeouts);
    if (chance(60)) {
        addr = (uint64_t)scratch + (below(SCRATCH_SIZE) & ~(uint64_t)(chance(90) ? 3 : 0));
        if (addr + 4 > scratch_end) addr -= 4;
        int now;
        memcpy(&now, (void *)addr, sizeof now);
        expected = chance(90) ? now + 1 : now;
    } else {
        addr = bad_ptr();
        expected = any_int();
        if (chance(50)) timeout = any_int();
    }
    return raw6(SYS_futex_wait, (long)addr, expected, timeout, 0, 0, 0);
}

static long fz_futex_wake(void) { return raw6(SYS_futex_wake, (long)any_ptr(), any_int(), 0, 0, 0, 0); }
static long fz_procs(void) { return raw6(SYS_procs, (long)out_ptr(), any_int(), 0, 0, 0, 0); }
static long fz_sysinfo(void) { return raw6(SYS_sysinfo, (long)out_ptr(), 0, 0, 0, 0, 0); }

static long fz_simple(void) {
    static const long nrs[] = { SYS_getpid, SYS_getppid, SYS_uptime, SYS_yield, SYS_gettid,
                                SYS_nullcall };
    return raw6(PICK(nrs), any_int(), any_int(), 0, 0, 0, 0);
}

// Numbers with no system call (never poweroff's, whatever the high bits).
static long fz_nosys(void) {
    static const long nrs[] = { 0, 18, 19, 34, 35, 39, 44, 63, 64, 255, 256, 1000, -1, LONG_MIN,
                                LONG_MAX, 0x100000000l + 50 };
    long nr = chance(50) ? PICK(nrs) : (long)(next() | (1ul << 40));
    return raw6(nr, any_int(), (long)any_ptr(), (long)any_len(), any_int(), any_int(), any_int());
}

static volatile bool racer_stop;

static long fz_exit(void) {
    progress.calls++;
    report();
    progress.calls--;
    long nr = chance(50) ? SYS_exit : SYS_thread_exit;
    if (nr == SYS_thread_exit) racer_stop = true;   // or the racer would keep the process alive
    return raw6(nr, any_int(), 0, 0, 0, 0, 0);
}

struct call { long (*fn)(void); int weight; };

static const struct call calls[] = {
    { fz_open, 60 }, { fz_read, 60 }, { fz_write, 60 }, { fz_close, 40 }, { fz_lseek, 30 },
    { fz_fstat, 30 }, { fz_readdir, 20 }, { fz_getcwd, 20 }, { fz_dup, 20 }, { fz_dup2, 20 },
    { fz_pipe, 20 }, { fz_mkdir, 20 }, { fz_unlink, 25 }, { fz_chdir, 15 }, { fz_exec, 8 },
    { fz_fork, 4 }, { fz_wait, 8 }, { fz_kill, 6 }, { fz_sbrk, 15 }, { fz_sleep, 5 },
    { fz_thread_create, 8 }, { fz_thread_join, 8 }, { fz_futex_wait, 10 }, { fz_futex_wake, 10 },
    { fz_procs, 10 }, { fz_sysinfo, 10 }, { fz_simple, 20 }, { fz_nosys, 20 }, { fz_exit, 1 },
};
#define NCALLS (sizeof calls / sizeof calls[0])

static long one_call(void) {
    static int total;
    if (!total)
        for (size_t i = 0; i < NCALLS; i++) total += calls[i].weight;
    int w = (int)below((uint64_t)total);
    size_t i = 0;
    while (w >= calls[i].weight) w -= calls[i++].weight;
    return calls[i].fn();
}

// ------------------------------------------------------------------ -r: a racing thread
//
// A second thread of the child closes, dups and replaces descriptors, and
// creates and removes names, while the main thread uses them: races on the
// kernel's descriptor table, open files and inodes. Timing decides who
// wins, so with -r a run is no longer exactly reproducible by its seed.
// It never blocks, and stops when the main thread leaves alone.

static bool racing;
static uint64_t race_rng;
static char race_stack[16 * 1024] __attribute__((aligned(16)));

static uint64_t race_below(uint64_t n) {
    race_rng ^= race_rng >> 12;
    race_rng ^= race_rng << 25;
    race_rng ^= race_rng >> 27;
    return race_rng * 2685821657736338717ull % n;
}

static void race_once(void) {
    static const char *const names[] = { "f0", "f1", "d0", "d1", "d0/f0", SCRATCH "/f2" };
    int fd = (int)race_below(NOFILE - 2);    // never REPORT_FD or TRACE_FD
    const char *name = names[race_below(sizeof names / sizeof names[0])];
    switch (race_below(8)) {
    case 0: close(fd); break;
    case 1: dup2(fd, (int)race_below(NOFILE - 2)); break;
    case 2: fd = dup(fd); break;
    case 3: fd = open(name, O_CREAT | O_RDWR); break;
    case 4: unlink(name); break;
    case 5: mkdir(name); break;
    case 6: chdir(race_below(2) ? SCRATCH : SCRATCH "/d0"); break;
    default: yield();
    }
}

static void racer(void *arg) {
    (void)arg;
    while (!racer_stop) race_once();
    thread_exit(0);
}

// ------------------------------------------------------------------ the child

static _Noreturn void fuzz_child(uint64_t seed, long budget, int report_pipe) {
    rng = seed ? seed : 1;
    if (report_pipe != REPORT_FD) {
        dup2(report_pipe, REPORT_FD);
        close(report_pipe);
    }
    for (int fd = 0; fd < TRACE_FD; fd++) close(fd);    // the console above all
    if (!tracing) close(TRACE_FD);
    chdir(SCRATCH);
    if (racing) {
        race_rng = seed ^ 0x5DEECE66Dull;
        racer_tid = thread_create(racer, NULL, race_stack + sizeof race_stack);
    }
    uint64_t base = ((uint64_t)sbrk(0) + PAGE - 1) & ~(PAGE - 1);
    if (sbrk((long)(base - (uint64_t)sbrk(0) + SCRATCH_SIZE)) < 0) _exit(3);
    scratch = (char *)base;
    scratch_end = base + SCRATCH_SIZE;
    init_long_strings();
    while (progress.calls < budget) {
        if (one_call() < 0) progress.errors++;
        progress.calls++;
        if (progress.calls % REPORT_EVERY == 0) report();
    }
    reap_kids();
    report();
    _exit(0);
    for (;;) {}                         // _exit's generated prototype does not say it never returns
}

// ------------------------------------------------------------------ the parent

static long free_frames(void) {
    struct sysinfo si;
    return sysinfo(&si) < 0 ? -1 : (long)si.free_frames;
}

// Removes path and everything under it.
static void rmtree(const char *path) {
    struct stat st;
    if (stat(path, &st) < 0) return;
    while (st.type == T_DIR) {
        struct dirent d;
        int fd = open(path, O_RDONLY);
        int r = fd < 0 ? -1 : readdir(fd, &d);
        if (fd >= 0) close(fd);
        if (r != 1) break;
        char sub[MAXPATH];
        if (snprintf(sub, sizeof sub, "%s/%s", path, d.name) >= (int)sizeof sub) break;
        rmtree(sub);
        if (stat(sub, &st) == 0) break;
        st.type = T_DIR;
    }
    unlink(path);
}

struct totals { long calls, errors, died, hung; };

static void print_trace_tail(void) {
    static char buf[1024];
    int fd = open(TRACE_FILE, O_RDONLY);
    if (fd < 0) return;
    long size = lseek(fd, 0, SEEK_END);
    lseek(fd, size > (long)sizeof buf ? size - (long)sizeof buf : 0, SEEK_SET);
    long n = read(fd, buf, sizeof buf);
    close(fd);
    if (n > 0) fwrite(buf, 1, (size_t)n, stdout);
}

// Reads the child's reports until it and everything holding the pipe are gone.
static struct report read_reports(int fd) {
    struct report last = { 0, 0 }, r;
    long n;
    while ((n = read(fd, &r, sizeof r)) == (long)sizeof r) last = r;
    return last;
}

// One child: up to budget calls. Returns the calls it made.
static long run_child(uint64_t seed, long budget, struct totals *t) {
    int p[2];
    if (pipe(p) < 0) return -1;
    rmtree(SCRATCH);
    mkdir(SCRATCH);
    fflush(NULL);
    if (tracing) {
        int fd = open(TRACE_FILE, O_CREAT | O_TRUNC | O_WRONLY);
        if (fd >= 0 && fd != TRACE_FD) {
            dup2(fd, TRACE_FD);
            close(fd);
        }
    }
    int pid = fork();
    if (pid == 0) {
        close(p[0]);
        fuzz_child(seed, budget, p[1]);
    }
    if (tracing) close(TRACE_FD);
    close(p[1]);
    if (pid < 0) {
        close(p[0]);
        return -1;
    }
    int wd = fork();                      // the watchdog
    if (wd == 0) {
        sleep_ms(CHILD_LIMIT_MS);
        kill(pid);
        _exit(1);
    }
    struct report r = read_reports(p[0]);
    close(p[0]);
    int st = 0, wst = 0;
    for (int left = 2; left > 0;) {
        int s, w = wait(&s);
        if (w < 0) break;
        if (w == pid) st = s, kill(wd), left--;
        if (w == wd) wst = s, left--;
    }
    bool hung = !WIFKILLED(wst) && WEXITSTATUS(wst) == 1;
    t->hung += hung;
    if (hung) printf("sysfuzz: child seed 0x%lx hung after %ld calls%s\n", (unsigned long)seed,
                     r.calls, tracing ? "; its last calls:" : " (sysfuzz N SEED -t traces)");
    if (hung && tracing) print_trace_tail();
    t->died += st != 0 || r.calls < budget;
    t->calls += r.calls;
    t->errors += r.errors;
    return r.calls;
}

static long settled_frames(long want) {
    long f = free_frames();
    for (int i = 0; i < 100 && f != want; i++) {
        sleep_ms(10);
        f = free_frames();
    }
    return f;
}

int main(int argc, char **argv) {
    bool bad_usage = argc < 3;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "-t") == 0) tracing = true;
        else if (strcmp(argv[i], "-r") == 0) racing = true;
        else bad_usage = true;
    }
    if (bad_usage) {
        fprintf(stderr, "usage: sysfuzz N SEED [-t] [-r]\n"
                        "  -t: write every call to " TRACE_FILE " (slow); print the last ones of a hung child\n"
                        "  -r: a second thread races the calls on descriptors and names (not reproducible)\n");
        return 2;
    }
    long n = atol(argv[1]);
    unsigned long seed = strtoul(argv[2], NULL, 0);
    if (n < 0) {
        fprintf(stderr, "sysfuzz: N must be >= 0\n");
        return 2;
    }
    rmtree(SCRATCH);
    long before = free_frames(), started = uptime();
    struct totals t = { 0, 0, 0, 0 };
    for (uint64_t child = 1; t.calls < n; child++) {
        uint64_t cseed = (seed + 1) * 0x9E3779B97F4A7C15ull ^ child * 0xBF58476D1CE4E5B9ull;
        long budget = n - t.calls < BATCH ? n - t.calls : BATCH;
        if (run_child(cseed, budget, &t) < 0) {
            fprintf(stderr, "sysfuzz: cannot start a child\n");
            return 1;
        }
    }
    rmtree(SCRATCH);
    if (tracing) unlink(TRACE_FILE);
    long after = settled_frames(before);
    long ms = uptime() - started;
    printf("sysfuzz: %ld calls, %ld errors, %ld children died, seed %lu\n", t.calls, t.errors,
           t.died, seed);
    printf("sysfuzz: %ld ms, %ld calls/s; free frames %ld before, %ld after\n", ms,
           ms ? t.calls * 1000 / ms : 0, before, after);
    if (t.hung) printf("sysfuzz: %ld children hung and were killed after %d s\n", t.hung,
                       CHILD_LIMIT_MS / 1000);
    if (after != before) {
        printf("sysfuzz: frames leaked: %ld\n", before - after);
        return 1;
    }
    return t.hung ? 1 : 0;
}
