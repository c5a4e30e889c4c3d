// user/sip/include/sip.h: the kernel ABI as a SIP program sees it. Each
// function is a wasm import from module "env"; tools/sipc refuses any import
// that syscall/sip_abi.list does not list with the same signature, so this
// header and that list must agree. Pointers are offsets into the SIP's own
// linear memory: the kernel checks every one of them.
#pragma once
#include <stdint.h>

#define SIP_IMPORT(name) __attribute__((import_module("env"), import_name(#name)))

// Writes len bytes at p to the console; returns len, or -1 if [p, p+len) is
// not inside this SIP's memory.
SIP_IMPORT(sip_print) int32_t sip_print(const char *p, int32_t len);
// Ends this SIP with exit status code; never returns.
SIP_IMPORT(sip_exit) _Noreturn void sip_exit(int32_t code);
// Lets another thread run.
SIP_IMPORT(sip_yield) void sip_yield(void);
// The CPU's cycle counter.
SIP_IMPORT(sip_cycles) int64_t sip_cycles(void);
// Sleeps at least ms milliseconds; 0.
SIP_IMPORT(sip_sleep_ms) int32_t sip_sleep_ms(int64_t ms);

// A SIP program defines this entry point; returning from it is exit status 0.
void _start(void);
