// proc_sip/sip_abi.h: the ABI functions as the kernel defines them (wasm2c
// 1.0.32's names: Z_envZ_NAME, the env instance first; i32 as uint32_t, i64
// as uint64_t), shared by sip_abi*.c. Negative errno values travel as u32.
#pragma once
#include "proc_sip/sip.h"
#include "syscall/errno_list.h"

struct Z_env_instance_t;                 // what wasm2c calls the importer's instance
static inline struct sip *sip_of(struct Z_env_instance_t *env) { return (struct sip *)env; }
typedef struct Z_env_instance_t env_t;

uint32_t Z_envZ_sip_print(env_t *, uint32_t ptr, uint32_t len);
void Z_envZ_sip_exit(env_t *, uint32_t code);
void Z_envZ_sip_yield(env_t *);
uint64_t Z_envZ_sip_cycles(env_t *);
uint32_t Z_envZ_sip_sleep_ms(env_t *, uint64_t ms);
uint64_t Z_envZ_sip_time_ns(env_t *);
uint32_t Z_envZ_sip_self(env_t *);
uint32_t Z_envZ_sip_sysinfo(env_t *, uint32_t ptr);
uint32_t Z_envZ_sip_thread_create(env_t *, uint32_t fn, uint32_t arg, uint32_t stack_top);
void Z_envZ_sip_thread_exit(env_t *, uint32_t status);
uint32_t Z_envZ_sip_thread_join(env_t *, uint32_t tid);
uint32_t Z_envZ_sip_futex_wait(env_t *, uint32_t ptr, uint32_t expected, uint64_t timeout_ns);
uint32_t Z_envZ_sip_futex_wake(env_t *, uint32_t ptr, uint32_t n);
uint32_t Z_envZ_sip_chan_create(env_t *, uint32_t contract, uint32_t len, uint32_t handles_out);
uint32_t Z_envZ_sip_chan_send(env_t *, uint32_t h, uint32_t msg);
uint32_t Z_envZ_sip_chan_recv(env_t *, uint32_t h, uint32_t msg);
uint32_t Z_envZ_sip_chan_select(env_t *, uint32_t handles, uint32_t n, uint64_t timeout_ns);
uint32_t Z_envZ_sip_chan_close(env_t *, uint32_t h);
uint32_t Z_envZ_sip_spawn(env_t *, uint32_t name, uint32_t name_len, uint32_t args,
                          uint32_t args_len, uint32_t handles, uint32_t nhandles);
uint32_t Z_envZ_sip_wait(env_t *, uint32_t child, uint32_t status_out);
uint32_t Z_envZ_sip_kill(env_t *, uint32_t child);
uint32_t Z_envZ_sip_args(env_t *, uint32_t buf, uint32_t cap);
uint32_t Z_envZ_sip_ns_register(env_t *, uint32_t name, uint32_t len, uint32_t h);
uint32_t Z_envZ_sip_ns_connect(env_t *, uint32_t name, uint32_t len, uint32_t h);

// A name from the SIP's memory (1..31 bytes, no NUL inside) into buf[32]:
// 0, -EINVAL (length or NUL) or -EFAULT.
int sip_abi_name(struct sip *s, uint32_t ptr, uint32_t len, char buf[32]);
