// proc_sip/ring3_sip.c: one ring-3 SIP (domains d, e; proc_sip/ring3.c
// says how the pieces fit): its runtime area, entering ring 3, the syscall
// dispatcher its stubs reach, the switch hook and its end.
#include "proc_sip/sip_abi.h"
#include "proc_sip/ring3.h"
#include "arch/x86_64/arch.h"
#include "mm/mm.h"

// The runtime area: PML4 slot 386, private to each SIP's page table, so
// every ring-3 SIP uses the same addresses. Each allocation is physically
// contiguous (the kernel's alias is the direct map) and followed by an
// unmapped page.
#define AREA_BASE   0xFFFFC10000000000ull
#define AREA_SIZE   (1ull << 30)
#define AREA_ALLOCS (1 + SIP_MAX_TABLES)     // the instance, then its tables
#define SIP_MAX_TABLE_ELEMS 65536u           // as wasm_rt.c's

enum { NR_ABI_COUNT = 24, NR_RT = 64, NR_RETURN = NR_RT, NR_ALLOC_MEM, NR_GROW_MEM, NR_TRAP,
       NR_ALLOC_FUNCREF, NR_ALLOC_EXTERNREF };

struct area_alloc { uint64_t va, pa; size_t npages, mapped; };
// wasm-rt.h's wasm_rt_memory_t, as wasm_rt.c mirrors it.
struct rt_memory { uint64_t data; uint32_t pages, max_pages, size; };
struct sip_ring3 {
    // The kernel's own copy of its memory descriptor: s->mem points HERE,
    // not at the instance's, which ring 3 can write: a SIP that changed its
    // data or size must not steer the kernel's copies (sip_mem_range). The
    // instance's copy (mem_uva) is what its code reads, rewritten after
    // every allocate and grow.
    struct rt_memory mem;
    uint64_t mem_uva;
    struct ring3_code code;      // its own slot 511: the depth page's frame and tables
    volatile uint32_t *depth;    // that frame, for the kernel
    uint64_t inst_uva;           // the instance its code is given
    uint8_t *inst_kva;           // the same bytes for the kernel
    size_t inst_size;
    uint64_t next_va;
    int nalloc;
    struct area_alloc alloc[AREA_ALLOCS];
};

// What ring3_iret (ring3_entry.asm) loads: keep the order.
struct ring3_regs { uint64_t rip, rsp, rdi, rsi, rdx, r12, r13; };
_Noreturn void ring3_iret(const struct ring3_regs *r);
void wasm_rt_allocate_memory(void *, uint32_t, uint32_t);   // wasm_rt.c
uint32_t wasm_rt_grow_memory(void *, uint32_t);
_Noreturn void wasm_rt_trap(int);

static void user_open(void) {
    if (cpu_has.smap) stac();
}
static void user_close(void) {
    if (cpu_has.smap) clac();
}

// An ABI call or trap may unwind with SMAP open: the landing closes it.
void ring3_left(void) {
    user_close();
}

// 'bytes' of zeroed user pages (RW NX) in s's runtime area: their user
// address, the kernel's in *kva; 0 if out of room or memory.
static uint64_t area_alloc(struct sip *s, size_t bytes, void **kva) {
    struct sip_ring3 *r = s->r3;
    size_t n = ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE;
    if (r->nalloc == AREA_ALLOCS || n + 1 > (AREA_BASE + AREA_SIZE - r->next_va) / PAGE_SIZE)
        return 0;
    uint64_t pa = frame_alloc_contig(n, 1);
    if (!pa) return 0;
    struct area_alloc *a = &r->alloc[r->nalloc++];
    *a = (struct area_alloc){ r->next_va, pa, n, 0 };
    r->next_va += (n + 1) * PAGE_SIZE;
    for (; a->mapped < n; a->mapped++)
        if (vm_map_page(sip_space_of(s), a->va + a->mapped * PAGE_SIZE, pa + a->mapped * PAGE_SIZE,
                        PTE_U | PTE_W | PTE_NX) != VM_OK)
            return 0;            // ring3_release frees what was mapped
    *kva = phys_to_virt(pa);
    return a->va;
}

void ring3_release(struct sip *s) {
    struct sip_ring3 *r = s->r3;
    if (!r) return;
    for (int i = 0; i < r->nalloc; i++) {
        struct area_alloc *a = &r->alloc[i];
        for (size_t p = 0; p < a->mapped; p++)
            vm_unmap_page(sip_space_of(s), a->va + p * PAGE_SIZE, NULL);
        frame_free_contig(a->pa, a->npages);
    }
    ring3_code_free(sip_space_of(s), &r->code);
    s->r3 = NULL;
    kfree(r);
}

