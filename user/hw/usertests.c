// usertests: the hw kernel tested from user space, the way a program sees it.
//
//   usertests            the quick tier
//   usertests -s | all   the quick tier, then the slow one (leak check per test)
//   usertests NAME...    just these tests
//   usertests -l         list the tests and their tier
//   usertests -crash     fault on purpose (the grade tests' faulting program)
//
// Each test runs in a child of its own, inside a fresh directory /ut.tmp,
// and is judged only by how that child ends: exit PASSED_ST passes (not 0,
// which is what /bin/echo gives if an exec that must fail succeeds and
// replaces the test); exit FAILED_ST
// means a CHECK failed and wrote its reason into a pipe the runner reads; any
// other end (killed by a fault, another status, or the watchdog's kill after
// the time limit) fails with that as the reason. So a test that crashes the
// process fails with a reason, and one that crashes the kernel stops the run
// for everyone to see. Tests that expect a process to die fork a grandchild
// and check its wait status.
//
// Leaks: the free-frame count (sysinfo) before the first test must equal the
// count after the last, exactly; in the slow tier also around every test.
// Orphans are reaped by init, not by us, so a count that is off is asked
// again for up to a second before it is called a leak.
//
// Output: "test NAME: OK" or "test NAME: FAILED (reason)" per test, then
// "ALL TESTS PASSED" or "usertests: N of M failed: a, b".
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE 4096ul
#define KB 1024ul
#define MB (1024ul * 1024)
#define TESTDIR "/ut.tmp"
#define PASSED_ST 77            // exit status of a test that passed (not 0: see run_one)
#define FAILED_ST 99            // exit status of a test whose CHECK failed (reason in the pipe)
#define REASON_MAX 240

// The hw kernel's layout (proc_hw/proc.h), which user programs do not include.
#define USER_STACK_TOP 0x7FFFFFFF0000ul
#define USER_HEAP_MAX  (256ul << 20)
#define NPROC          64
#define PROC_MAX_THREADS 16

static int reason_fd = -1;      // the test child's write end of the reason pipe

// ------------------------------------------------------------------ checks

