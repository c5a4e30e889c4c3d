// proc_sip/switch.c: what a thread switch must carry in the sip kernel (the
// shared scheduler's variant_thread_switch hook).
#include "kern/kern.h"
#include "proc_sip/sip.h"

// The slot of thread t in s, or NULL (a thread being reaped has none).
static struct sip_thread *slot_of(struct sip *s, struct thread *t) {
    for (int i = 0; i < SIP_MAX_THREADS; i++)
        if (s->threads[i].t == t) return &s->threads[i];
    return NULL;
}

// Every SIP lives in the one address space: a switch loads no CR3. What a
// switch must carry is the per-thread state wasm2c keeps in globals: its
// call-depth counter (a global of the runtime) and the module's
// __stack_pointer (a global inside the SIP's instance, shared by all its
// threads): each SIP thread keeps its own across switches. And a CPU must
// not run a SIP with stale TLB entries for a reused memory window (wasm_rt.c).
// Swapping globals at a switch is right because one CPU runs threads (no
// AP is started): with several, two threads of one SIP would share the one
// __stack_pointer, and every SIP the one depth counter, at the same time.
//
// The thread being left is prev, not thread_current(): the scheduler has
// already made next current (saving into next's slot was the bug that made
// sh trap with "call stack exhausted" after its first child).
void variant_thread_switch(struct thread *prev, struct thread *next) {
    struct thread *cur = prev;
    struct sip *cs = cur == next ? NULL : cur->owner, *ns = next->owner;
    struct sip_thread *c = cs ? slot_of(cs, cur) : NULL;
    struct sip_thread *n = ns ? slot_of(ns, next) : NULL;
    uint32_t *csp = cs ? __atomic_load_n(&cs->stack_pointer, __ATOMIC_ACQUIRE) : NULL;
    uint32_t *nsp = ns ? __atomic_load_n(&ns->stack_pointer, __ATOMIC_ACQUIRE) : NULL;
    if (c) {
        c->call_depth = wasm_rt_call_stack_depth;
        if (csp) c->sp = *csp;
    }
    wasm_rt_call_stack_depth = n ? n->call_depth : 0;
    if (n && nsp) *nsp = n->sp;
    if (ns) sip_tlb_sync();
}
