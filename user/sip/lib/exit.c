// user/sip/lib/exit.c: exit flushes stdio, then ends the whole SIP (every
// thread) with sip_exit. abort ends it as a trap would: the parent's
// sip_wait then reports it killed (-1), not an exit code.
#include <sip.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "sip_libc.h"

_Noreturn void exit(int status) {
    fflush(NULL);
    sip_exit(status);
}

// hw's raw exit (unistd.h): no flush.
int _exit(int status) {
    sip_exit(status);
}

_Noreturn void abort(void) {
    static const char msg[] = "abort\n";
    fflush(NULL);
    sip_print(msg, sizeof msg - 1);
    __builtin_trap();           // wasm unreachable: the kernel ends the SIP, "trap: ..."
}
