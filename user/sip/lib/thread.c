// user/sip/lib/thread.c: thread_spawn/thread_wait and the mutex.
//
// sip_thread_create(fn, arg, stack_top) starts __sip_thread_entry(fn, arg)
// (thread_entry.c) on a new kernel thread whose __stack_pointer is
// stack_top. thread_spawn's fn has another type (int (*)(void *)), so every
// thread starts in trampoline(), which finds fn and arg at the top of the
// new stack, calls it and exits with its value.
#include <errno.h>
#include <sip.h>
#include <stdint.h>
#include <stdlib.h>
#include <thread.h>
#include "sip_libc.h"

struct start {
    int (*fn)(void *);
    void *arg;
};

#define MAX_THREADS SIP_MAX_THREADS
static struct {
    int tid;
    void *stack;
} stacks[MAX_THREADS];
static struct sip_lock stacks_lock = SIP_LOCK_INIT;

static void trampoline(int p) {
    struct start *s = (struct start *)(uintptr_t)p;
    sip_thread_exit(s->fn(s->arg) & 0x7fffffff);
}

static int remember_stack(int tid, void *stack) {
    int r = -EAGAIN;
    __sip_lock(&stacks_lock);
    for (int i = 0; i < MAX_THREADS && r < 0; i++) {
        if (stacks[i].stack == NULL) {
            stacks[i].tid = tid;
            stacks[i].stack = stack;
            r = 0;
        }
    }
    __sip_unlock(&stacks_lock);
    return r;
}

static void *forget_stack(int tid) {
    void *stack = NULL;
    __sip_lock(&stacks_lock);
    for (int i = 0; i < MAX_THREADS && !stack; i++) {
        if (stacks[i].stack && stacks[i].tid == tid) {
            stack = stacks[i].stack;
            stacks[i].stack = NULL;
        }
    }
    __sip_unlock(&stacks_lock);
    return stack;
}

int thread_spawn(int (*fn)(void *), void *arg) {
    char *stack = malloc(THREAD_STACK_SIZE);
    if (!stack)
        return -ENOMEM;
    uintptr_t top = ((uintptr_t)stack + THREAD_STACK_SIZE - sizeof(struct start)) & ~(uintptr_t)15;
    struct start *s = (struct start *)top;
    *s = (struct start){ fn, arg };
    __sip_threads_start();          // the library's locks work from now on
    int tid = sip_thread_create(trampoline, (int32_t)top, (void *)top);
    if (tid < 0 || remember_stack(tid, stack) < 0) {
        if (tid >= 0) {             // no room to remember: wait it out
            sip_thread_join(tid);
            tid = -EAGAIN;
        }
        free(stack);
    }
    return (int)__sip_ret(tid);
}

int thread_wait(int tid, int *status) {
    int r = sip_thread_join(tid);
    if (r < 0)
        return (int)__sip_ret(r);
    if (status)
        *status = r;
    free(forget_stack(tid));
    return 0;
}

// A mutex is a library lock that works before the first thread too.
void mutex_lock(mutex_t *m) {
    struct sip_lock *l = (struct sip_lock *)m;
    if (__sip_lock_make(l) < 0)
        __builtin_trap();
    struct sip_msg token;
    if (sip_chan_recv(l->r, &token) < 0)
        __builtin_trap();
}

void mutex_unlock(mutex_t *m) {
    struct sip_lock *l = (struct sip_lock *)m;
    struct sip_msg token = { .tag = 0, .len = 0, .nhandles = 0 };
    sip_chan_send(l->w, &token);
}
