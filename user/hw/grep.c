// grep [-v] [-c] [-n] [-i] PATTERN [FILE...]: print the lines that match.
// PATTERN is a small regular expression: c matches itself, . any
// character, x* zero or more x, ^ the start and $ the end of the line, \c
// the character c itself. -v: lines that do not match; -c: only count
// them; -n: line numbers; -i: ignore case. Exit status 0 when a line was
// selected, 1 when none was, 2 on an error.
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool opt_invert, opt_count, opt_number, opt_icase;

// ---- The matcher (after Kernighan and Pike, "The Practice of Programming") ----

static bool same(char pattern, char c) {
    return opt_icase ? tolower((unsigned char)pattern) == tolower((unsigned char)c) : pattern == c;
}

// One pattern atom at re: its character and its length (2 for "\c").
static int atom(const char *re, char *c, bool *any) {
    *any = re[0] == '.';
    *c = re[0] == '\\' && re[1] ? re[1] : re[0];
    return re[0] == '\\' && re[1] ? 2 : 1;
}

static bool match_here(const char *re, const char *text);

// Zero or more of atom (c, any), then the rest of the pattern.
static bool match_star(char c, bool any, const char *re, const char *text) {
    for (;; text++) {
        if (match_here(re, text)) return true;
        if (!*text || !(any || same(c, *text))) return false;
    }
}

static bool match_here(const char *re, const char *text) {
    if (re[0] == 0) return true;
    if (re[0] == '$' && re[1] == 0) return *text == 0;
    char c;
    bool any;
    int len = atom(re, &c, &any);
    if (re[len] == '*') return match_star(c, any, re + len + 1, text);
    if (*text && (any || same(c, *text))) return match_here(re + len, text + 1);
    return false;
}

static bool match(const char *re, const char *text) {
    if (re[0] == '^') return match_here(re + 1, text);
    do {
        if (match_here(re, text)) return true;
    } while (*text++);
    return false;
}

// ---- Lines ----

// The next line of f without its newline, in *buf (grown as needed).
static bool read_line(FILE *f, char **buf, size_t *cap) {
    size_t n = 0;
    int c;
    while ((c = fgetc(f)) != EOF && c != '\n') {
        if (n + 1 >= *cap) {
            size_t bigger = *cap ? 2 * *cap : 256;
            char *p = realloc(*buf, bigger);
            if (!p) break;                       // a line too long for memory: cut
            *buf = p;
            *cap = bigger;
        }
        (*buf)[n++] = (char)c;
    }
    if (c == EOF && n == 0) return false;
    if (*buf) (*buf)[n] = 0;
    return true;
}

// Returns the number of lines selected.
static long grep_file(const char *re, FILE *f, const char *name) {
    static char *line;
    static size_t cap;
    long selected = 0, lineno = 0;
    while (read_line(f, &line, &cap)) {
        lineno++;
        if (match(re, line ? line : "") == opt_invert) continue;
        selected++;
        if (opt_count) continue;
        if (name) printf("%s:", name);
        if (opt_number) printf("%ld:", lineno);
        printf("%s\n", line ? line : "");
    }
    if (opt_count) name ? printf("%s:%ld\n", name, selected) : printf("%ld\n", selected);
    return selected;
}

static int parse_options(int argc, char **argv) {
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        for (const char *o = argv[i] + 1; *o; o++) {
            if (*o == 'v') opt_invert = true;
            else if (*o == 'c') opt_count = true;
            else if (*o == 'n') opt_number = true;
            else if (*o == 'i') opt_icase = true;
            else return -1;
        }
    }
    return i;
}

int main(int argc, char **argv) {
    int i = parse_options(argc, argv);
    if (i < 0 || i >= argc) {
        fprintf(stderr, "usage: grep [-v] [-c] [-n] [-i] PATTERN [FILE...]\n");
        return 2;
    }
    const char *re = argv[i++];
    long selected = 0;
    int errors = 0;
    if (i == argc) selected = grep_file(re, stdin, NULL);
    for (int first = i; i < argc; i++) {
        FILE *f = fopen(argv[i], "r");
        if (!f) {
            fprintf(stderr, "grep: %s: %s\n", argv[i], strerror(errno));
            errors++;
            continue;
        }
        selected += grep_file(re, f, argc - first > 1 ? argv[i] : NULL);
        fclose(f);
    }
    return errors ? 2 : selected ? 0 : 1;
}
