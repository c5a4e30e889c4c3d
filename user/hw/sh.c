// sh: the shell. Reads a line, splits it into words and operators, parses
// it into pipelines, runs them. The grammar (docs/user.md):
//
//     line     := [ pipeline { (';' | '&') pipeline } [';' | '&'] ]
//     pipeline := command { '|' command }
//     command  := { word | '<' word | '>' word | '>>' word }   (at least one word)
//
// Words may be quoted: '...' is literal, "..." allows \" and \\, and a
// backslash outside quotes takes the next character as it is. '#' at the
// start of a word begins a comment (the lexer is user/lib/shlex.c, shared
// with the sip shell). Commands are found in /bin unless the
// name has a '/'. Builtins: cd, exit, poweroff, help.
//
// usage: sh                interactive (prompt "$ " when stdin is the console)
//        sh FILE           run the lines of FILE
//        sh -c 'LINE'      run one line
#include <errno.h>
#include <fcntl.h>
#include <shlex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXLINE  1024
#define MAXTOKS  256
#define MAXCMDS  32               // commands in one line, all pipelines together
#define MAXBG    32               // background jobs remembered
#define MAXPROCS 64               // entries asked of procs()

// ---- Words and operators ----
enum tok { TK_WORD, TK_PIPE, TK_IN, TK_OUT, TK_APPEND, TK_SEMI, TK_AMP, TK_END };

static const char *tok_text(int t) {
    static const char *text[] = { "word", "|", "<", ">", ">>", ";", "&", "end of line" };
    return text[t];
}

// ---- Parsed commands ----
struct cmd {
    char *argv[MAXARG + 1];
    int argc;
    char *in, *out;               // redirections, or NULL
    bool append;                  // '>>' rather than '>'
};
struct pipeline {
    struct cmd *cmds;             // into cmd_pool
    int ncmds;
    bool background;
};

struct builtin {
    const char *name;
    int (*run)(struct cmd *c);
};

static struct shlex_token toks[MAXTOKS];
static char words[2 * MAXLINE];   // the words with their quotes taken out
static struct cmd cmd_pool[MAXCMDS];
static struct pipeline pipes[MAXCMDS];
static int bg_pids[MAXBG];
static bool interactive;
static int script_fd = -1;        // `sh FILE`: children must not inherit it
static int last_status;

// ---- Lexing ----

// ">>" before ">": the lexer takes the first operator that matches.
static const struct shlex_op operators[] = {
    { ">>", TK_APPEND, NULL }, { ">", TK_OUT, NULL }, { "<", TK_IN, NULL },
    { "|", TK_PIPE, NULL }, { ";", TK_SEMI, NULL }, { "&", TK_AMP, NULL },
};
static const struct shlex_syntax syntax = {
    operators, sizeof operators / sizeof operators[0], TK_WORD, TK_END,
};

// Splits line into toks[], ending with TK_END. Returns false (after saying
// why) on a syntax error.
static bool lex(const char *line) {
    return shlex_split(&syntax, line, toks, MAXTOKS, words);
}

// ---- Parsing ----

static bool syntax_error(const struct shlex_token *t) {
    fprintf(stderr, "sh: syntax error near '%s'\n", tok_text(t->kind));
    return false;
}

// One command from toks[*i]: words and redirections, up to an operator
// that is not a redirection.
static bool parse_command(int *i, struct cmd *c) {
    *c = (struct cmd){ .argc = 0 };
    for (;; (*i)++) {
        struct shlex_token *t = &toks[*i];
        if (t->kind == TK_WORD) {
            if (c->argc == MAXARG) {
                fprintf(stderr, "sh: too many arguments (at most %d)\n", MAXARG);
                return false;
            }
            c->argv[c->argc++] = t->word;
        } else if (t->kind == TK_IN || t->kind == TK_OUT || t->kind == TK_APPEND) {
            if (toks[*i + 1].kind != TK_WORD) {
                fprintf(stderr, "sh: syntax error: no file name after '%s'\n", tok_text(t->kind));
                return false;
            }
            (*i)++;
            if (t->kind == TK_IN) c->in = toks[*i].word;
            else c->out = toks[*i].word, c->append = t->kind == TK_APPEND;
        } else {
            break;
        }
    }
    c->argv[c->argc] = NULL;
    return c->argc > 0 ? true : syntax_error(&toks[*i]);
}

// The whole line into pipes[]; *npipes of them.
static bool parse_line(int *npipes) {
    int i = 0, ncmds = 0;
    *npipes = 0;
    while (toks[i].kind != TK_END) {
        struct pipeline *pl = &pipes[(*npipes)++];
        *pl = (struct pipeline){ .cmds = &cmd_pool[ncmds] };
        for (;;) {
            if (ncmds == MAXCMDS) {
                fprintf(stderr, "sh: too many commands in one line (at most %d)\n", MAXCMDS);
                return false;
            }
            if (!parse_command(&i, &cmd_pool[ncmds++])) return false;
            pl->ncmds++;
            if (toks[i].kind != TK_PIPE) break;
            i++;
        }
        if (toks[i].kind == TK_AMP || toks[i].kind == TK_SEMI) {
            pl->background = toks[i].kind == TK_AMP;
            i++;
        }
    }
    return true;
}

