// proc_hw/sys_proc.c: the system calls about processes, threads, time and
// the system. Each checks its arguments and hands the work to proc.c,
// fork.c, exit.c or uthread.c; a pointer argument is only ever used
// through copyin/copyout. (exec and sbrk: proc_hw/sys_mem.c.)
#include "proc_hw/proc.h"
#include "hw_sysprotos.h"

long sys_fork(void) {
    return proc_fork();
}

long sys_exit(int status) {
    proc_exit(status & 0xff);
}

long sys_wait(uaddr_t status) {
    return proc_wait_user(status);
}

long sys_kill(int pid) {
    return proc_kill(pid);
}

long sys_getpid(void) {
    return proc_current()->pid;
}

// init's parent is nobody: 0.
long sys_getppid(void) {
    spin_lock(&proc_table_lock);
    struct proc *parent = proc_current()->parent;
    int ppid = parent ? parent->pid : 0;
    spin_unlock(&proc_table_lock);
    return ppid;
}

#define SLEEP_MS_MAX (1000L * 1000 * 1000)     // ~11.5 days: ms * 1e6 stays far from overflow

long sys_sleep_ms(long ms) {
    if (ms < 0) return -EINVAL;
    if (time_sleep_ns_killable((uint64_t)MIN(ms, SLEEP_MS_MAX) * 1000000) < 0) return -EINTR;
    return 0;
}

// Milliseconds since boot.
long sys_uptime(void) {
    return (long)(time_ns() / 1000000);
}

long sys_yield(void) {
    thread_yield();
    return 0;
}

// ---- Threads ----

long sys_thread_create(uaddr_t fn, uaddr_t arg, uaddr_t stack_top) {
    return uthread_create(fn, arg, stack_top);
}

// The thread is reclaimed even if status cannot be written (-EFAULT then).
long sys_thread_join(int tid, uaddr_t status) {
    int st;
    int r = uthread_join(tid, &st);
    if (r < 0) return r;
    if (status && copyout(status, &st, sizeof st) < 0) return -EFAULT;
    return 0;
}

long sys_thread_exit(int status) {
    uthread_exit(status);
}

long sys_futex_wait(uaddr_t addr, int expected, long timeout_ms) {
    return futex_wait(addr, expected, timeout_ms);
}

long sys_futex_wake(uaddr_t addr, int count) {
    return futex_wake(addr, count);
}

long sys_gettid(void) {
    return thread_current()->tid;
}

// ---- The system ----

// A snapshot of up to max processes (at most NPROC are ever returned).
long sys_procs(uaddr_t buf, int max) {
    if (max < 0) return -EINVAL;
    int n = MIN(max, NPROC);
    if (n == 0) return 0;
    struct procinfo *snap = kmalloc(sizeof *snap * (size_t)n);
    if (!snap) return -ENOMEM;
    n = proc_snapshot(snap, n);
    int r = copyout(buf, snap, sizeof *snap * (size_t)n);
    kfree(snap);
    return r < 0 ? r : n;
}

// free_frames first gives the kernel heap's cached empty slabs back
// (kheap_trim): they are free memory in all but name, and without this a
// leak check (usertests, sysfuzz) would see the first use of a heap size
// class as a leak of one frame.
long sys_sysinfo(uaddr_t info) {
    kheap_trim();
    struct sysinfo si = {
        .free_frames = frame_free_count(),
        .total_frames = frame_total_count(),
        .nprocs = (uint64_t)proc_count(),
        .uptime_ms = time_ns() / 1000000,
        .tsc_hz = tsc_hz,
    };
    return copyout(info, &si, sizeof si);
}

// Any process may power the machine off: this is a teaching OS with one
// user, and tests and demos end their runs this way.
long sys_poweroff(int status) {
    kernel_poweroff(status & 0xff);
}

// Does nothing, on purpose: the benchmarks time it (the null syscall).
long sys_nullcall(void) {
    return 0;
}