static const char *errname(long r) {
    static const struct { int e; const char *name; } names[] = {
        { EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" }, { EINTR, "EINTR" },
        { EIO, "EIO" }, { E2BIG, "E2BIG" }, { ENOEXEC, "ENOEXEC" }, { EBADF, "EBADF" },
        { ECHILD, "ECHILD" }, { EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" }, { EFAULT, "EFAULT" },
        { EBUSY, "EBUSY" }, { EEXIST, "EEXIST" }, { ENOTDIR, "ENOTDIR" }, { EISDIR, "EISDIR" },
        { EINVAL, "EINVAL" }, { EMFILE, "EMFILE" }, { EFBIG, "EFBIG" }, { ENOSPC, "ENOSPC" },
        { ESPIPE, "ESPIPE" }, { EPIPE, "EPIPE" }, { ERANGE, "ERANGE" },
        { ENAMETOOLONG, "ENAMETOOLONG" }, { ENOSYS, "ENOSYS" }, { ENOTEMPTY, "ENOTEMPTY" },
        { ETIMEDOUT, "ETIMEDOUT" },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (r == -names[i].e) return names[i].name;
    return NULL;
}

// "-EFAULT" for a known error, else the number.
static const char *rstr(long r, char *buf, size_t n) {
    const char *e = errname(r);
    if (e) snprintf(buf, n, "-%s", e);
    else snprintf(buf, n, "%ld", r);
    return buf;
}

__attribute__((format(printf, 2, 3)))
static _Noreturn void fail_at(int line, const char *fmt, ...) {
    char msg[REASON_MAX];
    int n = snprintf(msg, sizeof msg, "line %d: ", line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    size_t len = strlen(msg);
    msg[len < sizeof msg - 1 ? len++ : len - 1] = '\n';
    if (reason_fd >= 0) write(reason_fd, msg, len);
    else dprintf(2, "%.*s", (int)len, msg);
    fflush(NULL);
    _exit(FAILED_ST);
    for (;;) {}                 // _exit's generated prototype does not say it never returns
}

#define CHECK(cond, ...) do { if (!(cond)) fail_at(__LINE__, __VA_ARGS__); } while (0)
// call must give exactly want; the message names the call, both values and ctx.
#define EXPECT(call, want) expect_at(__LINE__, (long)(call), (long)(want), #call, "")
#define EXPECT_P(call, want, ptr) \
    expect_at(__LINE__, (long)(call), (long)(want), #call, ptr_ctx(ptr))

static const char *ptr_ctx(const void *p) {
    static char buf[40];
    snprintf(buf, sizeof buf, " with pointer %p", p);
    return buf;
}

static void expect_at(int line, long got, long want, const char *call, const char *ctx) {
    char g[24], w[24];
    if (got != want) fail_at(line, "%s = %s, want %s%s", call, rstr(got, g, sizeof g),
                             rstr(want, w, sizeof w), ctx);
}

// ------------------------------------------------------------------ helpers

static int xfork(void) {
    fflush(NULL);               // or the child prints our buffered output again
    return fork();
}

static long free_frames(void) {
    struct sysinfo si;
    return sysinfo(&si) < 0 ? -1 : (long)si.free_frames;
}

static long raw_syscall(long nr, long a0, long a1, long a2) {
    long ret;
    register long r10 __asm__("r10") = 0;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10)
                     : "rcx", "r11", "memory");
    return ret;
}

// Runs fn in a child and returns its wait status (this process must have no
// other child at the time).
static int status_of(void (*fn)(void)) {
    int pid = xfork();
    CHECK(pid >= 0, "fork = %d", pid);
    if (pid == 0) {
        fn();
        _exit(0);
    }
    int st;
    EXPECT(wait(&st), pid);
    return st;
}

static void expect_killed_at(int line, void (*fn)(void), int reason, const char *what) {
    int st = status_of(fn);
    if (!WIFKILLED(st) || (st & 0xff) != reason)
        fail_at(line, "%s: wait status 0x%x, want killed (0x%x)", what, st, WSTATUS_KILLED | reason);
}
#define EXPECT_KILLED(fn, reason) expect_killed_at(__LINE__, fn, reason, #fn)
#define V_DE 0                  // trap vectors: the reason in a killed process's status
#define V_UD 6
#define V_GP 13
#define V_PF 14
#define V_KILL 9                // kill() (hw_abi.h: KILL_REASON_KILL)

static void wait_exit0(int pid) {
    int st;
    EXPECT(wait(&st), pid);
    CHECK(st == 0, "child %d: wait status 0x%x, want 0", pid, st);
}

static void write_file(const char *path, const void *data, size_t n) {
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY);
    CHECK(fd >= 0, "open %s = %d", path, fd);
    EXPECT(write(fd, data, n), n);
    EXPECT(close(fd), 0);
}

static long read_all(int fd, char *buf, size_t max) {
    size_t got = 0;
    while (got < max) {
        long r = read(fd, buf + got, max - got);
        if (r < 0) return r;
        if (r == 0) break;
        got += (size_t)r;
    }
    return (long)got;
}

// The lowest free descriptor, found the way open would find it.
static int lowest_free_fd(void) {
    int fd = dup(0);
    if (fd >= 0) close(fd);
    return fd;
}

// Waits until pid has blocked (every thread asleep), up to ~2 s.
static void wait_blocked(int pid) {
    static struct procinfo tab[NPROC];
    for (int tries = 0; tries < 200; tries++) {
        int n = procs(tab, NPROC);
        for (int i = 0; i < n; i++)
            if (tab[i].pid == pid && tab[i].state == PS_SLEEPING) return;
        sleep_ms(10);
    }
    fail_at(__LINE__, "pid %d never blocked", pid);
}

static bool pid_exists(int pid) {
    static struct procinfo tab[NPROC];
    int n = procs(tab, NPROC);
    for (int i = 0; i < n; i++)
        if (tab[i].pid == pid) return true;
    return false;
}

// ------------------------------------------------------------------ bad pointers
//
// Addresses no system call may use: each must give -EFAULT, and the caller
// must live on. Then the "edges": a buffer whose first bytes are valid and
// whose rest runs off the end of mapped memory (the top of the heap, the
// top of the stack), filled with 'a' so that a string there has no NUL.

static const uint64_t bad_addrs[] = {
    0,                          // NULL
    0x1000,                     // below the program: never mapped
    0x3ff000,                   // the page just below the text
    0x500000000000,             // the middle of nowhere
    USER_STACK_TOP,             // just above the stack
    0x800000000000,             // the first non-canonical address (USER_TOP)
    0x8000000000000000,         // non-canonical
    0xffff800000000000,         // the kernel's direct map
    0xffffffff80100000,         // the kernel's text
    0xfffffffffffffff0,         // the very top: a length wraps around
};
#define NBAD (sizeof bad_addrs / sizeof bad_addrs[0])

static void *bad(size_t i) {
    return (void *)bad_addrs[i];
}

// The last 'valid' bytes below the top of the heap (grown by a page, so the
// page is ours and the next one is not mapped).
static char *heap_edge(size_t valid) {
    static char *top;
    if (!top) {
        long b = sbrk((long)PAGE);
        CHECK(b > 0, "sbrk = %ld", b);
        top = (char *)((b + 2 * PAGE - 1) & ~(PAGE - 1));
        CHECK(top <= (char *)sbrk(0) + PAGE - 1, "heap top");
    }
    memset(top - valid, 'a', valid);   // again each time: a caller may have written there
    return top - valid;
}

static char *stack_edge(size_t valid) {
    char *top = (char *)USER_STACK_TOP;
    memset(top - 16, 'a', 16);  // argv strings live there: this child no longer needs them
    return top - valid;
}

// A read-only page of our own: copyout to it must fail too.
static void *text_ptr(void) {
    return (void *)(uintptr_t)&text_ptr;
}

static void t_badptr_open(void) {
    for (size_t i = 0; i < NBAD; i++) {
        EXPECT_P(open(bad(i), O_RDONLY), -EFAULT, bad(i));
        EXPECT_P(open(bad(i), O_CREAT | O_RDWR), -EFAULT, bad(i));
    }
    EXPECT(open(heap_edge(8), O_CREAT | O_RDWR), -EFAULT);
    EXPECT(open(stack_edge(8), O_CREAT | O_RDWR), -EFAULT);
}

static void t_badptr_read(void) {
    static char data[4096];
    memset(data, 'd', sizeof data);
    write_file("f", data, sizeof data);
    int fd = open("f", O_RDONLY), p[2];
    CHECK(fd >= 0, "open f = %d", fd);
    EXPECT(pipe(p), 0);
    for (size_t i = 0; i < NBAD; i++) {
        EXPECT(lseek(fd, 0, SEEK_SET), 0);
        EXPECT_P(read(fd, bad(i), 64), -EFAULT, bad(i));
        EXPECT(write(p[1], data, 64), 64);
        EXPECT_P(read(p[0], bad(i), 64), -EFAULT, bad(i));
    }
    EXPECT(read(fd, text_ptr(), 64), -EFAULT);
    EXPECT(lseek(fd, 0, SEEK_SET), 0);
    EXPECT(read(fd, heap_edge(8), 64), -EFAULT);
    EXPECT(read(fd, heap_edge(8), 8), 8);          // the valid part alone is fine
    EXPECT(read(fd, (void *)0x10, (size_t)-1), -EFAULT);
}

static void t_badptr_write(void) {
    int fd = open("f", O_CREAT | O_RDWR), p[2];
    CHECK(fd >= 0, "open f = %d", fd);
    EXPECT(pipe(p), 0);
    for (size_t i = 0; i < NBAD; i++) {
        EXPECT_P(write(fd, bad(i), 64), -EFAULT, bad(i));
        EXPECT_P(write(p[1], bad(i), 64), -EFAULT, bad(i));
    }
    EXPECT(write(fd, heap_edge(8), 64), -EFAULT);
    EXPECT(write(fd, stack_edge(8), 64), -EFAULT);
    EXPECT(write(p[1], heap_edge(8), 64), -EFAULT);
    EXPECT(write(fd, heap_edge(PAGE), (size_t)-1 / 2), -EFAULT);
    struct stat st;
    EXPECT(fstat(fd, &st), 0);
    CHECK(st.size == 0, "a failed write stored %lu bytes", (unsigned long)st.size);
    EXPECT(write(fd, heap_edge(8), 8), 8);
}

static void t_badptr_fstat(void) {
    int fd = open(".", O_RDONLY);
    CHECK(fd >= 0, "open . = %d", fd);
    for (size_t i = 0; i < NBAD; i++)
        EXPECT_P(fstat(fd, bad(i)), -EFAULT, bad(i));
    EXPECT(fstat(fd, text_ptr()), -EFAULT);
    EXPECT(fstat(fd, heap_edge(4)), -EFAULT);
    EXPECT(fstat(fd, stack_edge(4)), -EFAULT);
}

// mkdir, unlink, chdir: a path argument and nothing else.
static void t_badptr_paths(void) {
    char cwd[MAXPATH], now[MAXPATH];
    CHECK(getcwd(cwd, sizeof cwd) > 0, "getcwd");
    for (size_t i = 0; i < NBAD; i++) {
        EXPECT_P(mkdir(bad(i)), -EFAULT, bad(i));
        EXPECT_P(unlink(bad(i)), -EFAULT, bad(i));
        EXPECT_P(chdir(bad(i)), -EFAULT, bad(i));
    }
    EXPECT(mkdir(heap_edge(8)), -EFAULT);
    EXPECT(unlink(heap_edge(8)), -EFAULT);
    EXPECT(chdir(stack_edge(8)), -EFAULT);
    CHECK(getcwd(now, sizeof now) > 0 && strcmp(cwd, now) == 0, "cwd changed: %s", now);
}

static void t_badptr_readdir(void) {
    write_file("only", "x", 1);
    int fd = open(".", O_RDONLY);
    CHECK(fd >= 0, "open . = %d", fd);
    for (size_t i = 0; i < NBAD; i++)
        EXPECT_P(readdir(fd, bad(i)), -EFAULT, bad(i));
    EXPECT(readdir(fd, text_ptr()), -EFAULT);
    EXPECT(readdir(fd, heap_edge(8)), -EFAULT);
    struct dirent d;            // the entry a failed call could not deliver is still there
    EXPECT(readdir(fd, &d), 1);
    CHECK(strcmp(d.name, "only") == 0, "readdir gave %s", d.name);
    EXPECT(readdir(fd, &d), 0);
}

static void t_badptr_getcwd(void) {
    EXPECT(mkdir("a-directory-with-a-rather-long-name"), 0);
    EXPECT(chdir("a-directory-with-a-rather-long-name"), 0);
    for (size_t i = 0; i < NBAD; i++)
        EXPECT_P(getcwd(bad(i), 64), -EFAULT, bad(i));
    EXPECT(getcwd(text_ptr(), 64), -EFAULT);
    EXPECT(getcwd(heap_edge(8), 64), -EFAULT);
    EXPECT(getcwd(stack_edge(8), 64), -EFAULT);
}

static void t_badptr_pipe(void) {
    int low = lowest_free_fd();
    for (size_t i = 0; i < NBAD; i++)
        EXPECT_P(pipe(bad(i)), -EFAULT, bad(i));
    EXPECT(pipe(text_ptr()), -EFAULT);
    EXPECT(pipe(heap_edge(4)), -EFAULT);
    EXPECT(lowest_free_fd(), low);          // the failed calls left no descriptor behind
}

static void t_badptr_wait(void) {
    int pid = xfork();
    if (pid == 0) _exit(7);
    CHECK(pid > 0, "fork = %d", pid);
    for (size_t i = 1; i < NBAD; i++)       // wait(NULL) is allowed: no status wanted
        EXPECT_P(wait(bad(i)), -EFAULT, bad(i));
    EXPECT(wait(text_ptr()), -EFAULT);
    EXPECT(wait(heap_edge(2)), -EFAULT);
    int st;                                  // the child is still there to be waited for
    EXPECT(wait(&st), pid);
    CHECK(WEXITSTATUS(st) == 7 && !WIFKILLED(st), "status 0x%x", st);
    pid = xfork();
    if (pid == 0) _exit(0);
    EXPECT(wait(NULL), pid);
}

static void t_badptr_exec(void) {
    char *argv[] = { "echo", "x", NULL };
    char *bad_elem[] = { "echo", NULL, NULL };
    for (size_t i = 0; i < NBAD; i++) {
        EXPECT_P(exec(bad(i), argv), -EFAULT, bad(i));
        EXPECT_P(exec("/bin/echo", bad(i)), -EFAULT, bad(i));
        if (!bad(i)) continue;               // a NULL element ends argv: not an error
        bad_elem[1] = bad(i);
        EXPECT_P(exec("/bin/echo", bad_elem), -EFAULT, bad(i));
    }
    EXPECT(exec(heap_edge(8), argv), -EFAULT);
    // argv runs off the end: its pointers are valid but no NULL comes first.
    char **edge = (char **)heap_edge(16);
    edge[0] = "echo", edge[1] = "x";
    EXPECT(exec("/bin/echo", edge), -EFAULT);
    bad_elem[1] = heap_edge(8);
    EXPECT(exec("/bin/echo", bad_elem), -EFAULT);
}

static void t_badptr_sysinfo(void) {
    for (size_t i = 0; i < NBAD; i++) {
        EXPECT_P(sysinfo(bad(i)), -EFAULT, bad(i));
        EXPECT_P(procs(bad(i), 4), -EFAULT, bad(i));
    }
    EXPECT(sysinfo(text_ptr()), -EFAULT);
    EXPECT(sysinfo(heap_edge(8)), -EFAULT);
    EXPECT(procs(text_ptr(), 4), -EFAULT);
    EXPECT(procs(heap_edge(8), 4), -EFAULT);
}

static void t_badptr_futex(void) {
    for (size_t i = 0; i < NBAD; i++)
        EXPECT_P(futex_wait(bad(i), 0, 10), -EFAULT, bad(i));
    // futex_wake only compares addresses: no memory is touched, nothing faults.
    for (size_t i = 0; i < NBAD; i++) {
        long r = futex_wake(bad(i), 1);
        CHECK(r == 0 || r == -EFAULT, "futex_wake(%p) = %ld", bad(i), r);
    }
}

static void thread_exit_at_once(void *arg) {
    thread_exit((int)(intptr_t)arg);
}

static void t_badptr_thread(void) {
    static char stack[4096] __attribute__((aligned(16)));
    for (size_t i = 0; i < NBAD; i++)       // the top of the main stack is a fine stack top
        if (bad_addrs[i] != USER_STACK_TOP)
            EXPECT_P(thread_create(thread_exit_at_once, 0, bad(i)), -EFAULT, bad(i));
    EXPECT(thread_create(thread_exit_at_once, 0, text_ptr()), -EFAULT);
    int tid = thread_create(thread_exit_at_once, (void *)5, stack + sizeof stack);
    CHECK(tid > 0, "thread_create = %d", tid);
    EXPECT(thread_join(tid, heap_edge(2)), -EFAULT);   // joined all the same
    EXPECT(thread_join(tid, NULL), -ESRCH);
    tid = thread_create(thread_exit_at_once, (void *)5, stack + sizeof stack);
    CHECK(tid > 0, "thread_create = %d", tid);
    EXPECT(thread_join(tid, bad(8)), -EFAULT);
}

// ------------------------------------------------------------------ processes

static void t_exitstatus(void) {
    static const int codes[] = { 0, 1, 42, 255, 256, -1 };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        int pid = xfork();
        if (pid == 0) _exit(codes[i]);
        int st;
        EXPECT(wait(&st), pid);
        CHECK(!WIFKILLED(st) && WEXITSTATUS(st) == (codes[i] & 0xff) && st == (codes[i] & 0xff),
              "_exit(%d) gave wait status 0x%x", codes[i], st);
    }
}

static void t_getpid(void) {
    int me = getpid(), p[2];
    CHECK(me > 1, "getpid = %d", me);
    EXPECT(pipe(p), 0);
    int pid = xfork();
    if (pid == 0) {
        int ids[2] = { getpid(), getppid() };
        write(p[1], ids, sizeof ids);
        _exit(0);
    }
    int ids[2];
    EXPECT(read(p[0], ids, sizeof ids), sizeof ids);
    CHECK(ids[0] == pid && ids[1] == me, "child saw pid %d ppid %d, want %d %d", ids[0], ids[1], pid, me);
    wait_exit0(pid);
}

static void t_wait_nochild(void) {
    int st;
    EXPECT(wait(&st), -ECHILD);
    EXPECT(wait(NULL), -ECHILD);
}

// Fork until the table (or memory) is full; the children wait on a pipe.
// Then let them all go, reap them, and fork again.
static void t_fork_full(void) {
    int p[2], n = 0, r;
    EXPECT(pipe(p), 0);
    for (;;) {
        r = xfork();
        if (r == 0) {
            char c;
            close(p[1]);
            _exit(read(p[0], &c, 1) == 0 ? 0 : 1);
        }
        if (r < 0) break;
        CHECK(++n < 10 * NPROC, "fork never fails");
    }
    CHECK(r == -EAGAIN || r == -ENOMEM, "fork = %d, want -EAGAIN or -ENOMEM", r);
    CHECK(n >= NPROC / 2, "only %d forks before %d", n, r);
    close(p[1]);
    for (int i = 0; i < n; i++) {
        int st, pid = wait(&st);
        CHECK(pid > 0 && st == 0, "wait = %d status 0x%x after %d of %d", pid, st, i, n);
    }
    EXPECT(wait(NULL), -ECHILD);
    for (int round = 0; round < 3; round++) {
        int pid = xfork();
        if (pid == 0) _exit(0);
        CHECK(pid > 0, "fork after recovery = %d", pid);
        wait_exit0(pid);
    }
}

static void grandchild_reports_parent(int wfd) {
    int ppid = getppid();
    for (int i = 0; i < 300 && ppid != 1; i++) {
        sleep_ms(10);
        ppid = getppid();
    }
    int msg[2] = { getpid(), ppid };
    write(wfd, msg, sizeof msg);
    _exit(0);
}

// A grandchild outlives its parent: init adopts it (getppid 1) and reaps it.
static void t_reparent(void) {
    int p[2];
    EXPECT(pipe(p), 0);
    int pid = xfork();
    if (pid == 0) {
        int g = xfork();
        if (g == 0) grandchild_reports_parent(p[1]);
        _exit(g > 0 ? 0 : 1);
    }
    wait_exit0(pid);
    close(p[1]);
    int msg[2];
    EXPECT(read(p[0], msg, sizeof msg), sizeof msg);
    CHECK(msg[1] == 1, "orphan's getppid = %d, want 1", msg[1]);
    for (int i = 0; i < 200 && pid_exists(msg[0]); i++) sleep_ms(10);
    CHECK(!pid_exists(msg[0]), "orphan %d was never reaped by init", msg[0]);
}

static void t_kill_errors(void) {
    EXPECT(kill(0), -ESRCH);
    EXPECT(kill(-1), -ESRCH);
    EXPECT(kill(INT_MAX), -ESRCH);
    EXPECT(kill(INT_MIN), -ESRCH);
    EXPECT(kill(1), -EPERM);                 // init
    int pid = xfork();
    if (pid == 0) _exit(3);
    int st;
    EXPECT(wait(&st), pid);
    EXPECT(kill(pid), -ESRCH);               // reaped: gone
}

static void kill_me(void) {
    kill(getpid());
    _exit(1);                                // never reached: the kill takes effect on the way out
}

static void t_kill_self(void) {
    EXPECT_KILLED(kill_me, V_KILL);
}

// Forks a child that runs block(arg) forever, waits until it sleeps (or,
// spinning, just a moment), kills it, and checks it died of the kill.
static void kill_child_in(void (*block)(int), int arg, bool spins, const char *what) {
    int pid = xfork();
    if (pid == 0) {
        block(arg);
        _exit(1);
    }
    CHECK(pid > 0, "fork = %d", pid);
    if (spins) sleep_ms(50);
    else wait_blocked(pid);
    long t0 = uptime();
    EXPECT(kill(pid), 0);
    int st;
    EXPECT(wait(&st), pid);
    CHECK(WIFKILLED(st) && (st & 0xff) == V_KILL, "%s: status 0x%x, want killed", what, st);
    CHECK(uptime() - t0 < 5000, "%s: the kill took %ld ms", what, uptime() - t0);
}

static void block_read(int fd) {
    char c;
    read(fd, &c, 1);
}

static void t_kill_read(void) {
    int p[2];
    EXPECT(pipe(p), 0);
    kill_child_in(block_read, p[0], false, "blocked in read");
    EXPECT(write(p[1], "x", 1), 1);          // our pipe still works
}

static void block_write(int fd) {
    static char buf[64 * 1024];
    for (;;) write(fd, buf, sizeof buf);
}

static void t_kill_write(void) {
    int p[2];
    EXPECT(pipe(p), 0);
    kill_child_in(block_write, p[1], false, "blocked in write to a full pipe");
}

static void block_sleep(int ms) {
    sleep_ms(ms);
}

static void t_kill_sleep(void) {
    kill_child_in(block_sleep, 1000000, false, "in sleep_ms");
}

static void block_wait(int unused) {
    (void)unused;
    int g = fork();
    if (g == 0) {
        sleep_ms(200);
        _exit(0);
    }
    wait(NULL);
    sleep_ms(1000000);
}

static void t_kill_wait(void) {
    kill_child_in(block_wait, 0, false, "blocked in wait");
}

static void spin(int unused) {
    (void)unused;
    for (volatile unsigned long i = 0;; i++) {}
}

static void t_kill_spin(void) {
    kill_child_in(spin, 0, true, "spinning in user mode");
}

static void t_sleep_uptime(void) {
    EXPECT(sleep_ms(-1), -EINVAL);
    EXPECT(sleep_ms(0), 0);
    long t0 = uptime();
    EXPECT(sleep_ms(100), 0);
    long dt = uptime() - t0;
    CHECK(dt >= 90 && dt < 5000, "sleep_ms(100) took %ld ms", dt);
    EXPECT(yield(), 0);
    EXPECT(nullcall(), 0);
}

static void t_sysinfo(void) {
    struct sysinfo si;
    EXPECT(sysinfo(&si), 0);
    CHECK(si.total_frames > 1000 && si.free_frames <= si.total_frames, "frames %lu of %lu",
          (unsigned long)si.free_frames, (unsigned long)si.total_frames);
    CHECK(si.nprocs >= 3 && si.nprocs <= NPROC, "nprocs %lu", (unsigned long)si.nprocs);
    CHECK(si.tsc_hz > 1000000, "tsc_hz %lu", (unsigned long)si.tsc_hz);
    CHECK(si.uptime_ms > 0, "uptime_ms 0");
}

static void t_procs(void) {
    static struct procinfo tab[NPROC];
    int n = procs(tab, NPROC);
    CHECK(n >= 3 && n <= NPROC, "procs = %d", n);
    bool init = false, me = false;
    for (int i = 0; i < n; i++) {
        init |= tab[i].pid == 1 && tab[i].ppid == 0;
        if (tab[i].pid != getpid()) continue;
        me = true;
        CHECK(tab[i].ppid == getppid() && tab[i].state == PS_RUNNING && tab[i].nthreads == 1
              && tab[i].mem_pages > 0 && strcmp(tab[i].name, "usertests") == 0,
              "own entry: ppid %d state %d threads %d pages %lu name %.16s", tab[i].ppid,
              tab[i].state, tab[i].nthreads, (unsigned long)tab[i].mem_pages, tab[i].name);
    }
    CHECK(init && me, "init %d, self %d in the table", init, me);
    EXPECT(procs(tab, 0), 0);
    EXPECT(procs(tab, 1), 1);
    EXPECT(procs(tab, -1), -EINVAL);
}

static void t_nosys(void) {
    static const long nrs[] = { 0, 18, 19, 34, 39, 44, 999, -1, 1l << 32 | SYS_getpid, LONG_MIN };
    for (size_t i = 0; i < sizeof nrs / sizeof nrs[0]; i++) {
        long r = raw_syscall(nrs[i], 1, 2, 3);
        CHECK(r == -ENOSYS, "syscall %ld = %ld, want -ENOSYS", nrs[i], r);
    }
}

// ------------------------------------------------------------------ faults

static volatile int recurse_forever = 1;

static int recurse(int n) {
    volatile char buf[512];
    buf[0] = (char)n;
    return recurse_forever ? recurse(n + 1) + buf[0] : 0;
}

static void overflow_stack(void) { recurse(0); }

static void jump_over_guard(void) {
    volatile char *below = (char *)USER_STACK_TOP - 64 * KB - PAGE - 3 * PAGE;
    *below = 1;
}

static void t_stack_guard(void) {
    EXPECT_KILLED(overflow_stack, V_PF);
    EXPECT_KILLED(jump_over_guard, V_PF);
}

static void write_text(void) { *(volatile char *)text_ptr() = 0; }
static void write_rodata(void) { *(volatile char *)"constant" = 'C'; }

static void t_text_write(void) {
    EXPECT_KILLED(write_text, V_PF);
    EXPECT_KILLED(write_rodata, V_PF);
}

static void read_kernel_text(void) { (void)*(volatile char *)0xffffffff80100000ul; }
static void read_direct_map(void) { (void)*(volatile char *)0xffff800000100000ul; }
static void read_noncanonical(void) { (void)*(volatile char *)0x8000000000000000ul; }
static void write_kernel(void) { *(volatile char *)0xffffffff80100000ul = 0; }

static void t_kernel_read(void) {
    EXPECT_KILLED(read_kernel_text, V_PF);
    EXPECT_KILLED(read_direct_map, V_PF);
    EXPECT_KILLED(write_kernel, V_PF);
    EXPECT_KILLED(read_noncanonical, V_GP);  // non-canonical: #GP, not a page fault
}

static volatile int *volatile null_ptr;    // volatile: gcc must not see through it

static void deref_null(void) { (void)*null_ptr; }
static void write_null(void) { null_ptr[2] = 1; }

static void t_null_deref(void) {
    EXPECT_KILLED(deref_null, V_PF);
    EXPECT_KILLED(write_null, V_PF);
}

static void port_in(void) {
    unsigned char v;
    __asm__ volatile("inb $0x60, %0" : "=a"(v));
}
static void port_out(void) { __asm__ volatile("outb %%al, $0x80" :: "a"(0)); }
static void port_out_dx(void) { __asm__ volatile("outw %%ax, %%dx" :: "a"(0x2000), "d"(0x604)); }

static void t_port_io(void) {
    EXPECT_KILLED(port_in, V_GP);
    EXPECT_KILLED(port_out, V_GP);
    EXPECT_KILLED(port_out_dx, V_GP);        // 0x604: QEMU's ACPI power-off port
}

static void do_cli(void) { __asm__ volatile("cli"); }
static void do_hlt(void) { __asm__ volatile("hlt"); }
static void do_read_cr3(void) {
    unsigned long v;
    __asm__ volatile("mov %%cr3, %0" : "=r"(v));
}
static void do_lgdt(void) {
    static struct __attribute__((packed)) { uint16_t limit; uint64_t base; } g;
    __asm__ volatile("lgdt %0" :: "m"(g));
}
static void do_ud2(void) { __asm__ volatile("ud2"); }

static void t_priv_insn(void) {
    EXPECT_KILLED(do_cli, V_GP);
    EXPECT_KILLED(do_hlt, V_GP);
    EXPECT_KILLED(do_read_cr3, V_GP);
    EXPECT_KILLED(do_lgdt, V_GP);
    EXPECT_KILLED(do_ud2, V_UD);
}

static void divide_by_zero(void) {
    volatile int zero = 0, x = 7;
    x = x / zero;
}

static void t_divzero(void) {
    EXPECT_KILLED(divide_by_zero, V_DE);
}

// NX: data, heap and stack pages never execute.
static void run_data(void) {
    static unsigned char ret_insn[] = { 0xc3 };
    ((void (*)(void))(uintptr_t)ret_insn)();
}
static void run_stack(void) {
    volatile unsigned char ret_insn[] = { 0xc3 };
    ((void (*)(void))(uintptr_t)ret_insn)();
}
static void run_kernel(void) { ((void (*)(void))0xffffffff80100000ul)(); }

static void t_nx(void) {
    EXPECT_KILLED(run_data, V_PF);
    EXPECT_KILLED(run_stack, V_PF);
    EXPECT_KILLED(run_kernel, V_PF);
}

// A fault ends the process and gives back what it held: its pipe end closes.
static void t_fault_cleanup(void) {
    int p[2];
    EXPECT(pipe(p), 0);
    int pid = xfork();
    if (pid == 0) {
        close(p[0]);
        sbrk((long)(1 * MB));
        deref_null();
        _exit(0);
    }
    close(p[1]);
    char c;
    EXPECT(read(p[0], &c, 1), 0);            // EOF: the dead writer's end was closed
    int st;
    EXPECT(wait(&st), pid);
    CHECK(WIFKILLED(st) && (st & 0xff) == V_PF, "status 0x%x", st);
}

// ------------------------------------------------------------------ memory

static void t_sbrk_grow(void) {
    long f0 = free_frames();
    char *p = (char *)sbrk((long)MB);
    CHECK((long)p > 0, "sbrk(1 MiB) = %ld", (long)p);
    EXPECT(sbrk(0), (long)(p + MB));
    for (size_t i = 0; i < MB; i += 512) {
        CHECK(p[i] == 0, "new heap not zero at +%lu", (unsigned long)i);
        p[i] = (char)(i >> 9);
    }
    for (size_t i = 0; i < MB; i += 512)
        CHECK(p[i] == (char)(i >> 9), "heap lost a write at +%lu", (unsigned long)i);
    CHECK(f0 - free_frames() >= (long)(MB / PAGE), "1 MiB of heap took only %ld frames",
          f0 - free_frames());
    EXPECT(sbrk(1), (long)(p + MB));         // odd sizes
    EXPECT(sbrk(4095), (long)(p + MB + 1));
    p[MB + 4095] = 1;
}

static char *shrunk;
static void touch_shrunk(void) { *shrunk = 1; }

static void t_sbrk_shrink(void) {
    char *base = (char *)sbrk(0);
    EXPECT(sbrk((long)MB), (long)base);
    memset(base, 0x5a, MB);
    long f1 = free_frames();
    EXPECT(sbrk(-(long)MB), (long)(base + MB));
    EXPECT(sbrk(0), (long)base);
    CHECK(free_frames() - f1 >= (long)(MB / PAGE) - 1, "shrink gave back %ld frames",
          free_frames() - f1);
    shrunk = base + ((PAGE - (uintptr_t)base % PAGE) % PAGE) + PAGE;   // a whole page given back
    EXPECT_KILLED(touch_shrunk, V_PF);
    EXPECT(sbrk((long)MB), (long)base);      // grows again, zeroed
    for (size_t i = 0; i < MB; i += 256)
        CHECK(base[i] == 0, "regrown heap not zero at +%lu", (unsigned long)i);
    // A shrink inside a page: the bytes past the new break read zero when it grows back.
    EXPECT(sbrk(-(long)MB + 100), (long)(base + MB));
    memset(base, 0x77, 100);
    EXPECT(sbrk(-50), (long)(base + 100));
    EXPECT(sbrk(50), (long)(base + 50));
    for (int i = 50; i < 100; i++) CHECK(base[i] == 0, "byte %d past a shrink kept 0x%x", i, base[i]);
}

static void t_sbrk_limits(void) {
    long base = sbrk(0);
    EXPECT(sbrk(1l << 40), -ENOMEM);
    EXPECT(sbrk(LONG_MAX), -ENOMEM);
    EXPECT(sbrk((long)USER_HEAP_MAX + (long)PAGE), -ENOMEM);
    EXPECT(sbrk(LONG_MIN), -EINVAL);
    EXPECT(sbrk(-(long)(1ul << 30)), -EINVAL);              // below the heap's start
    EXPECT(sbrk(-(base - 0x400000) - 1), -EINVAL);          // onto the program itself
    EXPECT(sbrk(0), base);                                  // nothing changed
    long r = sbrk((long)(4 * MB));
    EXPECT(r, base);
    ((char *)base)[4 * MB - 1] = 1;
    EXPECT(sbrk(-(long)(4 * MB)), base + (long)(4 * MB));
}

static int cow_global = 1;

static void t_cow(void) {
    static char page[PAGE] __attribute__((aligned(4096)));
    int local = 10;
    memset(page, 'p', sizeof page);
    int p[2];
    EXPECT(pipe(p), 0);
    int pid = xfork();
    if (pid == 0) {
        char c;
        CHECK(cow_global == 1 && local == 10 && page[100] == 'p', "child saw the parent's writes");
        cow_global = 2, local = 20;
        memset(page, 'c', sizeof page);
        EXPECT(read(p[0], &c, 1), 1);        // the parent has written by now
        CHECK(cow_global == 2 && local == 20 && page[100] == 'c' && page[4095] == 'c',
              "child's copy changed under it: %d %d %c", cow_global, local, page[100]);
        _exit(0);
    }
    cow_global = 3, local = 30;
    memset(page, 'P', sizeof page);
    EXPECT(write(p[1], "go", 1), 1);
    wait_exit0(pid);
    CHECK(cow_global == 3 && local == 30 && page[0] == 'P' && page[4095] == 'P',
          "parent's copy changed: %d %d %c", cow_global, local, page[0]);
}

static void t_cow_big(void) {
    size_t n = 2 * MB / sizeof(uint32_t);
    uint32_t *a = (uint32_t *)sbrk((long)(2 * MB));
    CHECK((long)a > 0, "sbrk = %ld", (long)a);
    for (size_t i = 0; i < n; i++) a[i] = (uint32_t)i;
    int pid = xfork();
    if (pid == 0) {
        for (size_t i = 0; i < n; i++) a[i] = (uint32_t)i * 3;
        for (size_t i = 0; i < n; i++) CHECK(a[i] == (uint32_t)i * 3, "child a[%lu]", (unsigned long)i);
        int g = xfork();                     // a second level of sharing
        if (g == 0) {
            for (size_t i = 0; i < n; i += 1024) a[i] = 7;
            _exit(0);
        }
        wait_exit0(g);
        for (size_t i = 0; i < n; i++) CHECK(a[i] == (uint32_t)i * 3, "child a[%lu] after grandchild", (unsigned long)i);
        _exit(0);
    }
    wait_exit0(pid);
    for (size_t i = 0; i < n; i++) CHECK(a[i] == (uint32_t)i, "parent a[%lu] = %u", (unsigned long)i, a[i]);
    for (size_t i = 0; i < n; i++) a[i] = 1;
}

// The kernel writes into a copy-on-write page (read, fstat, pipe): the
// writer gets its own copy, the other side keeps the old bytes.
static void t_cow_copyout(void) {
    static char buf[PAGE] __attribute__((aligned(4096)));
    static struct stat st;
    memset(buf, 'p', sizeof buf);
    write_file("f", "ffff", 4);
    int sync[2];
    EXPECT(pipe(sync), 0);
    int pid = xfork();
    if (pid == 0) {
        int fd = open("f", O_RDONLY);
        EXPECT(read(fd, buf, 4), 4);
        EXPECT(fstat(fd, &st), 0);
        CHECK(memcmp(buf, "ffffp", 5) == 0 && st.size == 4, "child's read/fstat went astray");
        char c;
        EXPECT(read(sync[0], &c, 1), 1);     // the parent has read into its copy
        CHECK(memcmp(buf, "ffffp", 5) == 0, "parent's read reached the child's page");
        _exit(0);
    }
    int fd = open("f", O_RDONLY);
    EXPECT(read(fd, buf + 8, 2), 2);
    EXPECT(write(sync[1], "x", 1), 1);
    wait_exit0(pid);
    CHECK(memcmp(buf, "pppppppp", 8) == 0 && memcmp(buf + 8, "ffpp", 4) == 0,
          "child's read reached the parent's page: %.12s", buf);
}

// ------------------------------------------------------------------ exec

static char *const echo_argv[] = { "echo", "hi", NULL };

static void t_exec_missing(void) {
    EXPECT(exec("/no/such/program", echo_argv), -ENOENT);
    EXPECT(exec("nosuch", echo_argv), -ENOENT);
    EXPECT(exec("/bin/echo/x", echo_argv), -ENOTDIR);
    EXPECT(exec("", echo_argv), -ENOENT);
}

static void t_exec_notelf(void) {
    write_file("script", "#!/bin/sh\necho hi\n", 18);
    write_file("empty", "", 0);
    static char junk[8192];
    memset(junk, 0x7f, sizeof junk);
    write_file("junk", junk, sizeof junk);
    EXPECT(exec("script", echo_argv), -ENOEXEC);
    EXPECT(exec("empty", echo_argv), -ENOEXEC);
    EXPECT(exec("junk", echo_argv), -ENOEXEC);
    EXPECT(exec("/etc/motd", echo_argv), -ENOEXEC);
    EXPECT(exec("/bin", echo_argv), -EISDIR);
}

static long read_file(const char *path, char *buf, size_t max) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return fd;
    long n = read_all(fd, buf, max);
    close(fd);
    return n;
}

