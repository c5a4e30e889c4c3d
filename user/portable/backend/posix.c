// user/portable/backend/posix.c: user/include/portable.h for Linux (glibc,
// built static by mk/posix.mk), so the portable programs also run on the
// host and in the Linux peer and can be compared with our two kernels.
//
// What each call becomes here:
//   pt_spawn    fork + execv("/bin/NAME") ($PT_BIN_DIR instead of /bin, for
//               running on the host); link i is two pipes, and the child finds
//               its server end at fds 3+2i (read) and 4+2i (write)
//   pt_send     one write of a 4-byte length and the bytes (<= PIPE_BUF, so
//               atomic); pt_recv one read in the common case
//   threads     pthreads; pt_yield is sched_yield
//   pt_event    the futex system call (private FUTEX_WAIT / FUTEX_WAKE)
//   pt_cycles   rdtsc; pt_time_ns clock_gettime(CLOCK_MONOTONIC)
//   pt_null_call syscall(SYS_getpid): glibc may cache getpid(), so call the kernel
//
// The turn rule of a link (portable.h) is kept here as on hw: each end
// remembers whose turn it is and refuses an out-of-turn send with -EPROTO.
#define _GNU_SOURCE
#include <portable.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LINKS_MAX 32        // link ends one program holds at a time
#define THREADS_MAX 32
#define LINK_FD(i) (3 + 2 * (i))   // the server end of link i in a spawned child

_Static_assert(PT_MSG_MAX + 4 <= PIPE_BUF, "a framed message must be one atomic pipe write");

// ------------------------------------------------------------------ link ends

enum turn { FREE, CLIENT_MAY_SEND, CLIENT_AWAITS_REPLY, SERVER_AWAITS_REQUEST,
            SERVER_MAY_REPLY };

static struct link_end {
    int rfd, wfd;
    enum turn turn;
} ends[LINKS_MAX];

static pthread_mutex_t ends_lock = PTHREAD_MUTEX_INITIALIZER;
static int server_ends = -1;    // link ends the parent gave us: pt_link_arg(i)'s are 0..n-1

static int new_end(int rfd, int wfd, enum turn turn) {
    pthread_mutex_lock(&ends_lock);
    int l = -EMFILE;
    for (int i = 0; i < LINKS_MAX; i++) {
        if (ends[i].turn == FREE) {
            ends[i] = (struct link_end){ rfd, wfd, turn };
            l = i;
            break;
        }
    }
    pthread_mutex_unlock(&ends_lock);
    return l;
}

static int free_ends(void) {
    int n = 0;
    for (int i = 0; i < LINKS_MAX; i++) n += ends[i].turn == FREE;
    return n;
}

static struct link_end *end_of(pt_link l) {
    if (l < 0 || l >= LINKS_MAX || ends[l].turn == FREE) return NULL;
    return &ends[l];
}

// Runs before main: claims the server ends a parent passed (PT_LINKS=n in
// the environment, set by pt_spawn) and marks them close-on-exec, so that
// only the process they were meant for holds them: when it ends, its peer
// sees -EPIPE even if it spawned programs of its own. SIGPIPE is ignored so
// a write to a closed link is -EPIPE, not death.
__attribute__((constructor)) static void claim_server_ends(void) {
    signal(SIGPIPE, SIG_IGN);
    const char *n = getenv("PT_LINKS");
    int count = n ? atoi(n) : 0;
    unsetenv("PT_LINKS");
    if (count < 0 || count > PT_LINKS_MAX) count = 0;
    for (int i = 0; i < count; i++) {
        int r = LINK_FD(i), w = r + 1;
        if (fcntl(r, F_SETFD, FD_CLOEXEC) < 0 || fcntl(w, F_SETFD, FD_CLOEXEC) < 0) break;
        new_end(r, w, SERVER_AWAITS_REQUEST);
        server_ends = i + 1;
    }
}

pt_link pt_link_arg(int i) {
    return i >= 0 && i < server_ends ? i : -EBADF;
}

// ------------------------------------------------------------------ messages

static int write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -errno;
        p += w, n -= (size_t)w;
    }
    return 0;
}

