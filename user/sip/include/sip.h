// user/sip/include/sip.h: the kernel ABI as a SIP program sees it. Each
// function is a wasm import from module "env"; tools/sipc refuses any import
// that syscall/sip_abi.list does not list with the same signature, so this
// header and that list must agree. Pointers are offsets into the SIP's own
// linear memory: the kernel checks every one of them (a bad one is -EFAULT).
// Errors are negative errno values (syscall/hw_abi.h numbers). The meaning of
// each call: docs/sip.md, "The kernel ABI".
#pragma once
#include <stdint.h>

#define SIP_IMPORT(name) __attribute__((import_module("env"), import_name(#name)))

// ---- Limits the kernel enforces ----
#define SIP_MAX_THREADS   16        // per SIP, the main thread included
#define SIP_MAX_HANDLES   64        // endpoint handles are 0..63; -1 means none
#define SIP_MSG_MAX       1024      // bytes of data in one message
#define SIP_MSG_HANDLES   4         // endpoints carried by one message
#define SIP_SELECT_MAX    16        // endpoints in one sip_chan_select
#define SIP_ARGS_MAX      1024      // bytes of NUL-separated spawn arguments
#define SIP_ARGC_MAX      32
#define SIP_STDIN         0         // every SIP's endpoint 0: Stream:reader (or -1)
#define SIP_STDOUT        1         // every SIP's endpoint 1: Stream:writer (or -1)

// A message as sip_chan_send takes it and sip_chan_recv fills it. The kernel
// copies the 28-byte header and len bytes of data.
struct sip_msg {
    int32_t tag;                        // the message's index in its contract
    int32_t len;                        // bytes of data used
    int32_t nhandles;                   // endpoints carried
    int32_t handles[SIP_MSG_HANDLES];   // send: the sender's handles (they move); recv: new ones
    uint8_t data[SIP_MSG_MAX];
};

// ---- Console, exit, time ----
SIP_IMPORT(sip_print) int32_t sip_print(const char *p, int32_t len);   // len, or -1
SIP_IMPORT(sip_exit) _Noreturn void sip_exit(int32_t code);            // ends the whole SIP
SIP_IMPORT(sip_yield) void sip_yield(void);
SIP_IMPORT(sip_cycles) int64_t sip_cycles(void);
SIP_IMPORT(sip_sleep_ms) int32_t sip_sleep_ms(int64_t ms);             // 0, or -1
SIP_IMPORT(sip_time_ns) int64_t sip_time_ns(void);                     // since boot
SIP_IMPORT(sip_self) int32_t sip_self(void);                           // this SIP's id
// What the kernel holds right now, for leak checks (siptests): 0 or -EFAULT.
struct sip_sysinfo {
    int64_t frames_free;                // page frames free
    int64_t heap_used;                  // kernel heap bytes in use
    int32_t sips;                       // SIPs alive
    int32_t endpoints;                  // endpoints alive (chan_endpoints_alive)
    int32_t messages;                   // messages queued (chan_messages_alive)
    int32_t domain;                     // this SIP's: SIP_DOMAIN_* | SIP_DOMAIN_LARGE_PAGES
};
#define SIP_DOMAIN_KERNEL      0        // the kernel's address space, ring 0 (sipdom a, b)
#define SIP_DOMAIN_OWN         1        // its own page table, ring 0 (c)
#define SIP_DOMAIN_RING3       2        // its own page table, ring 3 (d, e)
#define SIP_DOMAIN_LARGE_PAGES 0x100    // its linear memory is in 2 MiB pages (a)
SIP_IMPORT(sip_sysinfo) int32_t sip_sysinfo(struct sip_sysinfo *info);

// ---- Threads (the library's thread.h wraps these) ----
// fn is a function pointer void fn(int); stack_top: 16-aligned top of a
// stack in linear memory. A tid > 0, or -EAGAIN, -EINVAL.
SIP_IMPORT(sip_thread_create) int32_t sip_thread_create(void (*fn)(int), int32_t arg, void *stack_top);
SIP_IMPORT(sip_thread_exit) _Noreturn void sip_thread_exit(int32_t status);
SIP_IMPORT(sip_thread_join) int32_t sip_thread_join(int32_t tid);      // status, or -ESRCH
// 0 when woken, -EAGAIN if *p != expected, -ETIMEDOUT; timeout_ns < 0: none.
SIP_IMPORT(sip_futex_wait) int32_t sip_futex_wait(int32_t *p, int32_t expected, int64_t timeout_ns);
SIP_IMPORT(sip_futex_wake) int32_t sip_futex_wake(int32_t *p, int32_t n);   // threads woken

// ---- Channels (contract-typed stubs: #include <contracts/NAME.h>) ----
// handles_out[0]: the endpoint of the contract's first role, [1] the second's.
SIP_IMPORT(sip_chan_create) int32_t sip_chan_create(const char *contract, int32_t len, int32_t *handles_out);
SIP_IMPORT(sip_chan_send) int32_t sip_chan_send(int32_t h, const struct sip_msg *m);
SIP_IMPORT(sip_chan_recv) int32_t sip_chan_recv(int32_t h, struct sip_msg *m);   // -EPIPE: peer closed
SIP_IMPORT(sip_chan_select) int32_t sip_chan_select(const int32_t *handles, int32_t n, int64_t timeout_ns);
SIP_IMPORT(sip_chan_close) int32_t sip_chan_close(int32_t h);

// ---- SIPs ----
// Starts sip/NAME.sip; args: NUL-separated, argv[0] first; handles: its
// initial endpoints in manifest order (they move to it), -1 for none.
SIP_IMPORT(sip_spawn) int32_t sip_spawn(const char *name, int32_t name_len, const char *args,
                                        int32_t args_len, const int32_t *handles, int32_t nhandles);
SIP_IMPORT(sip_wait) int32_t sip_wait(int32_t child, int32_t *status);   // *status: code, or -1 if killed
SIP_IMPORT(sip_kill) int32_t sip_kill(int32_t child);
SIP_IMPORT(sip_args) int32_t sip_args(char *buf, int32_t cap);           // args_len, or -ERANGE

// ---- The name directory ----
// register: h is the dir end of a Connect channel (it moves to the directory);
// connect: h moves to the service NAME inside a Connect message.
SIP_IMPORT(sip_ns_register) int32_t sip_ns_register(const char *name, int32_t len, int32_t h);
SIP_IMPORT(sip_ns_connect) int32_t sip_ns_connect(const char *name, int32_t len, int32_t h);

// A SIP program defines int main(int argc, char **argv) (the library's
// _start calls it and exits with its result).