// Copies of /bin/echo cut short, or with one header field broken.
static void t_exec_truncated(void) {
    static char elf[64 * 1024];
    long n = read_file("/bin/echo", elf, sizeof elf);
    CHECK(n > 4200 && n < (long)sizeof elf, "/bin/echo has %ld bytes", n);
    static const long cuts[] = { 1, 4, 16, 63, 64, 100, 200, 1000, 4096, 4100 };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        write_file("cut", elf, (size_t)cuts[i]);
        long r = exec("cut", echo_argv);
        CHECK(r == -ENOEXEC, "exec of /bin/echo's first %ld bytes = %ld", cuts[i], r);
    }
    static const struct { int off, size; uint64_t val; } breaks[] = {
        { 18, 2, 3 },                          // e_machine: i386
        { 4, 1, 1 },                           // ELFCLASS32
        { 16, 2, 1 },                          // e_type ET_REL
        { 32, 8, 0xfffffffffffff000ull },      // e_phoff far past the end
        { 54, 2, 1000 },                       // e_phentsize
        { 56, 2, 0xffff },                     // e_phnum
    };
    for (size_t i = 0; i < sizeof breaks / sizeof breaks[0]; i++) {
        static char copy[64 * 1024];
        memcpy(copy, elf, (size_t)n);
        memcpy(copy + breaks[i].off, &breaks[i].val, (size_t)breaks[i].size);
        write_file("broken", copy, (size_t)n);
        long r = exec("broken", echo_argv);
        CHECK(r == -ENOEXEC, "exec with header byte %d set to 0x%lx = %ld", breaks[i].off,
              (unsigned long)breaks[i].val, r);
    }
}