int pt_send(pt_link l, const void *msg, int len) {
    struct link_end *e = end_of(l);
    if (!e) return -EBADF;
    if (len < 0 || len > PT_MSG_MAX) return -EMSGSIZE;
    if (e->turn != CLIENT_MAY_SEND && e->turn != SERVER_MAY_REPLY) return -EPROTO;
    char frame[4 + PT_MSG_MAX];
    uint32_t n = (uint32_t)len;
    memcpy(frame, &n, 4);
    memcpy(frame + 4, msg, (size_t)len);
    int err = write_all(e->wfd, frame, 4 + (size_t)len);
    if (err < 0) return err;
    e->turn = e->turn == CLIENT_MAY_SEND ? CLIENT_AWAITS_REPLY : SERVER_AWAITS_REQUEST;
    return 0;
}

// Reads until `have` reaches `want` bytes: 0, -EPIPE at end of file, -errno.
static int read_until(int fd, char *buf, size_t *have, size_t want) {
    while (*have < want) {
        ssize_t r = read(fd, buf + *have, sizeof(uint32_t) + PT_MSG_MAX - *have);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -errno;
        if (r == 0) return -EPIPE;
        *have += (size_t)r;
    }
    return 0;
}

// Turns alternate, so at most one message is in the pipe: one read takes it
// whole (a long one may arrive in pieces; read_until gathers them).
int pt_recv(pt_link l, void *buf, int cap) {
    struct link_end *e = end_of(l);
    if (!e) return -EBADF;
    char frame[4 + PT_MSG_MAX];
    size_t have = 0;
    int err = read_until(e->rfd, frame, &have, 4);
    uint32_t len;
    memcpy(&len, frame, 4);
    if (err == 0 && len > PT_MSG_MAX) return -EPROTO;      // not a frame of ours
    if (err == 0) err = read_until(e->rfd, frame, &have, 4 + len);
    if (err < 0) return err;
    if (e->turn == CLIENT_AWAITS_REPLY) e->turn = CLIENT_MAY_SEND;
    else if (e->turn == SERVER_AWAITS_REQUEST) e->turn = SERVER_MAY_REPLY;
    if ((int)len > cap) return -EMSGSIZE;
    memcpy(buf, frame + 4, len);
    return (int)len;
}

int pt_close(pt_link l) {
    struct link_end *e = end_of(l);
    if (!e) return -EBADF;
    close(e->rfd);
    close(e->wfd);
    pthread_mutex_lock(&ends_lock);
    e->turn = FREE;
    pthread_mutex_unlock(&ends_lock);
    return 0;
}

// ------------------------------------------------------------------ processes

// In the child, between fork and exec: the server end of link i goes to fds
// 3+2i and 4+2i. Every pipe was made close-on-exec, so first copy each end
// above the target range (the copies are close-on-exec too), then dup2 them
// into place (dup2 clears close-on-exec: exactly these fds survive exec).
static void place_server_ends(int (*srv)[2], int nlinks) {
    int high[PT_LINKS_MAX][2];
    for (int i = 0; i < nlinks; i++)
        for (int k = 0; k < 2; k++)
            high[i][k] = fcntl(srv[i][k], F_DUPFD_CLOEXEC, LINK_FD(PT_LINKS_MAX));
    for (int i = 0; i < nlinks; i++)
        for (int k = 0; k < 2; k++)
            if (high[i][k] < 0 || dup2(high[i][k], LINK_FD(i) + k) < 0) _exit(126);
}

static void child_exec(const char *path, char *const argv[], int (*srv)[2], int nlinks) {
    place_server_ends(srv, nlinks);
    char n[4];
    snprintf(n, sizeof n, "%d", nlinks);
    setenv("PT_LINKS", n, 1);
    execv(path, argv);
    _exit(127);
}

static void close_pairs(int (*p)[2], int n) {
    for (int i = 0; i < n; i++) close(p[i][0]), close(p[i][1]);
}

// srv[i] = {read, write} of the child's end; cli[i] the same for ours. On
// failure nothing is left open.
static int make_pipes(int (*srv)[2], int (*cli)[2], int nlinks) {
    for (int i = 0; i < nlinks; i++) {
        int down[2], up[2];      // down: client -> server; up: server -> client
        int err = pipe2(down, O_CLOEXEC) < 0 ? -errno : 0;
        if (!err && pipe2(up, O_CLOEXEC) < 0) {
            err = -errno;
            close(down[0]), close(down[1]);
        }
        if (err) {
            close_pairs(srv, i), close_pairs(cli, i);
            return err;
        }
        srv[i][0] = down[0], srv[i][1] = up[1];
        cli[i][0] = up[0], cli[i][1] = down[1];
    }
    return 0;
}

