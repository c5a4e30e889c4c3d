// user/sip/include/thread.h: threads inside one SIP (user/sip/lib/thread.c),
// the same calls as hw's user/include/thread.h, over sip_thread_create /
// sip_thread_join. Threads share the SIP's memory and endpoints; each has
// its own shadow stack (malloc'd) and native stack (the kernel's).
//
// The mutex differs from hw's: wasm2c has no atomic instructions, so a SIP
// cannot build a lock from memory alone; a mutex_t is a kernel channel
// holding one token (made at the first mutex_lock; two endpoint handles).
#pragma once

#define THREAD_STACK_SIZE (64 * 1024)

// Starts fn(arg) on a new thread; fn's result is its exit status (>= 0:
// the kernel keeps 31 bits). Returns the thread id, or -errno (-EAGAIN:
// the SIP has its 16 threads).
int thread_spawn(int (*fn)(void *), void *arg);

// Waits for thread tid to end, stores its status (if status is not NULL)
// and frees its stack. Returns 0 or -errno.
int thread_wait(int tid, int *status);

typedef struct {
    int w, r;                     // the token channel; -1: not made yet
} mutex_t;
#define MUTEX_INIT { -1, -1 }
void mutex_lock(mutex_t *m);      // ends the SIP if no channel can be made
void mutex_unlock(mutex_t *m);
