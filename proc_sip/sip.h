// proc_sip/sip.h: the sip kernel's Software-Isolated Processes: the loader of
// sealed images' objects, the wasm2c runtime and one SIP's state.
#pragma once
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include "kern/kern.h"

// ---- Traps and exits unwind with these (proc_sip/sipjmp.asm) ----
// Callee-saved registers, rsp and the return address: enough to leave wasm
// code from any depth, because wasm code owns nothing the kernel must undo.
typedef uint64_t sip_jmpbuf[8];
int sip_setjmp(sip_jmpbuf jb) __attribute__((returns_twice));
_Noreturn void sip_longjmp(sip_jmpbuf jb, int val);
// Runs fn(arg) on another stack (the SIP's), back on this one when fn returns.
void sip_call_on_stack(void (*fn)(void *), void *arg, uint64_t stack_top);

// ---- The loader (proc_sip/loader.c) ----
// A symbol the SIP object may reference: the closed set of kernel entry points.
struct sip_ksym { const char *name; uint64_t addr; };
extern const struct sip_ksym sip_abi_symbols[];   // proc_sip/sip_abi.c, NULL-terminated

// An object loaded into the code area: code R-X, rodata R--, data RW-.
struct sip_code {
    uint64_t base;               // first page in the code area
    size_t npages;
    const uint8_t *obj;          // the object while loading (not kept afterwards)
    size_t obj_len;
};
// Loads an ET_REL object. 0, or -1 with *err naming the problem (a static
// message, overwritten by the next call).
int sip_load_object(const uint8_t *obj, size_t len, const struct sip_ksym *allowed,
                    struct sip_code *out, const char **err);
// The address of a global function symbol defined by the object, or 0.
uint64_t sip_object_symbol(const uint8_t *obj, size_t len, const struct sip_code *code,
                           const char *name);
// The pure checks, before anything is allocated (host- and ktest-friendly).
int sip_object_check(const uint8_t *obj, size_t len, const struct sip_ksym *allowed,
                     const char **err);

// ---- One SIP (proc_sip/sip.c, threads.c, kill.c, handles.c) ----
#define SIP_MAX_TABLES   4
#define SIP_MAX_THREADS  16          // per SIP, the main thread (slot 0) included
#define SIP_MAX_HANDLES  64          // endpoint handles 0..63
#define SIP_ARGS_MAX     1024        // bytes of NUL-separated spawn arguments
#define SIP_ARGC_MAX     32
#define SIP_MSG_MAX      1024        // a message's data bytes (CHAN_MSG_MAX)
#define SIP_MSG_HANDLES  4           // endpoints one message carries
#define SIP_MSG_HDR      28          // struct sip_msg's header: tag, len, nhandles, handles[4]
#define SIP_INIT_EPS_MAX 8           // initial endpoints (the manifest's SIP_ENDPOINTS_MAX)
#define SIP_END_LINE_MAX 200

// ---- Protection domains (proc_sip/domain.c, space.c; docs/figure5.md) ----
// Where one SIP runs: the kernel's address space (a, b), its own page table
// in ring 0 (c), or its own page table in ring 3 (d, e; proc_sip/ring3*.c).
enum sip_domain { SIPDOM_KERNEL, SIPDOM_OWN, SIPDOM_RING3 };
void sip_domains_init(void);                 // variant_init: parse sipdom*, print the choice
int sip_domains_parse(const char *line);     // NULL: the boot cmdline; words refused
enum sip_domain sip_domain_choose(const char *name, const char *arg1);   // arg1 may be NULL
bool sip_domain_large_pages(void);           // global letter a: 2 MiB pages in kernel space
const char *sip_domain_name(enum sip_domain d);
// NULL when ring 3 is available; else why not (then d/e mean c). Weak in domain.c.
const char *sip_ring3_missing(void);

struct sip;
struct addrspace;
// SIPDOM_KERNEL: s->space = the kernel's. Otherwise a new PML4 whose upper
// half is the kernel's except PML4 slots 384 (windows), 386 (ring 3's
// runtime area) and 387 (ring-3 native stacks), private and empty at first;
// 385 (ring-0 native stacks) stays shared (wasm_rt.c says why). 0 or -ENOMEM.
int sip_space_create(struct sip *s);
// After sip_mem_release: leaves s's CR3 if loaded, frees its private tables.
void sip_space_destroy(struct sip *s);
struct addrspace *sip_space_of(const struct sip *s);   // the kernel's if none (yet, or any more)
uint64_t sip_pte_flags(const struct sip *s, uint64_t flags);   // | PTE_U for ring 3
uint64_t sip_cr3_loads(void);                // CR3 writes variant_thread_switch made
uint64_t sip_window_base(const struct sip *s);   // where its linear memory starts (wasm_rt.c)

struct sip_module;               // a loaded image, shared by every SIP of that name
struct endpoint;

