// proc_sip/ring3.h: SIPs in ring 3 (domains d, e): proc_sip/ring3.c (the
// stub page, ring-3 images, syscall MSRs) and ring3_sip.c (one SIP's
// runtime area, entering ring 3, the syscall dispatcher, switches, ends).
#pragma once
#include "proc_sip/sip.h"

void ring3_init(void);                        // once; idempotent
const struct sip_ksym *sip_ring3_symbols(void);   // what ring-3 objects resolve against; NULL if unavailable
uint64_t sip_code_area_take(size_t npages);   // loader.c: fresh code-area pages (never reused)
void ring3_image_ready(const struct sip_code *c, void (*init)(void),
                       uint32_t *(*sp_of)(void *), uint64_t *sp_off);
uint64_t ring3_stub(const char *label);       // a label of ring3_entry.asm's blob, in the stub page
uint64_t ring3_abi_stub(int nr);              // line nr of syscall/sip_abi.list's stub
const char *ring3_abi_name(int nr);           // its kernel symbol, or NULL past the last
extern const char ring3_tramp[];
volatile uint32_t *ring3_depth(void);         // the depth page through the direct map

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
