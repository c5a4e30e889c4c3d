// sh: the sip shell. Reads a line, splits it into words and operators, runs
// each pipeline. The grammar:
//
//     line     := [ pipeline { ';' pipeline } [';'] ]
//     pipeline := command { '|' command }
//     command  := word { word }
//
// Words may be quoted: '...' is literal, "..." allows \" and \\, and a
// backslash outside quotes takes the next character as it is. '#' at the
// start of a word begins a comment (the lexer is user/lib/shlex.c, shared
// with the hw shell). A command is the SIP sip/NAME.sip of
// the initrd, started with sip_spawn: its stdin and stdout are Stream
// channels, the first command's stdin is none (end of file) and the last
// one's stdout is none (the console). There are no files to redirect to
// and no fork: `<`, `>` and `&` are refused. Builtins: exit [N], poweroff
// (= exit 0: the kernel powers off when its shell ends), help.
//
// usage: sh              interactive: prompt "$ ", lines from stdin
//        sh -c 'LINE'    run one line
#include <errno.h>
#include <shlex.h>
#include <sip.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <contracts/Stream.h>

#define MAXLINE  1024
#define MAXTOKS  256
#define MAXSTAGES 16              // commands in one pipeline
#define MAXARGS  SIP_ARGC_MAX     // words of one command

enum tok { TK_WORD, TK_PIPE, TK_SEMI, TK_END };

struct cmd {
    char *argv[MAXARGS + 1];
    int argc;
};

static struct shlex_token toks[MAXTOKS];
static char words[2 * MAXLINE];   // the words with their quotes taken out
static int last_status;

// ---- Lexing ----

// The hw shell's other operators are listed too, refused: a SIP shell
// cannot offer them, and "a>b" must not be read as one word.
#define NO_REDIRECT "the sip shell has no redirections (no file descriptors to give)"
static const struct shlex_op operators[] = {
    { "|", TK_PIPE, NULL }, { ";", TK_SEMI, NULL },
    { "<", TK_END, NO_REDIRECT }, { ">", TK_END, NO_REDIRECT },
    { "&", TK_END, "the sip shell has no background jobs" },
};
static const struct shlex_syntax syntax = {
    operators, sizeof operators / sizeof operators[0], TK_WORD, TK_END,
};

// Splits line into toks[], ending with TK_END. false (after saying why)
// on a syntax error.
static bool lex(const char *line) {
    return shlex_split(&syntax, line, toks, MAXTOKS, words);
}

// ---- Parsing: one pipeline at a time ----

static const char *tok_text(int t) {
    static const char *text[] = { "word", "|", ";", "end of line" };
    return text[t];
}

// The commands of the pipeline at toks[*i] into cmds[]; their number, or
// -1 after saying why. *i ends past the pipeline's ';'.
static int parse_pipeline(int *i, struct cmd *cmds) {
    int n = 0;
    for (;;) {
        if (n == MAXSTAGES) {
            fprintf(stderr, "sh: too many commands in one pipeline (at most %d)\n", MAXSTAGES);
            return -1;
        }
        struct cmd *c = &cmds[n++];
        c->argc = 0;
        for (; toks[*i].kind == TK_WORD; (*i)++) {
            if (c->argc == MAXARGS) {
                fprintf(stderr, "sh: too many arguments (at most %d)\n", MAXARGS - 1);
                return -1;
            }
            c->argv[c->argc++] = toks[*i].word;
        }
        c->argv[c->argc] = NULL;
        if (c->argc == 0) {
            fprintf(stderr, "sh: syntax error near '%s'\n", tok_text(toks[*i].kind));
            return -1;
        }
        if (toks[*i].kind != TK_PIPE)
            break;
        (*i)++;
    }
    if (toks[*i].kind == TK_SEMI)
        (*i)++;
    return n;
}

// ---- Builtins: they end or describe the shell itself ----

static int builtin_exit(struct cmd *c) {
    exit(c->argc > 1 ? atoi(c->argv[1]) : last_status);
}

static int builtin_poweroff(struct cmd *c) {
    (void)c;
    exit(0);                      // the kernel powers off when its shell ends
}

static int builtin_help(struct cmd *c) {
    (void)c;
    printf("commands are the SIPs of the initrd (sip/NAME.sip); builtins: exit [N], poweroff, help\n"
           "a | b   pipe (a Stream channel)      a ; b   one after the other   ('quotes' work)\n");
    return 0;
}

static const struct {
    const char *name;
    int (*run)(struct cmd *c);
} builtins[] = {
    { "exit", builtin_exit }, { "poweroff", builtin_poweroff }, { "help", builtin_help },
};

static int (*find_builtin(const char *name))(struct cmd *) {
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (strcmp(builtins[i].name, name) == 0)
            return builtins[i].run;
    return NULL;
}

// ---- Running ----