// Runs /bin/echo with argv in a child, its output into buf; returns its length.
static long echo_output(char *const argv[], char *buf, size_t max) {
    int p[2];
    EXPECT(pipe(p), 0);
    int pid = xfork();
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        long r = exec("/bin/echo", argv);
        fail_at(__LINE__, "exec /bin/echo = %ld", r);
    }
    close(p[1]);
    long n = read_all(p[0], buf, max);
    close(p[0]);
    wait_exit0(pid);
    return n;
}

static void t_exec_argv(void) {
    static char *argv[MAXARG + 2];
    static char out[MAXARGBYTES + 16], big[MAXARGBYTES + 8];
    argv[0] = "echo";
    for (int i = 1; i < MAXARG; i++) argv[i] = "a";
    argv[MAXARG] = NULL;                     // exactly MAXARG: fine
    long n = echo_output(argv, out, sizeof out);
    CHECK(n == 2 * (MAXARG - 1), "echo of %d words printed %ld bytes", MAXARG - 1, n);
    argv[MAXARG] = "a";                      // one more: too many
    argv[MAXARG + 1] = NULL;
    EXPECT(exec("/bin/echo", argv), -E2BIG);
    // Strings of MAXARGBYTES in all, each with its NUL: fine; one byte more: too big.
    memset(big, 'b', sizeof big);
    big[MAXARGBYTES - 5 - 1] = 0;            // "echo\0" + big + NUL = MAXARGBYTES
    char *args[] = { "echo", big, NULL };
    n = echo_output(args, out, sizeof out);
    CHECK(n == MAXARGBYTES - 5, "echo of a %d-byte word printed %ld", MAXARGBYTES - 6, n);
    big[MAXARGBYTES - 5 - 1] = 'b';
    big[MAXARGBYTES - 5] = 0;
    EXPECT(exec("/bin/echo", args), -E2BIG);
    big[MAXARGBYTES + 7] = 0;
    EXPECT(exec("/bin/echo", args), -E2BIG);
}

