// proc_sip/handles.c: a SIP's endpoint handles, small ints 0..63 naming the
// endpoints it owns (ipc/chan.h). All threads of the SIP share the table,
// under s->lock. Two things make concurrent use safe:
//   - busy: an ABI call that uses an endpoint (and may sleep in chan_*) marks
//     it busy; a close meanwhile takes the handle away at once, but the
//     endpoint itself is closed by the last user, never under a sleeper;
//   - lent: an endpoint in the middle of a move (carried by a send, given to a
//     spawn, registered) belongs to nobody until the move commits (the slot
//     frees) or fails (it is back, under the same handle).
#include "proc_sip/sip.h"
#include "ipc/chan.h"
#include "syscall/errno_list.h"

static bool valid(int h) {
    return h >= 0 && h < SIP_MAX_HANDLES;
}

// s->lock held: the live (usable) entry h, or NULL.
static struct sip_handle *live(struct sip *s, int h) {
    if (!valid(h)) return NULL;
    struct sip_handle *e = &s->handles[h];
    return e->ep && !e->lent && !e->closing ? e : NULL;
}

// s->lock held: the lowest free slot, or -1.
static int free_slot(struct sip *s) {
    for (int h = 0; h < SIP_MAX_HANDLES; h++)
        if (!s->handles[h].ep) return h;
    return -1;
}

int sip_handle_add(struct sip *s, struct endpoint *e) {
    int h;
    return sip_handle_add_all(s, &e, 1, &h) < 0 ? -EMFILE : h;
}

// All n or none. Most received messages carry no endpoint: they take no
// lock and scan no table (the scan of all 64 slots was half the cost of
// delivering a message).
int sip_handle_add_all(struct sip *s, struct endpoint *const *eps, int n, int *out) {
    if (n <= 0) return 0;
    spin_lock(&s->lock);
    int nfree = 0;
    for (int h = 0; h < SIP_MAX_HANDLES && nfree < n; h++) nfree += !s->handles[h].ep;
    if (nfree < n) { spin_unlock(&s->lock); return -EMFILE; }
    for (int i = 0; i < n; i++) {
        int h = free_slot(s);
        s->handles[h] = (struct sip_handle){ .ep = eps[i] };
        out[i] = h;
    }
    spin_unlock(&s->lock);
    return 0;
}

void sip_handle_set(struct sip *s, int h, struct endpoint *e) {
    KASSERT(valid(h));
    spin_lock(&s->lock);
    KASSERT(!s->handles[h].ep);
    s->handles[h] = (struct sip_handle){ .ep = e };
    spin_unlock(&s->lock);
}

struct endpoint *sip_handle_get(struct sip *s, int h) {
    spin_lock(&s->lock);
    struct sip_handle *e = live(s, h);
    struct endpoint *ep = e ? e->ep : NULL;
    spin_unlock(&s->lock);
    return ep;
}

// Only a handle nobody is using moves away whole.
struct endpoint *sip_handle_take(struct sip *s, int h) {
    spin_lock(&s->lock);
    struct sip_handle *e = live(s, h);
    struct endpoint *ep = e && !e->busy ? e->ep : NULL;
    if (ep) *e = (struct sip_handle){ 0 };
    spin_unlock(&s->lock);
    return ep;
}

struct endpoint *sip_handle_use(struct sip *s, int h) {
    spin_lock(&s->lock);
    struct sip_handle *e = live(s, h);
    if (e) e->busy++;
    spin_unlock(&s->lock);
    return e ? e->ep : NULL;
}

void sip_handle_put(struct sip *s, int h) {
    struct endpoint *close = NULL;
    spin_lock(&s->lock);
    struct sip_handle *e = &s->handles[h];
    KASSERT(e->busy > 0);
    if (--e->busy == 0 && e->closing) {
        close = e->ep;
        *e = (struct sip_handle){ 0 };
    }
    spin_unlock(&s->lock);
    if (close) endpoint_close(close);
}

struct endpoint *sip_handle_lend(struct sip *s, int h) {
    spin_lock(&s->lock);
    struct sip_handle *e = live(s, h);
    struct endpoint *ep = e && !e->busy ? e->ep : NULL;
    if (ep) e->lent = true;
    spin_unlock(&s->lock);
    return ep;
}

void sip_handle_commit(struct sip *s, int h) {
    spin_lock(&s->lock);
    KASSERT(s->handles[h].lent);
    s->handles[h] = (struct sip_handle){ 0 };
    spin_unlock(&s->lock);
}

void sip_handle_return(struct sip *s, int h) {
    spin_lock(&s->lock);
    KASSERT(s->handles[h].lent);
    s->handles[h].lent = false;
    spin_unlock(&s->lock);
}

int sip_handle_close(struct sip *s, int h) {
    struct endpoint *close = NULL;
    spin_lock(&s->lock);
    struct sip_handle *e = live(s, h);
    if (!e) { spin_unlock(&s->lock); return -EBADF; }
    if (e->busy) {
        e->closing = true;           // the last sip_handle_put closes it
    } else {
        close = e->ep;
        *e = (struct sip_handle){ 0 };
    }
    spin_unlock(&s->lock);
    if (close) endpoint_close(close);
    return 0;
}

// At the SIP's end, when no other thread of it is left: nothing is busy or lent.
void sip_handles_close_all(struct sip *s) {
    for (int h = 0; h < SIP_MAX_HANDLES; h++) {
        struct endpoint *ep = s->handles[h].ep;
        s->handles[h] = (struct sip_handle){ 0 };
        if (ep) endpoint_close(ep);
    }
}
