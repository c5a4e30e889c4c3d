// tools/contractc.c: a contract (ipc/contracts/NAME.contract) to the header a
// SIP program includes as <contracts/NAME.h>: role and message constants,
// NAME_create, one typed send stub per message and a decoding NAME_recv
// (docs/sip.md, "Contracts"). It parses with ipc/contract.c, the very parser
// the kernel checks every message with, so a stub and the kernel's check
// cannot disagree on tags or layout.
//
//     contractc FILE.contract -o OUT.h [--contracts DIR]
//
// A bad contract: "contractc: FILE: line N: problem", exit 1, no output.
// --contracts DIR also checks every `ep C:R` field against DIR/C.contract.
#include "ipc/contract.h"
#include "syscall/errno_list.h"   // EINVAL as SIPs see it (not the host's <errno.h>)

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *src_path;               // the FILE argument, for messages
static struct contract C;

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "contractc: %s: ", src_path);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static char *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0)
        if ((n += got) == cap)
            buf = realloc(buf, cap *= 2);
    fclose(f);
    *len = n;
    return buf;
}

// "dir/Name.contract" -> "Name" (the name the `contract` line must repeat).
static void base_name(const char *path, char *out, size_t cap) {
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    if (n > 9 && strcmp(b + n - 9, ".contract") == 0)
        n -= 9;
    snprintf(out, cap, "%.*s", (int)n, b);
}

static int parse_file(const char *path, struct contract *c, char *err, size_t errlen) {
    char name[256];
    size_t len = 0;
    char *text = read_all(path, &len);
    if (!text) {
        snprintf(err, errlen, "cannot read it");
        return -1;
    }
    base_name(path, name, sizeof name);
    int r = contract_parse(text, len, name, c, err, errlen);
    free(text);
    return r;
}

// ---- C-side names: the language allows some names C (or the stubs) cannot take ----

static const char *const RESERVED[] = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch",
    "typedef", "union", "unsigned", "void", "volatile", "while", "_Alignas", "_Alignof",
    "_Atomic", "_Bool", "_Complex", "_Generic", "_Imaginary", "_Noreturn", "_Static_assert",
    "_Thread_local", "bool", "true", "false", "NULL", "int8_t", "int16_t", "int32_t",
    "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t", "size_t",
    "h",                                   // every send stub's handle parameter
};

// A name that is a C keyword, a type the stubs use, or in the stubs' own
// sip_/SIP_ name space.
static int reserved(const char *s) {
    if (strncmp(s, "sip_", 4) == 0 || strncmp(s, "SIP_", 4) == 0)
        return 1;
    for (size_t i = 0; i < sizeof RESERVED / sizeof RESERVED[0]; i++)
        if (strcmp(s, RESERVED[i]) == 0)
            return 1;
    return 0;
}

static void check_field_names(const struct contract_message *m) {
    for (int i = 0; i < m->nfields; i++) {
        const struct contract_field *f = &m->fields[i];
        if (reserved(f->name))
            die("line %d: field name '%s' is reserved in the C stubs (a C keyword or type, h, "
                "or sip_...)", f->line, f->name);
        if (f->type != CT_BYTES)
            continue;
        for (int k = 0; k < m->nfields; k++) {
            size_t n = strlen(f->name);
            if (strncmp(m->fields[k].name, f->name, n) == 0 &&
                strcmp(m->fields[k].name + n, "_len") == 0)
                die("line %d: field '%s' clashes with the length parameter of bytes field '%s'",
                    m->fields[k].line, m->fields[k].name, f->name);
        }
    }
}

// A role or message X becomes NAME_X: it must not be one of the other
// generated names (NAME_NAME, NAME_create, NAME_recv, NAME_msg, NAME_send_M).
static int clashes(const char *x) {
    return !strcmp(x, "NAME") || !strcmp(x, "create") || !strcmp(x, "recv") ||
           !strcmp(x, "msg") || (!strncmp(x, "send_", 5) && contract_message(&C, x + 5) >= 0);
}

static void check_c_names(void) {
    for (int r = 0; r < 2; r++)
        if (reserved(C.roles[r]) || clashes(C.roles[r]))
            die("line %d: role name '%s' is reserved in the C stubs (a C keyword or type, h, "
                "sip_..., or a generated %s_ name)", C.roles_line, C.roles[r], C.name);
    for (int m = 0; m < C.nmessages; m++) {
        const struct contract_message *msg = &C.messages[m];
        if (reserved(msg->name) || clashes(msg->name) || !strcmp(msg->name, "tag") ||
            !strcmp(msg->name, "raw"))
            die("line %d: message name '%s' is reserved in the C stubs (a C keyword or type, "
                "h, sip_..., tag, raw, or a generated %s_ name)", msg->line, msg->name, C.name);
        if (contract_role(&C, msg->name) >= 0)
            die("line %d: message '%s' has the name of a role (both would be %s_%s)",
                msg->line, msg->name, C.name, msg->name);
        check_field_names(msg);
    }
}

