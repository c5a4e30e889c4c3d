// ipc/contract.h: channel contracts (ipc/contracts/NAME.contract; the
// language is in docs/sip.md, "Contracts"). Pure C over a text buffer, no
// kernel headers: the sip kernel (at every send and receive), tools/contractc
// on the host (the SIP-side stubs) and the host tests and fuzz target share
// this one parser and checker.
#pragma once
#include <stddef.h>
#include <stdint.h>

#define CONTRACT_NAME_MAX     32        // names: [A-Za-z_][A-Za-z0-9_]{0,31}, + NUL
#define CONTRACT_MAX_MESSAGES 32
#define CONTRACT_MAX_STATES   32
#define CONTRACT_MAX_TRANS    128
#define CONTRACT_MAX_FIELDS   8
#define CONTRACT_MSG_MAX      1024      // a message's data bytes (SIP_MSG_MAX)
#define CONTRACT_MSG_EPS      4         // endpoints one message carries (SIP_MSG_HANDLES)

enum contract_type { CT_I32, CT_I64, CT_BYTES, CT_EP };

struct contract_field {
    enum contract_type type;
    char name[CONTRACT_NAME_MAX];
    char ep_contract[CONTRACT_NAME_MAX];   // CT_EP: "" for "ep any"
    char ep_role[CONTRACT_NAME_MAX];
    int line;                              // where it was declared (tools/contractc's errors)
};

struct contract_message {
    char name[CONTRACT_NAME_MAX];
    int nfields;
    struct contract_field fields[CONTRACT_MAX_FIELDS];
    uint32_t fixed_len;                    // bytes of its i32/i64 fields
    int has_bytes;                         // a bytes field (last): len may be fixed..MSG_MAX
    int neps;                              // endpoint fields
    int line;                              // its `message` line
};

struct contract_transition {
    int from, role, message, to;
};

struct contract {
    char name[CONTRACT_NAME_MAX];
    char roles[2][CONTRACT_NAME_MAX];
    int roles_line;                        // its `roles` line (tools/contractc's errors)
    int nmessages, nstates, ntrans;
    struct contract_message messages[CONTRACT_MAX_MESSAGES];
    char states[CONTRACT_MAX_STATES][CONTRACT_NAME_MAX];
    struct contract_transition trans[CONTRACT_MAX_TRANS];
    int initial;
    // Derived by the parser, for O(1) checks at every send and receive:
    int8_t next[CONTRACT_MAX_STATES][CONTRACT_MAX_MESSAGES];   // next state, or -1
    int8_t sender[CONTRACT_MAX_STATES];    // the role that sends in a state (turn rule), -1: terminal
};

// Parses the text of NAME.contract (name: the file's base name, which the
// `contract` line must repeat; NULL skips that check). 0 and *c, or -1 and
// err = "line N: problem". Names are at most CONTRACT_NAME_MAX - 1 chars.
// An `ep C:R` field is checked only for its form here: whether C is a
// contract with role R is for whoever has the other contracts (the registry).
int contract_parse(const char *text, size_t len, const char *name, struct contract *c,
                   char *err, size_t errlen);

int contract_role(const struct contract *c, const char *role);      // 0 or 1, or -1
int contract_message(const struct contract *c, const char *msg);    // its tag, or -1
int contract_initial(const struct contract *c);
const char *contract_state_name(const struct contract *c, int state);   // "?" if out of range
const char *contract_message_name(const struct contract *c, int tag);
const char *contract_role_name(const struct contract *c, int role);

// A send by `role` of message `tag` with len data bytes and nhandles
// endpoints, in channel state `state`: the next state (>= 0), or -1 and *why
// a static phrase ("unknown message", "not allowed in this state", "wrong
// length", "wrong number of endpoints").
int contract_send_check(const struct contract *c, int state, int role, int tag,
                        uint32_t len, uint32_t nhandles, const char **why);
// The receive side: the receiver's own view of the state and a message sent
// by the peer, whose role (the SENDER's, 1 - the receiver's) is `role`: the
// next state, or -1 and *why (a kernel bug if it fires).
int contract_recv_check(const struct contract *c, int state, int role, int tag,
                        const char **why);
// What endpoint field i (0-based among the ep fields) of message tag needs:
// the contract name and (*role) role name, or NULL for "ep any".
const char *contract_ep_field(const struct contract *c, int tag, int i, const char **role);
// The role that may send in `state` (the turn rule makes it one), or -1 in a
// terminal state (or a state out of range).
int contract_sender(const struct contract *c, int state);

// ---- The kernel's registry (ipc/contract_registry.c, sip kernel only) ----
// Loads every contracts/NAME.contract of the boot initrd; a malformed one is
// refused with "contract: contracts/NAME.contract: line N: problem".
void contracts_load(void);
const struct contract *contract_find(const char *name);    // NULL if not loaded
