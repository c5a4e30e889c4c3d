// grade/host/fuzz_contract.c: libFuzzer target for ipc/contract.c, the parser
// the kernel runs over every contracts/*.contract of its initrd. Any input
// must give either a refusal "line N: ..." (N within the text's lines) or a
// contract whose invariants hold: terminated names, indices in range, the
// turn rule and determinism in the tables, every state reachable and every
// message used; and then the send/receive checks must agree with the tables
// for every (state, role, message). Seeds: grade/host/corpus/contract/.
#include "ipc/contract.h"

#include <stdlib.h>
#include <string.h>

static void require(int ok) {
    if (!ok)
        abort();   // libFuzzer saves the input that broke an invariant
}

static int terminated(const char *s) { return memchr(s, 0, CONTRACT_NAME_MAX) != NULL; }

static void check_refusal(const char *err, const uint8_t *data, size_t size) {
    require(strncmp(err, "line ", 5) == 0);
    long line = strtol(err + 5, NULL, 10), lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    require(line >= 1 && line <= lines);
}

static void check_message(const struct contract_message *m) {
    int neps = 0;
    uint32_t fixed = 0;
    require(terminated(m->name) && m->nfields >= 0 && m->nfields <= CONTRACT_MAX_FIELDS);
    for (int i = 0; i < m->nfields; i++) {
        const struct contract_field *f = &m->fields[i];
        require(terminated(f->name) && terminated(f->ep_contract) && terminated(f->ep_role));
        neps += f->type == CT_EP;
        fixed += f->type == CT_I32 ? 4 : f->type == CT_I64 ? 8 : 0;
        require(f->type != CT_BYTES || i == m->nfields - 1);
    }
    require(neps == m->neps && neps <= CONTRACT_MSG_EPS && fixed == m->fixed_len);
}

// The checks against the tables, for every (state, role, tag), one past each end too.
static void check_checks(const struct contract *c) {
    const char *why;
    for (int s = -1; s <= c->nstates; s++)
        for (int r = -1; r <= 2; r++)
            for (int t = -1; t <= c->nmessages; t++) {
                int ok = s >= 0 && s < c->nstates && t >= 0 && t < c->nmessages &&
                         c->sender[s] == r && c->next[s][t] >= 0;
                int fixed = ok ? (int)c->messages[t].fixed_len : 0;
                int neps = ok ? c->messages[t].neps : 0;
                int next = contract_send_check(c, s, r, t, (uint32_t)fixed, (uint32_t)neps, &why);
                require(ok ? next == c->next[s][t] : next == -1);
                require(contract_recv_check(c, s, r, t, &why) == next);
            }
}

// Every state reachable from the initial one, every message on some transition.
static void check_whole(const struct contract *c) {
    int seen[CONTRACT_MAX_STATES] = { 0 }, used[CONTRACT_MAX_MESSAGES] = { 0 };
    seen[c->initial] = 1;
    for (int changed = 1; changed;) {
        changed = 0;
        for (int i = 0; i < c->ntrans; i++)
            if (seen[c->trans[i].from] && !seen[c->trans[i].to])
                seen[c->trans[i].to] = changed = 1;
    }
    for (int i = 0; i < c->ntrans; i++)
        used[c->trans[i].message] = 1;
    for (int s = 0; s < c->nstates; s++)
        require(seen[s]);
    for (int m = 0; m < c->nmessages; m++)
        require(used[m]);
}

static void check_contract(const struct contract *c) {
    require(terminated(c->name) && terminated(c->roles[0]) && terminated(c->roles[1]));
    require(strcmp(c->roles[0], c->roles[1]) != 0);
    require(c->nstates >= 1 && c->nstates <= CONTRACT_MAX_STATES);
    require(c->initial >= 0 && c->initial < c->nstates);
    require(c->nmessages >= 0 && c->nmessages <= CONTRACT_MAX_MESSAGES);
    require(c->ntrans >= 0 && c->ntrans <= CONTRACT_MAX_TRANS);
    for (int m = 0; m < c->nmessages; m++)
        check_message(&c->messages[m]);
    for (int i = 0; i < c->ntrans; i++) {
        const struct contract_transition *t = &c->trans[i];
        require(t->from >= 0 && t->from < c->nstates && t->to >= 0 && t->to < c->nstates);
        require(t->message >= 0 && t->message < c->nmessages);
        require(c->sender[t->from] == t->role && c->next[t->from][t->message] == t->to);
    }
    check_whole(c);
    check_checks(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static struct contract c;
    char err[128];
    // The name the seeds use, and no name check, so the parser gets past line 1.
    const char *names[] = { NULL, "Fuzz" };
    for (int i = 0; i < 2; i++) {
        if (contract_parse((const char *)data, size, names[i], &c, err, sizeof err) == 0)
            check_contract(&c);
        else
            check_refusal(err, data, size);
    }
    char tiny[6];
    if (contract_parse((const char *)data, size, NULL, &c, tiny, sizeof tiny) < 0)
        require(strlen(tiny) < sizeof tiny);
    return 0;
}
