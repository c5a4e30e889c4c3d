// user/sip/lib/morecore.c: malloc's heap is the end of the SIP's linear
// memory, grown by whole wasm pages (64 KiB) with memory.grow; the kernel
// caps a SIP's memory (16 MiB) and memory.grow then fails: malloc returns
// NULL. The heap lock (user/lib/malloc.c calls these on wasm) is a library
// lock: free while the SIP has one thread.
#include <sip.h>
#include <stdint.h>
#include "sip_libc.h"

#define WASM_PAGE 65536u

static struct sip_lock heap_lock = SIP_LOCK_INIT;

// [brk, end): grown but not yet handed out. Memory another piece of code
// grew (memory.grow directly) is skipped: the heap restarts past it.
static uintptr_t brk, end;

void *__morecore(size_t n) {
    if (n == 0 || n > 0x7fffffffu)
        return NULL;
    if (end == 0)
        brk = end = __builtin_wasm_memory_size(0) * WASM_PAGE;
    while (n > end - brk) {
        size_t pages = (n - (end - brk) + WASM_PAGE - 1) / WASM_PAGE;
        size_t old = __builtin_wasm_memory_grow(0, pages);
        if (old == (size_t)-1)
            return NULL;
        if (old * WASM_PAGE != end)
            brk = old * WASM_PAGE;
        end = (old + pages) * WASM_PAGE;
    }
    brk += n;
    return (void *)(brk - n);
}

void __lock_busy(void) {
    sip_yield();
}

void __sip_heap_lock(void) {
    __sip_lock(&heap_lock);
}

void __sip_heap_unlock(void) {
    __sip_unlock(&heap_lock);
}
