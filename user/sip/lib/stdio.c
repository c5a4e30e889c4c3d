// user/sip/lib/stdio.c: a SIP's stdio is hw's (user/lib/hw/stdio.c: FILE
// buffers over read/write/fstat), over the descriptors of fd.c: stdout is
// line-buffered when it is the console and fully buffered into a channel
// (flushed when full and at exit), stderr is the console, unbuffered. Only
// __stdio_init differs: it first finds which standard endpoints the SIP has.
#include "sip_libc.h"
#define __stdio_init __hw_stdio_init
#include "../../lib/hw/stdio.c"
#undef __stdio_init

void __stdio_init(void) {
    __stream_init();
    __hw_stdio_init();
}
