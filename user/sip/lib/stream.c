// user/sip/lib/stream.c: stdin and stdout as Stream channels. Every SIP's
// endpoint 0 is a Stream reader and endpoint 1 a Stream writer (start.c
// declares them), or -1 when its parent gave none: then stdin is at its end
// and stdout is the console. Which of the two is probed before anything
// else can take handle 0 or 1 (a later channel may get a free low handle).
// The end of a stream is its writer closing it: the reader drains what is
// queued, then gets -EPIPE, which read() turns into 0 (end of file).
#include <errno.h>
#include <sip.h>
#include <contracts/Stream.h>
#include "sip_libc.h"

static int in_h = -1, out_h = -1;
static struct Stream_msg in;        // the message being read (static: 1 KiB)
static int in_pos, in_len;
static bool in_end;

// A handle this SIP owns answers a poll with anything but -EBADF.
static bool owned(int h) {
    int32_t hs[1] = { h };
    return sip_chan_select(hs, 1, 0) != -EBADF;
}

void __stream_init(void) {
    in_h = owned(SIP_STDIN) ? SIP_STDIN : -1;
    out_h = owned(SIP_STDOUT) ? SIP_STDOUT : -1;
}

bool __stdout_is_console(void) {
    return out_h < 0;
}

// Waits for the next message with data; false at the end of the stream.
static long next_message(void) {
    while (in_pos == in_len) {
        if (in_end || in_h < 0)
            return 0;
        int tag = Stream_recv(in_h, &in);
        if (tag == -EPIPE) {
            in_end = true;
            return 0;
        }
        if (tag < 0)
            return tag;
        in_pos = 0;
        in_len = in.Data.data_len;
    }
    return 1;
}

long __stream_read(void *buf, unsigned long n) {
    long r = n ? next_message() : 0;
    if (r <= 0)
        return r;
    unsigned long k = (unsigned long)(in_len - in_pos) < n ? (unsigned long)(in_len - in_pos) : n;
    __builtin_memcpy(buf, in.Data.data + in_pos, k);
    in_pos += (int)k;
    return (long)k;
}

long __console_write(const void *buf, unsigned long n) {
    const char *p = buf;
    for (unsigned long done = 0; done < n;) {
        int k = n - done > 4096 ? 4096 : (int)(n - done);
        if (sip_print(p + done, k) < 0)
            return done ? (long)done : -EIO;
        done += (unsigned long)k;
    }
    return (long)n;
}

// One Data per SIP_MSG_MAX bytes. -EPIPE when the reader has gone.
long __stream_write(const void *buf, unsigned long n) {
    const char *p = buf;
    if (out_h < 0)
        return __console_write(buf, n);
    for (unsigned long done = 0; done < n;) {
        int k = n - done > SIP_MSG_MAX ? SIP_MSG_MAX : (int)(n - done);
        int err = Stream_send_Data(out_h, p + done, k);
        if (err < 0)
            return done ? (long)done : err;
        done += (unsigned long)k;
    }
    return (long)n;
}

// Closing stdout ends the stream for its reader; closing stdin tells the
// writer nobody reads (its sends get -EPIPE).
int __stream_close(int fd) {
    int *h = fd == 0 ? &in_h : &out_h;
    if (*h < 0)
        return -EBADF;
    sip_chan_close(*h);
    *h = -1;
    if (fd == 0)
        in_end = true;
    return 0;
}