static void t_exec_ok(void) {
    char out[64];
    char *const argv[] = { "echo", "hello,", "exec", NULL };
    long n = echo_output(argv, out, sizeof out);
    CHECK(n == 12 && memcmp(out, "hello, exec\n", 12) == 0, "echo printed %ld bytes: %.*s",
          n, (int)(n > 0 ? n : 0), out);
    char *const none[] = { "quiet", NULL };  // argv[0] need not be the file's name
    n = echo_output(none, out, sizeof out);
    CHECK(n == 1 && out[0] == '\n', "echo with no words printed %ld bytes", n);
}

// ------------------------------------------------------------------ pipes

// 20 processes in a chain, each adding one to every byte it passes on.
#define STAGES 20
#define CHAIN_BYTES (16 * 1024)

static void chain_stage(int in, int out) {
    static unsigned char buf[1024];
    long n;
    while ((n = read(in, buf, sizeof buf)) > 0) {
        for (long i = 0; i < n; i++) buf[i]++;
        if (write(out, buf, (size_t)n) != n) _exit(2);
    }
    _exit(n == 0 ? 0 : 3);
}

static void chain_source(int out) {
    static unsigned char buf[CHAIN_BYTES];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (unsigned char)(i * 7);
    _exit(write(out, buf, sizeof buf) == (long)sizeof buf ? 0 : 1);
}

static void t_pipe_deep(void) {
    int p[2], pids[STAGES + 1];
    EXPECT(pipe(p), 0);
    if ((pids[0] = xfork()) == 0) {
        close(p[0]);
        chain_source(p[1]);
    }
    close(p[1]);
    int in = p[0];
    for (int s = 1; s <= STAGES; s++) {
        EXPECT(pipe(p), 0);
        if ((pids[s] = xfork()) == 0) {
            close(p[0]);
            chain_stage(in, p[1]);
        }
        CHECK(pids[s] > 0, "fork of stage %d = %d", s, pids[s]);
        close(in);
        close(p[1]);
        in = p[0];
    }
    static unsigned char got[CHAIN_BYTES + 1];
    long n = read_all(in, (char *)got, sizeof got);
    CHECK(n == CHAIN_BYTES, "the chain delivered %ld bytes", n);
    for (size_t i = 0; i < CHAIN_BYTES; i++)
        CHECK(got[i] == (unsigned char)(i * 7 + STAGES), "byte %lu", (unsigned long)i);
    for (int s = 0; s <= STAGES; s++) {
        int st;
        CHECK(wait(&st) > 0 && st == 0, "a stage ended with 0x%x", st);
    }
}

static void t_pipe_eof(void) {
    int p[2];
    char buf[8];
    EXPECT(pipe(p), 0);
    int pid = xfork();
    if (pid == 0) {                          // a reader blocked before the last writer goes
        close(p[1]);
        EXPECT(read(p[0], buf, 5), 5);
        EXPECT(read(p[0], buf, 1), 0);
        EXPECT(read(p[0], buf, 1), 0);
        _exit(0);
    }
    EXPECT(write(p[1], "hello", 5), 5);
    wait_blocked(pid);
    close(p[1]);
    wait_exit0(pid);
    EXPECT(read(p[0], buf, 1), 0);
}

static void t_pipe_epipe(void) {
    int p[2];
    EXPECT(pipe(p), 0);
    close(p[0]);
    EXPECT(write(p[1], "x", 1), -EPIPE);
    EXPECT(write(p[1], "x", 1), -EPIPE);     // and the writer is still alive
    close(p[1]);
    // A writer blocked on a full pipe when the last reader leaves.
    EXPECT(pipe(p), 0);
    int pid = xfork();
    if (pid == 0) {
        static char buf[16 * 1024];
        close(p[0]);
        long r = write(p[1], buf, sizeof buf);
        CHECK(r == -EPIPE || (r > 0 && r < (long)sizeof buf), "write = %ld", r);
        EXPECT(write(p[1], buf, 1), -EPIPE);
        _exit(0);
    }
    wait_blocked(pid);
    close(p[0]);
    wait_exit0(pid);
}

static void t_pipe_big(void) {
    int p[2];
    EXPECT(pipe(p), 0);
    size_t total = 256 * KB;
    int pid = xfork();
    if (pid == 0) {
        static unsigned char buf[3000];
        close(p[0]);
        for (size_t sent = 0; sent < total;) {
            size_t k = total - sent < sizeof buf ? total - sent : sizeof buf;
            for (size_t i = 0; i < k; i++) buf[i] = (unsigned char)((sent + i) % 251);
            EXPECT(write(p[1], buf, k), k);
            sent += k;
        }
        _exit(0);
    }
    close(p[1]);
    static unsigned char buf[5000];
    size_t got = 0;
    long n;
    while ((n = read(p[0], buf, sizeof buf)) > 0) {
        for (long i = 0; i < n; i++)
            CHECK(buf[i] == (unsigned char)((got + (size_t)i) % 251), "byte %lu", (unsigned long)(got + (size_t)i));
        got += (size_t)n;
    }
    CHECK(n == 0 && got == total, "read %ld, got %lu of %lu", n, (unsigned long)got, (unsigned long)total);
    wait_exit0(pid);
}

// ------------------------------------------------------------------ files

static void t_files_many(void) {
    int fds[NOFILE], n = 0, fd;
    while ((fd = open("f", O_CREAT | O_RDWR)) >= 0) {
        CHECK(n < NOFILE, "more than NOFILE descriptors");
        fds[n++] = fd;
    }
    EXPECT(fd, -EMFILE);
    CHECK(n >= NOFILE - 4, "only %d opens", n);
    EXPECT(dup(0), -EMFILE);
    int p[2];
    EXPECT(pipe(p), -EMFILE);
    EXPECT(close(fds[n / 2]), 0);
    EXPECT(open("f", O_RDONLY), fds[n / 2]);
    for (int i = 0; i < n; i++) EXPECT(close(fds[i]), 0);
    for (int i = 0; i < 3 * NOFILE; i++) {   // and again, every slot reused
        fd = open("f", O_RDONLY);
        CHECK(fd >= 0, "open after closing = %d", fd);
        EXPECT(close(fd), 0);
    }
}

static void t_dup(void) {
    int fd = open("f", O_CREAT | O_RDWR);
    CHECK(fd >= 0, "open = %d", fd);
    EXPECT(write(fd, "abc", 3), 3);
    int low = lowest_free_fd();
    int d = dup(fd);
    EXPECT(d, low);                          // the lowest free descriptor
    EXPECT(lseek(d, 0, SEEK_CUR), 3);        // one open file, one offset
    EXPECT(write(d, "def", 3), 3);
    EXPECT(close(fd), 0);
    EXPECT(lseek(d, 0, SEEK_SET), 0);
    char buf[8] = { 0 };
    EXPECT(read(d, buf, 8), 6);
    CHECK(memcmp(buf, "abcdef", 6) == 0, "read %.6s", buf);
    EXPECT(dup(-1), -EBADF);
    EXPECT(dup(NOFILE), -EBADF);
    EXPECT(dup(fd), -EBADF);                 // closed
    EXPECT(close(d), 0);
}

static void t_dup2(void) {
    int a = open("a", O_CREAT | O_RDWR), b = open("b", O_CREAT | O_RDWR);
    CHECK(a >= 0 && b >= 0, "open = %d %d", a, b);
    EXPECT(dup2(a, 20), 20);
    EXPECT(dup2(a, a), a);
    EXPECT(dup2(b, 20), 20);                 // closes the old 20 (a's second descriptor)
    EXPECT(write(20, "to-b", 4), 4);
    struct stat st;
    EXPECT(fstat(b, &st), 0);
    CHECK(st.size == 4, "b has %lu bytes", (unsigned long)st.size);
    EXPECT(dup2(a, NOFILE), -EBADF);
    EXPECT(dup2(a, -1), -EBADF);
    EXPECT(dup2(25, 5), -EBADF);
    EXPECT(dup2(-3, 5), -EBADF);
    EXPECT(close(20), 0);
    EXPECT(close(20), -EBADF);
}

static void t_lseek(void) {
    int fd = open("f", O_CREAT | O_RDWR), p[2];
    EXPECT(write(fd, "0123456789", 10), 10);
    EXPECT(lseek(fd, 0, SEEK_END), 10);
    EXPECT(lseek(fd, -3, SEEK_CUR), 7);
    char c;
    EXPECT(read(fd, &c, 1), 1);
    CHECK(c == '7', "read %c at 7", c);
    EXPECT(lseek(fd, -1, SEEK_SET), -EINVAL);
    EXPECT(lseek(fd, -11, SEEK_END), -EINVAL);
    EXPECT(lseek(fd, 0, 7), -EINVAL);
    EXPECT(lseek(fd, 0, -1), -EINVAL);
    EXPECT(lseek(fd, 8, SEEK_SET), 8);       // a failed seek left the offset alone
    EXPECT(lseek(fd, 10000, SEEK_SET), 10000);
    EXPECT(read(fd, &c, 1), 0);              // past the end: nothing
    EXPECT(write(fd, "x", 1), 1);            // a hole from 10 to 10000
    struct stat st;
    EXPECT(fstat(fd, &st), 0);
    CHECK(st.size == 10001, "size %lu", (unsigned long)st.size);
    static char buf[10000];
    EXPECT(lseek(fd, 10, SEEK_SET), 10);
    EXPECT(read(fd, buf, 9990), 9990);
    for (int i = 0; i < 9990; i++) CHECK(buf[i] == 0, "hole byte %d = 0x%x", i + 10, buf[i]);
    EXPECT(pipe(p), 0);
    EXPECT(lseek(p[0], 0, SEEK_SET), -ESPIPE);
    EXPECT(lseek(p[1], 0, SEEK_CUR), -ESPIPE);
    int con = open("/dev/console", O_RDONLY);
    CHECK(con >= 0, "open /dev/console = %d", con);
    EXPECT(lseek(con, 0, SEEK_SET), -ESPIPE);
    EXPECT(lseek(-1, 0, SEEK_SET), -EBADF);
}

static void t_append(void) {
    write_file("f", "abc", 3);
    int a = open("f", O_WRONLY | O_APPEND), b = open("f", O_WRONLY | O_APPEND);
    CHECK(a >= 0 && b >= 0, "open = %d %d", a, b);
    EXPECT(lseek(a, 0, SEEK_SET), 0);
    EXPECT(write(a, "de", 2), 2);
    EXPECT(write(b, "fg", 2), 2);
    EXPECT(write(a, "h", 1), 1);
    char buf[16] = { 0 };
    EXPECT(read_file("f", buf, sizeof buf), 8);
    CHECK(strcmp(buf, "abcdefgh") == 0, "file holds %s", buf);
}