// --contracts DIR: each `ep C:R` names a contract of DIR with role R.
static void check_eps(const char *dir) {
    static struct contract other;
    for (int m = 0; m < C.nmessages; m++)
        for (int i = 0; i < C.messages[m].nfields; i++) {
            const struct contract_field *f = &C.messages[m].fields[i];
            if (f->type != CT_EP || f->ep_contract[0] == '\0')
                continue;
            const struct contract *c = &C;
            char path[512], err[200];
            if (strcmp(f->ep_contract, C.name) != 0) {
                snprintf(path, sizeof path, "%s/%s.contract", dir, f->ep_contract);
                if (parse_file(path, &other, err, sizeof err) < 0)
                    die("line %d: ep field '%s': contract %s: %s: %s", f->line, f->name,
                        f->ep_contract, path, err);
                c = &other;
            }
            if (contract_role(c, f->ep_role) < 0)
                die("line %d: ep field '%s': contract %s has no role %s", f->line, f->name,
                    f->ep_contract, f->ep_role);
        }
}

// ---- The header ----

static const char *c_type(enum contract_type t) {
    return t == CT_I64 ? "int64_t" : t == CT_I32 ? "int32_t" : "int";
}

static void emit_prologue(FILE *o) {
    fprintf(o, "// generated from %s by tools/contractc: do not edit\n", src_path);
    fprintf(o, "#pragma once\n#include <sip.h>\n\n");
    fprintf(o, "#define %s_NAME \"%s\"\n", C.name, C.name);
    fprintf(o, "enum { %s_%s = 0, %s_%s = 1 };   // roles\n", C.name, C.roles[0], C.name,
            C.roles[1]);
    fprintf(o, "enum {");
    for (int m = 0; m < C.nmessages; m++)
        fprintf(o, "%s %s_%s = %d", m ? "," : "", C.name, C.messages[m].name, m);
    fprintf(o, "%s };   // tags, in declaration order\n\n", C.nmessages ? "" : " sip_no_messages_");
    fprintf(o, "// A new channel: *%s gets the %s end, *%s the %s end. 0 or -errno.\n",
            C.roles[0], C.roles[0], C.roles[1], C.roles[1]);
    fprintf(o, "static inline int %s_create(int *%s, int *%s) {\n", C.name, C.roles[0],
            C.roles[1]);
    fprintf(o, "    int32_t sip_h[2];\n");
    fprintf(o, "    int sip_r = sip_chan_create(%s_NAME, (int32_t)sizeof %s_NAME - 1, sip_h);\n",
            C.name, C.name);
    fprintf(o, "    if (sip_r < 0)\n        return sip_r;\n");
    fprintf(o, "    *%s = sip_h[0];\n    *%s = sip_h[1];\n    return 0;\n}\n\n", C.roles[0],
            C.roles[1]);
}

static void emit_send_params(FILE *o, const struct contract_message *m) {
    fprintf(o, "static inline int %s_send_%s(int h", C.name, m->name);
    for (int i = 0; i < m->nfields; i++) {
        const struct contract_field *f = &m->fields[i];
        if (f->type == CT_BYTES)
            fprintf(o, ", const void *%s, int %s_len", f->name, f->name);
        else
            fprintf(o, ", %s %s", c_type(f->type), f->name);
    }
    fprintf(o, ") {\n");
}

// The body of a send stub: the wire layout of docs/sip.md (scalars packed
// little endian in order, then the bytes; eps in handles[]).
static void emit_send_body(FILE *o, const struct contract_message *m) {
    const struct contract_field *bytes = m->has_bytes ? &m->fields[m->nfields - 1] : NULL;
    fprintf(o, "    struct sip_msg sip_m;\n");
    if (bytes)
        fprintf(o, "    if (%s_len < 0 || %s_len > SIP_MSG_MAX - %u)\n        return %d;   // -EINVAL\n",
                bytes->name, bytes->name, m->fixed_len, -EINVAL);
    fprintf(o, "    sip_m.tag = %s_%s;\n", C.name, m->name);
    fprintf(o, "    sip_m.len = %u%s%s%s;\n", m->fixed_len, bytes ? " + " : "",
            bytes ? bytes->name : "", bytes ? "_len" : "");
    fprintf(o, "    sip_m.nhandles = %d;\n", m->neps);
    for (int k = 0; k < CONTRACT_MSG_EPS; k++)
        fprintf(o, "    sip_m.handles[%d] = -1;\n", k);
    unsigned off = 0;
    int ep = 0;
    for (int i = 0; i < m->nfields; i++) {
        const struct contract_field *f = &m->fields[i];
        if (f->type == CT_EP) {
            fprintf(o, "    sip_m.handles[%d] = %s;\n", ep++, f->name);
        } else if (f->type != CT_BYTES) {
            fprintf(o, "    __builtin_memcpy(sip_m.data + %u, &%s, %d);\n", off, f->name,
                    f->type == CT_I64 ? 8 : 4);
            off += f->type == CT_I64 ? 8 : 4;
        }
    }
    if (bytes)
        fprintf(o, "    if (%s_len > 0)\n        __builtin_memcpy(sip_m.data + %u, %s, "
                "(unsigned long)%s_len);\n", bytes->name, off, bytes->name, bytes->name);
    fprintf(o, "    return sip_chan_send(h, &sip_m);\n}\n\n");
}