// One thread of a SIP: slot 0 is the main thread. A slot is free when t is
// NULL and !reaping; its native stack (in the SIP's window) stays mapped
// once made, until the SIP ends.
struct sip_thread {
    int tid;                     // > 0; the main thread's is 1
    struct thread *t;            // NULL: the slot is free (or being reaped)
    bool exited;                 // ran to its end; t is a zombie or about to be
    bool joining;                // a sip_thread_join has claimed it
    bool starting;               // claimed by a sip_thread_create not yet done (t not set)
    bool stack_mapped;
    int status;                  // sip_thread_exit's, masked to 31 bits
    uint32_t fn, arg;            // what __sip_thread_entry is called with
    uint32_t sp;                 // its __stack_pointer while switched out
    uint32_t call_depth;         // wasm_rt_call_stack_depth while switched out
    uint64_t kentry_top;         // ring 3: where its traps and syscalls land (ring3_sip.c); 0: none yet
    sip_jmpbuf jmp;              // where its end unwinds to (on its kernel stack)
    // A futex wait: the offset it waits on, and whether a wake chose it.
    struct waitq futex_q;
    bool futex_waiting, futex_woken;
    uint32_t futex_off;
};

// A handle table entry: an endpoint the SIP owns. 'lent' entries are in
// the middle of a move (a send, a spawn, a register): nobody else may use or
// reuse them until the move commits or is undone. 'busy' counts ABI calls
// using the endpoint right now; a close while busy is finished by the last.
struct sip_handle {
    struct endpoint *ep;
    int busy;
    bool lent, closing;
};

struct sip {
    int id;
    char name[32];
    struct sip_module *mod;
    struct thread *main;
    enum sip_domain domain;      // chosen at create, before its window is reserved
    struct addrspace *space;     // its page table (the kernel's for SIPDOM_KERNEL); NULL at its end
    void *instance;              // the wasm2c instance struct (kernel heap)
    uint32_t *stack_pointer;     // its __stack_pointer global, inside instance (abi 2)
    struct sip_ring3 *r3;        // ring 3 (d, e): its runtime area (proc_sip/ring3_sip.c); NULL: ring 0
    // Its one linear memory: a window of the upper half, mapped page by page.
    int mem_slot;                // -1: none yet
    uint64_t mem_mapped;         // bytes mapped from the window start
    void *mem;                   // the wasm_rt_memory_t inside the instance
    void *tables[SIP_MAX_TABLES];             // its wasm tables' element arrays (kernel heap)
    int ntables;
    struct spinlock lock;        // threads, handles, children, the end
    struct sip_thread threads[SIP_MAX_THREADS];
    int next_tid;
    struct waitq thread_q;       // a thread ended (sip_thread_join, the end)
    struct sip_handle handles[SIP_MAX_HANDLES];
    char *args;                  // NUL-separated, kernel heap, or NULL
    uint32_t args_len;
    struct sip *parent;          // NULL: made by the kernel
    struct sip *children;        // spawned and not yet waited for
    struct sip *sibling;         // next in the parent's children list
    bool waited_on;              // a sip_wait of the parent sleeps on it
    // The end: the first cause wins and says the line and the status.
    bool dying;                  // every thread must unwind
    bool ended;                  // everything freed but the struct; sip_wait may reap
    bool print_exit;             // sip=NAME's legacy path: print the normal exit line too
    struct waitq end_q;          // the parent's sip_wait sleeps here
    int status;
    char end_line[SIP_END_LINE_MAX];   // "trap: WHAT, killed" etc., "" for a normal exit
    const char *trap;            // NULL, or what killed it (a trap)
};
struct sip *sip_current(void);   // the running thread's SIP, or NULL
struct sip_thread *sip_thread_current(struct sip *s);   // the running thread's slot in s

// Creates a SIP from sip/NAME.sip with args (NUL-separated, may be NULL/0) and
// initial endpoints eps[0..neps) (NULL entries = none; they must match the
// manifest's endpoint lines by contract and role). Takes the endpoints only on
// success. parent: the creating SIP, or NULL for the kernel. NULL and *err =
// -errno on failure (an image problem is printed as `sip: sip/NAME.sip: PROBLEM`).
struct sip *sip_create(const char *name, const char *args, uint32_t args_len,
                       struct endpoint *const *eps, int neps, struct sip *parent, int *err);
struct sip *sip_spawn(const char *name);   // the old way (no args, no endpoints): prints its exit line
int sip_wait(struct sip *s);     // blocks (not killable); its status (-1 if killed); frees it
bool sip_was_killed(const struct sip *s);   // before sip_wait: ended abnormally
int sip_alive_count(void);       // SIPs created and not yet freed

