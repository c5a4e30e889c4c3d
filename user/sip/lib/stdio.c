// user/sip/lib/stdio.c: placeholder until the Stream-backed stdio lands.
#include "sip_libc.h"
void __stdio_init(void) {}
void __stdio_flush_all(void) {}
