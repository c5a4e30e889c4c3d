// user/lib/hw/thread.c: thread_spawn/thread_wait and the futex mutex.
//
// The kernel starts a thread at fn(arg) with a return address of 0, so a
// thread must end in thread_exit. thread_spawn therefore starts every
// thread in a trampoline that calls the user's function and then exits with
// its value. The trampoline's fn and arg live at the top of the new stack.
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <thread.h>
#include <unistd.h>

struct start {
    int (*fn)(void *);
    void *arg;
};

#define MAX_THREADS 64            // stacks remembered for thread_wait to free
static struct {
    int tid;
    void *stack;
} stacks[MAX_THREADS];
static mutex_t stacks_lock = MUTEX_INIT;

static void trampoline(struct start *s) {
    thread_exit(s->fn(s->arg));
}

static int remember_stack(int tid, void *stack) {
    int r = -EAGAIN;
    mutex_lock(&stacks_lock);
    for (int i = 0; i < MAX_THREADS && r < 0; i++) {
        if (stacks[i].stack == NULL) {
            stacks[i].tid = tid;
            stacks[i].stack = stack;
            r = 0;
        }
    }
    mutex_unlock(&stacks_lock);
    return r;
}

static void *forget_stack(int tid) {
    void *stack = NULL;
    mutex_lock(&stacks_lock);
    for (int i = 0; i < MAX_THREADS && !stack; i++) {
        if (stacks[i].stack && stacks[i].tid == tid) {
            stack = stacks[i].stack;
            stacks[i].stack = NULL;
        }
    }
    mutex_unlock(&stacks_lock);
    return stack;
}

int thread_spawn(int (*fn)(void *), void *arg) {
    char *stack = malloc(THREAD_STACK_SIZE);
    if (!stack) return -ENOMEM;
    uintptr_t top = ((uintptr_t)stack + THREAD_STACK_SIZE - sizeof(struct start)) & ~(uintptr_t)15;
    struct start *s = (struct start *)top;
    *s = (struct start){ fn, arg };
    int tid = thread_create((void *)trampoline, s, s);
    if (tid < 0 || remember_stack(tid, stack) < 0) {
        if (tid >= 0) {                           // no room to remember: wait it out
            thread_join(tid, NULL);
            tid = -EAGAIN;
        }
        free(stack);
    }
    return tid;
}

int thread_wait(int tid, int *status) {
    int r = thread_join(tid, status);
    if (r == 0) free(forget_stack(tid));
    return r;
}

// Drepper's futex mutex ("Futexes Are Tricky", mutex 2): an uncontended
// lock and unlock are one atomic instruction each and no system call.
void mutex_lock(mutex_t *m) {
    int c = 0;
    if (__atomic_compare_exchange_n(&m->state, &c, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return;
    if (c != 2) c = __atomic_exchange_n(&m->state, 2, __ATOMIC_ACQUIRE);
    while (c != 0) {
        futex_wait((void *)&m->state, 2, 0);
        c = __atomic_exchange_n(&m->state, 2, __ATOMIC_ACQUIRE);
    }
}

void mutex_unlock(mutex_t *m) {
    if (__atomic_exchange_n(&m->state, 0, __ATOMIC_RELEASE) == 2)
        futex_wake((void *)&m->state, 1);
}
