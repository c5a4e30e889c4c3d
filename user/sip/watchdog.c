// watchdog: answers every Ping with a Pong of the same seq and pad, on its
// endpoint 2 (given at spawn), until the client closes it; then exits 0.
// siptests spawns it before the hostile SIPs and pings it after them: it must
// still answer (the kernel and the other SIPs survived). sipbench uses it as
// the server of the message round trip.
//   watchdog -w   exits 0 at once (a quick child for siptests)
// sip: endpoint=Ping:server
#include <errno.h>
#include <stdio.h>
#include <sip.h>
#include <contracts/Ping.h>

#define PING_EP 2

int main(int argc, char **argv) {
    (void)argv;
    if (argc > 1) return 0;
    struct Ping_msg m;
    for (;;) {
        int tag = Ping_recv(PING_EP, &m);
        if (tag == -EPIPE) return 0;            // the client is gone: done
        if (tag != Ping_Ping) {
            fprintf(stderr, "watchdog: recv = %d\n", tag);
            return 1;
        }
        int r = Ping_send_Pong(PING_EP, m.Ping.seq, m.Ping.pad, m.Ping.pad_len);
        if (r == -EPIPE) return 0;
        if (r != 0) {
            fprintf(stderr, "watchdog: send = %d\n", r);
            return 1;
        }
    }
}
