// proc_hw/ktest_pipe.c: in-kernel tests of the pipe buffer (ipc/pipe.c):
// wrap-around, blocking on full and empty between two kernel threads, end
// of file and -EPIPE. Kernel threads belong to no process, so nothing
// here can be "killed": the -EINTR paths are tested from user space.
#include "kern/kern.h"
#include "mm/mm.h"
#include "proc_hw/proc.h"
#include "ipc/pipe.h"

#define MS ((uint64_t)1000 * 1000)

static uint8_t pattern(size_t i) {
    return (uint8_t)(i * 7 + i / 251);
}

static void fill_pattern(uint8_t *buf, size_t from, size_t n) {
    for (size_t i = 0; i < n; i++) buf[i] = pattern(from + i);
}

static bool is_pattern(const uint8_t *buf, size_t from, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (buf[i] != pattern(from + i)) return false;
    return true;
}

// ---- pipe_ring: the ring wraps around and holds exactly PIPE_SIZE ----

static uint8_t ring_buf[PIPE_SIZE + 16];

// Regression: an index taken modulo PIPE_SIZE at the wrong moment (or a
// "full" test of w == r) loses or repeats bytes at the wrap.
static int ring_round_trips(struct pipe *p) {
    size_t at = 0;
    for (int round = 0; round < 5; round++) {          // 5 * 3000 bytes: wraps 3 times
        fill_pattern(ring_buf, at, 3000);
        KT_CHECK(pipe_write(p, ring_buf, 3000) == 3000);
        KT_CHECK(pipe_bytes(p) == 3000);
        memset(ring_buf, 0, 3000);
        KT_CHECK(pipe_read(p, ring_buf, 1000) == 1000);
        KT_CHECK(pipe_read(p, ring_buf + 1000, 5000) == 2000);   // only what is there
        KT_CHECK(is_pattern(ring_buf, at, 3000));
        at += 3000;
    }
    return 0;
}

KTEST(pipe_ring) {
    kheap_trim();
    size_t frames = frame_free_count();
    struct pipe *p = pipe_alloc();
    KT_CHECK(p != NULL);
    KT_CHECK(ring_round_trips(p) == 0);
    fill_pattern(ring_buf, 0, PIPE_SIZE);
    KT_CHECK(pipe_write(p, ring_buf, PIPE_SIZE) == PIPE_SIZE);   // exactly full: no block
    KT_CHECK(pipe_bytes(p) == PIPE_SIZE);
    memset(ring_buf, 0, PIPE_SIZE);
    KT_CHECK(pipe_read(p, ring_buf, PIPE_SIZE + 16) == PIPE_SIZE);
    KT_CHECK(is_pattern(ring_buf, 0, PIPE_SIZE) && pipe_bytes(p) == 0);
    pipe_close(p, true);
    pipe_close(p, false);
    kheap_trim();
    KT_CHECK(frame_free_count() == frames);
    return 0;
}

// ---- pipe_block: a writer and a reader thread, many times the buffer ----

#define STREAM_BYTES (64 * 1024)

// Writes STREAM_BYTES in odd-sized pieces (blocking whenever the pipe is
// full), then closes its end. Exit code: 0, or the step that went wrong.
static void stream_writer(void *arg) {
    struct pipe *p = arg;
    uint8_t buf[700];
    for (size_t at = 0; at < STREAM_BYTES;) {
        size_t n = MIN(sizeof buf, STREAM_BYTES - at);
        fill_pattern(buf, at, n);
        if (pipe_write(p, buf, n) != (long)n) thread_exit(1);
        at += n;
    }
    pipe_close(p, true);
    thread_exit(0);
}

// Reads until end of file in pieces that never line up with the writer's.
static void stream_reader(void *arg) {
    struct pipe *p = arg;
    uint8_t buf[1000];
    size_t at = 0;
    for (;;) {
        long n = pipe_read(p, buf, 333 + at % 600);
        if (n < 0) thread_exit(2);
        if (n == 0) break;
        if (!is_pattern(buf, at, (size_t)n)) thread_exit(3);
        at += (size_t)n;
    }
    pipe_close(p, false);
    thread_exit(at == STREAM_BYTES ? 0 : 4);
}

// The reader starts first, on an empty pipe: it must block, not spin or
// see end of file while the writer has not run yet.
KTEST(pipe_block) {
    struct pipe *p = pipe_alloc();
    KT_CHECK(p != NULL);
    struct thread *r = thread_create("kt-pipe-r", stream_reader, p);
    KT_CHECK(r != NULL);
    time_sleep_ns(20 * MS);
    struct thread *w = thread_create("kt-pipe-w", stream_writer, p);
    KT_CHECK(w != NULL);
    int wcode = thread_join(w), rcode = thread_join(r);
    KT_CHECK(wcode == 0);
    KT_CHECK(rcode == 0);
    return 0;
}

// ---- pipe_eof: end of file and -EPIPE, also for a blocked thread ----

static void read_one(void *arg) {
    uint8_t c;
    thread_exit((int)pipe_read(arg, &c, 1));
}

static void write_one(void *arg) {
    uint8_t c = 'x';
    thread_exit((int)pipe_write(arg, &c, 1));
}

// Regression: a close that forgets to wake the other side leaves a blocked
// reader (or writer) asleep forever: these joins would hang.
static int blocked_peer_sees_close(void) {
    struct pipe *p = pipe_alloc();
    KT_CHECK(p != NULL);
    struct thread *t = thread_create("kt-pipe-eof", read_one, p);
    time_sleep_ns(20 * MS);                            // let it block on the empty pipe
    pipe_close(p, true);
    KT_CHECK(thread_join(t) == 0);                     // end of file
    pipe_close(p, false);
    p = pipe_alloc();
    KT_CHECK(p != NULL);
    fill_pattern(ring_buf, 0, PIPE_SIZE);
    KT_CHECK(pipe_write(p, ring_buf, PIPE_SIZE) == PIPE_SIZE);
    t = thread_create("kt-pipe-full", write_one, p);
    time_sleep_ns(20 * MS);                            // let it block on the full pipe
    pipe_close(p, false);
    KT_CHECK(thread_join(t) == -EPIPE);
    pipe_close(p, true);
    return 0;
}

KTEST(pipe_eof) {
    struct pipe *p = pipe_alloc();
    KT_CHECK(p != NULL);
    KT_CHECK(pipe_write(p, "abc", 3) == 3);
    pipe_close(p, true);
    char buf[8] = { 0 };
    KT_CHECK(pipe_read(p, buf, sizeof buf) == 3 && memcmp(buf, "abc", 3) == 0);  // data first
    KT_CHECK(pipe_read(p, buf, sizeof buf) == 0);      // then end of file, every time
    KT_CHECK(pipe_read(p, buf, sizeof buf) == 0);
    pipe_close(p, false);
    p = pipe_alloc();
    KT_CHECK(p != NULL);
    pipe_close(p, false);
    KT_CHECK(pipe_write(p, "abc", 3) == -EPIPE);
    pipe_close(p, true);
    KT_CHECK(blocked_peer_sees_close() == 0);
    return 0;
}
