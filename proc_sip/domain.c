// proc_sip/domain.c: which protection domain each SIP runs in, from the
// kernel command line (docs/figure5.md). Singularity's Figure 5 measures what
// hardware protection costs on top of software isolation; here one kernel
// runs every configuration, chosen at boot:
//   sipdom=L          every SIP, L in a..e (absent: b)
//   sipdom.NAME=L     every SIP of image NAME
//   sipdom.NAME/ARG=L those of NAME whose first argument after the name is ARG
// NAME/ARG wins over NAME, which wins over the global letter; among equal
// selectors the last word wins. For one SIP: a, b = the kernel's address
// space, ring 0; c = its own page table, ring 0; d, e = its own page table,
// ring 3. Globally, a also maps every kernel-space SIP's linear memory in
// 2 MiB pages. A malformed word is refused with one line and ignored.
#include "proc_sip/sip.h"

#define DOM_RULES_MAX 8
#define DOM_NAME_MAX  32

struct dom_rule {
    char name[DOM_NAME_MAX];
    char arg1[DOM_NAME_MAX];     // "" : every SIP of the image
    char letter;
};

static char global_letter = 'b';
static struct dom_rule rules[DOM_RULES_MAX];
static int nrules;

// Ring 3 (d, e) is proc_sip/ring3.c's. A kernel built without it answers
// why here, and d/e fall back to c, saying so at boot (never silently).
__attribute__((weak)) const char *sip_ring3_missing(void) {
    return "ring 3 is not built in this kernel";
}

const char *sip_domain_name(enum sip_domain d) {
    switch (d) {
    case SIPDOM_KERNEL: return "kernel space";
    case SIPDOM_OWN: return "own page table, ring 0";
    default: return "ring 3";
    }
}

static bool is_letter(const char *v) {
    return v[0] >= 'a' && v[0] <= 'e' && v[1] == '\0';
}

static enum sip_domain domain_of_letter(char l) {
    if (l == 'a' || l == 'b') return SIPDOM_KERNEL;
    if (l == 'c' || sip_ring3_missing()) return SIPDOM_OWN;
    return SIPDOM_RING3;
}

// "NAME" or "NAME/ARG1", each 1..31 bytes: into r; false if malformed.
static bool parse_selector(const char *sel, struct dom_rule *r) {
    const char *slash = strchr(sel, '/');
    size_t nlen = slash ? (size_t)(slash - sel) : strlen(sel);
    size_t alen = slash ? strlen(slash + 1) : 0;
    if (nlen == 0 || nlen >= DOM_NAME_MAX || alen >= DOM_NAME_MAX || (slash && alen == 0) ||
        (slash && strchr(slash + 1, '/')))
        return false;
    memcpy(r->name, sel, nlen);
    r->name[nlen] = 0;
    memcpy(r->arg1, slash ? slash + 1 : "", alen + 1);
    return true;
}

// One sipdom* word: recorded, or refused with its line. 1 if refused.
static int parse_word(const char *key, const char *value) {
    if (!is_letter(value)) {
        kprintf("sip: cmdline: %s=%s: not a letter a..e\n", key, value);
        return 1;
    }
    if (strcmp(key, "sipdom") == 0) {
        global_letter = value[0];
        return 0;
    }
    struct dom_rule r;
    if (!parse_selector(key + 7, &r)) {
        kprintf("sip: cmdline: %s=%s: not sipdom.NAME or sipdom.NAME/ARG\n", key, value);
        return 1;
    }
    if (nrules == DOM_RULES_MAX) {
        kprintf("sip: cmdline: %s=%s: more than %d sipdom.* words\n", key, value, DOM_RULES_MAX);
        return 1;
    }
    r.letter = value[0];
    rules[nrules++] = r;
    return 0;
}

// Replaces the choice with what 'line' says (NULL: the boot command line).
// Returns the number of words refused. The ktests call it with their own lines.
int sip_domains_parse(const char *line) {
    global_letter = 'b';
    nrules = 0;
    int refused = 0;
    const char *cur = line;
    char key[64], value[16];
    while (cmdline_next(&cur, key, sizeof key, value, sizeof value))
        if (strcmp(key, "sipdom") == 0 || strncmp(key, "sipdom.", 7) == 0)
            refused += parse_word(key, value);
    return refused;
}

bool sip_domain_large_pages(void) {
    return global_letter == 'a';
}

enum sip_domain sip_domain_choose(const char *name, const char *arg1) {
    char letter = global_letter;
    int best = 0;                // 1: NAME matched, 2: NAME/ARG1 matched
    for (int i = 0; i < nrules; i++) {
        const struct dom_rule *r = &rules[i];
        if (strcmp(r->name, name) != 0) continue;
        int rank = r->arg1[0] ? 2 : 1;
        if (rank == 2 && (!arg1 || strcmp(r->arg1, arg1) != 0)) continue;
        if (rank >= best) { best = rank; letter = r->letter; }
    }
    return domain_of_letter(letter);
}

static bool asks_ring3(void) {
    bool any = global_letter >= 'd';
    for (int i = 0; i < nrules; i++) any |= rules[i].letter >= 'd';
    return any;
}

// Once, from variant_init: the choice in one line, e.g.
// "sip: domains: sipdom=b (kernel space, 4 KiB pages); webfiles/client: own page table, ring 0"
void sip_domains_init(void) {
    sip_domains_parse(NULL);
    if (asks_ring3() && sip_ring3_missing())
        kprintf("sip: domain d/e not available: %s; using c\n", sip_ring3_missing());
    enum sip_domain g = domain_of_letter(global_letter);
    kprintf("sip: domains: sipdom=%c (%s%s)", global_letter, sip_domain_name(g),
            g != SIPDOM_KERNEL ? "" : sip_domain_large_pages() ? ", 2 MiB pages" : ", 4 KiB pages");
    for (int i = 0; i < nrules; i++)
        kprintf("; %s%s%s: %s", rules[i].name, rules[i].arg1[0] ? "/" : "", rules[i].arg1,
                sip_domain_name(domain_of_letter(rules[i].letter)));
    kprintf("\n");
}
