// user/lib/shlex.c: the shells' lexer (shlex.h). Words may be quoted: '...'
// is literal, "..." allows \" and \\, and a backslash outside quotes takes
// the next character as it is. '#' at the start of a word begins a comment.
#include <shlex.h>
#include <stdio.h>
#include <string.h>

static bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// The operator whose text starts at p, or NULL. The table's order decides
// between prefixes: ">>" is listed before ">" so that it wins.
static const struct shlex_op *op_at(const struct shlex_syntax *sx, const char *p) {
    for (int i = 0; i < sx->nops; i++) {
        const struct shlex_op *op = &sx->ops[i];
        if (strncmp(p, op->text, strlen(op->text)) == 0) return op;
    }
    return NULL;
}

// The inside of a quote at *pp (past the opening q), unquoted into *o; past
// the closing q. false when the line ends first.
static bool lex_quoted(const char **pp, char **o, char q) {
    const char *p = *pp;
    while (*p && *p != q) {
        if (q == '"' && *p == '\\' && (p[1] == '"' || p[1] == '\\')) p++;
        *(*o)++ = *p++;
    }
    if (!*p) return false;
    *pp = p + 1;
    return true;
}

// One word at *pp, unquoted into *out (NUL-terminated); advances both. A
// blank or any operator ends it, refused ones too, so that the shell sees
// them. Returns false on an unterminated quote.
static bool lex_word(const struct shlex_syntax *sx, const char **pp, char **out) {
    const char *p = *pp;
    char *o = *out;
    while (*p && !is_blank(*p) && !op_at(sx, p)) {
        if (*p == '\'' || *p == '"') {
            char q = *p++;
            if (!lex_quoted(&p, &o, q)) return false;
        } else if (*p == '\\' && p[1]) {
            *o++ = p[1];
            p += 2;
        } else {
            *o++ = *p++;
        }
    }
    *o++ = 0;
    *pp = p;
    *out = o;
    return true;
}

// One token at *pp into *t: an operator, else a word into *w. false after
// saying why.
static bool lex_token(const struct shlex_syntax *sx, const char **pp, char **w,
                      struct shlex_token *t) {
    const struct shlex_op *op = op_at(sx, *pp);
    if (op && op->why) {
        fprintf(stderr, "sh: '%s': %s\n", op->text, op->why);
        return false;
    }
    if (op) {
        *t = (struct shlex_token){ op->kind, NULL };
        *pp += strlen(op->text);
        return true;
    }
    *t = (struct shlex_token){ sx->word_kind, *w };
    if (lex_word(sx, pp, w)) return true;
    fprintf(stderr, "sh: syntax error: unterminated quote\n");
    return false;
}

bool shlex_split(const struct shlex_syntax *sx, const char *line,
                 struct shlex_token *toks, int maxtoks, char *words) {
    int n = 0;
    for (const char *p = line;;) {
        while (is_blank(*p)) p++;
        if (!*p || *p == '#') break;
        if (n == maxtoks - 1) {   // the last one is for the end
            fprintf(stderr, "sh: line too complex (more than %d words)\n", maxtoks - 1);
            return false;
        }
        if (!lex_token(sx, &p, &words, &toks[n])) return false;
        n++;
    }
    toks[n] = (struct shlex_token){ sx->end_kind, NULL };
    return true;
}
