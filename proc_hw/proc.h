// proc_hw/proc.h: the hw kernel's processes: what a process is, and the
// interfaces between the parts of proc_hw/ (process table, user address
// spaces, exec, files). Only hw code includes this.
#pragma once
#include "kern/kern.h"
#include "mm/mm.h"
#define TWOFOLD_KERNEL 1
#include "syscall/hw_abi.h"

typedef uint64_t uaddr_t;       // a user virtual address: never dereference, copy

// ---- User address-space layout (lower half) ----
#define USER_TEXT_BASE   0x400000ull          // ELF programs are linked here
#define USER_STACK_TOP   0x7FFFFFFF0000ull    // first thread's stack grows down from here
#define USER_STACK_PAGES 16                   // 64 KiB, then an unmapped guard page
#define USER_TOP         0x800000000000ull    // first non-canonical address
#define USER_HEAP_MAX    (256ull << 20)       // sbrk limit: 256 MiB per process

// ---- A process ----
#define NPROC 64
#define PROC_MAX_THREADS 16     // threads per process, the first one included
enum proc_state { P_FREE, P_ALIVE, P_ZOMBIE };

// One thread of a process. Its struct thread stays here, a zombie, after it
// exits, until thread_join or the parent's wait() reclaims it.
struct uthread_slot {
    bool used;                  // taken (t may still be NULL while uthread_spawn fills it)
    struct thread *t;
    bool exited;                // has left for good (its status is t->exit_code)
    bool joining;               // a thread_join is waiting for it: nobody else may
};

struct uspace;                  // proc_hw/uvm.c
struct file;                    // proc_hw/file.c
struct inode;                   // kern/fs.h

struct proc {
    struct spinlock lock;       // state, killed, children, threads
    enum proc_state state;
    int pid;
    char name[PROC_NAME_LEN];
    struct proc *parent;
    struct uspace *as;          // user memory
    struct file *files[NOFILE]; // open files; NULL slots are free
    struct inode *cwd;          // current directory
    bool killed;                // kill() or a fault: threads leave at the next kernel exit
    int exit_status;            // for wait (see WSTATUS_* in hw_abi.h)
    int nthreads;               // live threads of this process
    struct thread *main_thread;
    struct waitq child_exited;  // a parent's wait() sleeps here
    // proc_hw/uthread.c, exit.c (under 'lock' unless said otherwise):
    struct uthread_slot threads[PROC_MAX_THREADS];
    struct waitq thread_exited; // thread_join and proc_exit wait here for threads to leave
    bool exiting;               // one thread is running proc_exit: the others only leave
    int kill_status;            // the wait status a kill() gives (WSTATUS_KILLED | 9)
    bool reaping;               // (proc table lock) a wait() is taking this zombie
};

// ---- Process table and life cycle (proc_hw/proc.c, fork.c, exit.c) ----
void proc_init(void);
struct proc *proc_current(void);                 // NULL in a kernel thread
struct proc *proc_alloc(const char *name);       // P_ALIVE, pid assigned; NULL if the table is full
void proc_start_init(void);                      // pid 1 runs /bin/init
_Noreturn void proc_exit(int wstatus);           // whole process: close files, free memory, zombie
void proc_kill_current(const char *why);         // fault in user mode: one line, then exit
bool proc_killed(void);                          // checked at every return to user mode
// Additions (proc_hw/proc.c, fork.c, exit.c, uthread.c, syscall.c):
void proc_free(struct proc *p);                  // back to P_FREE (a failed fork, a reaped zombie)
struct proc *proc_by_pid(int pid);               // caller holds proc_table_lock; NULL if none
struct proc *proc_nth(int i);                    // slot i of the table (0 <= i < NPROC)
long proc_wait_user(uaddr_t ustatus);            // sys_wait: copies the status out before reaping
extern struct spinlock proc_table_lock;          // states, pids, parent links: before any p->lock
int proc_fork(void);                             // child's pid, -EAGAIN (table full), -ENOMEM
int proc_wait(int *wstatus);                     // a child's pid, -ECHILD, -EINTR
int proc_kill(int pid);                          // 0, -ESRCH, -EPERM (init)
// Fault in user mode: "pid 7 (cat): <what>, killed", then the whole process
// exits with wait status WSTATUS_KILLED | reason (the trap vector).
_Noreturn void proc_fault_exit(const char *what, int reason);
_Noreturn void proc_exit_killed(void);           // a thread that saw proc_killed(): leave
int proc_wait_init(void);                        // the boot thread: init's wait status, when it exits
int proc_start_init_status(void);                // proc_start_init, but 0 or -errno (no /bin/init...)
struct proc *proc_init_process(void);            // pid 1 (orphans' new parent); NULL before it exists
int proc_snapshot(struct procinfo *out, int max); // sys_procs: up to max entries; how many
int proc_count(void);                            // processes, zombies included
#define KILL_REASON_KILL 9                       // kill(): as Unix's SIGKILL (vector 9 never occurs)
// The user registers of a thread of a process, saved where every entry from
// ring 3 saves them: the top of its kernel stack. exec and fork use it.
struct trapframe *proc_user_frame(struct thread *t);