// The end of a SIP (proc_sip/kill.c). sip_end records the first cause (status
// and the line after "sip N (NAME): ", "" for a normal exit), marks it dying
// and interrupts all its threads; later causes change nothing.
void sip_end(struct sip *s, int status, const char *line);
void sip_kill_by(struct sip *s, int killer_id);
// The calling thread leaves its SIP's code now (its slot's jmpbuf).
_Noreturn void sip_unwind_current(void);
_Noreturn void sip_exit_current(int status);
_Noreturn void sip_trap_current(const char *what);
// The main thread's end, after its setjmp: waits for the other threads, kills
// and waits for its children, prints the line, frees (sip_free_resources).
_Noreturn void sip_finish(struct sip *s);
void sip_free_resources(struct sip *s);
// An ABI call's last act: a thread of a dying SIP does not go back to wasm.
// Inline: it is on every ABI call's path (sip_self is it and one load), and
// under TCG a call and its return cost more than the check itself.
static inline void sip_check_dying(struct sip *s) {
    if (__builtin_expect(__atomic_load_n(&s->dying, __ATOMIC_SEQ_CST), 0)) sip_unwind_current();
}
static inline int32_t sip_abi_return(struct sip *s, int32_t r) {
    sip_check_dying(s);
    return r;
}

// ---- Threads (proc_sip/threads.c) ----
bool sip_threads_supported(const struct sip *s);   // its image exports the abi-2 thread symbols
// Its image's manifest says memcheck=guard: its loads and stores are not
// checked, and a fault in its window past its memory is its out-of-bounds trap.
bool sip_memcheck_guard(const struct sip *s);
void sip_run_thread_entry(struct sip *s, uint32_t fn, uint32_t arg);
uint64_t sip_thread_entry_addr(const struct sip *s);   // ring 3: what its trampoline calls
int sip_thread_spawn(struct sip *s, uint32_t fn, uint32_t arg, uint32_t stack_top);
_Noreturn void sip_thread_exit_current(int status);
int sip_thread_join_tid(struct sip *s, int tid);
void sip_threads_end(struct sip *s);   // the main thread: interrupt and reap the others
int sip_futex_wait(struct sip *s, uint32_t off, uint32_t expected, int64_t timeout_ns);
int sip_futex_wake(struct sip *s, uint32_t off, uint32_t n);

// ---- Handles (proc_sip/handles.c): 0..63, under s->lock ----
int sip_handle_add(struct sip *s, struct endpoint *e);          // handle, or -EMFILE
struct endpoint *sip_handle_get(struct sip *s, int h);         // NULL if not owned
struct endpoint *sip_handle_take(struct sip *s, int h);        // removes it; NULL if not owned
// For a call that uses the endpoint (it may block): busy until sip_handle_put.
struct endpoint *sip_handle_use(struct sip *s, int h);
void sip_handle_put(struct sip *s, int h);
// For a move that may fail: lent until committed (gone) or returned (back).
struct endpoint *sip_handle_lend(struct sip *s, int h);
void sip_handle_commit(struct sip *s, int h);
void sip_handle_return(struct sip *s, int h);
// All of eps[0..n) or none: handles in out[], or -EMFILE (nothing added).
int sip_handle_add_all(struct sip *s, struct endpoint *const *eps, int n, int *out);
int sip_handle_close(struct sip *s, int h);                     // 0 or -EBADF
void sip_handles_close_all(struct sip *s);                      // at its end
// The endpoint placed at handle h (a spawn's initial endpoints).
void sip_handle_set(struct sip *s, int h, struct endpoint *e);

// ---- The loader's code area (proc_sip/loader.c) ----
bool sip_code_contains(uint64_t addr);    // inside loaded SIP code

// ---- The runtime's memory (proc_sip/wasm_rt.c) ----
void sip_tables_release(struct sip *s);    // its tables' arrays back to the heap
// Its window (linear memory and stacks): reserve at spawn, release at its end.
// sip_stack_map maps thread slot i's native stack (main 256 KiB, others
// 64 KiB, each above unmapped guard pages) and returns its top, or 0.
int sip_window_reserve(struct sip *s);
uint64_t sip_stack_map(struct sip *s, int slot);
uint64_t sip_stack_top(struct sip *s, int slot);
void sip_stack_release(struct sip *s, int slot);   // a reaped thread's stack back
int sip_stack_slot_of(struct sip *s, uint64_t rsp);   // a fault's rsp: the slot whose stack it ran off, or -1
// addr lies in s's window past its mapped linear memory: where a guard-mode
// SIP's out-of-bounds load or store faults.
bool sip_window_beyond_memory(const struct sip *s, uint64_t addr);
void sip_mem_release(struct sip *s);       // every frame of its memory and stacks back
uint32_t sip_mem_size(struct sip *s);      // bytes of linear memory now
void sip_tlb_sync(void);                   // before running a SIP thread on this CPU
// The software copyin/copyout: s's bytes [off, off+len), or NULL if any is outside.
void *sip_mem_range(struct sip *s, uint32_t off, uint32_t len);
extern uint32_t wasm_rt_call_stack_depth;