// ---- Running: children ----

// A child ends with _exit: what it printed went to stderr, already written.
static _Noreturn void child_exit(int status) {
    _exit(status);
    for (;;) {}                   // the generated _exit stub is not marked _Noreturn
}

// In a child: open path onto descriptor fd, or end the child.
static void redirect(const char *path, int flags, int fd) {
    int f = open(path, flags);
    if (f < 0) {
        fprintf(stderr, "sh: %s: %s\n", path, strerror(-f));
        child_exit(1);
    }
    if (f != fd) {
        dup2(f, fd);
        close(f);
    }
}

static const struct builtin *find_builtin(const char *name);

// In a child: redirections, then exec (or a builtin, in a pipeline, in the
// background or redirected). Never returns.
static _Noreturn void run_command(struct cmd *c) {
    char path[MAXPATH];
    if (c->in) redirect(c->in, O_RDONLY, 0);
    if (c->out) redirect(c->out, O_WRONLY | O_CREAT | (c->append ? O_APPEND : O_TRUNC), 1);
    const char *name = c->argv[0];
    const struct builtin *b = find_builtin(name);
    if (b) exit(b->run(c));
    bool has_slash = strchr(name, '/') != NULL;
    if (snprintf(path, sizeof path, has_slash ? "%s" : "/bin/%s", name) >= (int)sizeof path) {
        fprintf(stderr, "sh: %s: %s\n", name, strerror(ENAMETOOLONG));
        child_exit(126);
    }
    int r = exec(path, c->argv);
    if (r == -ENOENT && !has_slash) {
        fprintf(stderr, "sh: %s: command not found\n", name);
        child_exit(127);
    }
    fprintf(stderr, "sh: %s: %s\n", name, strerror(-r));
    child_exit(r == -ENOENT ? 127 : 126);
}

// In a child of a pipeline: stdin from the previous pipe, stdout into the
// next one, then the command.
static _Noreturn void start_child(struct cmd *c, int in_fd, int out_fd, int unused_fd) {
    if (in_fd >= 0) {
        dup2(in_fd, 0);
        close(in_fd);
    }
    if (out_fd >= 0) {
        dup2(out_fd, 1);
        close(out_fd);
    }
    if (unused_fd >= 0) close(unused_fd);   // the next command's read end
    if (script_fd >= 0) close(script_fd);
    run_command(c);
}

// ---- Running: the shell's side ----

static void remember_bg(int pid) {
    for (int i = 0; i < MAXBG; i++) {
        if (bg_pids[i] == 0) {
            bg_pids[i] = pid;
            return;
        }
    }
}

static void describe_status(int pid, int status) {
    if (WIFKILLED(status)) printf("[%d] killed\n", pid);
    else if (WEXITSTATUS(status)) printf("[%d] exit %d\n", pid, WEXITSTATUS(status));
    else printf("[%d] done\n", pid);
}

// A child that wait() returned: if it was a background job, say it ended.
static void note_reaped(int pid, int status) {
    for (int i = 0; i < MAXBG; i++) {
        if (bg_pids[i] == pid) {
            bg_pids[i] = 0;
            describe_status(pid, status);
        }
    }
}

// Waits until every pid in pids[] has ended; others reaped meanwhile are
// background jobs. Returns the status of the last command of the pipeline,
// as `exit` with no argument uses it: its exit code, or 128 + the kernel's
// reason when it was killed.
static int wait_pipeline(int *pids, int n) {
    int left = n, last = 0, status;
    while (left > 0) {
        int pid = wait(&status);
        if (pid < 0) break;                       // ECHILD: nothing more to wait for
        bool ours = false;
        for (int i = 0; i < n; i++) {
            if (pids[i] == pid) {
                pids[i] = 0;
                ours = true;
                left--;
                if (i == n - 1) last = WIFKILLED(status) ? 128 + (status & 0xff) : WEXITSTATUS(status);
            }
        }
        if (!ours) note_reaped(pid, status);
    }
    return last;
}

