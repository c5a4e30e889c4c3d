// ipc/ktest_contract.c: the contract registry as the booted sip kernel has it
// (contracts/*.contract of its initrd) and the parser and checks compiled
// with the kernel's compiler and flags (the host tests cover the language).
#include "kern/kern.h"
#include "mm/mm.h"
#include "ipc/contract.h"

// Stream, Connect, Ping and Bad are loaded with the roles and messages of
// ipc/contracts/; an unknown name is not.
KTEST(contract_registry) {
    contracts_load();                     // no-op if variant_init loaded them
    const struct contract *s = contract_find("Stream"), *c = contract_find("Connect");
    const struct contract *p = contract_find("Ping"), *b = contract_find("Bad");
    KT_CHECK(s && c && p && b);
    KT_CHECK(contract_find("Nope") == NULL && contract_find("") == NULL);
    KT_CHECK(contract_role(s, "writer") == 0 && contract_role(s, "reader") == 1);
    KT_CHECK(contract_message(s, "Data") == 0 && s->messages[0].has_bytes);
    KT_CHECK(contract_role(c, "dir") == 0 && contract_role(c, "service") == 1);
    const char *role = "x";
    KT_CHECK(contract_ep_field(c, contract_message(c, "Connect"), 0, &role) == NULL &&
             role == NULL);       // ep any
    KT_CHECK(contract_message(p, "Ping") == 0 && contract_message(p, "Pong") == 1);
    KT_CHECK(strcmp(contract_state_name(b, contract_initial(b)), "S0") == 0);
    return 0;
}

// Bad's machine: a One(4 bytes) -> S1, b Two() -> S0, and each way to break it.
KTEST(contract_bad_machine) {
    contracts_load();
    const struct contract *b = contract_find("Bad");
    const char *why = NULL;
    KT_CHECK(b);
    int a = contract_role(b, "a"), bb = contract_role(b, "b");
    int one = contract_message(b, "One"), two = contract_message(b, "Two");
    int s0 = contract_initial(b);
    KT_CHECK(contract_send_check(b, s0, bb, two, 0, 0, &why) == -1 &&
             strcmp(why, "not allowed in this state") == 0);
    KT_CHECK(contract_send_check(b, s0, a, one, 3, 0, &why) == -1 &&
             strcmp(why, "wrong length") == 0);
    KT_CHECK(contract_send_check(b, s0, a, 5, 4, 0, &why) == -1 &&
             strcmp(why, "unknown message") == 0);
    int s1 = contract_send_check(b, s0, a, one, 4, 0, &why);
    KT_CHECK(s1 >= 0 && s1 != s0 && strcmp(contract_state_name(b, s1), "S1") == 0);
    KT_CHECK(contract_send_check(b, s1, a, one, 4, 0, &why) == -1);
    KT_CHECK(contract_send_check(b, s1, bb, two, 0, 1, &why) == -1 &&
             strcmp(why, "wrong number of endpoints") == 0);
    KT_CHECK(contract_recv_check(b, s1, bb, two, &why) == s0);
    KT_CHECK(contract_send_check(b, s1, bb, two, 0, 0, &why) == s0);
    return 0;
}

// The kernel build of the parser refuses with the line number.
KTEST(contract_parse_refusal) {
    static const char text[] = "contract K\nroles a b\nmessage M()\nmessage N()\ninitial S\n"
                               "S: a M -> S\nS: b N -> S\n";
    char err[120];
    struct contract *c = kmalloc(sizeof *c);
    KT_CHECK(c);
    int r = contract_parse(text, sizeof text - 1, "K", c, err, sizeof err);
    int ok = r == -1 && strncmp(err, "line 7: turn rule", 17) == 0;
    if (!ok)
        kprintf("  got %d '%s'\n", r, err);
    r = contract_parse(text, 55, "K", c, err, sizeof err);     // up to "initial S\n"
    ok = ok && r == -1 && strcmp(err, "line 3: message 'M' is not used by any transition") == 0;
    kfree(c);
    KT_CHECK(ok);
    return 0;
}