static void t_creat_trunc(void) {
    EXPECT(open("new", O_RDONLY), -ENOENT);
    EXPECT(open("new", O_WRONLY), -ENOENT);
    int fd = open("new", O_CREAT | O_RDWR);
    CHECK(fd >= 0, "create = %d", fd);
    EXPECT(write(fd, "0123456789", 10), 10);
    EXPECT(close(fd), 0);
    fd = open("new", O_CREAT | O_RDONLY);    // exists: kept as it is
    struct stat st;
    EXPECT(fstat(fd, &st), 0);
    CHECK(st.size == 10 && st.type == T_FILE, "size %lu type %d", (unsigned long)st.size, st.type);
    EXPECT(close(fd), 0);
    fd = open("new", O_RDWR | O_TRUNC);
    EXPECT(fstat(fd, &st), 0);
    CHECK(st.size == 0, "O_TRUNC left %lu bytes", (unsigned long)st.size);
    EXPECT(open("new", 0x12340000), -EINVAL);
    EXPECT(open("new", O_WRONLY | O_RDWR), -EINVAL);
}

static void t_badfd(void) {
    char c = 0;
    struct stat st;
    struct dirent d;
    static const int fds[] = { -1, NOFILE, NOFILE + 1, 1000, INT_MAX, INT_MIN, 29 };
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) {
        EXPECT(read(fds[i], &c, 1), -EBADF);
        EXPECT(write(fds[i], &c, 1), -EBADF);
        EXPECT(close(fds[i]), -EBADF);
        EXPECT(fstat(fds[i], &st), -EBADF);
        EXPECT(readdir(fds[i], &d), -EBADF);
        EXPECT(lseek(fds[i], 0, SEEK_SET), -EBADF);
    }
    write_file("f", "x", 1);
    int r = open("f", O_RDONLY), w = open("f", O_WRONLY);
    EXPECT(write(r, "y", 1), -EBADF);
    EXPECT(read(w, &c, 1), -EBADF);
    EXPECT(close(r), 0);
    EXPECT(close(r), -EBADF);
    EXPECT(read(r, &c, 1), -EBADF);
}

static void t_fstat(void) {
    struct stat st;
    int fd = open("f", O_CREAT | O_RDWR), p[2];
    EXPECT(write(fd, "12345", 5), 5);
    EXPECT(fstat(fd, &st), 0);
    CHECK(st.type == T_FILE && st.size == 5 && st.nlink == 1 && st.ino > 0, "file: type %d size %lu nlink %d",
          st.type, (unsigned long)st.size, st.nlink);
    int dir = open(".", O_RDONLY);
    EXPECT(fstat(dir, &st), 0);
    CHECK(st.type == T_DIR && st.size == 1, "dir: type %d size %lu", st.type, (unsigned long)st.size);
    EXPECT(pipe(p), 0);
    EXPECT(fstat(p[0], &st), 0);
    CHECK(st.type == T_PIPE, "pipe: type %d", st.type);
    int con = open("/dev/console", O_RDONLY);
    EXPECT(fstat(con, &st), 0);
    CHECK(st.type == T_DEV, "console: type %d", st.type);
}

static void t_unlink_open(void) {
    static char data[5000];
    memset(data, 'u', sizeof data);
    write_file("f", data, sizeof data);
    int fd = open("f", O_RDWR);
    EXPECT(unlink("f"), 0);
    EXPECT(open("f", O_RDONLY), -ENOENT);
    EXPECT(unlink("f"), -ENOENT);
    static char buf[6000];
    EXPECT(read(fd, buf, sizeof buf), 5000);
    CHECK(buf[4999] == 'u', "data of the unlinked file");
    EXPECT(write(fd, "more", 4), 4);
    struct stat st;
    EXPECT(fstat(fd, &st), 0);
    CHECK(st.nlink == 0 && st.size == 5004, "nlink %d size %lu", st.nlink, (unsigned long)st.size);
    write_file("f", "new", 3);               // the name is free for a new file
    EXPECT(read_file("f", buf, sizeof buf), 3);
    EXPECT(close(fd), 0);
}

static void t_dirs(void) {
    char cwd[MAXPATH];
    EXPECT(mkdir("d"), 0);
    EXPECT(mkdir("d"), -EEXIST);
    EXPECT(mkdir("nosuch/sub"), -ENOENT);
    write_file("d/b", "b", 1);
    write_file("d/a", "a", 1);
    EXPECT(mkdir("d/c"), 0);
    EXPECT(chdir("d"), 0);
    EXPECT(getcwd(cwd, sizeof cwd), strlen(TESTDIR "/d"));
    CHECK(strcmp(cwd, TESTDIR "/d") == 0, "getcwd = %s", cwd);
    EXPECT(getcwd(cwd, 3), -ERANGE);
    EXPECT(read_file("a", cwd, sizeof cwd), 1);
    EXPECT(chdir(".."), 0);
    int fd = open("d", O_RDONLY);
    struct dirent de;
    static const char *want[] = { "a", "b", "c" };
    for (int i = 0; i < 3; i++) {
        EXPECT(readdir(fd, &de), 1);
        CHECK(strcmp(de.name, want[i]) == 0 && de.type == (i == 2 ? T_DIR : T_FILE),
              "entry %d: %s type %d", i, de.name, de.type);
    }
    EXPECT(readdir(fd, &de), 0);
    EXPECT(close(fd), 0);
    EXPECT(unlink("d"), -ENOTEMPTY);
    EXPECT(chdir("d/a"), -ENOTDIR);
    EXPECT(open("d/a/x", O_CREAT | O_RDWR), -ENOTDIR);
    EXPECT(unlink("d/a"), 0);
    EXPECT(unlink("d/b"), 0);
    EXPECT(unlink("d/c"), 0);
    EXPECT(unlink("d"), 0);
    EXPECT(chdir("d"), -ENOENT);
    EXPECT(unlink("."), -EINVAL);
    EXPECT(chdir("/"), 0);
    EXPECT(getcwd(cwd, sizeof cwd), 1);
    EXPECT(chdir(TESTDIR), 0);
}

static void t_names(void) {
    static char name[NAME_MAX + 2], path[MAXPATH + 8];
    memset(name, 'n', NAME_MAX);
    name[NAME_MAX] = 0;
    write_file(name, "x", 1);                // NAME_MAX is allowed
    EXPECT(unlink(name), 0);
    name[NAME_MAX] = 'n';
    EXPECT(open(name, O_CREAT | O_RDWR), -ENAMETOOLONG);
    EXPECT(mkdir(name), -ENAMETOOLONG);
    for (size_t i = 0; i + 2 < sizeof path; i += 2) path[i] = 'p', path[i + 1] = '/';
    path[sizeof path - 1] = 0;
    EXPECT(open(path, O_RDONLY), -ENAMETOOLONG);
    EXPECT(chdir(path), -ENAMETOOLONG);
    EXPECT(open("a//b/../", O_RDONLY) < 0, 1);
}

static void t_read_dir(void) {
    int fd = open(".", O_RDONLY);
    char buf[16];
    CHECK(fd >= 0, "open . = %d", fd);
    EXPECT(read(fd, buf, sizeof buf), -EISDIR);
    EXPECT(open(".", O_WRONLY), -EISDIR);
    EXPECT(open(".", O_RDWR), -EISDIR);
    EXPECT(open("/", O_CREAT | O_WRONLY), -EISDIR);
    write_file("f", "x", 1);
    int f = open("f", O_RDONLY);
    struct dirent d;
    EXPECT(readdir(f, &d), -ENOTDIR);
}

// The current directory is removed under us: nothing can be created in it
// any more, and nothing is leaked when we leave it.
static void t_cwd_removed(void) {
    EXPECT(mkdir("gone"), 0);
    EXPECT(chdir("gone"), 0);
    long r = unlink(TESTDIR "/gone");
    CHECK(r == 0 || r == -EBUSY, "unlink of the cwd = %ld", r);
    int fd = open("x", O_CREAT | O_RDWR);
    if (fd >= 0) close(fd);
    mkdir("sub");
    char cwd[MAXPATH];
    getcwd(cwd, sizeof cwd);
    EXPECT(chdir(TESTDIR), 0);
}

static void t_fd_inherit(void) {
    int fd = open("f", O_CREAT | O_RDWR);
    int pid = xfork();
    if (pid == 0) {
        EXPECT(write(fd, "child,", 6), 6);
        _exit(0);
    }
    wait_exit0(pid);
    EXPECT(write(fd, "parent", 6), 6);       // after the child's bytes: one shared offset
    char buf[16] = { 0 };
    EXPECT(read_file("f", buf, sizeof buf), 12);
    CHECK(strcmp(buf, "child,parent") == 0, "file holds %s", buf);
}

// ------------------------------------------------------------------ threads

#define NTHREADS 4
static char tstacks[NTHREADS][16 * 1024] __attribute__((aligned(16)));
static volatile long tresult[NTHREADS];

static void *stack_top(int i) {
    return tstacks[i] + sizeof tstacks[i];
}

static void sum_thread(void *arg) {
    int i = (int)(intptr_t)arg;
    long s = 0;
    for (int k = 0; k <= 1000 * (i + 1); k++) s += k;
    tresult[i] = s + (long)gettid() * 0;
    thread_exit(100 + i);
}

static void t_threads(void) {
    int tids[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        tids[i] = thread_create(sum_thread, (void *)(intptr_t)i, stack_top(i));
        CHECK(tids[i] > 0 && tids[i] != gettid(), "thread_create = %d", tids[i]);
    }
    for (int i = 0; i < NTHREADS; i++) {
        int st = -1;
        EXPECT(thread_join(tids[i], &st), 0);
        long n = 1000l * (i + 1);
        CHECK(st == 100 + i && tresult[i] == n * (n + 1) / 2, "thread %d: status %d result %ld",
              i, st, tresult[i]);
    }
    EXPECT(thread_join(tids[0], NULL), -ESRCH);
    EXPECT(thread_join(gettid(), NULL), -EINVAL);
    EXPECT(thread_join(-5, NULL), -ESRCH);
    EXPECT(thread_create(sum_thread, 0, (void *)8), -EINVAL);
    EXPECT(thread_create((void (*)(void *))0xffffffff80100000ul, 0, stack_top(0)), -EINVAL);
}

