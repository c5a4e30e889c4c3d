// user/include/portable.h: the portable API. The benchmark programs in
// user/portable/ are written once against it and built three times: for the
// hw kernel (user/portable/backend/hw.c: processes, pipes, futexes), for the
// sip kernel (backend/sip.c: SIPs, Link channels) and for Linux
// (backend/posix.c: fork/exec, pipes, pthreads, futex). docs/measuring.md
// says what each call costs on each backend and why.
//
// A link is a request/reply connection between a program and one it spawned:
// the spawner holds the client end, the child the server end. The client
// sends a request, the server sends one reply, and so on, alternately. On sip
// the Link contract (ipc/contracts/Link.contract) enforces the turn: a SIP that
// sends out of turn is ended. The hw and posix backends keep the same rule and
// refuse an out-of-turn send with -EPROTO. Every call returns -errno on error.
#pragma once
#include <stdint.h>

#define PT_MSG_MAX   1024     // bytes in one message (the sip channel limit)
#define PT_LINKS_MAX 4        // links one pt_spawn may create

typedef int pt_link;          // a link end: a small number, meaningful to the backend

// Starts the portable program NAME (hw and Linux: /bin/NAME; sip: sip/NAME.sip)
// with argv (argv[0] first, NULL-terminated) and nlinks new links (0..PT_LINKS_MAX).
// links[i] receives the client end of link i; the child finds the server end
// with pt_link_arg(i). Returns a child id > 0 (for pt_wait), or -errno.
int pt_spawn(const char *name, char *const argv[], pt_link *links, int nlinks);
// Waits for child to end; stores its exit status if status is not NULL. 0 or -errno.
int pt_wait(int child, int *status);
// In a spawned program: the server end of link i, or -EBADF if the parent gave none.
pt_link pt_link_arg(int i);

// One message of 0..PT_MSG_MAX bytes. 0, -EPROTO (not this end's turn),
// -EMSGSIZE, -EPIPE (the peer has closed its end).
int pt_send(pt_link l, const void *msg, int len);
// Waits for the next message and copies it to buf (messages longer than cap
// are an error: -EMSGSIZE, and the message is lost). Returns its length, or
// -EPIPE when the peer has closed its end and nothing is left to read.
int pt_recv(pt_link l, void *buf, int cap);
// Closes this end; the peer's next pt_recv returns -EPIPE.
int pt_close(pt_link l);

// Threads of one program: they share its memory. Creates fn(arg) and returns
// a thread id, or -errno; pt_thread_join waits for it and stores fn's result.
int pt_thread_create(int (*fn)(void *), void *arg);
int pt_thread_join(int id, int *status);
// Gives the CPU to another ready thread, if there is one.
void pt_yield(void);

// A wait/signal primitive: an auto-reset event with one waiter (Singularity's
// AutoResetEvent). pt_event_signal sets it and wakes the waiter; pt_event_wait
// sleeps until it is set, then clears it. Zero-initialised means not set.
typedef struct {
    volatile int32_t state;    // 0 clear, 1 set (the futex word on every backend)
} pt_event;
#define PT_EVENT_INIT { 0 }
void pt_event_signal(pt_event *e);
void pt_event_wait(pt_event *e);

uint64_t pt_cycles(void);        // the time-stamp counter (rdtsc)
uint64_t pt_time_ns(void);       // a monotonic clock, in nanoseconds
void pt_sleep_ms(int ms);
// The cheapest call into the kernel there is: hw nullcall(), sip sip_self(),
// Linux getpid(). Returns what that call returned.
int pt_null_call(void);
// "hw", "sip" or "posix".
const char *pt_backend(void);
