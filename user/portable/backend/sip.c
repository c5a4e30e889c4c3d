// user/portable/backend/sip.c: portable.h over the sip kernel's ABI
// (user/sip/include/sip.h) and the SIP C library.
//
// A link is one channel of the Link contract (ipc/contracts/Link.contract):
// the client end sends Request, the server end Reply, alternately. The
// kernel checks every send against the contract, so an out-of-turn send is
// not an error code here: it is a contract violation and the kernel ends the
// SIP (portable.h says so). pt_spawn creates the channels, keeps the client
// ends and gives the server ends to the child as its initial endpoints 2, 3...
// right after stdin and stdout: the lines below declare them in every
// portable program's manifest (tools/sipc reads the library's endpoint lines
// first, then this file's, then the program's).
// sip: endpoint=Link:server
// sip: endpoint=Link:server
// sip: endpoint=Link:server
// sip: endpoint=Link:server
//
// Everything here runs in the calling thread; the link table is not locked,
// so one link must not be used by two threads at once (the programs don't).
#include <contracts/Link.h>
#include <errno.h>
#include <portable.h>
#include <sip.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <thread.h>

#define LINKS        12                       // link ends one SIP holds
#define FIRST_ARG_EP 2                        // link i's server end: initial endpoint 2+i

_Static_assert(FIRST_ARG_EP + PT_LINKS_MAX <= 8, "sipc allows 8 initial endpoints");

struct link {
    bool used;
    bool client;                  // sends Request (else Reply)
    int32_t h;                    // the endpoint handle
};

static struct link links[LINKS];
static pt_link arg_links[PT_LINKS_MAX] = { -1, -1, -1, -1 };   // pt_link_arg's answers
static int32_t arg_handles[PT_LINKS_MAX];     // initial endpoint 2+i if we were given it, or -1

_Static_assert(PT_LINKS_MAX == 4, "arg_links' initialiser has one -1 per link");

// A handle this SIP owns answers a poll with anything but -EBADF.
static bool owned(int32_t h) {
    return sip_chan_select(&h, 1, 0) != -EBADF;
}

// Which server ends the parent gave must be read before anything else makes a
// channel: handles are the lowest free slot, so a missing initial endpoint's
// number is soon reused (a file-service connection, a lock's token channel),
// and pt_link_arg would take it for a link. A constructor runs before main
// (user/sip/lib/start.c calls them first).
__attribute__((constructor)) static void note_server_ends(void) {
    for (int i = 0; i < PT_LINKS_MAX; i++)
        arg_handles[i] = owned(FIRST_ARG_EP + i) ? FIRST_ARG_EP + i : -1;
}

static pt_link link_new(int32_t h, bool client) {
    for (int i = 0; i < LINKS; i++) {
        if (!links[i].used) {
            links[i] = (struct link){ .used = true, .client = client, .h = h };
            return i;
        }
    }
    return -EMFILE;
}

static struct link *link_get(pt_link l) {
    if (l < 0 || l >= LINKS || !links[l].used) return NULL;
    return &links[l];
}

static int free_links(void) {
    int n = 0;
    for (int i = 0; i < LINKS; i++) n += !links[i].used;
    return n;
}

// ------------------------------------------------------------------ SIPs

// argv as sip_spawn wants it: NUL-separated, argv[0] first. Its length, or -E2BIG.
static int pack_args(char *const argv[], char *buf) {
    int len = 0, argc = 0;
    for (; argv && argv[argc]; argc++) {
        int n = (int)strlen(argv[argc]) + 1;
        if (argc >= SIP_ARGC_MAX || len + n > SIP_ARGS_MAX) return -E2BIG;
        memcpy(buf + len, argv[argc], (size_t)n);
        len += n;
    }
    return len;
}

static void close_handles(const int32_t *hs, int n) {
    for (int i = 0; i < n; i++)
        if (hs[i] >= 0) sip_chan_close(hs[i]);
}

// nlinks Link channels: client ends in client[], server ends in server[].
static int make_links(int32_t *client, int32_t *server, int nlinks) {
    for (int i = 0; i < nlinks; i++) {
        int r = Link_create(&client[i], &server[i]);
        if (r < 0) {
            close_handles(client, i);
            close_handles(server, i);
            return r;
        }
    }
    return 0;
}

