// proc_sip/ktest_domain.c: protection domains (domain.c, space.c, wasm_rt.c):
// the sipdom words, which SIP they select, an own-page-table SIP's memory
// seen by no other table, 2 MiB pages in (a), and every frame back after.
// The tests replace the choice with their own lines and restore the boot's.
#include "proc_sip/sip.h"
#include "mm/mm.h"

static enum sip_domain ring3_or_own(void) {
    return sip_ring3_missing() ? SIPDOM_OWN : SIPDOM_RING3;
}

static int cmdline_words(void) {
    KT_CHECK(sip_domains_parse("") == 0);
    KT_CHECK(sip_domain_choose("hello", NULL) == SIPDOM_KERNEL && !sip_domain_large_pages());
    KT_CHECK(sip_domains_parse("sipdom=x sipdom.=c sipdom=cc sipdom= sipdom.a/=c sipdom./b=c "
                               "sipdom.a/b/c=c sipdom.hello=f") == 8);
    KT_CHECK(sip_domain_choose("hello", NULL) == SIPDOM_KERNEL);       // all ignored
    KT_CHECK(sip_domains_parse("ktest=x sipdom=a sipdomain=c") == 0);  // not sipdom words: not ours
    KT_CHECK(sip_domain_large_pages() && sip_domain_choose("hello", NULL) == SIPDOM_KERNEL);
    KT_CHECK(sip_domains_parse("sipdom=e") == 0 && !sip_domain_large_pages());
    KT_CHECK(sip_domain_choose("hello", NULL) == ring3_or_own());
    KT_CHECK(sip_domains_parse("sipdom=c") == 0 && sip_domain_choose("x", "y") == SIPDOM_OWN);
    return 0;
}

// NAME/ARG1 wins over NAME, which wins over the global letter, whatever
// the order of the words.
static int precedence(void) {
    KT_CHECK(sip_domains_parse("sipdom.wf/client=c sipdom.wf=b sipdom=d") == 0);
    KT_CHECK(sip_domain_choose("wf", "client") == SIPDOM_OWN);
    KT_CHECK(sip_domain_choose("wf", "fs") == SIPDOM_KERNEL);
    KT_CHECK(sip_domain_choose("wf", NULL) == SIPDOM_KERNEL);
    KT_CHECK(sip_domain_choose("other", "client") == ring3_or_own());
    KT_CHECK(sip_domains_parse("sipdom.wf=c sipdom.wf=a") == 0);        // the last word wins
    KT_CHECK(sip_domain_choose("wf", NULL) == SIPDOM_KERNEL);
    return 0;
}

KTEST(sip_domain_cmdline) {
    int r = cmdline_words();
    if (r == 0) r = precedence();
    sip_domains_parse(NULL);
    return r;
}

// A spinning SIP, given time to map its memory.
static struct sip *spinner(void) {
    int err = 0;
    struct sip *s = sip_create("hostile_spin", "hostile_spin", 13, NULL, 0, NULL, &err);
    if (s) time_sleep_ns(30 * 1000000ull);
    return s;
}

static bool mapped_in(struct addrspace *as, uint64_t va, uint64_t *flags) {
    return vm_translate(as, va, NULL, flags);
}

// Two own-table SIPs: each one's window is mapped in its table only; the
// kernel's table and the other's see nothing there. Running them loads CR3.
static int own_pair(void) {
    uint64_t loads = sip_cr3_loads();
    struct sip *a = spinner(), *b = spinner();
    KT_CHECK(a && b && a->domain == SIPDOM_OWN && b->domain == SIPDOM_OWN);
    KT_CHECK(a->space != vm_kernel_space() && b->space != vm_kernel_space() && a->space != b->space);
    KT_CHECK(a->mem_mapped > 0 && b->mem_mapped > 0);
    uint64_t wa = sip_window_base(a), wb = sip_window_base(b);
    KT_CHECK(mapped_in(a->space, wa, NULL) && !mapped_in(vm_kernel_space(), wa, NULL));
    KT_CHECK(!mapped_in(b->space, wa, NULL));
    KT_CHECK(mapped_in(b->space, wb, NULL) && !mapped_in(a->space, wb, NULL));
    KT_CHECK(!mapped_in(vm_kernel_space(), wb, NULL));
    kprintf("  CR3 loads while two own-table SIPs ran 30 ms each: %lu\n", sip_cr3_loads() - loads);
    KT_CHECK(sip_cr3_loads() > loads);
    sip_kill_by(a, 0);
    sip_kill_by(b, 0);
    KT_CHECK(sip_wait(a) == -1 && sip_wait(b) == -1);
    return 0;
}

// Two rounds: the first loads the code; the second must give every frame
// back, its own PML4 and private tables included.
KTEST(sip_domain_own) {
    sip_domains_parse("sipdom.hostile_spin=c");
    int r = ktest_two_rounds_no_leak(own_pair);
    sip_domains_parse(NULL);
    return r;
}

static int large_one(void) {
    struct sip *s = spinner();
    KT_CHECK(s && s->domain == SIPDOM_KERNEL && s->space == vm_kernel_space());
    uint64_t flags = 0;
    KT_CHECK(mapped_in(vm_kernel_space(), sip_window_base(s), &flags));
    KT_CHECK(flags & PTE_PS);                         // a 2 MiB page
    KT_CHECK(s->mem_mapped && s->mem_mapped % HUGE_SIZE == 0);
    sip_kill_by(s, 0);
    KT_CHECK(sip_wait(s) == -1);
    return 0;
}

// sipdom=a: a kernel-space SIP's linear memory in 2 MiB pages, all back at its end.
KTEST(sip_domain_large) {
    sip_domains_parse("sipdom=a");
    int r = ktest_two_rounds_no_leak(large_one);
    sip_domains_parse(NULL);
    return r;
}
