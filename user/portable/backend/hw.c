// user/portable/backend/hw.c: portable.h over the hw kernel's system calls.
//
// A link is two pipes: the request pipe (client writes, server reads) and the
// reply pipe (server writes, client reads). pt_spawn makes them, forks, and
// the child moves its ends of link i to the fixed descriptors 3+2i (read) and
// 4+2i (write) before exec, so the program it runs finds them with
// pt_link_arg(i) without being told where they are.
//
// A message goes down a pipe as a 4-byte length and then its bytes, in ONE
// write: the turn rule keeps at most one frame in a pipe, and the pipe holds a
// whole one (PIPE_SIZE 4096 >= 4 + PT_MSG_MAX), so the kernel copies it in one
// go and returns short only if the reader has gone (-EPIPE here). The receiver
// keeps a buffer per link and reads as much as the pipe holds, so a message
// costs one read() when it has arrived whole (the usual case), and framing
// never depends on how the bytes were split between reads.
//
// Everything here runs in the calling thread; the link table is not locked,
// so one link must not be used by two threads at once (the programs don't).
#include <errno.h>
#include <fcntl.h>
#include <portable.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <thread.h>
#include <unistd.h>

#define LINKS       12                        // link ends a process holds: 2 fds each, and
                                              // 3 + 24 leaves a few of NOFILE (32) for files
#define FRAME_HDR   4                         // the length before every message
#define RX_BUF      4096                      // one pipe's worth: all a read can return
#define FIRST_ARGFD 3                         // link i's server end: 3+2i and 4+2i

_Static_assert(FRAME_HDR + PT_MSG_MAX <= RX_BUF, "a whole frame fits the receive buffer");
_Static_assert(FIRST_ARGFD + 2 * PT_LINKS_MAX <= NOFILE, "the server ends fit the fd table");

struct link {
    bool used;
    bool my_turn;                 // may send now: the client first, then alternately
    int rfd, wfd;                 // the pipe this end reads, the one it writes
    int off, len;                 // rx[off, len) received and not yet taken
    uint8_t rx[RX_BUF];
};

static struct link links[LINKS];
static pt_link arg_links[PT_LINKS_MAX] = { -1, -1, -1, -1 };   // pt_link_arg's answers

_Static_assert(PT_LINKS_MAX == 4, "arg_links' initialiser has one -1 per link");

static pt_link link_new(int rfd, int wfd, bool client) {
    for (int i = 0; i < LINKS; i++) {
        if (!links[i].used) {
            links[i] = (struct link){ .used = true, .my_turn = client, .rfd = rfd, .wfd = wfd };
            return i;
        }
    }
    return -EMFILE;
}

static struct link *link_get(pt_link l) {
    if (l < 0 || l >= LINKS || !links[l].used) return NULL;
    return &links[l];
}

// ------------------------------------------------------------------ processes

static void close_pipes(int (*p)[2], int n) {
    for (int i = 0; i < n; i++) {
        close(p[i][0]);
        close(p[i][1]);
    }
}

// Two pipes per link: pipes[2i] carries requests, pipes[2i+1] replies.
static int make_pipes(int (*pipes)[2], int nlinks) {
    for (int i = 0; i < 2 * nlinks; i++) {
        int r = pipe(pipes[i]);
        if (r < 0) {
            close_pipes(pipes, i);
            return r;
        }
    }
    return 0;
}

static bool is_one_of(int fd, const int *fds, int n) {
    for (int i = 0; i < n; i++)
        if (fds[i] == fd) return true;
    return false;
}

// In the child: the server ends (src[k], k = 0..n) go to FIRST_ARGFD + k and
// every other descriptor above stderr is closed, so the program starts with
// stdin, stdout, stderr and its links only (an inherited pipe end left open
// would keep that pipe from ever reporting -EPIPE). A source may sit where a
// target goes, so each is first parked on a high descriptor that is neither
// a source nor a target, then moved down.
static int place_server_ends(int *src, int n) {
    int park = NOFILE - 1;
    for (int k = 0; k < n; k++, park--) {
        while (is_one_of(park, src, n)) park--;
        if (park < FIRST_ARGFD + n || dup2(src[k], park) < 0) return -EMFILE;
        src[k] = park;
    }
    for (int k = 0; k < n; k++)
        if (dup2(src[k], FIRST_ARGFD + k) < 0) return -EBADF;
    for (int fd = FIRST_ARGFD + n; fd < NOFILE; fd++) close(fd);
    return 0;
}