int pt_spawn(const char *name, char *const argv[], pt_link *links, int nlinks) {
    if (nlinks < 0 || nlinks > PT_LINKS_MAX || strchr(name, '/')) return -EINVAL;
    const char *dir = getenv("PT_BIN_DIR");
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/bin", name) >= (int)sizeof path)
        return -ENAMETOOLONG;
    if (access(path, X_OK) < 0) return -errno;   // say so here: after fork it is only 127
    // Room for our ends first: a child we could not keep links to would run on
    // with no one to talk to.
    if (free_ends() < nlinks) return -EMFILE;
    int srv[PT_LINKS_MAX][2], cli[PT_LINKS_MAX][2];
    int err = make_pipes(srv, cli, nlinks);
    if (err < 0) return err;
    fflush(NULL);                                // output so far stays before the child's
    pid_t pid = fork();
    if (pid == 0) child_exec(path, argv, srv, nlinks);
    int fork_err = -errno;
    close_pairs(srv, nlinks);
    if (pid < 0) {
        close_pairs(cli, nlinks);
        return fork_err;
    }
    for (int i = 0; i < nlinks; i++)             // free_ends() made sure of the room
        links[i] = new_end(cli[i][0], cli[i][1], CLIENT_MAY_SEND);
    return pid;
}

int pt_wait(int child, int *status) {
    int st;
    while (waitpid(child, &st, 0) < 0)
        if (errno != EINTR) return -errno;
    if (status) *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return 0;
}

// ------------------------------------------------------------------ threads

static struct thread {
    pthread_t t;
    int (*fn)(void *);
    void *arg;
    int result;
    int used;
} threads[THREADS_MAX];
static pthread_mutex_t threads_lock = PTHREAD_MUTEX_INITIALIZER;

static void *thread_main(void *p) {
    struct thread *t = p;
    t->result = t->fn(t->arg);
    return NULL;
}

int pt_thread_create(int (*fn)(void *), void *arg) {
    pthread_mutex_lock(&threads_lock);
    int id = -EAGAIN;
    for (int i = 0; i < THREADS_MAX && id < 0; i++)
        if (!threads[i].used) id = i;
    if (id >= 0) {
        threads[id] = (struct thread){ .fn = fn, .arg = arg, .used = 1 };
        int err = pthread_create(&threads[id].t, NULL, thread_main, &threads[id]);
        if (err) threads[id].used = 0, id = -err;
    }
    pthread_mutex_unlock(&threads_lock);
    return id < 0 ? id : id + 1;                 // ids start at 1
}

int pt_thread_join(int id, int *status) {
    id--;
    if (id < 0 || id >= THREADS_MAX || !threads[id].used) return -ESRCH;
    int err = pthread_join(threads[id].t, NULL);
    if (err) return -err;
    if (status) *status = threads[id].result;
    pthread_mutex_lock(&threads_lock);
    threads[id].used = 0;
    pthread_mutex_unlock(&threads_lock);
    return 0;
}

void pt_yield(void) {
    sched_yield();
}

// ------------------------------------------------------------------ the event

static long futex(volatile int32_t *word, int op, int32_t val) {
    return syscall(SYS_futex, word, op | FUTEX_PRIVATE_FLAG, val, NULL, NULL, 0);
}

void pt_event_signal(pt_event *e) {
    __atomic_store_n(&e->state, 1, __ATOMIC_SEQ_CST);
    futex(&e->state, FUTEX_WAKE, 1);
}

// Takes the set state (1 -> 0); sleeps in the kernel while it is 0. A signal
// between the exchange and FUTEX_WAIT makes the wait return at once (the word
// is no longer 0), so no wake-up is lost.
void pt_event_wait(pt_event *e) {
    while (__atomic_exchange_n(&e->state, 0, __ATOMIC_SEQ_CST) == 0)
        futex(&e->state, FUTEX_WAIT, 0);
}

// ------------------------------------------------------------------ time

uint64_t pt_cycles(void) {
    uint32_t lo, hi;
    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
    return (uint64_t)hi << 32 | lo;
}

uint64_t pt_time_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void pt_sleep_ms(int ms) {
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}

int pt_null_call(void) {
    return (int)syscall(SYS_getpid);
}

const char *pt_backend(void) {
    return "posix";
}