// A futex mutex (Drepper, "Futexes are tricky"): 0 free, 1 held, 2 held with waiters.
static void mutex_lock(int *m) {
    int c = 0;
    if (__atomic_compare_exchange_n(m, &c, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) return;
    if (c != 2) c = __atomic_exchange_n(m, 2, __ATOMIC_ACQUIRE);
    while (c != 0) {
        futex_wait(m, 2, 0);
        c = __atomic_exchange_n(m, 2, __ATOMIC_ACQUIRE);
    }
}

static void mutex_unlock(int *m) {
    if (__atomic_fetch_sub(m, 1, __ATOMIC_RELEASE) != 1) {
        __atomic_store_n(m, 0, __ATOMIC_RELEASE);
        futex_wake(m, 1);
    }
}

#define COUNT_TO 2000
static int counter_lock;
static volatile long counter;

static void count_thread(void *arg) {
    (void)arg;
    for (int i = 0; i < COUNT_TO; i++) {
        mutex_lock(&counter_lock);
        long c = counter;
        if (i % 64 == 0) yield();            // others now find the lock taken and sleep on it
        counter = c + 1;
        mutex_unlock(&counter_lock);
    }
    thread_exit(0);
}

static void t_thread_mutex(void) {
    int tids[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        tids[i] = thread_create(count_thread, 0, stack_top(i));
        CHECK(tids[i] > 0, "thread_create = %d", tids[i]);
    }
    for (int i = 0; i < NTHREADS; i++) EXPECT(thread_join(tids[i], NULL), 0);
    CHECK(counter == NTHREADS * COUNT_TO, "counter %ld, want %d", counter, NTHREADS * COUNT_TO);
}

static int futex_word = 5;
static volatile int futex_woke;

static void futex_waiter(void *arg) {
    (void)arg;
    while (__atomic_load_n(&futex_word, __ATOMIC_ACQUIRE) == 5) futex_wait(&futex_word, 5, 0);
    futex_woke = 1;
    thread_exit(0);
}

static void t_futex(void) {
    EXPECT(futex_wait(&futex_word, 4, 0), -EAGAIN);
    long t0 = uptime();
    EXPECT(futex_wait(&futex_word, 5, 30), -ETIMEDOUT);
    CHECK(uptime() - t0 >= 20, "a 30 ms futex timeout took %ld ms", uptime() - t0);
    EXPECT(futex_wait((char *)&futex_word + 1, 5, 0), -EINVAL);
    EXPECT(futex_wait(&futex_word, 5, -1), -EINVAL);
    EXPECT(futex_wake(&futex_word, 1), 0);
    EXPECT(futex_wake(&futex_word, -1), -EINVAL);
    int tid = thread_create(futex_waiter, 0, stack_top(0));
    CHECK(tid > 0, "thread_create = %d", tid);
    sleep_ms(30);
    __atomic_store_n(&futex_word, 6, __ATOMIC_RELEASE);
    futex_wake(&futex_word, 1);
    EXPECT(thread_join(tid, NULL), 0);
    CHECK(futex_woke, "waiter not woken");
}

static void block_futex(void *arg) {
    static int never;
    (void)arg;
    for (;;) futex_wait(&never, 0, 0);
}

static void spin_thread(void *arg) {
    (void)arg;
    for (;;) {}
}

static void threads_then_block(int fd) {
    thread_create(block_futex, 0, stack_top(0));
    thread_create(block_futex, 0, stack_top(1));
    thread_create(spin_thread, 0, stack_top(2));
    block_read(fd);
}

// kill ends every thread of a process: blocked in the kernel or spinning.
static void t_thread_kill(void) {
    int p[2];
    EXPECT(pipe(p), 0);
    int pid = xfork();
    if (pid == 0) {
        threads_then_block(p[0]);
        _exit(1);
    }
    sleep_ms(100);
    EXPECT(kill(pid), 0);
    int st;
    EXPECT(wait(&st), pid);
    CHECK(WIFKILLED(st) && (st & 0xff) == V_KILL, "status 0x%x", st);
}

static void fault_thread(void *arg) {
    (void)arg;
    sleep_ms(20);
    deref_null();
}

static void thread_faults(void) {
    static int never;
    thread_create(fault_thread, 0, stack_top(0));
    for (;;) futex_wait(&never, 0, 0);
}

// A fault in one thread ends the whole process.
static void t_thread_fault(void) {
    EXPECT_KILLED(thread_faults, V_PF);
}

static void exit_later(void *arg) {
    sleep_ms(30);
    thread_exit((int)(intptr_t)arg);
}

static void main_thread_leaves(void) {
    thread_create(exit_later, (void *)3, stack_top(0));
    thread_exit(7);
}

// The last thread to leave ends the process (status 0), whichever it is;
// _exit from any thread ends them all.
static void t_thread_exit(void) {
    int st = status_of(main_thread_leaves);
    CHECK(!WIFKILLED(st), "status 0x%x", st);
    int pid = xfork();
    if (pid == 0) {
        thread_create(block_futex, 0, stack_top(0));
        thread_create(spin_thread, 0, stack_top(1));
        sleep_ms(20);
        _exit(9);
    }
    EXPECT(wait(&st), pid);
    CHECK(st == 9, "status 0x%x, want 9", st);
    static char *const argv[] = { "echo", NULL };
    int tid = thread_create(block_futex, 0, stack_top(0));
    CHECK(tid > 0, "thread_create = %d", tid);
    EXPECT(exec("/bin/echo", argv), -EBUSY);  // exec with other threads: refused
}

// ------------------------------------------------------------------ slow tier

static void t_fork_mem(void) {
    int p[2], r[2], n = 0, pid;
    EXPECT(pipe(p), 0);
    EXPECT(pipe(r), 0);
    for (;;) {                               // each child holds 16 MiB until told to go
        pid = xfork();
        if (pid == 0) {
            char c = sbrk((long)(16 * MB)) < 0 ? 'n' : 'y';
            write(r[1], &c, 1);
            close(p[1]);
            read(p[0], &c, 1);
            _exit(0);
        }
        if (pid < 0) break;
        n++;
        char c;
        EXPECT(read(r[0], &c, 1), 1);
        if (c == 'n') break;
        CHECK(n < NPROC, "64 children with 16 MiB each: memory never ran out");
    }
    CHECK(pid > 0 || pid == -ENOMEM || pid == -EAGAIN, "fork = %d", pid);
    close(p[1]);
    for (int i = 0; i < n; i++) CHECK(wait(NULL) > 0, "wait");
    char *m = (char *)sbrk((long)(16 * MB));   // memory is back
    CHECK((long)m > 0, "sbrk(16 MiB) after recovery = %ld", (long)m);
    m[16 * MB - 1] = 1;
}

static void t_sbrk_oom(void) {
    long base = sbrk(0), got = 0, r;
    while ((r = sbrk((long)(8 * MB))) > 0) got += 8 * MB;
    CHECK(r == -ENOMEM, "sbrk = %ld after %ld MiB", r, got / (long)MB);
    CHECK(got >= (long)(32 * MB), "only %ld MiB", got / (long)MB);
    ((char *)base)[got - 1] = 1;             // what we got is usable
    int pid = xfork();                       // fork with memory full: fails or works, no crash
    if (pid == 0) _exit(0);
    if (pid > 0) wait_exit0(pid);
    EXPECT(sbrk(-got), base + got);
    int fd = open("f", O_CREAT | O_RDWR);    // and the kernel still works
    CHECK(fd >= 0, "open after OOM = %d", fd);
}

static void t_fork_many(void) {
    for (int i = 0; i < 300; i++) {
        int pid = xfork();
        if (pid == 0) _exit(i & 0x7f);
        int st;
        CHECK(pid > 0, "fork %d = %d", i, pid);
        EXPECT(wait(&st), pid);
        CHECK(st == (i & 0x7f), "status 0x%x", st);
    }
}

static void t_exec_many(void) {
    char out[32];
    char *const argv[] = { "echo", "x", NULL };
    for (int i = 0; i < 60; i++)
        CHECK(echo_output(argv, out, sizeof out) == 2, "run %d", i);
}

static void t_pipe_huge(void) {
    int p[2];
    EXPECT(pipe(p), 0);
    size_t total = 8 * MB;
    int pid = xfork();
    if (pid == 0) {
        static char buf[32 * KB];
        close(p[0]);
        for (size_t sent = 0; sent < total; sent += sizeof buf) {
            memset(buf, (int)(sent / sizeof buf), sizeof buf);
            EXPECT(write(p[1], buf, sizeof buf), sizeof buf);
        }
        _exit(0);
    }
    close(p[1]);
    static char buf[32 * KB];
    size_t got = 0;
    long n;
    while ((n = read(p[0], buf, sizeof buf)) > 0) {
        CHECK(buf[0] == (char)(got / sizeof buf), "data at %lu", (unsigned long)got);
        got += (size_t)n;
    }
    CHECK(got == total, "got %lu", (unsigned long)got);
    wait_exit0(pid);
}

static void t_file_big(void) {
    static char buf[64 * KB];
    size_t max = 16 * MB;                    // FS_FILE_MAX (kern/fs.h)
    int fd = open("big", O_CREAT | O_RDWR);
    for (size_t off = 0; off < max; off += sizeof buf) {
        memset(buf, (int)(off >> 16), sizeof buf);
        EXPECT(write(fd, buf, sizeof buf), sizeof buf);
    }
    EXPECT(write(fd, buf, 1), -EFBIG);
    EXPECT(lseek(fd, (long)(max / 2), SEEK_SET), (long)(max / 2));
    EXPECT(read(fd, buf, 1), 1);
    CHECK(buf[0] == (char)((max / 2) >> 16), "byte at 8 MiB");
    EXPECT(close(fd), 0);
    EXPECT(unlink("big"), 0);
}

static void t_fs_full(void) {
    static char buf[64 * KB];
    char name[16];
    int files = 0;
    long r = 0;
    memset(buf, 'F', sizeof buf);
    for (; files < 1000 && r >= 0; files++) {
        snprintf(name, sizeof name, "f%d", files);
        int fd = open(name, O_CREAT | O_WRONLY);
        CHECK(fd >= 0, "open %s = %d", name, fd);
        for (int k = 0; k < 16 && (r = write(fd, buf, sizeof buf)) == (long)sizeof buf; k++) {}
        close(fd);
    }
    CHECK(r == -ENOSPC || (r >= 0 && r < (long)sizeof buf), "write = %ld", r);
    CHECK(files > 8, "only %d MiB", files);
    int pid = xfork();                       // programs still run with the file system full
    if (pid == 0) _exit(0);
    CHECK(pid > 0, "fork with a full file system = %d", pid);
    wait_exit0(pid);
    for (int i = 0; i < files; i++) {
        snprintf(name, sizeof name, "f%d", i);
        EXPECT(unlink(name), 0);
    }
    write_file("after", buf, sizeof buf);
}

static void t_sbrk_many(void) {
    for (int i = 0; i < 1000; i++) {
        long b = sbrk((long)(64 * KB + (size_t)i));
        CHECK(b > 0, "sbrk = %ld", b);
        ((char *)b)[64 * KB + (size_t)i - 1] = 1;
        EXPECT(sbrk(-(long)(64 * KB + (size_t)i)), b + (long)(64 * KB) + i);
    }
}

static void t_threads_many(void) {
    for (int i = 0; i < 300; i++) {
        int tid = thread_create(thread_exit_at_once, (void *)(intptr_t)i, stack_top(i % NTHREADS));
        CHECK(tid > 0, "thread_create %d = %d", i, tid);
        int st;
        EXPECT(thread_join(tid, &st), 0);
        CHECK(st == i, "status %d", st);
    }
    int tids[PROC_MAX_THREADS];
    int n = 0;
    for (; n < PROC_MAX_THREADS; n++) {  // fill the thread table
        tids[n] = thread_create(block_futex, 0, stack_top(n % NTHREADS));
        if (tids[n] < 0) break;
    }
    CHECK(n < PROC_MAX_THREADS && tids[n] == -EAGAIN, "thread %d = %d", n, tids[n]);
}

static void t_open_many(void) {
    write_file("f", "x", 1);
    for (int i = 0; i < 3000; i++) {
        int fd = open("f", O_RDONLY);
        CHECK(fd >= 0, "open %d = %d", i, fd);
        EXPECT(close(fd), 0);
    }
}

static void t_kill_many(void) {
    int p[2], pids[40];
    EXPECT(pipe(p), 0);
    for (int i = 0; i < 40; i++) {
        pids[i] = xfork();
        if (pids[i] == 0) {
            if (i % 3 == 0) spin(0);
            if (i % 3 == 1) block_read(p[0]);
            threads_then_block(p[0]);
            _exit(1);
        }
        CHECK(pids[i] > 0, "fork = %d", pids[i]);
    }
    sleep_ms(100);
    for (int i = 0; i < 40; i++) EXPECT(kill(pids[i]), 0);
    for (int i = 0; i < 40; i++) {
        int st;
        CHECK(wait(&st) > 0 && WIFKILLED(st), "status 0x%x", st);
    }
}

// ------------------------------------------------------------------ the table

struct test {
    const char *name;
    void (*fn)(void);
    bool slow;
};

#define QUICK(name) { #name, t_##name, false }
#define SLOW(name) { #name, t_##name, true }

static const struct test tests[] = {
    QUICK(badptr_open), QUICK(badptr_read), QUICK(badptr_write), QUICK(badptr_fstat),
    QUICK(badptr_paths), QUICK(badptr_readdir), QUICK(badptr_getcwd), QUICK(badptr_pipe),
    QUICK(badptr_wait), QUICK(badptr_exec), QUICK(badptr_sysinfo), QUICK(badptr_futex),
    QUICK(badptr_thread),
    QUICK(exitstatus), QUICK(getpid), QUICK(wait_nochild), QUICK(fork_full), QUICK(reparent),
    QUICK(kill_errors), QUICK(kill_self), QUICK(kill_read), QUICK(kill_write), QUICK(kill_sleep),
    QUICK(kill_wait), QUICK(kill_spin), QUICK(sleep_uptime), QUICK(sysinfo), QUICK(procs),
    QUICK(nosys),
    QUICK(stack_guard), QUICK(text_write), QUICK(kernel_read), QUICK(null_deref), QUICK(port_io),
    QUICK(priv_insn), QUICK(divzero), QUICK(nx), QUICK(fault_cleanup),
    QUICK(sbrk_grow), QUICK(sbrk_shrink), QUICK(sbrk_limits), QUICK(cow), QUICK(cow_big),
    QUICK(cow_copyout),
    QUICK(exec_missing), QUICK(exec_notelf), QUICK(exec_truncated), QUICK(exec_argv), QUICK(exec_ok),
    QUICK(pipe_deep), QUICK(pipe_eof), QUICK(pipe_epipe), QUICK(pipe_big),
    QUICK(files_many), QUICK(dup), QUICK(dup2), QUICK(lseek), QUICK(append), QUICK(creat_trunc),
    QUICK(badfd), QUICK(fstat), QUICK(unlink_open), QUICK(dirs), QUICK(names), QUICK(read_dir),
    QUICK(cwd_removed), QUICK(fd_inherit),
    QUICK(threads), QUICK(thread_mutex), QUICK(futex), QUICK(thread_kill), QUICK(thread_fault),
    QUICK(thread_exit),
    SLOW(fork_mem), SLOW(sbrk_oom), SLOW(fork_many), SLOW(exec_many), SLOW(pipe_huge),
    SLOW(file_big), SLOW(fs_full), SLOW(sbrk_many), SLOW(threads_many), SLOW(open_many),
    SLOW(kill_many),
};
#define NTESTS (sizeof tests / sizeof tests[0])

// ------------------------------------------------------------------ the runner

#define QUICK_LIMIT_MS 60000    // a test still running after this is killed and failed
#define SLOW_LIMIT_MS 300000

// Removes path and everything under it (this runner's own clean-up: a
// failed test may leave anything behind in its directory).
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
        snprintf(sub, sizeof sub, "%s/%s", path, d.name);
        rmtree(sub);
        if (stat(sub, &st) == 0) break;      // could not remove it: give up, no endless loop
        st.type = T_DIR;
    }
    unlink(path);
}

