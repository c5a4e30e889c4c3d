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

// ---- One SIP (proc_sip/sip.c) ----
#define SIP_MAX_TABLES 4
struct sip_module;               // a loaded image, shared by every SIP of that name
struct sip {
    int id;
    char name[32];
    struct sip_module *mod;
    struct thread *main;
    void *instance;              // the wasm2c instance struct (kernel heap)
    // Its one linear memory: a window of the upper half, mapped page by page.
    int mem_slot;                // -1: none yet
    uint64_t mem_mapped;         // bytes mapped from the window start
    void *mem;                   // the wasm_rt_memory_t inside the instance
    void *tables[SIP_MAX_TABLES];             // its wasm tables' element arrays (kernel heap)
    int ntables;
    uint32_t call_depth;         // wasm_rt_call_stack_depth while switched out
    sip_jmpbuf exit_jmp;         // where sip_exit and traps unwind to
    int status;
    const char *trap;            // NULL, or what killed it
};
struct sip *sip_current(void);   // the running thread's SIP, or NULL
struct sip *sip_spawn(const char *name);   // NULL after a message on failure
int sip_wait(struct sip *s);     // its status (-1 if killed by a trap); frees it
_Noreturn void sip_exit_current(int status);
_Noreturn void sip_trap_current(const char *what);

// ---- The runtime's memory (proc_sip/wasm_rt.c) ----
void sip_tables_release(struct sip *s);    // its tables' arrays back to the heap
// Its window (linear memory and stack): reserve at spawn, release at its end.
// sip_stack_map maps its stack (below a guard gap) and returns the top, or 0.
int sip_window_reserve(struct sip *s);
uint64_t sip_stack_map(struct sip *s);
bool sip_stack_overflowed(struct sip *s, uint64_t rsp);   // a fault's rsp: off its stack?
void sip_mem_release(struct sip *s);       // every frame of its memory and stack back
void sip_tlb_sync(void);                   // before running a SIP thread on this CPU
// The software copyin/copyout: s's bytes [off, off+len), or NULL if any is outside.
void *sip_mem_range(struct sip *s, uint32_t off, uint32_t len);
extern uint32_t wasm_rt_call_stack_depth;
