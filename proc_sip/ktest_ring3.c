// proc_sip/ktest_ring3.c: ring-3 SIPs (domains d, e; proc_sip/ring3*.c):
// the stubs against the ABI table, user pages where (and only where) ring 3
// may go, and a user-mode fault or kill ending that SIP alone.
#include "proc_sip/ring3.h"
#include "mm/mm.h"

extern const char ring3_blob_start[];

// Stub i is line i of syscall/sip_abi.list (sip_abi_symbols keeps that
// order), is `mov eax, i` after its five argument moves (20 bytes) (but
// sip_cycles, line 3: rdtsc in ring 3), and is what a ring-3 object's
// reference to that ABI function resolves to.
KTEST(sip_ring3_stubs) {
    const struct sip_ksym *r3 = sip_ring3_symbols();
    KT_CHECK(r3 != NULL);
    for (int i = 0; i < 24; i++) {
        const char *name = ring3_abi_name(i);
        KT_CHECK(name && strcmp(name, sip_abi_symbols[i].name) == 0);
        const uint8_t *p = (const uint8_t *)ring3_blob_start +
                           (ring3_abi_stub(i) - ring3_stub(ring3_blob_start));
        uint32_t imm;
        memcpy(&imm, p + 21, 4);
        if (i == 3) KT_CHECK(strcmp(name, "Z_envZ_sip_cycles") == 0 && p[0] == 0x0f && p[1] == 0x31);
        else KT_CHECK(p[20] == 0xb8 && imm == (uint32_t)i);    // sip_cycles is rdtsc, in ring 3
        const struct sip_ksym *k = r3;
        while (k->name && strcmp(k->name, name) != 0) k++;
        KT_CHECK(k->name && k->addr == ring3_abi_stub(i));
    }
    KT_CHECK(ring3_abi_name(24) == NULL && sip_abi_symbols[24].name &&
             strncmp(sip_abi_symbols[24].name, "Z_envZ_", 7) != 0);
    // Nothing of the ring-3 table is a kernel function but the type registry,
    // which only init_module calls, in ring 0 at load.
    for (const struct sip_ksym *k = r3; k->name; k++)
        KT_CHECK(sip_code_contains(k->addr) || strcmp(k->name, "wasm_rt_register_func_type") == 0);
    return 0;
}

static struct sip *spinner(void) {
    int err = 0;
    struct sip *s = sip_create("hostile_spin", "hostile_spin", 13, NULL, 0, NULL, &err);
    if (s) time_sleep_ns(30 * 1000000ull);
    return s;
}

// va is reachable from ring 3 through as: U at every level down to its leaf.
static bool user_in(struct addrspace *as, uint64_t va) {
    const pte_t *t = as->pml4;
    for (int level = 3; level >= 0; level--) {
        pte_t e = t[(va >> (12 + 9 * level)) & 511];
        if (!(e & PTE_P) || !(e & PTE_U)) return false;
        if (level == 0 || (e & PTE_PS)) return true;
        t = phys_to_virt(e & PTE_ADDR_MASK);
    }
    return false;
}

// One ring-3 spinner beside a kernel-space one: its window and its depth
// page are user in its own table and absent from the kernel's; its image
// copy is user, the kernel-space copy of the same image and the kernel are not. Killing it
// while it spins in ring 3 ends it (trap_return_to_user).
static int ring3_pair(void) {
    struct sip *k = spinner();
    sip_domains_parse("sipdom.hostile_spin=e");
    struct sip *u = spinner();
    sip_domains_parse("");
    KT_CHECK(k && u && u->domain == SIPDOM_RING3 && u->r3 && k->domain == SIPDOM_KERNEL);
    uint64_t w = sip_window_base(u);
    KT_CHECK(u->mem_mapped > 0 && user_in(u->space, w) && !vm_translate(vm_kernel_space(), w, NULL, NULL));
    uint64_t code3 = sip_module_entry("hostile_spin", true), code0 = sip_module_entry("hostile_spin", false);
    KT_CHECK(code3 && code0 && code3 != code0);
    KT_CHECK(user_in(u->space, code3) && !user_in(u->space, code0) && !user_in(k->space, code0));
    KT_CHECK(!user_in(u->space, (uint64_t)&sip_wait));
    // Its call-depth page: its own frame, in its table only.
    uint64_t d = ring3_depth_va();
    KT_CHECK(user_in(u->space, d) && !vm_translate(vm_kernel_space(), d, NULL, NULL));
    sip_kill_by(u, 0);
    sip_kill_by(k, 0);
    KT_CHECK(sip_wait(u) == -1 && sip_wait(k) == -1);
    return 0;
}

// Twice: the second round must give every frame back (runtime area, tables).
KTEST(sip_ring3_pages) {
    int r = ktest_two_rounds_no_leak(ring3_pair);
    sip_domains_parse(NULL);
    return r;
}

// A ring-3 SIP that runs off its stack faults in user mode: it alone ends
// ("stack overflow"), and the next ring-3 SIP runs as if nothing happened.
KTEST(sip_ring3_fault) {
    int err = 0;
    sip_domains_parse("sipdom=e");
    struct sip *s = sip_create("hostile_bigframe", "hostile_bigframe", 17, NULL, 0, NULL, &err);
    KT_CHECK(s && s->domain == SIPDOM_RING3);
    KT_CHECK(sip_wait(s) == -1);
    struct sip *h = sip_create("hello", "hello", 6, NULL, 0, NULL, &err);
    sip_domains_parse(NULL);
    KT_CHECK(h && h->domain == SIPDOM_RING3);
    KT_CHECK(sip_wait(h) == 0);
    return 0;
}
