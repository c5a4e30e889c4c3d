// grade/host/test_contract.c: ipc/contract.c on the host: the real contracts
// of ipc/contracts/ parse; each rule of the language is refused with its line
// number; contract_send_check / recv_check walk Ping's and Bad's state
// machines; ep fields are found.
#include "ipc/contract.h"
#include "grade/host/check.h"

#include <stdlib.h>
#include <string.h>

static struct contract C;
static char err[160];

static int parse(const char *name, const char *text) {
    return contract_parse(text, strlen(text), name, &C, err, sizeof err);
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 16);
    *len = fread(buf, 1, 1 << 16, f);
    fclose(f);
    return buf;
}

static void test_files(void) {
    const char *names[] = { "Stream", "Connect", "Ping", "Bad", "FileService" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[128];
        size_t len = 0;
        snprintf(path, sizeof path, "ipc/contracts/%s.contract", names[i]);
        char *text = read_file(path, &len);
        int r = text ? contract_parse(text, len, names[i], &C, err, sizeof err) : -2;
        check_named(path, r == 0, "%s", text ? err : "cannot read it");
        free(text);
    }
}

// The text must be refused with exactly this "line N: ..." prefix.
static void refused(const char *what, const char *text, const char *prefix) {
    int r = parse("T", text);
    check_named(what, r == -1 && strncmp(err, prefix, strlen(prefix)) == 0,
                "got %d \"%s\", wanted \"%s...\"", r, err, prefix);
}

#define HEAD "contract T\nroles a b\n"

static void test_refusals(void) {
    refused("empty file", "", "line 1: no 'contract NAME' line");
    refused("only comments", "# nothing\n\n", "line 2: no 'contract NAME' line");
    refused("roles first", "roles a b\ncontract T\n", "line 1: expected 'contract NAME'");
    refused("name differs from file", "contract U\n", "line 1: contract 'U' in the file of contract 'T'");
    refused("second contract", HEAD "contract T\n", "line 3: a second contract line");
    refused("no roles", "contract T\ninitial S\n", "line 2: no 'roles' line");
    refused("no initial", HEAD "message M()\n", "line 3: no 'initial' line");
    refused("one role", "contract T\nroles a\n", "line 2: expected two role names");
    refused("three roles", "contract T\nroles a b c\n", "line 2: expected the end of the line");
    refused("same roles", "contract T\nroles a a\n", "line 2: the two roles have one name");
    refused("roles twice", HEAD "roles c d\n", "line 3: a second roles line");
    refused("bad name", HEAD "message 1M()\n", "line 3: expected the message's name");
    refused("long name", HEAD "message M234567890123456789012345678901x()\n",
            "line 3: name longer than 31 characters");
    refused("bad char", HEAD "message M@()\n", "line 3: expected '(' after the message's name, found '@'");
    refused("message twice", HEAD "message M()\nmessage M()\n", "line 4: a second message 'M'");
    refused("bad type", HEAD "message M(u8 x)\n", "line 3: expected a field type");
    refused("bytes not last", HEAD "message M(bytes b, i32 x)\n",
            "line 3: the bytes field 'b' must be the message's last field");
    refused("two bytes", HEAD "message M(bytes b, bytes c)\n", "line 3: the bytes field 'b'");
    refused("field twice", HEAD "message M(i32 x, i64 x)\n", "line 3: two fields named 'x'");
    refused("nine fields", HEAD "message M(i32 a, i32 b, i32 c, i32 d, i32 e, i32 f, i32 g, "
            "i32 h, i32 i)\n", "line 3: more than 8 fields");
    refused("five eps", HEAD "message M(ep any a, ep any b, ep any c, ep any d, ep any e)\n",
            "line 3: more than 4 ep fields");
    refused("ep without role", HEAD "message M(ep Stream x)\n", "line 3: expected ':' between");
    refused("missing paren", HEAD "message M(i32 x\n", "line 3: expected ',' or ')' after a field");
    refused("initial twice", HEAD "initial S\ninitial S\n", "line 4: a second initial line");
    refused("unknown role", HEAD "message M()\ninitial S\nS: c M -> S\n", "line 5: unknown role 'c'");
    refused("role before roles", "contract T\nmessage M()\ninitial S\nS: a M -> S\n",
            "line 4: unknown role 'a' (no roles line before it)");
    refused("unknown message", HEAD "message M()\ninitial S\nS: a N -> S\n",
            "line 5: unknown message 'N'");
    refused("no arrow", HEAD "message M()\ninitial S\nS: a M S\n", "line 5: expected '->'");
    refused("not deterministic", HEAD "message M()\ninitial S\nS: a M -> S\nS: a M -> U\nU: a M -> S\n",
            "line 6: a second transition for message 'M' in this state");
    refused("turn rule", HEAD "message M()\nmessage N()\ninitial S\nS: a M -> S\nS: b N -> S\n",
            "line 7: turn rule: in this state only 'a' sends");
    refused("unreachable", HEAD "message M()\ninitial S\nS: a M -> S\nU: b M -> S\n",
            "line 6: state 'U' is not reachable");
    refused("unused message", HEAD "message M()\nmessage N()\ninitial S\nS: a M -> S\n",
            "line 4: message 'N' is not used by any transition");
    refused("unknown statement", HEAD "state S\n", "line 3: expected contract, roles");
    refused("33 messages", HEAD "message M0()\nmessage M1()\nmessage M2()\nmessage M3()\n"
            "message M4()\nmessage M5()\nmessage M6()\nmessage M7()\nmessage M8()\nmessage M9()\n"
            "message M10()\nmessage M11()\nmessage M12()\nmessage M13()\nmessage M14()\n"
            "message M15()\nmessage M16()\nmessage M17()\nmessage M18()\nmessage M19()\n"
            "message M20()\nmessage M21()\nmessage M22()\nmessage M23()\nmessage M24()\n"
            "message M25()\nmessage M26()\nmessage M27()\nmessage M28()\nmessage M29()\n"
            "message M30()\nmessage M31()\nmessage M32()\n", "line 35: more than 32 messages");
}

