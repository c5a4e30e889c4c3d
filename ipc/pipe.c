// ipc/pipe.c: a pipe is a ring buffer of PIPE_SIZE bytes (one frame) with
// two wait queues: readers sleep while it is empty, writers while it is
// full. The ring indices run freely (w - r is the fill, each taken modulo
// PIPE_SIZE to index), so "full" and "empty" need no wasted slot.
//
// The buffer logic (ring_put, ring_get) and the blocking protocol
// (pipe_read, pipe_write) are separate functions so that a lab can hand
// either one to students.
//
// Locking: p->lock guards everything in the pipe. A sleeper releases it
// inside waitq_sleep, and every change that could let a sleeper go on
// (data in, data out, an end closed) wakes the other side under it, so no
// wakeup is lost (kern/waitq.c).
#include "kern/kern.h"
#include "mm/mm.h"
#include "proc_hw/proc.h"
#include "ipc/pipe.h"

struct pipe {
    struct spinlock lock;
    struct waitq not_empty;            // readers wait here
    struct waitq not_full;             // writers wait here
    uint8_t *buf;                      // PIPE_SIZE bytes: one frame
    uint32_t r, w;                     // bytes ever read and written (free-running)
    int readers, writers;              // open ends: 0 or 1 each (files count duplicates)
};

_Static_assert(PIPE_SIZE == PAGE_SIZE, "the ring is one frame");
_Static_assert((PIPE_SIZE & (PIPE_SIZE - 1)) == 0, "free-running indices need a power of two");

struct pipe *pipe_alloc(void) {
    struct pipe *p = kzalloc(sizeof *p);
    uint64_t pa = frame_alloc();
    if (!p || !pa) {
        kfree(p);
        if (pa) frame_free(pa);
        return NULL;
    }
    spin_init(&p->lock, "pipe");
    waitq_init(&p->not_empty, "pipe-readers");
    waitq_init(&p->not_full, "pipe-writers");
    p->buf = phys_to_virt(pa);
    p->readers = p->writers = 1;
    return p;
}

static void pipe_free(struct pipe *p) {
    frame_free(virt_to_phys(p->buf));
    kfree(p);
}

// ---- The ring buffer (caller holds p->lock) ----

static size_t ring_used(const struct pipe *p) {
    return p->w - p->r;
}

// Copies in as much of src as fits; returns how much that was. Two
// copies: up to the end of the buffer, then what wraps to its start.
static size_t ring_put(struct pipe *p, const uint8_t *src, size_t n) {
    n = MIN(n, PIPE_SIZE - ring_used(p));
    size_t at = p->w % PIPE_SIZE, first = MIN(n, PIPE_SIZE - at);
    memcpy(p->buf + at, src, first);
    memcpy(p->buf, src + first, n - first);
    p->w += n;
    return n;
}

// Copies out up to n buffered bytes; returns how many.
static size_t ring_get(struct pipe *p, uint8_t *dst, size_t n) {
    n = MIN(n, ring_used(p));
    size_t at = p->r % PIPE_SIZE, first = MIN(n, PIPE_SIZE - at);
    memcpy(dst, p->buf + at, first);
    memcpy(dst + first, p->buf, n - first);
    p->r += n;
    return n;
}

// ---- Blocking ----

// Sleeps on q, giving up p->lock meanwhile. -EINTR when the sleep was
// interrupted: kill() interrupts every thread of its victim, so a process
// blocked on a pipe leaves at once (and, since the interrupt is sticky,
// never blocks again on its way out).
static int pipe_sleep(struct pipe *p, struct waitq *q) {
    return waitq_sleep_killable(q, &p->lock) ? -EINTR : 0;
}

long pipe_read(struct pipe *p, void *buf, size_t n) {
    if (n == 0) return 0;
    spin_lock(&p->lock);
    long r = 0;
    while (ring_used(p) == 0 && p->writers > 0)
        if ((r = pipe_sleep(p, &p->not_empty)) != 0) break;
    if (r == 0) {
        r = (long)ring_get(p, buf, n);   // 0 here is end of file
        if (r) waitq_wake_all(&p->not_full);
    }
    spin_unlock(&p->lock);
    return r;
}

long pipe_write(struct pipe *p, const void *buf, size_t n) {
    size_t done = 0;
    long err = 0;
    spin_lock(&p->lock);
    while (done < n) {
        if (p->readers == 0) {
            err = -EPIPE;
            break;
        }
        size_t put = ring_put(p, (const uint8_t *)buf + done, n - done);
        done += put;
        if (put) waitq_wake_all(&p->not_empty);
        else if ((err = pipe_sleep(p, &p->not_full)) != 0) break;
    }
    spin_unlock(&p->lock);
    return done ? (long)done : err;
}

void pipe_close(struct pipe *p, bool writer_end) {
    spin_lock(&p->lock);
    if (writer_end) p->writers--;
    else p->readers--;
    KASSERT(p->readers >= 0 && p->writers >= 0);
    bool unused = p->readers == 0 && p->writers == 0;
    waitq_wake_all(&p->not_empty);       // readers see end of file
    waitq_wake_all(&p->not_full);        // writers see -EPIPE
    spin_unlock(&p->lock);
    // Nobody can be inside the pipe now: every caller holds an end open.
    if (unused) pipe_free(p);
}

size_t pipe_bytes(struct pipe *p) {
    spin_lock(&p->lock);
    size_t n = ring_used(p);
    spin_unlock(&p->lock);
    return n;
}
