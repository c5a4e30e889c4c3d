// proc_sip/switch.c: what a thread switch must carry in the sip kernel (the
// shared scheduler's variant_thread_switch hook).
#include "kern/kern.h"
#include "proc_sip/sip.h"

// Every SIP lives in the one address space: a switch loads no CR3. What a
// switch must carry is wasm2c's call-depth counter, a global in its runtime:
// each SIP thread keeps its own across switches. And a CPU must not run a SIP
// with stale TLB entries for a reused memory window (wasm_rt.c).
void variant_thread_switch(struct thread *next) {
    struct sip *cur = thread_current()->owner, *nxt = next->owner;
    if (cur) cur->call_depth = wasm_rt_call_stack_depth;
    wasm_rt_call_stack_depth = nxt ? nxt->call_depth : 0;
    if (nxt) sip_tlb_sync();
}