// Every limit reached exactly is accepted, one past it refused: 32 messages,
// 4 states x 32 messages = 128 transitions, 8 fields with 4 eps, 31-char names.
static void test_limits(void) {
    static char text[16384];
    int n = snprintf(text, sizeof text, HEAD "message L(i32 a, i64 b, ep any c, ep any d, "
                     "ep any e, ep any f, i32 g, bytes h234567890123456789012345678901)\n");
    for (int m = 1; m < 32; m++)
        n += snprintf(text + n, sizeof text - n, "message M%d()\n", m);
    n += snprintf(text + n, sizeof text - n, "initial S0\n");
    for (int s = 0; s < 4; s++) {
        n += snprintf(text + n, sizeof text - n, "S%d: a L -> S%d\n", s, s + 1);
        for (int m = 1; m < 32; m++)
            n += snprintf(text + n, sizeof text - n, "S%d: a M%d -> S%d\n", s, m, s + 1);
    }
    int r = parse("T", text);
    check_named("every limit reached exactly", r == 0, "%s", err);
    CHECK(C.ntrans == 128 && C.nmessages == 32 && C.nstates == 5);
    CHECK(C.messages[0].neps == 4 && C.messages[0].fixed_len == 16 && C.messages[0].has_bytes);
    const char *why = NULL;
    CHECK(contract_send_check(&C, 0, 0, 0, 16, 4, &why) == 1);
    CHECK(contract_send_check(&C, 4, 0, 0, 16, 4, &why) == -1);   // S4: terminal
    snprintf(text + n, sizeof text - n, "S4: a L -> S0\n");
    refused("129 transitions", text, "line 164: more than 128 transitions");
}

static void test_nul_byte(void) {
    static const char text[] = "contract T\nroles a\0 b\n";
    int r = contract_parse(text, sizeof text - 1, "T", &C, err, sizeof err);
    check_named("a NUL byte inside the text", r == -1 &&
                strcmp(err, "line 2: expected two role names, found a byte that is not printable ASCII") == 0,
                "%d %s", r, err);
}

// 33 states in a chain S0 -> S1 -> ... is one too many.
static void test_state_limit(void) {
    static char text[4096];
    int n = snprintf(text, sizeof text, HEAD "message M()\ninitial S0\n");
    for (int i = 0; i < 32; i++)
        n += snprintf(text + n, sizeof text - n, "S%d: a M -> S%d\n", i, i + 1);
    refused("33 states", text, "line 36: more than 32 states");
}

static void test_good_forms(void) {
    int r = parse("T", "  contract T   # a comment\r\n\nroles  a b\nmessage M( i32 x ,i64 y,"
                  "ep any z, ep T:b w, ep any:c v, bytes rest )\ninitial S\nS:a M->U\nU : b M -> S");
    check_named("free spacing, CRLF, no final newline", r == 0, "%s", err);
    CHECK(C.nmessages == 1 && C.messages[0].nfields == 6);
    CHECK(C.messages[0].fixed_len == 12 && C.messages[0].has_bytes && C.messages[0].neps == 3);
    const char *role = NULL;
    CHECK(contract_ep_field(&C, 0, 0, &role) == NULL && role == NULL);
    CHECK(contract_ep_field(&C, 0, 1, &role) && strcmp(contract_ep_field(&C, 0, 1, &role), "T") == 0
          && strcmp(role, "b") == 0);
    CHECK(strcmp(contract_ep_field(&C, 0, 2, &role), "any") == 0 && strcmp(role, "c") == 0);
    CHECK(contract_ep_field(&C, 0, 3, &role) == NULL);
    CHECK(contract_ep_field(&C, 5, 0, &role) == NULL);
    r = parse("T", HEAD "initial S\n");
    check_named("no messages, one terminal state", r == 0, "%s", err);
    CHECK(contract_sender(&C, contract_initial(&C)) == -1);
    r = parse(NULL, "contract Anything\nroles a b\ninitial S\n");
    check_named("NULL name skips the file-name check", r == 0, "%s", err);
}

