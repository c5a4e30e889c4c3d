// proc_sip/space.c: a SIP's page table. Kernel-space SIPs (domains a, b)
// all share the kernel's; a SIP in domain c, d or e gets a PML4 of its own
// whose upper half is the kernel's (code area, heap, direct map, kernel
// image: every kernel entry point works unchanged) except the PML4 slots
// that hold SIP memory: 384 (linear-memory windows), 386 (ring 3's runtime
// area, proc_sip/ring3*.c) and 387 (ring-3 SIPs' native stacks). Those are
// private: its window is mapped ONLY there, so no other SIP, and not the
// kernel's own table, can reach it. The hardware then enforces what the
// compiler already does: the cost of that is what Figure 5's (c) measures.
//
// Slot 385, the ring-0 SIPs' native stacks, stays shared (wasm_rt.c says
// why: kernel code on one SIP's thread writes into structures on another's
// native stack, and threads switch on them). Wasm code cannot address a
// native stack, so in domain c the linear memory is what the MMU guards.
#include "proc_sip/sip.h"
#include "mm/mm.h"
#include "syscall/errno_list.h"

static const int private_slots[] = { 384, 386, 387 };

struct addrspace *sip_space_of(const struct sip *s) {
    return s->space ? s->space : vm_kernel_space();
}

uint64_t sip_pte_flags(const struct sip *s, uint64_t flags) {
    return s->domain == SIPDOM_RING3 ? flags | PTE_U : flags;
}

int sip_space_create(struct sip *s) {
    if (s->domain == SIPDOM_KERNEL) {
        s->space = vm_kernel_space();
        return 0;
    }
    s->space = vm_new_space_private(private_slots,
                                    (int)(sizeof private_slots / sizeof private_slots[0]));
    return s->space ? 0 : -ENOMEM;
}

// On the SIP's main thread at its end (its CR3 loaded), or at a failed
// create (never loaded). The thread goes on in the kernel's space, which
// has the whole kernel half; variant_thread_switch loads nothing for a SIP
// whose space is gone (sip_space_of: the kernel's). One CPU runs SIPs, so
// no other CPU can have this table loaded.
void sip_space_destroy(struct sip *s) {
    struct addrspace *as = s->space;
    if (!as) return;
    s->space = NULL;
    if (as == vm_kernel_space()) return;
    if ((read_cr3() & PTE_ADDR_MASK) == as->pml4_pa) vm_switch(vm_kernel_space());
    vm_free_space(as);
}
