// user/sip/lib/misc.c: the rest of the hw C API a SIP can have: time,
// sleeping, its id. (fork, exec, wait, pipe, dup, kill... stay undefined:
// a program calling one is refused by sipc, naming it.)
#include <errno.h>
#include <sip.h>
#include <unistd.h>
#include "sip_libc.h"

int getpid(void) {
    return sip_self();
}

int yield(void) {
    sip_yield();
    return 0;
}

int sleep_ms(long ms) {
    return sip_sleep_ms(ms) < 0 ? (int)__sip_ret(-EINTR) : 0;
}

unsigned sleep(unsigned seconds) {
    sip_sleep_ms((int64_t)seconds * 1000);
    return 0;
}

int usleep(unsigned long usec) {
    return sleep_ms((long)((usec + 999) / 1000));
}

long uptime(void) {
    return (long)(sip_time_ns() / 1000000);
}