static void test_ping(void) {
    const char *why = NULL;
    int r = parse("Ping", "contract Ping\nroles client server\nmessage Ping(i32 seq, bytes pad)\n"
                  "message Pong(i32 seq, bytes pad)\ninitial Idle\nIdle: client Ping -> Waiting\n"
                  "Waiting: server Pong -> Idle\n");
    check_named("Ping parses", r == 0, "%s", err);
    int idle = contract_initial(&C), ping = contract_message(&C, "Ping");
    int pong = contract_message(&C, "Pong");
    CHECK(ping == 0 && pong == 1 && contract_role(&C, "server") == 1);
    CHECK(strcmp(contract_state_name(&C, idle), "Idle") == 0);
    int waiting = contract_send_check(&C, idle, 0, ping, 4, 0, &why);
    CHECK(waiting >= 0 && strcmp(contract_state_name(&C, waiting), "Waiting") == 0);
    CHECK(contract_send_check(&C, idle, 0, ping, 1024, 0, &why) == waiting);
    CHECK(contract_send_check(&C, idle, 0, ping, 3, 0, &why) == -1 && strcmp(why, "wrong length") == 0);
    CHECK(contract_send_check(&C, idle, 0, ping, 1025, 0, &why) == -1 && strcmp(why, "wrong length") == 0);
    CHECK(contract_send_check(&C, idle, 0, ping, 4, 1, &why) == -1 &&
          strcmp(why, "wrong number of endpoints") == 0);
    CHECK(contract_send_check(&C, idle, 1, pong, 4, 0, &why) == -1 &&
          strcmp(why, "not allowed in this state") == 0);
    CHECK(contract_send_check(&C, waiting, 0, ping, 4, 0, &why) == -1);
    CHECK(contract_send_check(&C, waiting, 1, pong, 4, 0, &why) == idle);
    CHECK(contract_send_check(&C, idle, 0, 2, 4, 0, &why) == -1 && strcmp(why, "unknown message") == 0);
    CHECK(contract_send_check(&C, idle, 0, -1, 4, 0, &why) == -1 && strcmp(why, "unknown message") == 0);
    CHECK(contract_send_check(&C, 7, 0, ping, 4, 0, &why) == -1);
    CHECK(contract_recv_check(&C, waiting, 1, pong, &why) == idle);
    CHECK(contract_recv_check(&C, waiting, 0, pong, &why) == -1);
    CHECK(contract_recv_check(&C, idle, 1, pong, &why) == -1 && strcmp(why, "not allowed in this state") == 0);
}

// Bad: a One(i32) -> S1, b Two() -> S0; walk it a few rounds.
static void test_bad(void) {
    const char *why = NULL;
    int r = parse("Bad", "contract Bad\nroles a b\nmessage One(i32 x)\nmessage Two()\ninitial S0\n"
                  "S0: a One -> S1\nS1: b Two -> S0\n");
    check_named("Bad parses", r == 0, "%s", err);
    int s = contract_initial(&C), ok = 1;
    for (int round = 0; round < 3; round++) {
        ok &= contract_send_check(&C, s, 1, 1, 0, 0, &why) == -1;   // b first
        ok &= contract_send_check(&C, s, 0, 0, 8, 0, &why) == -1;   // One too long
        s = contract_send_check(&C, s, 0, 0, 4, 0, &why);
        ok &= s >= 0 && contract_sender(&C, s) == 1;
        ok &= contract_send_check(&C, s, 0, 0, 4, 0, &why) == -1;   // a twice
        ok &= contract_send_check(&C, s, 1, 1, 0, 1, &why) == -1;   // Two with an endpoint
        s = contract_send_check(&C, s, 1, 1, 0, 0, &why);
        ok &= s == contract_initial(&C);
    }
    check_named("Bad's state machine over three rounds", ok, "state %d", s);
    CHECK(strcmp(contract_message_name(&C, 1), "Two") == 0 && strcmp(contract_message_name(&C, 2), "?") == 0);
    CHECK(strcmp(contract_role_name(&C, 1), "b") == 0 && strcmp(contract_role_name(&C, 2), "?") == 0);
}

// A refusal fits any buffer: a tiny one is truncated and terminated.
static void test_small_err(void) {
    char small[8];
    int r = contract_parse("x", 1, "T", &C, small, sizeof small);
    CHECK(r == -1 && strcmp(small, "line 1:") == 0);
    CHECK(contract_parse("x", 1, "T", &C, small, 0) == -1);
}

int main(void) {
    test_files();
    test_refusals();
    test_state_limit();
    test_nul_byte();
    test_limits();
    test_good_forms();
    test_ping();
    test_bad();
    test_small_err();
    return check_summary();
}
