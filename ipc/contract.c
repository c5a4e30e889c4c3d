// ipc/contract.c: the contract language (docs/sip.md, "Contracts") and the
// checks every channel send and receive makes. Pure C over a text buffer with
// no library calls at all, because it is compiled three ways: into the sip
// kernel, into tools/contractc on the host, and into the host tests and the
// fuzz target. Any text gives either a parsed contract or one refusal
// "line N: problem"; never a read past the buffer.
//
// The language, one statement per line ('#' to end of line is a comment):
//     contract NAME                 first, NAME = the file's base name
//     roles A B                     once
//     message M(TYPE f, ...)        TYPE: i32 i64 bytes (last) ep any / ep C:R
//     initial S                     once
//     S: ROLE M -> T                a transition
// Roles and messages are declared before a transition uses them; states are
// declared by appearing.
#include "ipc/contract.h"

// ---- Small string helpers (no libc: the kernel has its own, the host another) ----

static int is_alpha(char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
}
static int is_digit(char ch) { return ch >= '0' && ch <= '9'; }
static int is_word(char ch) { return is_alpha(ch) || is_digit(ch); }

static int str_eq(const char *a, const char *b) {
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

// ---- The lexer: words, ( ) , : and -> on one line ----

enum tok_kind { T_EOL, T_WORD, T_PUNCT, T_BAD };

struct tok {
    enum tok_kind kind;
    const char *s;
    int n;
};

struct parser {
    struct contract *c;
    const char *name;                    // the file's base name, or NULL
    const char *pos, *line_end, *end;    // the current line is pos..line_end
    int line;
    char *err;
    size_t errlen;
    int seen_roles, seen_initial;
    int state_line[CONTRACT_MAX_STATES]; // where each state first appeared
};

static void skip_space(struct parser *p) {
    while (p->pos < p->line_end && (*p->pos == ' ' || *p->pos == '\t' || *p->pos == '\r'))
        p->pos++;
    if (p->pos < p->line_end && *p->pos == '#')
        p->pos = p->line_end;
}

static struct tok next_tok(struct parser *p) {
    struct tok t = { T_EOL, p->pos, 0 };
    skip_space(p);
    t.s = p->pos;
    if (p->pos == p->line_end)
        return t;
    if (is_word(*p->pos)) {
        while (p->pos < p->line_end && is_word(*p->pos))
            p->pos++;
        t.kind = T_WORD;
    } else if (*p->pos == '-' && p->pos + 1 < p->line_end && p->pos[1] == '>') {
        p->pos += 2;
        t.kind = T_PUNCT;
    } else {
        char ch = *p->pos++;
        t.kind = (ch == '(' || ch == ')' || ch == ',' || ch == ':') ? T_PUNCT : T_BAD;
    }
    t.n = (int)(p->pos - t.s);
    return t;
}

static struct tok peek_tok(struct parser *p) {
    const char *save = p->pos;
    struct tok t = next_tok(p);
    p->pos = save;
    return t;
}

static int tok_is(struct tok t, const char *s) {
    int i = 0;
    for (; i < t.n; i++)
        if (s[i] != t.s[i])
            return 0;
    return s[i] == '\0';
}

// ---- Refusals: "line N: problem 'token'" without snprintf ----

static void err_add(struct parser *p, size_t *at, const char *s, int n) {
    for (int i = 0; (n < 0 ? s[i] != '\0' : i < n) && *at + 1 < p->errlen; i++)
        p->err[(*at)++] = s[i];
    p->err[*at] = '\0';
}

static void err_add_int(struct parser *p, size_t *at, int v) {
    char buf[12];
    int n = 0;
    do
        buf[sizeof buf - 1 - n++] = (char)('0' + v % 10);
    while ((v /= 10) > 0 && n < 11);
    err_add(p, at, buf + sizeof buf - n, n);
}

// "line N: what", then 'arg' (n bytes, or NUL-terminated if n < 0) if arg, then tail.
static int fail_at(struct parser *p, int line, const char *what, const char *arg, int n,
                   const char *tail) {
    size_t at = 0;
    if (p->errlen == 0)
        return -1;
    err_add(p, &at, "line ", -1);
    err_add_int(p, &at, line);
    err_add(p, &at, ": ", -1);
    err_add(p, &at, what, -1);
    if (arg) {
        err_add(p, &at, " '", -1);
        err_add(p, &at, arg, n);
        err_add(p, &at, "'", -1);
    }
    if (tail)
        err_add(p, &at, tail, -1);
    return -1;
}

static int fail(struct parser *p, const char *what) {
    return fail_at(p, p->line, what, 0, 0, 0);
}

// "line N: what, found 'token'".
static int fail_tok(struct parser *p, const char *what, struct tok t) {
    if (t.kind == T_EOL)
        return fail_at(p, p->line, what, 0, 0, ", found the end of the line");
    if (t.kind == T_BAD && (*t.s < 0x21 || *t.s > 0x7e))
        return fail_at(p, p->line, what, 0, 0, ", found a byte that is not printable ASCII");
    fail_at(p, p->line, what, 0, 0, ", found");
    size_t at = 0;
    while (p->err[at])
        at++;
    err_add(p, &at, " '", -1);
    err_add(p, &at, t.s, t.n);
    err_add(p, &at, "'", -1);
    return -1;
}

// ---- Names ----

// A name token copied into dst[CONTRACT_NAME_MAX]; what says what it names.
static int take_name(struct parser *p, char *dst, const char *what) {
    struct tok t = next_tok(p);
    if (t.kind != T_WORD || is_digit(t.s[0]))
        return fail_tok(p, what, t);
    if (t.n >= CONTRACT_NAME_MAX)
        return fail_at(p, p->line, "name longer than 31 characters:", t.s, t.n, 0);
    for (int i = 0; i < t.n; i++)
        dst[i] = t.s[i];
    dst[t.n] = '\0';
    return 0;
}

static int expect(struct parser *p, const char *punct, const char *what) {
    struct tok t = next_tok(p);
    if (t.kind != T_PUNCT || !tok_is(t, punct))
        return fail_tok(p, what, t);
    return 0;
}

static int expect_eol(struct parser *p) {
    struct tok t = next_tok(p);
    return t.kind == T_EOL ? 0 : fail_tok(p, "expected the end of the line", t);
}

static int find_state(const struct contract *c, const char *s) {
    for (int i = 0; i < c->nstates; i++)
        if (str_eq(c->states[i], s))
            return i;
    return -1;
}

// The state named s, declared now if new: its index, or -1 (refused).
static int state_of(struct parser *p, const char *s) {
    struct contract *c = p->c;
    int i = find_state(c, s);
    if (i >= 0)
        return i;
    if (c->nstates == CONTRACT_MAX_STATES)
        return fail(p, "more than 32 states");
    p->state_line[c->nstates] = p->line;
    for (int k = 0; k < CONTRACT_NAME_MAX && (k == 0 || s[k - 1]); k++)
        c->states[c->nstates][k] = s[k];
    return c->nstates++;
}

// ---- Statements ----

static int parse_contract(struct parser *p) {
    struct contract *c = p->c;
    if (take_name(p, c->name, "expected the contract's name") < 0 || expect_eol(p) < 0)
        return -1;
    if (p->name && !str_eq(c->name, p->name)) {
        fail_at(p, p->line, "contract", c->name, -1, " in the file of contract '");
        size_t at = 0;
        while (p->err[at])
            at++;
        err_add(p, &at, p->name, -1);
        err_add(p, &at, "' (NAME.contract holds contract NAME)", -1);
        return -1;
    }
    return 0;
}

static int parse_roles(struct parser *p) {
    struct contract *c = p->c;
    if (p->seen_roles++)
        return fail(p, "a second roles line");
    c->roles_line = p->line;
    if (take_name(p, c->roles[0], "expected two role names") < 0 ||
        take_name(p, c->roles[1], "expected two role names") < 0)
        return -1;
    if (str_eq(c->roles[0], c->roles[1]))
        return fail_at(p, p->line, "the two roles have one name", c->roles[0], -1, 0);
    return expect_eol(p);
}

static int parse_initial(struct parser *p) {
    char s[CONTRACT_NAME_MAX];
    if (p->seen_initial++)
        return fail(p, "a second initial line");
    if (take_name(p, s, "expected the initial state's name") < 0 || expect_eol(p) < 0)
        return -1;
    p->c->initial = state_of(p, s);
    return p->c->initial < 0 ? -1 : 0;
}

// ep any NAME | ep C:R NAME (the type word already read).
static int parse_ep_type(struct parser *p, struct contract_field *f) {
    struct tok t = peek_tok(p), t2;
    f->type = CT_EP;
    if (tok_is(t, "any")) {
        const char *save = p->pos;
        next_tok(p);
        t2 = peek_tok(p);
        if (t2.kind != T_PUNCT || !tok_is(t2, ":"))
            return 0;                   // "ep any": a contract named any is ep any:R
        p->pos = save;
    }
    if (take_name(p, f->ep_contract, "expected 'any' or CONTRACT:ROLE after ep") < 0 ||
        expect(p, ":", "expected ':' between an ep field's contract and role") < 0 ||
        take_name(p, f->ep_role, "expected the role after ep CONTRACT:") < 0)
        return -1;
    return 0;
}

static int parse_type(struct parser *p, struct contract_field *f) {
    struct tok t = next_tok(p);
    if (tok_is(t, "i32"))
        f->type = CT_I32;
    else if (tok_is(t, "i64"))
        f->type = CT_I64;
    else if (tok_is(t, "bytes"))
        f->type = CT_BYTES;
    else if (tok_is(t, "ep"))
        return parse_ep_type(p, f);
    else
        return fail_tok(p, "expected a field type (i32, i64, bytes, ep)", t);
    return 0;
}

// Two fields of one message may not share a name (they become C parameters).
static int field_name_taken(const struct contract_message *m, const char *name) {
    for (int i = 0; i < m->nfields; i++)
        if (str_eq(m->fields[i].name, name))
            return 1;
    return 0;
}

static int add_field_size(struct parser *p, struct contract_message *m,
                          const struct contract_field *f) {
    if (m->has_bytes)
        return fail_at(p, p->line, "the bytes field", m->fields[m->nfields - 1].name, -1,
                       " must be the message's last field");
    if (f->type == CT_I32)
        m->fixed_len += 4;
    else if (f->type == CT_I64)
        m->fixed_len += 8;
    else if (f->type == CT_BYTES)
        m->has_bytes = 1;
    else if (++m->neps > CONTRACT_MSG_EPS)
        return fail(p, "more than 4 ep fields in one message");
    return 0;
}

static int parse_field(struct parser *p, struct contract_message *m) {
    struct contract_field f = { 0 };
    if (m->nfields == CONTRACT_MAX_FIELDS)
        return fail(p, "more than 8 fields in one message");
    if (parse_type(p, &f) < 0 || take_name(p, f.name, "expected the field's name") < 0)
        return -1;
    if (field_name_taken(m, f.name))
        return fail_at(p, p->line, "two fields named", f.name, -1, 0);
    if (add_field_size(p, m, &f) < 0)
        return -1;
    f.line = p->line;
    m->fields[m->nfields++] = f;
    return 0;
}

static int parse_fields(struct parser *p, struct contract_message *m) {
    if (expect(p, "(", "expected '(' after the message's name") < 0)
        return -1;
    struct tok t = peek_tok(p);
    if (t.kind == T_PUNCT && tok_is(t, ")")) {
        next_tok(p);
        return 0;                       // no fields
    }
    for (;;) {
        if (parse_field(p, m) < 0)
            return -1;
        t = next_tok(p);
        if (t.kind == T_PUNCT && tok_is(t, ")"))
            return 0;
        if (t.kind != T_PUNCT || !tok_is(t, ","))
            return fail_tok(p, "expected ',' or ')' after a field", t);
    }
}

static int parse_message(struct parser *p) {
    struct contract *c = p->c;
    if (c->nmessages == CONTRACT_MAX_MESSAGES)
        return fail(p, "more than 32 messages");
    struct contract_message *m = &c->messages[c->nmessages];
    if (take_name(p, m->name, "expected the message's name") < 0)
        return -1;
    for (int i = 0; i < c->nmessages; i++)
        if (str_eq(c->messages[i].name, m->name))
            return fail_at(p, p->line, "a second message", m->name, -1, 0);
    m->line = p->line;
    if (parse_fields(p, m) < 0 || expect_eol(p) < 0)
        return -1;
    c->nmessages++;
    return 0;
}

// ---- Transitions: S: ROLE M -> T ----

// Determinism and the turn rule, then the transition goes into the tables.
static int add_transition(struct parser *p, int from, int role, int msg, int to) {
    struct contract *c = p->c;
    if (c->next[from][msg] >= 0)
        return fail_at(p, p->line, "a second transition for message", c->messages[msg].name,
                       -1, " in this state");
    if (c->sender[from] >= 0 && c->sender[from] != role)
        return fail_at(p, p->line, "turn rule: in this state only", c->roles[c->sender[from]],
                       -1, " sends (every transition out of a state has one sending role)");
    if (c->ntrans == CONTRACT_MAX_TRANS)
        return fail(p, "more than 128 transitions");
    c->trans[c->ntrans++] = (struct contract_transition){ from, role, msg, to };
    c->next[from][msg] = (int8_t)to;
    c->sender[from] = (int8_t)role;
    return 0;
}

static int parse_transition(struct parser *p) {
    char from_s[CONTRACT_NAME_MAX], role_s[CONTRACT_NAME_MAX], msg_s[CONTRACT_NAME_MAX],
        to_s[CONTRACT_NAME_MAX];
    if (take_name(p, from_s, "expected a state name") < 0 ||
        expect(p, ":", "expected ':' after the state") < 0 ||
        take_name(p, role_s, "expected the sending role") < 0 ||
        take_name(p, msg_s, "expected the message") < 0 ||
        expect(p, "->", "expected '->' after the message") < 0 ||
        take_name(p, to_s, "expected the next state") < 0 || expect_eol(p) < 0)
        return -1;
    int role = p->seen_roles ? contract_role(p->c, role_s) : -1;
    if (role < 0)
        return fail_at(p, p->line, "unknown role", role_s, -1,
                       p->seen_roles ? 0 : " (no roles line before it)");
    int msg = contract_message(p->c, msg_s);
    if (msg < 0)
        return fail_at(p, p->line, "unknown message", msg_s, -1, " (declare it before use)");
    int from = state_of(p, from_s), to = from < 0 ? -1 : state_of(p, to_s);
    if (to < 0)
        return -1;
    return add_transition(p, from, role, msg, to);
}

// ---- Lines ----

static int parse_keyword(struct parser *p, struct tok t, int first) {
    if (tok_is(t, "contract"))
        return first ? parse_contract(p) : fail(p, "a second contract line");
    if (tok_is(t, "roles"))
        return parse_roles(p);
    if (tok_is(t, "message"))
        return parse_message(p);
    if (tok_is(t, "initial"))
        return parse_initial(p);
    return fail_tok(p, "expected contract, roles, message, initial or STATE: ...", t);
}

// One line: 0 if blank, 1 if a statement, -1 if refused.
static int parse_statement(struct parser *p, int first) {
    struct tok t = peek_tok(p);
    if (t.kind == T_EOL)
        return 0;
    const char *save = p->pos;
    next_tok(p);
    struct tok t2 = peek_tok(p);
    int transition = t2.kind == T_PUNCT && tok_is(t2, ":");
    if (first && !(tok_is(t, "contract") && !transition))
        return fail_tok(p, "expected 'contract NAME' as the first statement", t);
    if (transition) {
        p->pos = save;
        return parse_transition(p) < 0 ? -1 : 1;
    }
    return parse_keyword(p, t, first) < 0 ? -1 : 1;
}

static void clear(struct contract *c) {
    char *b = (char *)c;
    for (size_t i = 0; i < sizeof *c; i++)
        b[i] = 0;
    c->initial = -1;
    for (int s = 0; s < CONTRACT_MAX_STATES; s++) {
        c->sender[s] = -1;
        for (int m = 0; m < CONTRACT_MAX_MESSAGES; m++)
            c->next[s][m] = -1;
    }
}

// Every line of the text; a statement per line.
static int parse_lines(struct parser *p, const char *text, size_t len, int *seen_contract) {
    p->pos = text;
    p->end = text + len;
    for (p->line = 1;; p->line++) {
        p->line_end = p->pos;
        while (p->line_end < p->end && *p->line_end != '\n')
            p->line_end++;
        const char *line_start = p->pos;
        int r = parse_statement(p, !*seen_contract);
        if (r < 0)
            return -1;
        *seen_contract |= r;
        if (p->line_end == p->end) {
            if (line_start == p->end && p->line > 1)
                p->line--;              // the "line" after a final '\n' is none
            return 0;                   // p->line: the last line, for check_whole
        }
        p->pos = p->line_end + 1;
    }
}

// ---- The whole-contract rules, after the last line ----

static int check_reachable(struct parser *p) {
    const struct contract *c = p->c;
    int seen[CONTRACT_MAX_STATES] = { 0 }, stack[CONTRACT_MAX_STATES], top = 0;
    seen[c->initial] = 1;
    stack[top++] = c->initial;
    while (top > 0) {
        int s = stack[--top];
        for (int m = 0; m < c->nmessages; m++) {
            int t = c->next[s][m];
            if (t >= 0 && !seen[t]) {
                seen[t] = 1;
                stack[top++] = t;
            }
        }
    }
    for (int s = 0; s < c->nstates; s++)
        if (!seen[s])
            return fail_at(p, p->state_line[s], "state", c->states[s], -1,
                           " is not reachable from the initial state");
    return 0;
}

static int check_used(struct parser *p) {
    const struct contract *c = p->c;
    int used[CONTRACT_MAX_MESSAGES] = { 0 };
    for (int i = 0; i < c->ntrans; i++)
        used[c->trans[i].message] = 1;
    for (int m = 0; m < c->nmessages; m++)
        if (!used[m])
            return fail_at(p, c->messages[m].line, "message", c->messages[m].name, -1,
                           " is not used by any transition");
    return 0;
}

static int check_whole(struct parser *p, int seen_contract) {
    if (!seen_contract)
        return fail(p, "no 'contract NAME' line (the file is empty)");
    if (!p->seen_roles)
        return fail(p, "no 'roles' line");
    if (!p->seen_initial)
        return fail(p, "no 'initial' line");
    if (check_reachable(p) < 0 || check_used(p) < 0)
        return -1;
    return 0;
}

int contract_parse(const char *text, size_t len, const char *name, struct contract *c,
                   char *err, size_t errlen) {
    struct parser p = { .c = c, .name = name, .err = err, .errlen = errlen };
    int seen_contract = 0;
    clear(c);
    if (errlen > 0)
        err[0] = '\0';
    if (parse_lines(&p, text, len, &seen_contract) < 0 || check_whole(&p, seen_contract) < 0) {
        clear(c);
        return -1;
    }
    return 0;
}

// ---- Lookups ----

int contract_role(const struct contract *c, const char *role) {
    for (int i = 0; i < 2; i++)
        if (str_eq(c->roles[i], role))
            return i;
    return -1;
}

int contract_message(const struct contract *c, const char *msg) {
    for (int i = 0; i < c->nmessages; i++)
        if (str_eq(c->messages[i].name, msg))
            return i;
    return -1;
}

int contract_initial(const struct contract *c) { return c->initial; }

const char *contract_state_name(const struct contract *c, int state) {
    return state >= 0 && state < c->nstates ? c->states[state] : "?";
}

const char *contract_message_name(const struct contract *c, int tag) {
    return tag >= 0 && tag < c->nmessages ? c->messages[tag].name : "?";
}

const char *contract_role_name(const struct contract *c, int role) {
    return role == 0 || role == 1 ? c->roles[role] : "?";
}

int contract_sender(const struct contract *c, int state) {
    return state >= 0 && state < c->nstates ? c->sender[state] : -1;
}

// ---- The checks at every send and receive ----

// The transition `role` sending `tag` in `state` takes: its next state, or -1.
static int step(const struct contract *c, int state, int role, int tag, const char **why) {
    if (tag < 0 || tag >= c->nmessages) {
        *why = "unknown message";
        return -1;
    }
    if (state < 0 || state >= c->nstates || c->sender[state] != role ||
        c->next[state][tag] < 0) {
        *why = "not allowed in this state";
        return -1;
    }
    return c->next[state][tag];
}

int contract_send_check(const struct contract *c, int state, int role, int tag,
                        uint32_t len, uint32_t nhandles, const char **why) {
    int to = step(c, state, role, tag, why);
    if (to < 0)
        return -1;
    const struct contract_message *m = &c->messages[tag];
    if (m->has_bytes ? (len < m->fixed_len || len > CONTRACT_MSG_MAX) : len != m->fixed_len) {
        *why = "wrong length";
        return -1;
    }
    if (nhandles != (uint32_t)m->neps) {
        *why = "wrong number of endpoints";
        return -1;
    }
    return to;
}

int contract_recv_check(const struct contract *c, int state, int role, int tag,
                        const char **why) {
    return step(c, state, role, tag, why);
}

const char *contract_ep_field(const struct contract *c, int tag, int i, const char **role) {
    *role = 0;
    if (tag < 0 || tag >= c->nmessages)
        return 0;
    const struct contract_message *m = &c->messages[tag];
    for (int k = 0; k < m->nfields; k++) {
        const struct contract_field *f = &m->fields[k];
        if (f->type == CT_EP && i-- == 0) {
            if (f->ep_contract[0] == '\0')
                return 0;
            *role = f->ep_role;
            return f->ep_contract;
        }
    }
    return 0;
}
