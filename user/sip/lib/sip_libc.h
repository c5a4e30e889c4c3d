// user/sip/lib/sip_libc.h: what the SIP-specific files of the C library
// (user/sip/lib/) share with each other. Only library sources include this;
// programs use the standard headers (user/sip/include first, then
// user/include: the same API as hw where a SIP can offer it).
#pragma once
#include <stdbool.h>
#include "../../lib/libc.h"

// ---- Locks (lock.c) ----
// wasm2c (wabt 1.0.32) translates no atomic instruction, and a SIP's
// threads are preempted (and may run on several CPUs) between any two of
// its loads and stores: a lock in linear memory alone cannot work. A
// library lock is a Stream channel that holds one token message: taking
// the lock receives the token (blocking while another thread has it),
// giving it back sends it. The kernel's channel queue is the atomic part.
struct sip_lock {
    int w, r;                   // the channel's writer and reader handles; -1: none yet
};
#define SIP_LOCK_INIT { -1, -1 }
// true once the program started a second thread (thread_spawn): until then
// the library's own locks cost nothing.
extern bool __sip_threaded;
void __sip_threads_start(void); // the first thread_spawn, while still single-threaded
int __sip_lock_make(struct sip_lock *l);      // 0 or -errno
void __sip_lock(struct sip_lock *l);           // library locks: no-ops until threaded
void __sip_unlock(struct sip_lock *l);

// ---- Files and streams (fd.c, stream.c, fs.c) ----
// fd 0 reads endpoint 0 (a Stream reader; -1: at its end), fd 1 writes
// endpoint 1 (a Stream writer; -1: the console), fd 2 is the console
// (sip_print); fds 3.. are files of the kernel's file service.
void __stdio_init(void);        // stdio.c: at _start, before main
void __stream_init(void);       // which of endpoints 0 and 1 the SIP has
long __stream_read(void *buf, unsigned long n);
long __stream_write(const void *buf, unsigned long n);
int __stream_close(int fd);
long __console_write(const void *buf, unsigned long n);
bool __stdout_is_console(void);

// The file service (FileService contract, "fs" in the name directory). Each
// returns what the reply says: >= 0, or -errno (-EIO if the service is gone).
int __fs_open(const char *path, int flags);
long __fs_read(int sfd, void *buf, unsigned long n);
long __fs_write(int sfd, const void *buf, unsigned long n);
long __fs_seek(int sfd, long offset, int whence);
int __fs_close(int sfd);
int __fs_fstat(int sfd, void *st);             // struct stat *
int __fs_stat(const char *path, void *st);
int __fs_readdir(int sfd, void *d);            // struct dirent *: 1, 0 at the end, -errno
int __fs_path_op(int tag, const char *path);  // Mkdir, Unlink

// A failed call returns -errno and sets errno, as on hw.
long __sip_ret(long r);
