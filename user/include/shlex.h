// shlex.h: the lexer both shells share (user/hw/sh.c, user/sip/sh.c). It
// splits a line into words (quotes taken out) and operators; what differs
// between the shells, their operators, comes in a table.
#pragma once
#include <stdbool.h>

// One operator: its text and the token kind it becomes. A shell that cannot
// offer an operator still lists it, with why set: a word must not run into
// it, and the line is refused with "sh: 'TEXT': WHY".
struct shlex_op {
    const char *text;
    int kind;
    const char *why;              // NULL, or why the operator is refused
};

struct shlex_syntax {
    const struct shlex_op *ops;   // the longest first where one prefixes another
    int nops;
    int word_kind, end_kind;      // the kinds of a word and of the final token
};

struct shlex_token {
    int kind;
    char *word;                   // word_kind only
};

// Splits line into toks[] (at most maxtoks, the last of end_kind), the
// unquoted words into words[] (2 * strlen(line) + 2 bytes are enough).
// false, after saying why on stderr, on a syntax error.
bool shlex_split(const struct shlex_syntax *sx, const char *line,
                 struct shlex_token *toks, int maxtoks, char *words);