// ---- Threads of a process (proc_hw/uthread.c) ----
// A new thread of p whose first run "returns" to user mode with *tf (fork's
// child, thread_create). Made, in p's thread table, not yet ready: the
// caller sched_make_ready()s it. NULL: no memory, or p's table is full.
struct thread *uthread_spawn(struct proc *p, const struct trapframe *tf);
_Noreturn void uthread_exit(int status);         // this thread only; the last one ends the process
_Noreturn void uthread_leave(struct proc *p);    // caller holds p->lock; p is exiting: just go
int uthread_create(uaddr_t fn, uaddr_t arg, uaddr_t stack_top);   // the new thread's tid
int uthread_join(int tid, int *status);          // 0, -ESRCH, -EINVAL, -EINTR
void uthread_reap_all(struct proc *p);           // wait(): reclaim a zombie's threads
void uthread_interrupt_all(struct proc *p, struct thread *except);   // caller holds p->lock
// futex: sleep while *addr == expected (checked so that no wake is lost);
// timeout_ms 0 means no timeout. 0 when woken, -EAGAIN (value differed),
// -ETIMEDOUT, -EINTR, -EFAULT, -EINVAL (addr not 4-aligned, timeout < 0).
int futex_wait(uaddr_t addr, int expected, long timeout_ms);
int futex_wake(uaddr_t addr, int count);         // threads woken, -EINVAL

// ---- User address spaces (proc_hw/uvm.c) ----
struct uspace *uvm_create(void);                         // empty lower half
struct uspace *uvm_fork(struct uspace *parent);          // copy-on-write copy; NULL if out of memory
void uvm_destroy(struct uspace *as);                     // every user frame and table back
void uvm_activate(struct uspace *as);                    // CR3 (with PCID where enabled)
int uvm_map_zero(struct uspace *as, uint64_t va, size_t len, uint64_t prot);   // fresh zeroed pages
int uvm_copy_to(struct uspace *as, uint64_t va, const void *src, size_t len);  // into a space not current
int uvm_page_fault(struct uspace *as, uint64_t addr, uint64_t error);           // 0 handled, <0 kill
long uvm_sbrk(struct uspace *as, long delta);            // old break, or -ENOMEM/-EINVAL
size_t uvm_pages(struct uspace *as);                     // user pages mapped (ps)
// Once, from variant_init, before the first uvm_create: the frame reference
// counts, SMEP/SMAP (CR4), PCID unless the command line says pcid=off; prints
// "hw: smep on, smap on, pcid off (not supported)".
void uvm_init(void);
#define PROT_READ  1
#define PROT_WRITE 2
#define PROT_EXEC  4

// ---- exec (proc_hw/exec.c over proc_hw/elf.c) ----
// Builds a new address space holding the program and its argument stack;
// the caller swaps it in only on success, so a failed exec changes nothing.
struct exec_image { struct uspace *as; uint64_t entry, user_rsp, argc, argv; };
int exec_load(const char *path, char *const kargv[], int argc, struct exec_image *out);

// ---- Copying across the user/kernel boundary (proc_hw/usercopy.c) ----
// Check the range against the current process's lower half, then copy with
// SMAP opened; a fault inside the copy returns -EFAULT instead of panicking.
int copyin(void *dst, uaddr_t src, size_t n);
int copyout(uaddr_t dst, const void *src, size_t n);
long copyinstr(char *dst, uaddr_t src, size_t max);       // length, -EFAULT or -ENAMETOOLONG
// The recovery for a fault inside those copies: trap_kernel_fixup
// (proc_hw/fault.c) calls this first and returns true if it does. A page
// fault in copyout on a copy-on-write page is resolved (uvm_page_fault) and
// the copy retried; any other fault on a user address inside a copy makes the
// copy return -EFAULT. false: not a fault in a user copy (a kernel bug).
bool usercopy_fixup(struct trapframe *tf);

// ---- Files (proc_hw/file.c, proc_hw/sys_file.c, ipc/pipe.c) ----
void files_init_console(struct proc *p);          // fds 0, 1, 2 on the console (init)
void files_fork(struct proc *child, struct proc *parent);
void files_close_all(struct proc *p);

// ---- Entering and leaving user mode (arch/x86_64/syscall_entry.asm, proc_hw/usermode.c) ----
void syscall_init_cpu(void);                      // STAR/LSTAR/SFMASK, EFER.SCE on this CPU
long syscall_dispatch(struct trapframe *tf);      // from the entry stub; generated table
_Noreturn void usermode_enter(uint64_t rip, uint64_t rsp, uint64_t arg0, uint64_t arg1);
