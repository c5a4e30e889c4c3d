// proc_sip/switch.c: what a thread switch must carry in the sip kernel (the
// shared scheduler's variant_thread_switch hook).
#include "kern/kern.h"
#include "proc_sip/sip.h"
#include "proc_sip/ring3.h"
#include "mm/mm.h"

// The slot of thread t in s, or NULL (a thread being reaped has none).
static struct sip_thread *slot_of(struct sip *s, struct thread *t) {
    for (int i = 0; i < SIP_MAX_THREADS; i++)
        if (s->threads[i].t == t) return &s->threads[i];
    return NULL;
}

// CR3 writes made here: what domains c..e cost in switches (ktest sip_domain_own).
static uint64_t cr3_loads;

uint64_t sip_cr3_loads(void) {
    return __atomic_load_n(&cr3_loads, __ATOMIC_RELAXED);
}

// s's table (the kernel's for a, b, or once its own is gone) into CR3 if
// another is loaded. Here, before the stack switch, on prev's stack: a
// ring-0 SIP thread switches on its native stack, which is why those stay
// in the shared kernel half (wasm_rt.c). sip_tlb_sync then reloads only if
// a window was freed since this CPU last flushed; a load here has flushed
// too, but one extra reload then is rare.
static void load_space(struct sip *s) {
    struct addrspace *as = sip_space_of(s);
    if ((read_cr3() & PTE_ADDR_MASK) == as->pml4_pa) return;
    vm_switch(as);
    __atomic_add_fetch(&cr3_loads, 1, __ATOMIC_RELAXED);
}

// A SIP in the kernel's space (domains a, b) needs no CR3 load; one with its
// own page table (c, d, e) needs its table loaded before its thread runs
// (load_space). A thread with no owner (kernel threads, the services)
// keeps whatever table is loaded: every table has the whole kernel half.
// What a switch must also carry is the per-thread state wasm2c keeps in globals: its
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
    if (ns) {
        load_space(ns);
        sip_tlb_sync();
    }
    ring3_switch(c, cs, n, ns);      // ring 3: the depth page, where its traps land
}
