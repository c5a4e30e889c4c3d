// user/include/thread.h: threads inside one process, over the system calls
// thread_create/thread_join/thread_exit and the futex (user/lib/hw/thread.c).
// Threads share memory and file descriptors; each has its own stack,
// registers and FPU state. errno is shared (see docs/user.md).
#pragma once

#define THREAD_STACK_SIZE (64 * 1024)

// Starts fn(arg) on a new malloc'd stack; when fn returns, its value is the
// thread's exit status (as if it called thread_exit). Returns the thread id,
// or -errno.
int thread_spawn(int (*fn)(void *), void *arg);

// Waits for thread tid to end, stores its status (if status is not NULL)
// and frees its stack. Returns 0 or -errno.
int thread_wait(int tid, int *status);

// A mutex that sleeps in the kernel (futex_wait) while another thread holds
// it, instead of spinning. Zero-initialised (MUTEX_INIT) means unlocked.
typedef struct {
    volatile int state;           // 0 free, 1 locked, 2 locked with sleepers
} mutex_t;
#define MUTEX_INIT { 0 }
void mutex_lock(mutex_t *m);
void mutex_unlock(mutex_t *m);
