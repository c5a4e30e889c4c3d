// user/sip/lib/exit.c: exit flushes stdio, then ends the whole SIP (every
// thread) with sip_exit. abort ends it as a trap would: the parent's sip_wait
// then reports it as killed (-1), not as an exit code.
#include <sip.h>
#include <stdlib.h>
#include "sip_libc.h"

_Noreturn void exit(int status) {
    __stdio_flush_all();
    sip_exit(status);
}

_Noreturn void abort(void) {
    static const char msg[] = "abort\n";
    __stdio_flush_all();
    sip_print(msg, sizeof msg - 1);
    __builtin_trap();           // wasm unreachable: the kernel ends the SIP with a trap line
}