// A child that kills pid after ms unless it is killed first.
static int start_watchdog(int pid, long ms) {
    int wd = xfork();
    if (wd == 0) {
        sleep_ms(ms);
        kill(pid);
        _exit(1);
    }
    return wd;
}

static const char *vector_name(int v) {
    switch (v) {
    case V_DE: return "divide error";
    case V_UD: return "invalid opcode";
    case V_KILL: return "kill";
    case V_GP: return "general protection fault";
    case V_PF: return "page fault";
    default: return "trap";
    }
}

// Why a test's child ended as it did (st: its wait status).
static void describe_end(int st, bool timed_out, long limit, int rfd, char *why, size_t n) {
    if (timed_out) {
        snprintf(why, n, "timed out after %ld s", limit / 1000);
    } else if (WIFKILLED(st)) {
        snprintf(why, n, "killed by %s (vector %d)", vector_name(st & 0xff), st & 0xff);
    } else if (WEXITSTATUS(st) == FAILED_ST) {
        long r = read(rfd, why, n - 1);      // written before the exit: no waiting
        why[r > 0 ? r : 0] = 0;
        for (char *c = why; *c; c++)
            if (*c == '\n') *c = c[1] ? ';' : 0;
        if (r <= 0) snprintf(why, n, "failed with no reason given");
    } else {
        snprintf(why, n, "exited with status %d%s", WEXITSTATUS(st),
                 st == 0 ? " (not the test's own exit: did an exec that must fail succeed?)" : "");
    }
}

// Reaps the test child and the watchdog; the test's wait status, and
// whether the watchdog had to kill it.
static int reap_test(int pid, int wd, bool *timed_out) {
    int st = -1, wst = 0, left = 2;
    while (left > 0) {
        int s, r = wait(&s);
        if (r < 0) break;
        if (r == pid) {
            st = s;
            kill(wd);
        }
        if (r == wd) wst = s;
        if (r == pid || r == wd) left--;
    }
    *timed_out = !WIFKILLED(wst) && WEXITSTATUS(wst) == 1;
    return st;
}

// Runs one test in a child; true if it passed, else why says why.
static bool run_one(const struct test *t, char *why, size_t n) {
    int p[2];
    rmtree(TESTDIR);
    if (mkdir(TESTDIR) < 0 || pipe(p) < 0) {
        snprintf(why, n, "cannot set up %s or the reason pipe", TESTDIR);
        return false;
    }
    int pid = xfork();
    if (pid == 0) {
        close(p[0]);
        reason_fd = p[1];
        if (chdir(TESTDIR) < 0) fail_at(__LINE__, "chdir %s", TESTDIR);
        t->fn();
        fflush(NULL);
        _exit(PASSED_ST);
    }
    close(p[1]);
    if (pid < 0) {
        close(p[0]);
        snprintf(why, n, "fork = %d", pid);
        return false;
    }
    long limit = t->slow ? SLOW_LIMIT_MS : QUICK_LIMIT_MS;
    int wd = start_watchdog(pid, limit);
    bool timed_out;
    int st = reap_test(pid, wd, &timed_out);
    describe_end(st, timed_out, limit, p[0], why, n);
    close(p[0]);
    rmtree(TESTDIR);
    return st == PASSED_ST && !timed_out;
}

// The free-frame count once init has reaped what it is going to reap: a
// count that differs from want is asked again for up to a second.
static long settled_frames(long want) {
    long f = free_frames();
    for (int i = 0; i < 100 && f != want; i++) {
        sleep_ms(10);
        f = free_frames();
    }
    return f;
}

struct run {
    int ran, failed;
    char failures[1024];
};

static void record(struct run *r, const char *name, bool ok, const char *why) {
    r->ran++;
    if (ok) {
        printf("test %s: OK\n", name);
    } else {
        printf("test %s: FAILED (%s)\n", name, why);
        size_t len = strlen(r->failures);
        snprintf(r->failures + len, sizeof r->failures - len, "%s%s", r->failed ? ", " : "", name);
        r->failed++;
    }
    fflush(stdout);
}

static void run_test(struct run *r, const struct test *t, bool leak_each) {
    char why[REASON_MAX + 40];
    long before = free_frames();
    bool ok = run_one(t, why, sizeof why);
    if (ok && leak_each) {
        long after = settled_frames(before);
        if (after != before) {
            snprintf(why, sizeof why, "frames leaked: %ld", before - after);
            ok = false;
        }
    }
    record(r, t->name, ok, why);
}

static const struct test *find_test(const char *name) {
    for (size_t i = 0; i < NTESTS; i++)
        if (strcmp(tests[i].name, name) == 0) return &tests[i];
    return NULL;
}

static void usage(void) {
    fprintf(stderr, "usage: usertests [-s | all | -l | -crash | NAME...]\n"
                    "  (no argument) the quick tier; -s or all: both tiers; -l: list the tests;\n"
                    "  -crash: dereference NULL right here (a program that faults, for the shell's tests)\n");
    exit(2);
}

static void list_tests(void) {
    for (size_t i = 0; i < NTESTS; i++)
        printf("%-16s %s\n", tests[i].name, tests[i].slow ? "slow" : "quick");
}

int main(int argc, char **argv) {
    bool all = false;
    const struct test *chosen[NTESTS];
    size_t nchosen = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-l") == 0) {
            list_tests();
            return 0;
        } else if (strcmp(argv[i], "-crash") == 0) {
            fflush(NULL);
            deref_null();                    // the kernel ends us: "pid N (usertests): page fault at 0x0 ..."
            return 1;
        } else if (strcmp(argv[i], "-s") == 0 || strcmp(argv[i], "all") == 0) {
            all = true;
        } else if (argv[i][0] == '-') {
            usage();
        } else {
            const struct test *t = find_test(argv[i]);
            if (!t) {
                fprintf(stderr, "usertests: no test named %s (usertests -l lists them)\n", argv[i]);
                return 2;
            }
            if (nchosen < NTESTS) chosen[nchosen++] = t;
        }
    }
    if (nchosen == 0)
        for (size_t i = 0; i < NTESTS; i++)
            if (all || !tests[i].slow) chosen[nchosen++] = &tests[i];
    printf("usertests: %lu tests%s\n", (unsigned long)nchosen, all ? " (quick and slow tiers)" : "");
    static struct run r;
    rmtree(TESTDIR);
    long before = free_frames();
    for (size_t i = 0; i < nchosen; i++) run_test(&r, chosen[i], all);
    long after = settled_frames(before);
    printf("usertests: free frames %ld before, %ld after\n", before, after);
    if (after != before) {
        printf("usertests: frames leaked: %ld\n", before - after);
        record(&r, "leaks", false, "free-frame count changed over the run");
    }
    if (r.failed) {
        printf("usertests: %d of %d failed: %s\n", r.failed, r.ran, r.failures);
        return 1;
    }
    printf("ALL TESTS PASSED\n");
    return 0;
}