static void emit_struct(FILE *o) {
    fprintf(o, "// A received message: tag says which member of the union is filled. The\n"
               "// bytes pointers point into raw.data; eps are new handles of this SIP.\n");
    fprintf(o, "struct %s_msg {\n    int tag;\n    union {\n", C.name);
    if (C.nmessages == 0)
        fprintf(o, "        int sip_none;\n");
    for (int m = 0; m < C.nmessages; m++) {
        const struct contract_message *msg = &C.messages[m];
        fprintf(o, "        struct {");
        for (int i = 0; i < msg->nfields; i++) {
            const struct contract_field *f = &msg->fields[i];
            if (f->type == CT_BYTES)
                fprintf(o, " const uint8_t *%s; int %s_len;", f->name, f->name);
            else
                fprintf(o, " %s %s;", c_type(f->type), f->name);
        }
        fprintf(o, "%s } %s;\n", msg->nfields ? "" : " int sip_none;", msg->name);
    }
    fprintf(o, "    };\n    struct sip_msg raw;\n};\n\n");
}

static void emit_decode(FILE *o, const struct contract_message *m) {
    unsigned off = 0;
    int ep = 0;
    fprintf(o, "    case %s_%s:\n", C.name, m->name);
    for (int i = 0; i < m->nfields; i++) {
        const struct contract_field *f = &m->fields[i];
        const char *n = f->name, *mn = m->name;
        if (f->type == CT_EP) {
            fprintf(o, "        m->%s.%s = m->raw.handles[%d];\n", mn, n, ep++);
        } else if (f->type == CT_BYTES) {
            fprintf(o, "        m->%s.%s = m->raw.data + %u;\n", mn, n, off);
            fprintf(o, "        m->%s.%s_len = m->raw.len - %u;\n", mn, n, off);
        } else {
            int size = f->type == CT_I64 ? 8 : 4;
            fprintf(o, "        __builtin_memcpy(&m->%s.%s, m->raw.data + %u, %d);\n", mn, n,
                    off, size);
            off += (unsigned)size;
        }
    }
    fprintf(o, "        break;\n");
}

static void emit_recv(FILE *o) {
    fprintf(o, "// Blocks for the next message on h and decodes it: its tag (>= 0), or -errno\n"
               "// (-EPIPE: the peer closed and nothing is left).\n");
    fprintf(o, "static inline int %s_recv(int h, struct %s_msg *m) {\n", C.name, C.name);
    fprintf(o, "    int sip_r = sip_chan_recv(h, &m->raw);\n");
    fprintf(o, "    if (sip_r < 0)\n        return sip_r;\n");
    fprintf(o, "    m->tag = m->raw.tag;\n    switch (m->tag) {\n");
    for (int m = 0; m < C.nmessages; m++)
        emit_decode(o, &C.messages[m]);
    fprintf(o, "    default:\n        return %d;   // -EINVAL: the kernel checked the tag\n",
            -EINVAL);
    fprintf(o, "    }\n    return m->tag;\n}\n");
}

static void emit(FILE *o) {
    emit_prologue(o);
    for (int m = 0; m < C.nmessages; m++) {
        emit_send_params(o, &C.messages[m]);
        emit_send_body(o, &C.messages[m]);
    }
    emit_struct(o);
    emit_recv(o);
}

static void usage(void) {
    fprintf(stderr, "usage: contractc FILE.contract -o OUT.h [--contracts DIR]\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *out = NULL, *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc)
            out = argv[++i];
        else if (!strcmp(argv[i], "--contracts") && i + 1 < argc)
            dir = argv[++i];
        else if (argv[i][0] == '-' || src_path)
            usage();
        else
            src_path = argv[i];
    }
    if (!src_path || !out)
        usage();
    char err[200];
    if (parse_file(src_path, &C, err, sizeof err) < 0)
        die("%s", err);
    check_c_names();
    if (dir)
        check_eps(dir);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    FILE *o = fopen(tmp, "w");
    if (!o)
        die("cannot write %s", tmp);
    emit(o);
    if (fclose(o) != 0 || rename(tmp, out) != 0) {
        remove(tmp);
        die("cannot write %s", out);
    }
    return 0;
}