// Into ring 3 on this SIP thread. Traps and syscalls from there land under
// the jmpbuf's rsp: above it are the live frames its end unwinds to.
static _Noreturn void ring3_enter(struct sip *s, const struct ring3_regs *regs) {
    struct sip_thread *st = sip_thread_current(s);
    KASSERT(st);
    sip_check_dying(s);
    uint64_t top = ALIGN_DOWN(st->jmp[6] - 256, 16);
    cli();                       // until iretq: no switch may see half of this
    st->kentry_top = top;
    mycpu()->kstack_top = top;
    tss_set_rsp0(top);
    *s->r3->depth = 0;
    ring3_iret(regs);
}

_Noreturn void ring3_run_main(struct sip *s, uint64_t stack_top, uint64_t instantiate,
                              uint64_t entry, size_t instance_size, uint64_t sp_off) {
    // Its own table (domain.c and space.c: never the kernel's for ring 3).
    KASSERT(sip_space_of(s) != vm_kernel_space());
    struct sip_ring3 *r = kzalloc(sizeof *r);
    if (!r || ring3_code_private(sip_space_of(s), &r->code) < 0) {
        kfree(r);
        sip_trap_current("no memory for its page tables");
    }
    r->depth = phys_to_virt(r->code.depth);
    r->next_va = AREA_BASE;
    s->r3 = r;                   // complete: the switch hook may use it from here
    void *kva;
    if (!(r->inst_uva = area_alloc(s, instance_size, &kva)))
        sip_trap_current("no memory for the instance");
    r->inst_kva = kva;
    r->inst_size = instance_size;
    // switch.c saves and loads the __stack_pointer global through this alias
    // (0 until instantiate sets it: the first switch away saves its value).
    if (sp_off != UINT64_MAX && sp_off + 4 <= instance_size)
        __atomic_store_n(&s->stack_pointer, (uint32_t *)(r->inst_kva + sp_off), __ATOMIC_RELEASE);
    struct ring3_regs regs = { ring3_stub(ring3_tramp), stack_top, r->inst_uva, 0, 0,
                               instantiate, entry };
    ring3_enter(s, &regs);
}

_Noreturn void ring3_run_thread(struct sip *s, struct sip_thread *st, uint64_t stack_top,
                                uint64_t thread_entry) {
    struct ring3_regs regs = { ring3_stub(ring3_tramp), stack_top, s->r3->inst_uva, st->fn,
                               st->arg, 0, thread_entry };
    ring3_enter(s, &regs);
}

// ---- Syscalls from ring 3: the ABI, then the runtime ----

// One case per line of syscall/sip_abi.list, in its order (the stubs'
// numbers; ktest sip_ring3_stubs checks ring3_abi_name against the table).
static uint64_t abi_call(env_t *e, uint64_t nr, const uint64_t *a) {
#define A(i) ((uint32_t)a[i])
    switch (nr) {
    case 0: return Z_envZ_sip_print(e, A(0), A(1));
    case 1: Z_envZ_sip_exit(e, A(0)); return 0;
    case 2: Z_envZ_sip_yield(e); return 0;
    case 3: return Z_envZ_sip_cycles(e);
    case 4: return Z_envZ_sip_sleep_ms(e, a[0]);
    case 5: return Z_envZ_sip_time_ns(e);
    case 6: return Z_envZ_sip_self(e);
    case 7: return Z_envZ_sip_sysinfo(e, A(0));
    case 8: return Z_envZ_sip_thread_create(e, A(0), A(1), A(2));
    case 9: Z_envZ_sip_thread_exit(e, A(0)); return 0;
    case 10: return Z_envZ_sip_thread_join(e, A(0));
    case 11: return Z_envZ_sip_futex_wait(e, A(0), A(1), a[2]);
    case 12: return Z_envZ_sip_futex_wake(e, A(0), A(1));
    case 13: return Z_envZ_sip_chan_create(e, A(0), A(1), A(2));
    case 14: return Z_envZ_sip_chan_send(e, A(0), A(1));
    case 15: return Z_envZ_sip_chan_recv(e, A(0), A(1));
    case 16: return Z_envZ_sip_chan_select(e, A(0), A(1), a[2]);
    case 17: return Z_envZ_sip_chan_close(e, A(0));
    case 18: return Z_envZ_sip_spawn(e, A(0), A(1), A(2), A(3), A(4), A(5));
    case 19: return Z_envZ_sip_wait(e, A(0), A(1));
    case 20: return Z_envZ_sip_kill(e, A(0));
    case 21: return Z_envZ_sip_args(e, A(0), A(1));
    case 22: return Z_envZ_sip_ns_register(e, A(0), A(1), A(2));
    case 23: return Z_envZ_sip_ns_connect(e, A(0), A(1), A(2));
    }
#undef A
    sip_trap_current("unknown ABI call");
}

// The kernel's address of [uva, uva+size) inside the SIP's instance: where
// its code's runtime calls may point (the memory and table structs).
static void *inst_ptr(struct sip *s, uint64_t uva, size_t size) {
    struct sip_ring3 *r = s->r3;
    if (uva < r->inst_uva || uva - r->inst_uva > r->inst_size ||
        size > r->inst_size - (uva - r->inst_uva))
        sip_trap_current("runtime call with a bad pointer");
    return r->inst_kva + (uva - r->inst_uva);
}

