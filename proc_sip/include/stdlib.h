// proc_sip/include/stdlib.h: wasm-rt.h includes it; a SIP object has no libc.
// abort() is a trap: the SIP ends, the kernel goes on.
#pragma once
#include <stddef.h>
#define abort() wasm_rt_trap(WASM_RT_TRAP_UNREACHABLE)