// Forks every command of the pipeline, each one's stdout into the next
// one's stdin. Returns how many started (pids[]).
static int start_pipeline(struct pipeline *pl, int *pids) {
    int prev_read = -1, started = 0;
    for (int i = 0; i < pl->ncmds; i++) {
        int fds[2] = { -1, -1 };
        int r = i + 1 < pl->ncmds ? pipe(fds) : 0;
        if (r < 0) {
            fprintf(stderr, "sh: pipe: %s\n", strerror(-r));
            break;
        }
        int pid = fork();
        if (pid == 0) start_child(&pl->cmds[i], prev_read, fds[1], fds[0]);
        if (prev_read >= 0) close(prev_read);
        if (fds[1] >= 0) close(fds[1]);
        prev_read = fds[0];
        if (pid < 0) {
            fprintf(stderr, "sh: fork: %s\n", strerror(-pid));
            break;
        }
        pids[started++] = pid;
    }
    if (prev_read >= 0) close(prev_read);
    return started;
}

// ---- Builtins: they change the shell itself, so they run in it ----

static int builtin_cd(struct cmd *c) {
    const char *dir = c->argc > 1 ? c->argv[1] : "/";
    int r = chdir(dir);
    if (r < 0) fprintf(stderr, "sh: cd: %s: %s\n", dir, strerror(-r));
    return r < 0;
}

static int builtin_exit(struct cmd *c) {
    exit(c->argc > 1 ? atoi(c->argv[1]) : last_status);
}

static int builtin_poweroff(struct cmd *c) {
    (void)c;
    fflush(NULL);
    int r = poweroff(0);
    fprintf(stderr, "sh: poweroff: %s\n", strerror(-r));
    return 1;
}

static int builtin_help(struct cmd *c) {
    (void)c;
    printf("commands are programs in /bin (ls /bin); builtins: cd [DIR], exit [N], poweroff, help\n"
           "a | b   pipe     < f  input from f   > f  output to f   >> f  append to f\n"
           "a ; b   one after the other          a &  in the background ('quotes' work)\n");
    return 0;
}

static const struct builtin builtins[] = {
    { "cd", builtin_cd }, { "exit", builtin_exit },
    { "poweroff", builtin_poweroff }, { "help", builtin_help },
};

static const struct builtin *find_builtin(const char *name) {
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (strcmp(builtins[i].name, name) == 0) return &builtins[i];
    return NULL;
}

static void run_pipeline(struct pipeline *pl) {
    int pids[MAXCMDS];
    const struct builtin *b = find_builtin(pl->cmds[0].argv[0]);
    struct cmd *c = &pl->cmds[0];
    if (b && pl->ncmds == 1 && !pl->background && !c->in && !c->out) {
        last_status = b->run(c);
        return;
    }
    fflush(NULL);                 // or the children would print our buffer again
    int n = start_pipeline(pl, pids);
    if (n == 0) {
        last_status = 1;
    } else if (pl->background) {
        printf("[%d]\n", pids[n - 1]);
        for (int i = 0; i < n; i++) remember_bg(pids[i]);
    } else {
        last_status = wait_pipeline(pids, n);
    }
}

// Background jobs that have ended are zombies: reap them without blocking,
// asking procs() which of our children are zombies first, since wait()
// would block for one still running.
static void reap_background(void) {
    static struct procinfo ps[MAXPROCS];
    int status, me = getpid(), zombies = 0;
    int n = procs(ps, MAXPROCS);
    for (int i = 0; i < n; i++)
        if (ps[i].ppid == me && ps[i].state == PS_ZOMBIE) zombies++;
    while (zombies-- > 0) {
        int pid = wait(&status);
        if (pid < 0) break;
        note_reaped(pid, status);
    }
}

static void run_line(const char *line) {
    int npipes;
    if (!lex(line) || !parse_line(&npipes)) {
        last_status = 2;
        return;
    }
    for (int i = 0; i < npipes; i++) run_pipeline(&pipes[i]);
}

// Reads lines from f until its end, running each.
static void run_file(FILE *f) {
    static char line[MAXLINE];
    for (;;) {
        reap_background();
        if (interactive) {
            fputs("$ ", stdout);
            fflush(stdout);
        }
        if (!fgets(line, sizeof line, f)) break;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            int c;
            while ((c = fgetc(f)) != EOF && c != '\n') {}
            fprintf(stderr, "sh: line too long (at most %d characters)\n", MAXLINE - 2);
            continue;
        }
        run_line(line);
    }
    if (interactive) putchar('\n');
}

int main(int argc, char **argv) {
    struct stat st;
    if (argc == 3 && strcmp(argv[1], "-c") == 0) {
        run_line(argv[2]);
        return last_status;
    }
    if (argc == 2 && argv[1][0] != '-') {
        FILE *f = fopen(argv[1], "r");
        if (!f) {
            fprintf(stderr, "sh: %s: %s\n", argv[1], strerror(errno));
            return 127;
        }
        script_fd = fileno(f);
        run_file(f);
        return last_status;
    }
    if (argc != 1) {
        fprintf(stderr, "usage: sh [-c LINE | FILE]\n");
        return 2;
    }
    interactive = fstat(0, &st) >= 0 && st.type == T_DEV;
    run_file(stdin);
    return last_status;
}