static _Noreturn void child_exec(const char *path, char *const argv[], int (*pipes)[2], int nlinks) {
    int src[2 * PT_LINKS_MAX];
    for (int i = 0; i < nlinks; i++) {
        src[2 * i] = pipes[2 * i][0];          // reads requests
        src[2 * i + 1] = pipes[2 * i + 1][1];  // writes replies
    }
    int r = place_server_ends(src, 2 * nlinks);
    if (r == 0) r = exec(path, argv);
    fprintf(stderr, "pt_spawn: %s: %s\n", path, strerror(-r));
    _exit(127);
    __builtin_unreachable();                  // hw.tbl's _exit is not declared _Noreturn
}

static int free_links(void) {
    int n = 0;
    for (int i = 0; i < LINKS; i++) n += !links[i].used;
    return n;
}

// The parent keeps the client ends: it writes requests and reads replies.
// (pt_spawn made sure of the room in the table before the fork.)
static void keep_client_ends(int (*pipes)[2], pt_link *out, int nlinks) {
    for (int i = 0; i < nlinks; i++) {
        close(pipes[2 * i][0]);
        close(pipes[2 * i + 1][1]);
        out[i] = link_new(pipes[2 * i + 1][0], pipes[2 * i][1], true);
    }
}

// A program that is not there is -ENOENT from pt_spawn, as on posix: after
// the fork it could only be the child's exit status 127.
static int program_exists(const char *path) {
    struct stat st;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return fd;
    int r = fstat(fd, &st);
    close(fd);
    return r < 0 ? r : st.type == T_FILE ? 0 : -ENOEXEC;
}

int pt_spawn(const char *name, char *const argv[], pt_link *out, int nlinks) {
    char path[MAXPATH];
    if (nlinks < 0 || nlinks > PT_LINKS_MAX || strchr(name, '/')) return -EINVAL;
    if (snprintf(path, sizeof path, "/bin/%s", name) >= (int)sizeof path) return -ENAMETOOLONG;
    if (free_links() < nlinks) return -EMFILE;
    int r = program_exists(path);
    if (r < 0) return r;
    int pipes[2 * PT_LINKS_MAX][2];
    r = make_pipes(pipes, nlinks);
    if (r < 0) return r;
    fflush(NULL);                             // what we printed so far comes before the child's
    int pid = fork();
    if (pid == 0) child_exec(path, argv, pipes, nlinks);
    if (pid < 0) {
        close_pipes(pipes, 2 * nlinks);
        return pid;
    }
    keep_client_ends(pipes, out, nlinks);
    return pid;
}

// wait() returns whichever child ended first. One that is not the child asked
// for is remembered here for the pt_wait that asks for it later.
#define ENDED_MAX 16
static struct ended { int pid, status; } ended[ENDED_MAX];
static int nended;

static bool take_ended(int child, int *status) {
    for (int i = 0; i < nended; i++) {
        if (ended[i].pid == child) {
            if (status) *status = ended[i].status;
            ended[i] = ended[--nended];
            return true;
        }
    }
    return false;
}

// The exit code for exit(n); a child the kernel killed (fault, kill()) keeps
// its WSTATUS_KILLED bit, so it is never mistaken for a clean exit.
static int portable_status(int st) {
    return WIFKILLED(st) ? st : WEXITSTATUS(st);
}

int pt_wait(int child, int *status) {
    if (child <= 0) return -ECHILD;           // never a pid: wait() would take any child
    if (take_ended(child, status)) return 0;
    for (;;) {
        int st = 0;
        int pid = wait(&st);
        if (pid < 0) return pid;
        if (pid == child) {
            if (status) *status = portable_status(st);
            return 0;
        }
        if (nended < ENDED_MAX)               // else forgotten: no caller keeps 16 unwaited
            ended[nended++] = (struct ended){ pid, portable_status(st) };
    }
}

// Link i's server end is there if both its descriptors are pipes; the first
// call registers it, later calls return the same link.
pt_link pt_link_arg(int i) {
    if (i < 0 || i >= PT_LINKS_MAX) return -EBADF;
    if (arg_links[i] >= 0) return arg_links[i];
    struct stat st;
    int rfd = FIRST_ARGFD + 2 * i, wfd = rfd + 1;
    if (fstat(rfd, &st) < 0 || st.type != T_PIPE) return -EBADF;
    if (fstat(wfd, &st) < 0 || st.type != T_PIPE) return -EBADF;
    pt_link l = link_new(rfd, wfd, false);
    if (l >= 0) arg_links[i] = l;
    return l;
}

// ------------------------------------------------------------------ messages

