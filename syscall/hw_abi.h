// syscall/hw_abi.h: the hw kernel's system-call ABI, shared by the kernel and
// user programs. The numbers and the user prototypes are generated from
// syscall/hw.tbl into hw_syscalls.h; this file has everything else both
// sides must agree on: error numbers, flags and the structures copied across.
//
// Calling convention (x86_64 `syscall`): rax = number; arguments in rdi, rsi,
// rdx, r10, r8, r9; result in rax: >= 0 on success, -errno on failure.
#pragma once
#include <stdint.h>
#include <stddef.h>

#include "errno_list.h"   // the E* numbers, shared with the sip ABI

#include "file_flags.h"    // O_* and SEEK_*, shared with the sip file service

// ---- Limits ----
#define NOFILE      32       // open files per process
#define MAXARG      32       // exec: argv entries
#define MAXARGBYTES 4096     // exec: bytes of argv strings in all
#define MAXPATH     256      // a path, with its NUL
#define NAME_MAX    59       // one path component

// ---- fstat ----
#define T_FILE 1
#define T_DIR  2
#define T_DEV  3             // the console
#define T_PIPE 4
struct stat {
    int32_t type;            // T_FILE, T_DIR, T_DEV, T_PIPE
    int32_t nlink;
    uint64_t ino;
    uint64_t size;           // bytes (files), entries (directories)
};

// ---- readdir: one entry per call; returns 1, or 0 at the end ----
struct dirent {
    uint64_t ino;
    int32_t type;            // T_FILE or T_DIR
    char name[NAME_MAX + 1];
};

// ---- procs: a snapshot of the process table ----
#define PROC_NAME_LEN 16
struct procinfo {
    int32_t pid, ppid;
    int32_t state;           // PS_RUNNING, PS_SLEEPING, PS_ZOMBIE
    int32_t nthreads;
    uint64_t mem_pages;      // user pages mapped
    char name[PROC_NAME_LEN];
};
#define PS_RUNNING  1        // running or ready
#define PS_SLEEPING 2        // every thread blocked
#define PS_ZOMBIE   3

// ---- sysinfo ----
struct sysinfo {
    uint64_t free_frames, total_frames;
    uint64_t nprocs;
    uint64_t uptime_ms;
    uint64_t tsc_hz;
};

// ---- wait status ----
// exit(n) gives n & 0xff; a process killed by the kernel (fault, kill) gives
// 0x100 | reason, so a parent can tell "exited 1" from "was killed".
#define WSTATUS_KILLED    0x100
#define WIFKILLED(s)      (((s) & WSTATUS_KILLED) != 0)
#define WEXITSTATUS(s)    ((s) & 0xff)

#ifndef TWOFOLD_KERNEL
#include "hw_syscalls.h"     // generated: SYS_* numbers and user prototypes
#endif