// wasm-rt.h's wasm_rt_*_table_t, as wasm_rt.c mirrors it.
struct rt_table { uint64_t data; uint32_t max_size, size; };

static void table_alloc(struct sip *s, uint64_t t_uva, uint32_t elems, uint32_t max,
                        size_t elem_size) {
    struct rt_table *t = inst_ptr(s, t_uva, sizeof *t);
    if (elems > SIP_MAX_TABLE_ELEMS) sip_trap_current("table over the limit");
    void *kva;
    uint64_t va = area_alloc(s, MAX(elems, 1u) * elem_size, &kva);
    if (!va) sip_trap_current("out of memory for a table");
    t->data = va;
    t->size = elems;
    t->max_size = max;
}

// The thread's code returned: main's is exit(0), another's its end with 0.
static _Noreturn void returned(void) {
    sip_thread_exit_current(0);
}

// The one linear memory: made and grown in the kernel's copy, then shown
// to the SIP's code in its instance.
static void mem_allocate(struct sip *s, uint64_t m_uva, uint32_t initial, uint32_t max) {
    struct rt_memory *user = inst_ptr(s, m_uva, sizeof *user);
    wasm_rt_allocate_memory(&s->r3->mem, initial, max);   // traps on a second one
    s->r3->mem_uva = m_uva;
    *user = s->r3->mem;
}

static uint32_t mem_grow(struct sip *s, uint64_t m_uva, uint32_t delta) {
    struct rt_memory *user = inst_ptr(s, m_uva, sizeof *user);
    if (m_uva != s->r3->mem_uva) return 0xFFFFFFFFu;
    uint32_t old = wasm_rt_grow_memory(&s->r3->mem, delta);
    *user = s->r3->mem;
    return old;
}

static uint64_t rt_call(struct sip *s, uint64_t nr, const uint64_t *a) {
    switch (nr) {
    case NR_RETURN: returned();
    case NR_ALLOC_MEM: mem_allocate(s, a[0], (uint32_t)a[1], (uint32_t)a[2]); return 0;
    case NR_GROW_MEM: return mem_grow(s, a[0], (uint32_t)a[1]);
    case NR_TRAP: wasm_rt_trap((int)a[0]);
    case NR_ALLOC_FUNCREF: table_alloc(s, a[0], (uint32_t)a[1], (uint32_t)a[2], 24); return 0;
    case NR_ALLOC_EXTERNREF: table_alloc(s, a[0], (uint32_t)a[1], (uint32_t)a[2], 8); return 0;
    }
    sip_trap_current("unknown ABI call");
}

// arch/x86_64/syscall_entry.asm's call (weak there), interrupts on. Only a
// ring-3 SIP's thread can be in ring 3 in this kernel. SMAP is open for the
// call: the ABI functions read and write SIP memory at its user addresses,
// after sip_mem_range's check.
long syscall_dispatch(struct trapframe *tf) {
    struct sip *s = sip_current();
    if (!s || !s->r3) panic("sip: a syscall from ring 3 outside a ring-3 SIP");
    const uint64_t a[6] = { tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8, tf->r9 };
    user_open();
    uint64_t r = tf->rax < NR_ABI_COUNT ? abi_call((env_t *)s, tf->rax, a) : rt_call(s, tf->rax, a);
    user_close();
    tf->rax = r;
    return (long)r;
}

// arch/x86_64/trap.c, before any trap returns to ring 3 (interrupts off):
// a thread of a dying SIP that was running its ring-3 code leaves now, as
// trap_return_to_kernel does for ring 0. Only from the thread's own frame
// (an NMI's or machine check's on an IST stack must return normally).
void trap_return_to_user(struct trapframe *tf) {
    struct sip *s = thread_current()->owner;
    if (!s || !__atomic_load_n(&s->dying, __ATOMIC_SEQ_CST)) return;
    struct sip_thread *st = sip_thread_current(s);
    if (!st || (uint64_t)(tf + 1) != st->kentry_top) return;
    sti();                       // from ring 3: no lock is held
    sip_unwind_current();
}

// variant_thread_switch's ring-3 part: a ring-3 SIP's depth page holds its
// running thread's call depth (its other threads' wait in their slots), and
// traps from ring 3 land at the thread's entry top.
void ring3_switch(struct sip_thread *c, struct sip *cs, struct sip_thread *n, struct sip *ns) {
    if (c && cs->r3) c->call_depth = *cs->r3->depth;
    if (!n || !ns->r3) return;
    *ns->r3->depth = n->call_depth;
    if (n->kentry_top) {
        mycpu()->kstack_top = n->kentry_top;
        tss_set_rsp0(n->kentry_top);
    }
}