int pt_send(pt_link l, const void *msg, int len) {
    struct link *k = link_get(l);
    if (!k) return -EBADF;
    if (len < 0 || len > PT_MSG_MAX) return -EMSGSIZE;
    if (!k->my_turn) return -EPROTO;
    uint8_t frame[FRAME_HDR + PT_MSG_MAX];
    uint32_t n = (uint32_t)len;
    memcpy(frame, &n, FRAME_HDR);
    memcpy(frame + FRAME_HDR, msg, (size_t)len);
    long w = write(k->wfd, frame, FRAME_HDR + (size_t)len);
    if (w < 0) return (int)w;
    if (w != FRAME_HDR + len) return -EPIPE;  // the kernel stops short only when the reader left
    k->my_turn = false;
    return 0;
}

// Reads more into the buffer, moving what is left to its start first if the
// rest of the frame would not fit after it. 0 at end of file.
static long fill(struct link *k) {
    if (k->off > 0 && k->off + FRAME_HDR + PT_MSG_MAX > RX_BUF) {
        memmove(k->rx, k->rx + k->off, (size_t)(k->len - k->off));
        k->len -= k->off;
        k->off = 0;
    }
    return read(k->rfd, k->rx + k->len, (size_t)(RX_BUF - k->len));
}

// The length of the whole frame at rx[off], or 0 while its header is incomplete.
static int frame_len(const struct link *k, uint32_t *msglen) {
    if (k->len - k->off < FRAME_HDR) return 0;
    memcpy(msglen, k->rx + k->off, FRAME_HDR);
    return FRAME_HDR + (int)*msglen;
}

int pt_recv(pt_link l, void *buf, int cap) {
    struct link *k = link_get(l);
    if (!k) return -EBADF;
    uint32_t n = 0;
    int whole;
    for (;;) {
        whole = frame_len(k, &n);
        if (n > PT_MSG_MAX) return -EPROTO;   // not a frame this backend wrote
        if (whole && k->len - k->off >= whole) break;
        long r = fill(k);
        if (r == 0) return -EPIPE;             // a frame cut short is lost with its writer
        if (r < 0) return (int)r;
        k->len += (int)r;
    }
    const uint8_t *msg = k->rx + k->off + FRAME_HDR;
    k->off += whole;
    k->my_turn = true;                         // the peer has had its turn, even if we drop it
    int r = (int)n > cap ? -EMSGSIZE : (int)n;
    if (r > 0) memcpy(buf, msg, n);
    if (k->off == k->len) k->off = k->len = 0;
    return r;
}

int pt_close(pt_link l) {
    struct link *k = link_get(l);
    if (!k) return -EBADF;
    close(k->rfd);
    close(k->wfd);
    k->used = false;
    for (int i = 0; i < PT_LINKS_MAX; i++)
        if (arg_links[i] == l) arg_links[i] = -1;
    return 0;
}

// ------------------------------------------------------------------ threads

int pt_thread_create(int (*fn)(void *), void *arg) {
    return thread_spawn(fn, arg);
}

int pt_thread_join(int id, int *status) {
    return thread_wait(id, status);
}

void pt_yield(void) {
    yield();
}

void pt_event_signal(pt_event *e) {
    __atomic_store_n(&e->state, 1, __ATOMIC_RELEASE);
    futex_wake((void *)&e->state, 1);
}

// No compare-and-swap: there is one waiter, and only the waiter clears. A
// signal that lands between our load of 1 and our store of 0 sets an event
// that is already set, which is a no-op for an auto-reset event anyway. The
// futex checks state == 0 after queueing us, so a signal between our load
// and the sleep makes futex_wait return at once instead of being lost.
void pt_event_wait(pt_event *e) {
    while (__atomic_load_n(&e->state, __ATOMIC_ACQUIRE) == 0)
        futex_wait((void *)&e->state, 0, 0);
    __atomic_store_n(&e->state, 0, __ATOMIC_RELAXED);
}

// ------------------------------------------------------------------ time and the kernel

uint64_t pt_cycles(void) {
    uint32_t lo, hi;
    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
    return (uint64_t)hi << 32 | lo;
}

// hw's clock is the TSC too: the kernel's time_ns is rdtsc scaled by the
// rate it calibrated at boot, and uptime() is that in whole milliseconds,
// too coarse to time anything. So we scale rdtsc by the same rate (sysinfo's
// tsc_hz) ourselves: nanosecond resolution, no system call. (A program that
// measures tsc_hz against this clock therefore gets the kernel's figure.)
uint64_t pt_time_ns(void) {
    static uint64_t hz;
    if (hz == 0) {
        struct sysinfo si;
        if (sysinfo(&si) < 0 || si.tsc_hz == 0) return (uint64_t)uptime() * 1000000;
        hz = si.tsc_hz;
    }
    uint64_t t = pt_cycles();
    return t / hz * 1000000000ull + t % hz * 1000000000ull / hz;
}

void pt_sleep_ms(int ms) {
    sleep_ms(ms);
}

int pt_null_call(void) {
    return nullcall();
}

const char *pt_backend(void) {
    return "hw";
}
