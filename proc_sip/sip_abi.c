// proc_sip/sip_abi.c: the kernel ABI a SIP may import (syscall/sip_abi.list),
// with wasm2c 1.0.32's names and C signatures (Z_envZ_NAME, the env instance
// first: the kernel passes its struct sip as that instance). Calling one is a
// direct call, no ring change. Every offset a SIP passes is checked against
// its own linear memory before use (sip_mem_range).
//
// sip_abi_symbols is the closed list the loader resolves a SIP object's
// undefined symbols against: nothing else in the kernel is reachable.
#include "proc_sip/sip.h"
#include "arch/x86_64/arch.h"

struct Z_env_instance_t;                 // what wasm2c calls the importer's instance
static struct sip *sip_of(struct Z_env_instance_t *env) { return (struct sip *)env; }

// sip_print(ptr, len) -> len written, or -1 if the bytes are not all its own.
uint32_t Z_envZ_sip_print(struct Z_env_instance_t *env, uint32_t ptr, uint32_t len) {
    const char *p = sip_mem_range(sip_of(env), ptr, len);
    if (!p) return (uint32_t)-1;
    console_write(p, len);
    return len;
}

void Z_envZ_sip_exit(struct Z_env_instance_t *env, uint32_t code) {
    (void)env;
    sip_exit_current((int32_t)code);
}

void Z_envZ_sip_yield(struct Z_env_instance_t *env) {
    (void)env;
    thread_yield();
}

uint64_t Z_envZ_sip_cycles(struct Z_env_instance_t *env) {
    (void)env;
    return rdtsc();
}

// sip_sleep_ms(ms) -> 0, or -1 for a negative time or if the sleep was cut short.
uint32_t Z_envZ_sip_sleep_ms(struct Z_env_instance_t *env, uint64_t ms) {
    (void)env;
    if ((int64_t)ms < 0) return (uint32_t)-1;
    if (ms > 24ull * 3600 * 1000) ms = 24ull * 3600 * 1000;   // a day: no ns overflow
    return time_sleep_ns_killable(ms * 1000000ull) == 0 ? 0 : (uint32_t)-1;
}

// The runtime (proc_sip/wasm_rt.c), declared here with the types the table needs.
void wasm_rt_allocate_memory(void *, uint32_t, uint32_t);
uint32_t wasm_rt_grow_memory(void *, uint32_t);
void wasm_rt_free_memory(void *);
uint32_t wasm_rt_register_func_type(uint32_t, uint32_t, ...);
bool wasm_rt_is_initialized(void);
_Noreturn void wasm_rt_trap(int);
void wasm_rt_allocate_funcref_table(void *, uint32_t, uint32_t);
void wasm_rt_allocate_externref_table(void *, uint32_t, uint32_t);
void wasm_rt_free_funcref_table(void *);
void wasm_rt_free_externref_table(void *);
uint32_t wasm_rt_grow_funcref_table(void *, uint32_t, ...);
uint32_t wasm_rt_grow_externref_table(void *, uint32_t, void *);

#define KSYM(f) { #f, (uint64_t)&(f) }
const struct sip_ksym sip_abi_symbols[] = {
    // The ABI: one entry per line of syscall/sip_abi.list.
    KSYM(Z_envZ_sip_print), KSYM(Z_envZ_sip_exit), KSYM(Z_envZ_sip_yield),
    KSYM(Z_envZ_sip_cycles), KSYM(Z_envZ_sip_sleep_ms),
    // The wasm2c runtime.
    KSYM(wasm_rt_allocate_memory), KSYM(wasm_rt_grow_memory), KSYM(wasm_rt_free_memory),
    KSYM(wasm_rt_register_func_type), KSYM(wasm_rt_is_initialized), KSYM(wasm_rt_trap),
    KSYM(wasm_rt_call_stack_depth),
    KSYM(wasm_rt_allocate_funcref_table), KSYM(wasm_rt_allocate_externref_table),
    KSYM(wasm_rt_free_funcref_table), KSYM(wasm_rt_free_externref_table),
    KSYM(wasm_rt_grow_funcref_table), KSYM(wasm_rt_grow_externref_table),
    // What gcc may call for struct copies and wasm2c for memory.copy/fill.
    KSYM(memcpy), KSYM(memmove), KSYM(memset), KSYM(memcmp),
    { NULL, 0 },
};
