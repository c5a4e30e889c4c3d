// hostile_thread: one thread traps while the others are busy: one sleeping,
// one spinning, one blocked on a channel receive, and main waiting in
// sip_thread_join. A trap in any thread ends the whole SIP: the kernel must
// stop every one of its threads (the sleepers wake, the spinner is redirected
// at a timer interrupt) before its parent's sip_wait returns -1. If one
// thread survived, the SIP would never end and siptests' time limit fails it.
//   hostile_thread -w   exits 0 at once (a quick child for siptests)
#include <sip.h>
#include <contracts/Stream.h>

#define STACK 8192

static _Alignas(16) char stacks[4][STACK];
static volatile unsigned long spins;
static volatile int started[3];  // one flag each: no lost increment
static int reader;              // a Stream reader whose writer stays open: recv blocks

static void sleeper(int arg) { started[arg] = 1; sip_sleep_ms(1000000); }
static void spinner(int arg) { started[arg] = 1; for (;;) spins++; }

static void receiver(int arg) {
    struct sip_msg m;
    started[arg] = 1;
    sip_chan_recv(reader, &m);
}

static void trapper(int arg) {
    (void)arg;
    while (!started[0] || !started[1] || !started[2]) sip_yield();
    sip_sleep_ms(100);                          // let the others settle into their waits
    volatile int *far = (volatile int *)0x7ffffff0;
    spins += (unsigned long)*far;               // out of bounds: the trap
}

static int start(void (*fn)(int), int i) {
    return sip_thread_create(fn, i, stacks[i] + STACK);
}

int main(int argc, char **argv) {
    (void)argv;
    if (argc > 1) return 0;
    int writer;
    if (Stream_create(&writer, &reader) < 0) return 2;
    int sleeping = start(sleeper, 0);
    if (sleeping <= 0 || start(spinner, 1) <= 0 || start(receiver, 2) <= 0 ||
        start(trapper, 3) <= 0)
        return 3;                               // not the outcome tested: status 3 says so
    sip_thread_join(sleeping);
    return 4;                                   // the sleeper ended: it should not have
}
