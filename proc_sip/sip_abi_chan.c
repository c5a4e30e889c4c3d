// proc_sip/sip_abi_chan.c: the ABI's channels and name directory, over
// ipc/chan.h and proc_sip/services.h. Handles become endpoints here and back
// (handles.c); messages are copied between the SIP's struct sip_msg and the
// kernel's chan_msg. A contract violation does not return: the message is
// refused and the sender's SIP ends with the contract line.
#include "proc_sip/sip_abi.h"
#include "proc_sip/services.h"

// struct sip_msg's header in the SIP's memory (user/sip/include/sip.h).
struct msg_hdr {
    int32_t tag, len, nhandles;
    int32_t handles[SIP_MSG_HANDLES];
};
_Static_assert(sizeof(struct msg_hdr) == SIP_MSG_HDR, "struct sip_msg's header is 28 bytes");

// The header moves with __builtin_memcpy: its size is fixed, so the compiler
// emits a few moves in place of a call to the kernel's memcpy (which
// -ffreestanding otherwise keeps), two calls per message on the hot path.

static int chan_create_abi(struct sip *s, uint32_t contract, uint32_t len, uint32_t out) {
    char name[32];
    int r = sip_abi_name(s, contract, len, name);
    if (r < 0) return r;
    void *o = sip_mem_range(s, out, 8);
    if (!o) return -EFAULT;
    const struct contract *c = contract_find(name);
    if (!c) return -ENOENT;
    struct endpoint *eps[2];
    if ((r = chan_create(c, &eps[0], &eps[1])) < 0) return r;
    int32_t hs[2];
    if (sip_handle_add_all(s, eps, 2, hs) < 0) {
        endpoint_close(eps[0]);
        endpoint_close(eps[1]);
        return -EMFILE;
    }
    memcpy(o, hs, sizeof hs);
    return 0;
}

uint32_t Z_envZ_sip_chan_create(env_t *env, uint32_t contract, uint32_t len, uint32_t out) {
    struct sip *s = sip_of(env);
    return (uint32_t)sip_abi_return(s, chan_create_abi(s, contract, len, out));
}

// Ends the SIP for a message its contract refuses (e: the sender's endpoint).
static _Noreturn void violation(struct sip *s, struct endpoint *e, int tag, const char *why) {
    const struct contract *c = endpoint_contract(e);
    char line[SIP_END_LINE_MAX], msg[16];
    const char *m = tag >= 0 && tag < c->nmessages ? contract_message_name(c, tag) : NULL;
    if (!m) { ksnprintf(msg, sizeof msg, "#%d", tag); m = msg; }
    ksnprintf(line, sizeof line, "contract %s: state %s: message %s from %s: %s, killed",
              c->name, endpoint_state_name(e), m, contract_role_name(c, endpoint_role(e)), why);
    sip_end(s, -1, line);
    sip_unwind_current();
}

// The checks, then the send proper with h busy and the carried handles lent.
static int send(struct sip *s, int h, uint32_t msg) {
    struct msg_hdr hd;
    const void *p = sip_mem_range(s, msg, sizeof hd);
    if (!p) return -EFAULT;
    __builtin_memcpy(&hd, p, sizeof hd);
    if (hd.len < 0 || hd.len > SIP_MSG_MAX || hd.nhandles < 0 || hd.nhandles > SIP_MSG_HANDLES)
        return -EINVAL;
    const uint8_t *data = sip_mem_range(s, msg, sizeof hd + (uint32_t)hd.len);
    if (!data) return -EFAULT;
    struct endpoint *e = sip_handle_use(s, h), *eps[SIP_MSG_HANDLES];
    if (!e) return -EBADF;
    int r = -EBADF, n = 0;
    const char *why = NULL;
    while (n < hd.nhandles && hd.handles[n] != h && (eps[n] = sip_handle_lend(s, hd.handles[n])))
        n++;
    if (n == hd.nhandles)
        r = chan_send(e, hd.tag, data + sizeof hd, (uint32_t)hd.len, eps, (uint32_t)n, &why);
    for (int i = 0; i < n; i++) {
        if (r == 0) sip_handle_commit(s, hd.handles[i]);
        else sip_handle_return(s, hd.handles[i]);
    }
    if (r == CHAN_VIOLATION) violation(s, e, hd.tag, why);   // e is still busy: alive
    sip_handle_put(s, h);
    return r;
}

uint32_t Z_envZ_sip_chan_send(env_t *env, uint32_t h, uint32_t msg) {
    struct sip *s = sip_of(env);
    return (uint32_t)sip_abi_return(s, send(s, (int32_t)h, msg));
}

