// ipc/chan.h: channels, the sip kernel's only way for SIPs to talk. A
// channel is two endpoints of one contract; each endpoint has a bounded
// receive queue; messages are lossless and in order; an endpoint has one
// owner at a time and moves when carried inside a message. Every send and
// receive is checked against the contract (ipc/contract.h). Nothing here
// knows about SIPs: owners keep endpoint pointers (proc_sip's handle tables,
// or kernel services), and SIP memory never reaches this layer.
#pragma once
#include <stdint.h>
#include <stddef.h>
#include "ipc/contract.h"

#define CHAN_QUEUE_MAX   16                // messages an endpoint's queue holds
#define CHAN_MSG_MAX     CONTRACT_MSG_MAX  // data bytes per message
#define CHAN_MSG_EPS     CONTRACT_MSG_EPS  // endpoints per message
#define CHAN_SELECT_MAX  16
#define CHAN_VIOLATION   (-1000)           // not an errno: the sender broke the contract

struct endpoint;

// A received message: the caller owns it. It takes the endpoints it keeps
// out of eps[] (setting them to NULL) and then calls chan_msg_free, which
// closes any endpoint still inside.
struct chan_msg {
    int tag;
    uint32_t len;
    uint32_t neps;
    struct endpoint *eps[CHAN_MSG_EPS];
    struct chan_msg *next;                 // queue link (chan.c's)
    int sent_in;                           // chan.c's: the channel state it was sent in
    uint32_t cap;                          // chan.c's: data bytes the buffer has room for
    uint8_t data[];                        // len bytes
};
void chan_msg_free(struct chan_msg *m);
// The same, but the buffer may be kept for the next send on e's channel
// instead of going back to the heap (a request/reply pair then allocates
// nothing). e: an endpoint the caller holds, normally the one m came from.
void chan_msg_done(struct endpoint *e, struct chan_msg *m);

// 0 and the two endpoints (*e0 of the contract's first role), or -ENOMEM.
int chan_create(const struct contract *c, struct endpoint **e0, struct endpoint **e1);
const struct contract *endpoint_contract(const struct endpoint *e);
int endpoint_role(const struct endpoint *e);

// Copies data and queues the message on the peer. The endpoints eps[0..neps)
// are taken (they leave the caller) only when it returns 0. Blocks while the
// peer's queue is full (a killable sleep). 0; -EPIPE (peer closed: dropped);
// -EINVAL (len or neps over the limits, an endpoint carried twice or e itself);
// -EINTR (the thread was interrupted); CHAN_VIOLATION and *why (the contract
// refuses it: message, length, endpoint count, or a carried endpoint of the
// wrong contract or role), nothing queued.
int chan_send(struct endpoint *e, int tag, const void *data, uint32_t len,
              struct endpoint *const *eps, uint32_t neps, const char **why);
// Blocks (killable) until a message: 0 and *m; -EPIPE when the queue is empty
// and the peer closed; -EINTR; CHAN_VIOLATION and *why if the message does not
// follow this endpoint's view of the state (a kernel bug: reported, not hidden).
int chan_recv(struct endpoint *e, struct chan_msg **m, const char **why);
// The same without blocking: -EAGAIN when the queue is empty and the peer open.
int chan_try_recv(struct endpoint *e, struct chan_msg **m, const char **why);
// Puts a message taken by chan_*recv back at the head of the queue (a
// receiver that could not accept it, e.g. no room for its endpoints).
void chan_unrecv(struct endpoint *e, struct chan_msg *m);
// The index of the first endpoint with a message queued or a closed peer.
// Blocks (killable) until one is, or until deadline_ns (absolute time_ns();
// UINT64_MAX waits forever; a past deadline polls). -ETIMEDOUT, -EINTR, -EINVAL.
int chan_select(struct endpoint *const *eps, int n, uint64_t deadline_ns);
// The owner gives the endpoint up: queued messages are discarded (endpoints
// inside them closed), the peer sees "peer closed", blocked senders on either
// side wake. Freed once both ends are closed.
void endpoint_close(struct endpoint *e);

// Keeps e's memory valid across a window in which another thread of its
// owner might close it (e.g. between a handle-table lookup and a chan_*
// call); every chan_* call already does this for itself while inside.
void endpoint_hold(struct endpoint *e);
void endpoint_release(struct endpoint *e);

// Names for messages: "contract C: state S: message M from R".
const char *endpoint_state_name(const struct endpoint *e);

// Alive right now, for leak checks: endpoints not yet freed, messages queued.
size_t chan_endpoints_alive(void);
size_t chan_messages_alive(void);
