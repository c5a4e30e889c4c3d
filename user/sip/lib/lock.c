// user/sip/lib/lock.c: the library's locks, as Stream channels holding one
// token each (why: sip_libc.h). A lock is made when it is first needed;
// once threads exist that is done under init_lock, so two threads never
// make the same one.
#include <errno.h>
#include <sip.h>
#include <contracts/Stream.h>
#include "sip_libc.h"

bool __sip_threaded;
static struct sip_lock init_lock = SIP_LOCK_INIT;

// A channel with its one token queued. 0 or -errno.
static int make_channel(struct sip_lock *l) {
    int w, r, err = Stream_create(&w, &r);
    if (err < 0)
        return err;
    err = Stream_send_Data(w, "", 0);
    if (err < 0) {
        sip_chan_close(w);
        sip_chan_close(r);
        return err;
    }
    l->r = r;
    l->w = w;               // last: w >= 0 means ready
    return 0;
}

static void take(struct sip_lock *l) {
    struct sip_msg m;       // a token carries no data: only the header is written
    int err = sip_chan_recv(l->r, &m);
    if (err < 0) {
        static const char msg[] = "libc: a lock's channel failed\n";
        sip_print(msg, sizeof msg - 1);
        __builtin_trap();   // a library bug or a closed handle: end the SIP visibly
    }
}

static void give(struct sip_lock *l) {
    Stream_send_Data(l->w, "", 0);
}

int __sip_lock_make(struct sip_lock *l) {
    if (l->w >= 0)
        return 0;
    if (!__sip_threaded)
        return make_channel(l);
    take(&init_lock);
    int err = l->w >= 0 ? 0 : make_channel(l);
    give(&init_lock);
    return err;
}

void __sip_threads_start(void) {
    if (__sip_threaded)
        return;
    if (make_channel(&init_lock) < 0) {
        static const char msg[] = "libc: no channel for the library's locks\n";
        sip_print(msg, sizeof msg - 1);
        __builtin_trap();
    }
    __sip_threaded = true;
}

void __sip_lock(struct sip_lock *l) {
    if (!__sip_threaded)
        return;
    if (__sip_lock_make(l) < 0)
        __builtin_trap();
    take(l);
}

void __sip_unlock(struct sip_lock *l) {
    if (__sip_threaded)
        give(l);
}
