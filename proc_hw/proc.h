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
enum proc_state { P_FREE, P_ALIVE, P_ZOMBIE };

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
};

// ---- Process table and life cycle (proc_hw/proc.c, fork.c, exit.c) ----
void proc_init(void);
struct proc *proc_current(void);                 // NULL in a kernel thread
struct proc *proc_alloc(const char *name);       // P_ALIVE, pid assigned; NULL if the table is full
void proc_start_init(void);                      // pid 1 runs /bin/init
_Noreturn void proc_exit(int wstatus);           // whole process: close files, free memory, zombie
void proc_kill_current(const char *why);         // fault in user mode: one line, then exit
bool proc_killed(void);                          // checked at every return to user mode

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

// ---- Files (proc_hw/file.c, proc_hw/sys_file.c, ipc/pipe.c) ----
void files_init_console(struct proc *p);          // fds 0, 1, 2 on the console (init)
void files_fork(struct proc *child, struct proc *parent);
void files_close_all(struct proc *p);

// ---- Entering and leaving user mode (arch/x86_64/syscall_entry.asm, proc_hw/usermode.c) ----
void syscall_init_cpu(void);                      // STAR/LSTAR/SFMASK, EFER.SCE on this CPU
long syscall_dispatch(struct trapframe *tf);      // from the entry stub; generated table
_Noreturn void usermode_enter(uint64_t rip, uint64_t rsp, uint64_t arg0, uint64_t arg1);
