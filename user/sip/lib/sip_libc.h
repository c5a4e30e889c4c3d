// user/sip/lib/sip_libc.h: what the SIP-specific files of the C library
// (user/sip/lib/) share with each other. Only library sources include this.
#pragma once
#include "../../lib/libc.h"

void __stdio_init(void);        // stdin/stdout/stderr over endpoints 0/1 and the console
void __stdio_flush_all(void);   // at exit