// A received message into the SIP's struct sip_msg at p; its endpoints into
// the handle table (all or none: -EMFILE, and the message stays queued).
static int deliver(struct sip *s, struct endpoint *e, struct chan_msg *m, uint8_t *p) {
    struct msg_hdr hd = { .tag = m->tag, .len = (int32_t)m->len, .nhandles = (int32_t)m->neps };
    for (int i = 0; i < SIP_MSG_HANDLES; i++) hd.handles[i] = -1;
    if (sip_handle_add_all(s, m->eps, (int)m->neps, hd.handles) < 0) {
        chan_unrecv(e, m);
        return -EMFILE;
    }
    for (uint32_t i = 0; i < m->neps; i++) m->eps[i] = NULL;
    __builtin_memcpy(p, &hd, sizeof hd);
    memcpy(p + sizeof hd, m->data, m->len);
    chan_msg_done(e, m);                   // its buffer serves e's next send
    return 0;
}

static int recv(struct sip *s, int h, uint32_t msg) {
    uint8_t *p = sip_mem_range(s, msg, SIP_MSG_HDR + SIP_MSG_MAX);
    if (!p) return -EFAULT;
    struct endpoint *e = sip_handle_use(s, h);
    if (!e) return -EBADF;
    struct chan_msg *m;
    const char *why = NULL;
    int r = chan_recv(e, &m, &why);
    if (r == 0) r = deliver(s, e, m, p);
    if (r == CHAN_VIOLATION) violation(s, e, -1, why);
    sip_handle_put(s, h);
    return r;
}

uint32_t Z_envZ_sip_chan_recv(env_t *env, uint32_t h, uint32_t msg) {
    struct sip *s = sip_of(env);
    return (uint32_t)sip_abi_return(s, recv(s, (int32_t)h, msg));
}

static int select(struct sip *s, uint32_t handles, uint32_t n, int64_t timeout_ns) {
    int32_t hs[CHAN_SELECT_MAX];
    struct endpoint *eps[CHAN_SELECT_MAX];
    if (n < 1 || n > CHAN_SELECT_MAX) return -EINVAL;
    const void *p = sip_mem_range(s, handles, n * 4);
    if (!p) return -EFAULT;
    memcpy(hs, p, n * 4);
    uint32_t used = 0;
    while (used < n && (eps[used] = sip_handle_use(s, hs[used]))) used++;
    int r = -EBADF;
    if (used == n) {
        uint64_t now = time_ns(), deadline = UINT64_MAX;
        if (timeout_ns >= 0 && (uint64_t)timeout_ns < UINT64_MAX - now) deadline = now + (uint64_t)timeout_ns;
        r = chan_select(eps, (int)n, deadline);
    }
    for (uint32_t i = 0; i < used; i++) sip_handle_put(s, hs[i]);
    return r;
}

uint32_t Z_envZ_sip_chan_select(env_t *env, uint32_t handles, uint32_t n, uint64_t timeout_ns) {
    struct sip *s = sip_of(env);
    return (uint32_t)sip_abi_return(s, select(s, handles, n, (int64_t)timeout_ns));
}

uint32_t Z_envZ_sip_chan_close(env_t *env, uint32_t h) {
    struct sip *s = sip_of(env);
    return (uint32_t)sip_abi_return(s, sip_handle_close(s, (int32_t)h));
}

// register/connect: h moves to the directory only if it accepts it.
static int ns_call(struct sip *s, uint32_t name, uint32_t len, int h,
                   int (*call)(const char *, struct endpoint *)) {
    char nm[32];
    int r = sip_abi_name(s, name, len, nm);
    if (r < 0) return r;
    struct endpoint *e = sip_handle_lend(s, h);
    if (!e) return -EBADF;
    r = call(nm, e);
    if (r == 0) sip_handle_commit(s, h);
    else sip_handle_return(s, h);
    return r;
}

uint32_t Z_envZ_sip_ns_register(env_t *env, uint32_t name, uint32_t len, uint32_t h) {
    struct sip *s = sip_of(env);
    return (uint32_t)sip_abi_return(s, ns_call(s, name, len, (int32_t)h, nsdir_register));
}

uint32_t Z_envZ_sip_ns_connect(env_t *env, uint32_t name, uint32_t len, uint32_t h) {
    struct sip *s = sip_of(env);
    return (uint32_t)sip_abi_return(s, ns_call(s, name, len, (int32_t)h, nsdir_connect));
}
