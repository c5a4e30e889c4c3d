// proc_sip/sip_abi.c: the kernel ABI a SIP may import (syscall/sip_abi.list),
// with wasm2c 1.0.32's names and C signatures (Z_envZ_NAME, the env instance
// first: the kernel passes its struct sip as that instance). Calling one is a
// direct call, no ring change. Every offset a SIP passes is checked against
// its own linear memory before use (sip_mem_range, the software copyin and
// copyout): a bad one is -EFAULT, never a kernel fault. Every call that can
// block returns through sip_abi_return, so a thread of a dying SIP does not
// go back to its code; so does every other call (a loop of ABI calls spends
// its time in kernel code, where the timer's redirect does not reach). This file: console, time, exit, sysinfo, and the
// table; threads and SIPs in sip_abi_proc.c, channels in sip_abi_chan.c.
//
// sip_abi_symbols is the closed list the loader resolves a SIP object's
// undefined symbols against: nothing else in the kernel is reachable, and
// nothing in it maps or loads code.
#include "proc_sip/sip_abi.h"
#include "arch/x86_64/arch.h"
#include "mm/mm.h"
#include "ipc/chan.h"

// sip_print(ptr, len) -> len written, or -1 if the bytes are not all its own.
uint32_t Z_envZ_sip_print(struct Z_env_instance_t *env, uint32_t ptr, uint32_t len) {
    struct sip *s = sip_of(env);
    const char *p = sip_mem_range(s, ptr, len);
    if (!p) return (uint32_t)-1;
    console_write(p, len);
    return (uint32_t)sip_abi_return(s, (int32_t)len);
}

void Z_envZ_sip_exit(struct Z_env_instance_t *env, uint32_t code) {
    (void)env;
    sip_exit_current((int32_t)code);
}

void Z_envZ_sip_yield(struct Z_env_instance_t *env) {
    thread_yield();
    sip_check_dying(sip_of(env));
}

uint64_t Z_envZ_sip_cycles(struct Z_env_instance_t *env) {
    sip_check_dying(sip_of(env));
    return rdtsc();
}

// sip_sleep_ms(ms) -> 0, or -1 for a negative time or if the sleep was cut short.
uint32_t Z_envZ_sip_sleep_ms(struct Z_env_instance_t *env, uint64_t ms) {
    if ((int64_t)ms < 0) return (uint32_t)-1;
    if (ms > 24ull * 3600 * 1000) ms = 24ull * 3600 * 1000;   // a day: no ns overflow
    int r = time_sleep_ns_killable(ms * 1000000ull) == 0 ? 0 : -1;
    return (uint32_t)sip_abi_return(sip_of(env), r);
}

uint64_t Z_envZ_sip_time_ns(struct Z_env_instance_t *env) {
    sip_check_dying(sip_of(env));
    return time_ns();
}

uint32_t Z_envZ_sip_self(struct Z_env_instance_t *env) {
    struct sip *s = sip_of(env);
    return (uint32_t)sip_abi_return(s, s->id);
}

// The SIP side's struct sip_sysinfo (user/sip/include/sip.h), 32 bytes.
struct abi_sysinfo {
    int64_t frames_free;
    int64_t heap_used;           // bytes of the pages the kernel heap holds
    int32_t sips, endpoints, messages;
    int32_t domain;              // enum sip_domain, | SYSINFO_LARGE_PAGES when mapped in 2 MiB pages
};
#define SYSINFO_LARGE_PAGES 0x100
_Static_assert(sizeof(struct abi_sysinfo) == 32, "struct sip_sysinfo is 32 bytes");

uint32_t Z_envZ_sip_sysinfo(struct Z_env_instance_t *env, uint32_t ptr) {
    struct sip *s = sip_of(env);
    void *p = sip_mem_range(s, ptr, sizeof(struct abi_sysinfo));
    if (!p) return (uint32_t)-EFAULT;
    kheap_trim();                // cached empty heap pages are not in use: count them free
    struct abi_sysinfo i = {
        .frames_free = (int64_t)frame_free_count(),
        .heap_used = (int64_t)(kheap_pages() * PAGE_SIZE),
        .sips = sip_alive_count(),
        .endpoints = (int32_t)chan_endpoints_alive(),
        .messages = (int32_t)chan_messages_alive(),
        .domain = (int32_t)s->domain |
                  (s->domain == SIPDOM_KERNEL && sip_domain_large_pages() ? SYSINFO_LARGE_PAGES : 0),
    };
    memcpy(p, &i, sizeof i);
    return (uint32_t)sip_abi_return(s, 0);
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
    KSYM(Z_envZ_sip_cycles), KSYM(Z_envZ_sip_sleep_ms), KSYM(Z_envZ_sip_time_ns),
    KSYM(Z_envZ_sip_self), KSYM(Z_envZ_sip_sysinfo),
    KSYM(Z_envZ_sip_thread_create), KSYM(Z_envZ_sip_thread_exit), KSYM(Z_envZ_sip_thread_join),
    KSYM(Z_envZ_sip_futex_wait), KSYM(Z_envZ_sip_futex_wake),
    KSYM(Z_envZ_sip_chan_create), KSYM(Z_envZ_sip_chan_send), KSYM(Z_envZ_sip_chan_recv),
    KSYM(Z_envZ_sip_chan_select), KSYM(Z_envZ_sip_chan_close),
    KSYM(Z_envZ_sip_spawn), KSYM(Z_envZ_sip_wait), KSYM(Z_envZ_sip_kill), KSYM(Z_envZ_sip_args),
    KSYM(Z_envZ_sip_ns_register), KSYM(Z_envZ_sip_ns_connect),
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
