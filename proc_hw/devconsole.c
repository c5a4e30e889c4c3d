// proc_hw/devconsole.c: the console as a device for hw programs: writes go
// straight to console_write; reads are "cooked" lines, as a Unix terminal
// gives them: characters are echoed as typed, backspace (or DEL) erases
// one, Ctrl-U the whole line, Enter ends the line (which the reader gets
// with its '\n'), Ctrl-D sends the line so far without one, and Ctrl-D
// on an empty line is end of file (read returns 0).
//
// One reader at a time edits a line (the "turn"), so that two processes
// reading the console (a shell and a background job) each get whole lines
// instead of each other's keystrokes. A line longer than the reader's
// buffer is handed out over several reads.
#include "proc_hw/file.h"

#define CONS_LINE 256                  // bytes of one line, with its '\n'
#define CTRL_D 0x04
#define CTRL_U 0x15

static struct {
    struct spinlock lock;              // guards 'busy'
    struct waitq turn;                 // readers waiting for their turn
    bool busy;                         // a reader has the turn
    char line[CONS_LINE];              // the rest belong to the reader with the turn:
    size_t len, pos;                   // a finished line, and how much of it was read
} cons = {
    .lock = SPINLOCK_INIT("devconsole"),
    .turn = { .lock = SPINLOCK_INIT("devconsole-turn") },
};

static int take_turn(void) {
    int r = 0;
    spin_lock(&cons.lock);
    while (cons.busy && r == 0) r = waitq_sleep_killable(&cons.turn, &cons.lock) ? -EINTR : 0;
    if (r == 0) cons.busy = true;
    spin_unlock(&cons.lock);
    return r;
}

static void give_turn(void) {
    spin_lock(&cons.lock);
    cons.busy = false;
    waitq_wake_one(&cons.turn);
    spin_unlock(&cons.lock);
}

// The next typed byte, or -EINTR if the process was killed meanwhile.
static int getc_killable(void) {
    int c = console_getc_killable();
    return c < 0 ? -EINTR : c;
}

static void echo(const char *s) {
    console_write(s, strlen(s));
}

// What one typed byte does to the line of n bytes; returns the new n, or
// -1 when the line is finished.
static int edit(int c, size_t n) {
    if (c == '\n') {
        cons.line[n++] = '\n';
        echo("\n");
        return -1 - (int)n;
    }
    if (c == CTRL_D) return -1 - (int)n;
    if ((c == '\b' || c == 0x7f) && n > 0) {
        echo("\b \b");
        return (int)n - 1;
    }
    if (c == CTRL_U) {
        for (; n > 0; n--) echo("\b \b");
        return 0;
    }
    if (((c >= ' ' && c < 0x7f) || c == '\t') && n < CONS_LINE - 1) {
        cons.line[n++] = (char)c;
        console_write(&cons.line[n - 1], 1);
    }
    return (int)n;
}

// Reads and echoes one line into cons.line (length 0: end of file).
static int read_line(void) {
    int n = 0;
    while (n >= 0) {
        int c = getc_killable();
        if (c < 0) return c;
        n = edit(c, (size_t)n);
    }
    cons.len = (size_t)(-1 - n);
    cons.pos = 0;
    return 0;
}

long devconsole_read(void *buf, size_t n) {
    if (n == 0) return 0;
    int r = take_turn();
    if (r) return r;
    if (cons.pos == cons.len) r = read_line();   // else: the rest of a long line
    size_t got = 0;
    if (r == 0) {
        got = MIN(n, cons.len - cons.pos);
        memcpy(buf, cons.line + cons.pos, got);
        cons.pos += got;
    }
    give_turn();
    return r ? r : (long)got;
}

long devconsole_write(const void *buf, size_t n) {
    console_write(buf, n);
    return (long)n;
}
