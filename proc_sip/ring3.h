// proc_sip/ring3.h: SIPs in ring 3 (domains d, e): proc_sip/ring3.c (the
// stub page, ring-3 images, syscall MSRs) and ring3_sip.c (one SIP's
// runtime area, entering ring 3, the syscall dispatcher, switches, ends).
#pragma once
#include "proc_sip/sip.h"

void ring3_init(void);                        // once; idempotent
const struct sip_ksym *sip_ring3_symbols(void);   // what ring-3 objects resolve against; NULL if unavailable
uint64_t sip_code_area_take(size_t npages);   // loader.c: fresh code-area pages (never reused)
uint64_t sip_code_area_take_aligned(size_t npages, uint64_t align);
void sip_code_area_bounds(uint64_t *base, uint64_t *end);
void ring3_image_ready(const struct sip_code *c, void (*init)(void),
                       uint32_t *(*sp_of)(void *), uint64_t *sp_off);
uint64_t ring3_stub(const char *label);       // a label of ring3_entry.asm's blob, in the stub page
uint64_t ring3_abi_stub(int nr);              // line nr of syscall/sip_abi.list's stub
const char *ring3_abi_name(int nr);           // its kernel symbol, or NULL past the last
extern const char ring3_tramp[];
// A ring-3 SIP's own PML4 slot 511: table copies and its depth frame (ring3.c).
struct addrspace;
struct ring3_code { uint64_t pdpt, pd, pt, depth; };
int ring3_code_private(struct addrspace *as, struct ring3_code *out);   // 0 or -1
void ring3_code_free(struct addrspace *as, const struct ring3_code *c);
uint64_t ring3_depth_va(void);                // where its code finds its call depth

// One SIP (ring3_sip.c). The main thread, inside its setjmp, on its kernel
// stack: makes the runtime area and instance, enters ring 3 (instantiate,
// then entry). Never returns: the SIP's end unwinds to the jmpbuf.
_Noreturn void ring3_run_main(struct sip *s, uint64_t stack_top, uint64_t instantiate,
                              uint64_t entry, size_t instance_size, uint64_t sp_off);
_Noreturn void ring3_run_thread(struct sip *s, struct sip_thread *st, uint64_t stack_top,
                                uint64_t thread_entry);
uint64_t sip_module_entry(const char *name, bool ring3);   // sip.c, for tests: 0 if not loaded
void ring3_left(void);                        // after an unwind: SMAP closed again
void ring3_release(struct sip *s);            // its runtime area (before its page table goes)
// variant_thread_switch: the depth counter and the kernel entry top.
void ring3_switch(struct sip_thread *c, struct sip *cs, struct sip_thread *n, struct sip *ns);
