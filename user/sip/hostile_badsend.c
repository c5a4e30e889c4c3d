// hostile_badsend: uses endpoints it does not own. It was spawned with none
// (stdin and stdout -1), so every handle number names nothing: guessing the
// numbers its parent uses reaches nothing of the parent's (explicit
// communication). Then it sends messages carrying handles it does not own,
// itself, or too many: each is refused with -EBADF or -EINVAL, the SIP lives
// on, and nothing moved: a good send afterwards still carries its endpoint.
// Exit 0 when all held, else the number of the first failed check.
//   hostile_badsend -w   exits 0 at once (a quick child for siptests)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sip.h>
#include <contracts/Connect.h>
#include <contracts/Stream.h>

static int check_no;

static void expect(const char *what, int got, int want) {
    check_no++;
    if (got == want) return;
    fprintf(stderr, "hostile_badsend: check %d: %s = %d, want %d\n", check_no, what, got, want);
    sip_exit(check_no);
}

static int probe(int h) {                      // -EBADF if h is not ours, without side effects
    int32_t one = h;
    int r = sip_chan_select(&one, 1, 0);
    return r == -EBADF ? -EBADF : 0;
}

// A Connect message (tag 0, no data) carrying n handles.
static int send_carrying(int on, int n, int h0, int h1) {
    static struct sip_msg m;
    memset(&m, 0, 28);
    m.tag = Connect_Connect;
    m.nhandles = n;
    m.handles[0] = h0;
    m.handles[1] = h1;
    return sip_chan_send(on, &m);
}

static void nothing_is_ours(void) {
    for (int h = -1; h <= SIP_MAX_HANDLES; h++) {
        check_no++;
        if (probe(h) != -EBADF) {
            fprintf(stderr, "hostile_badsend: handle %d answers, but it was given none\n", h);
            sip_exit(check_no);
        }
    }
}

int main(int argc, char **argv) {
    (void)argv;
    if (argc > 1) return 0;
    nothing_is_ours();
    int d, s, w, r;
    expect("Connect_create", Connect_create(&d, &s), 0);
    expect("Stream_create", Stream_create(&w, &r), 0);
    int stranger = SIP_MAX_HANDLES - 1;
    expect("stranger is not ours", probe(stranger), -EBADF);
    expect("carry a stranger", send_carrying(d, 1, stranger, -1), -EBADF);
    expect("carry -1", send_carrying(d, 1, -1, -1), -EBADF);
    expect("carry 64", send_carrying(d, 1, SIP_MAX_HANDLES, -1), -EBADF);
    expect("carry itself", send_carrying(d, 1, d, -1), -EBADF);
    expect("carry 5", send_carrying(d, 5, w, r), -EINVAL);
    expect("carry -1 handles", send_carrying(d, -1, w, r), -EINVAL);
    expect("send on a stranger", send_carrying(stranger, 1, w, -1), -EBADF);
    expect("w still ours", probe(w), 0);
    expect("r still ours", probe(r), 0);
    // A good send: w moves into the message, and the receiver gets a new handle for it.
    expect("carry w", send_carrying(d, 1, w, -1), 0);
    expect("w moved away", probe(w), -EBADF);
    struct Connect_msg m;
    expect("recv Connect", Connect_recv(s, &m), Connect_Connect);
    int w2 = m.Connect.client;
    expect("the new handle is ours", probe(w2), 0);
    expect("send on it", Stream_send_Data(w2, "ok", 2), 0);
    struct Stream_msg sm;
    expect("recv what it sent", Stream_recv(r, &sm), Stream_Data);
    expect("its length", sm.Data.data_len, 2);
    return 0;
}