// The child gets no stdin and no stdout (-1: its output goes to the console,
// which is where ours goes when run from the shell), then the server ends.
// They move to it; on failure they are still ours, and closed here.
int pt_spawn(const char *name, char *const argv[], pt_link *out, int nlinks) {
    char args[SIP_ARGS_MAX];
    if (nlinks < 0 || nlinks > PT_LINKS_MAX || strchr(name, '/')) return -EINVAL;
    if (free_links() < nlinks) return -EMFILE;
    int len = pack_args(argv, args);
    if (len < 0) return len;
    int32_t client[PT_LINKS_MAX], handles[FIRST_ARG_EP + PT_LINKS_MAX] = { -1, -1 };
    int r = make_links(client, handles + FIRST_ARG_EP, nlinks);
    if (r < 0) return r;
    fflush(NULL);                             // what we printed so far comes before the child's
    int id = sip_spawn(name, (int32_t)strlen(name), args, len, handles, FIRST_ARG_EP + nlinks);
    if (id < 0) {
        close_handles(client, nlinks);
        close_handles(handles + FIRST_ARG_EP, nlinks);
        return id;
    }
    for (int i = 0; i < nlinks; i++)
        out[i] = link_new(client[i], true);   // free_links() made sure of the room
    return id;
}

// sip_wait's status is the child's exit code, or -1 if the kernel ended it
// (a trap, a contract violation, sip_kill).
int pt_wait(int child, int *status) {
    int32_t st = 0;
    int r = sip_wait(child, &st);
    if (r < 0) return r;
    if (status) *status = st;
    return 0;
}

// The first call registers the server end, later calls return the same link.
pt_link pt_link_arg(int i) {
    if (i < 0 || i >= PT_LINKS_MAX || arg_handles[i] < 0) return -EBADF;
    if (arg_links[i] >= 0) return arg_links[i];
    pt_link l = link_new(arg_handles[i], false);
    if (l >= 0) arg_links[i] = l;
    return l;
}

// ------------------------------------------------------------------ messages

int pt_send(pt_link l, const void *msg, int len) {
    struct link *k = link_get(l);
    if (!k) return -EBADF;
    if (len < 0 || len > PT_MSG_MAX) return -EMSGSIZE;
    return k->client ? Link_send_Request(k->h, msg, len) : Link_send_Reply(k->h, msg, len);
}

int pt_recv(pt_link l, void *buf, int cap) {
    struct sip_msg m;
    struct link *k = link_get(l);
    if (!k) return -EBADF;
    int r = sip_chan_recv(k->h, &m);
    if (r < 0) return r;
    if (m.len > cap) return -EMSGSIZE;
    if (m.len > 0) memcpy(buf, m.data, (size_t)m.len);
    return m.len;
}

int pt_close(pt_link l) {
    struct link *k = link_get(l);
    if (!k) return -EBADF;
    int r = sip_chan_close(k->h);
    k->used = false;
    for (int i = 0; i < PT_LINKS_MAX; i++) {
        if (arg_links[i] == l) {
            arg_links[i] = -1;
            arg_handles[i] = -1;              // gone: its number may be reused
        }
    }
    return r;
}

// ------------------------------------------------------------------ threads

int pt_thread_create(int (*fn)(void *), void *arg) {
    return thread_spawn(fn, arg);
}

int pt_thread_join(int id, int *status) {
    return thread_wait(id, status);
}

void pt_yield(void) {
    sip_yield();
}

void pt_event_signal(pt_event *e) {
    e->state = 1;
    sip_futex_wake((int32_t *)&e->state, 1);
}

// wasm2c 1.0.32 has no atomic instructions, and none is needed: there is one
// waiter, and only the waiter clears. A signal between our load of 1 and our
// store of 0 sets an event that is already set (a no-op for an auto-reset
// event). A signal between our load of 0 and the sleep is not lost although
// we may be preempted there: sip_futex_wait compares state with 0 after it
// has queued us, under the futex's lock, and returns -EAGAIN at once if the
// signal got there first; the loop then sees 1. The futex call is opaque to
// the compiler, so state is loaded again after each one.
void pt_event_wait(pt_event *e) {
    while (e->state == 0)
        sip_futex_wait((int32_t *)&e->state, 0, -1);
    e->state = 0;
}

// ------------------------------------------------------------------ time and the kernel

uint64_t pt_cycles(void) {
    return (uint64_t)sip_cycles();
}

uint64_t pt_time_ns(void) {
    return (uint64_t)sip_time_ns();
}

void pt_sleep_ms(int ms) {
    sip_sleep_ms(ms);
}

int pt_null_call(void) {
    return sip_self();
}

const char *pt_backend(void) {
    return "sip";
}
