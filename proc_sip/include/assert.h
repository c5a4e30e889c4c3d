// proc_sip/include/assert.h: for wasm2c output compiled into a SIP object.
// wasm2c's asserts are internal consistency checks; a failed one is a trap
// (the SIP ends), never a kernel panic.
#pragma once
#include "wasm-rt.h"
#define assert(c) do { if (!(c)) wasm_rt_trap(WASM_RT_TRAP_UNREACHABLE); } while (0)