// argv as sip_spawn wants it: NUL-separated, argv[0] first. Its length, or
// -1 when it does not fit.
static int pack_args(const struct cmd *c, char *buf, int cap) {
    int len = 0;
    for (int i = 0; i < c->argc; i++) {
        int n = (int)strlen(c->argv[i]) + 1;
        if (len + n > cap)
            return -1;
        memcpy(buf + len, c->argv[i], (size_t)n);
        len += n;
    }
    return len;
}

// Starts c with stdin in and stdout out (handles, or -1; they move to it).
// A program may declare more endpoints than the standard two: the kernel
// gives those none (a parent may pass fewer handles than declared).
static int spawn(const struct cmd *c, int in, int out) {
    char args[SIP_ARGS_MAX];
    int32_t handles[2] = { in, out };
    int len = pack_args(c, args, sizeof args);
    if (len < 0)
        return -E2BIG;
    const char *name = c->argv[0];
    return sip_spawn(name, (int)strlen(name), args, len, handles, 2);
}

static void spawn_failed(const char *name, int err) {
    if (err == -ENOENT)
        fprintf(stderr, "sh: %s: no such program\n", name);
    else if (err == -ENOEXEC)
        fprintf(stderr, "sh: %s: refused by the kernel (see above)\n", name);
    else
        fprintf(stderr, "sh: %s: %s\n", name, strerror(-err));
}

// Spawns every command, each one's stdout a Stream into the next one's
// stdin. ids[i] is the SIP of command i, or 0 if it did not start (its
// channel ends are closed: its neighbours see the end of the stream).
static void start_pipeline(struct cmd *cmds, int n, int *ids) {
    int prev_reader = -1;
    for (int i = 0; i < n; i++) {
        int writer = -1, reader = -1;
        if (i + 1 < n) {
            int err = Stream_create(&writer, &reader);
            if (err < 0) {
                fprintf(stderr, "sh: pipe: %s\n", strerror(-err));
                writer = reader = -1;
            }
        }
        int id = spawn(&cmds[i], prev_reader, writer);
        ids[i] = id > 0 ? id : 0;
        if (id < 0) {
            spawn_failed(cmds[i].argv[0], id);
            if (prev_reader >= 0)
                sip_chan_close(prev_reader);
            if (writer >= 0)
                sip_chan_close(writer);
        }
        prev_reader = reader;
    }
}

// Waits for every started command; one that was killed or exited nonzero
// is reported as hw's sh reports a job: "[ID] killed", "[ID] exit N".
// Returns the last command's status as `exit` uses it.
static int wait_pipeline(int *ids, int n) {
    int last = 127;
    for (int i = 0; i < n; i++) {
        int32_t status = 0;
        if (!ids[i] || sip_wait(ids[i], &status) < 0) {
            last = 127;
            continue;
        }
        if (status == -1)
            printf("[%d] killed\n", ids[i]);
        else if (status != 0)
            printf("[%d] exit %d\n", ids[i], (int)status);
        last = status == -1 ? 128 : status;
    }
    return last;
}

static void run_pipeline(struct cmd *cmds, int n) {
    int ids[MAXSTAGES];
    int (*builtin)(struct cmd *) = find_builtin(cmds[0].argv[0]);
    if (builtin && n == 1) {
        last_status = builtin(&cmds[0]);
        return;
    }
    for (int i = 0; i < n; i++) {
        if (find_builtin(cmds[i].argv[0])) {
            fprintf(stderr, "sh: %s: a builtin cannot be in a pipeline\n", cmds[i].argv[0]);
            last_status = 2;
            return;
        }
    }
    fflush(stdout);               // ours first: the commands write to the console too
    start_pipeline(cmds, n, ids);
    last_status = wait_pipeline(ids, n);
}

static void run_line(const char *line) {
    static struct cmd cmds[MAXSTAGES];
    int i = 0;
    if (!lex(line)) {
        last_status = 2;
        return;
    }
    while (toks[i].kind != TK_END) {
        int n = parse_pipeline(&i, cmds);
        if (n < 0) {
            last_status = 2;
            return;
        }
        run_pipeline(cmds, n);
    }
}

// Lines from stdin until its end, each after a "$ " prompt.
static void run_interactive(void) {
    static char line[MAXLINE];
    for (;;) {
        fputs("$ ", stdout);
        fflush(stdout);
        if (!fgets(line, sizeof line, stdin))
            break;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            int c;
            while ((c = getchar()) != EOF && c != '\n') {}
            fprintf(stderr, "sh: line too long (at most %d characters)\n", MAXLINE - 2);
            continue;
        }
        run_line(line);
    }
    putchar('\n');
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "-c") == 0) {
        run_line(argv[2]);
        return last_status;
    }
    if (argc > 1) {
        fprintf(stderr, "usage: sh [-c LINE]\n");
        return 2;
    }
    run_interactive();
    return last_status;
}
