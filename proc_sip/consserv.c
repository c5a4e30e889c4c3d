// proc_sip/consserv.c: the console's input as a Stream for the sip shell.
// A kernel thread cooks lines as the hw kernel's console device does
// (proc_hw/devconsole.c): bytes are echoed as typed, backspace or DEL erases
// one, Ctrl-U the whole line, Enter (the serial '\r' arrives as '\n') ends
// the line, which is sent with its '\n' as one Stream.Data on the writer
// end. Ctrl-D sends the line so far without a '\n'; on an empty line it is
// end of file: the writer end is closed. A line is at most CONS_LINE bytes.
//
// When the reader goes (chan_send says -EPIPE) the thread ends too.
#include "kern/kern.h"
#include "syscall/errno_list.h"
#include "proc_sip/services.h"

#define CONS_LINE 256                  // bytes of one line, with its '\n'
#define CTRL_D 0x04
#define CTRL_U 0x15

struct cons_line {
    char buf[CONS_LINE];
    size_t n;
};

static void erase_one(void) {
    console_write("\b \b", 3);
}

// What one typed byte does to the line: true when the line is finished
// (Enter, or Ctrl-D).
static bool edit(struct cons_line *l, int c) {
    if (c == '\n') {
        l->buf[l->n++] = '\n';         // room kept: only n < CONS_LINE - 1 stores below
        console_write("\n", 1);
        return true;
    }
    if (c == CTRL_D) return true;
    if ((c == '\b' || c == 0x7f) && l->n > 0) {
        erase_one();
        l->n--;
    } else if (c == CTRL_U) {
        for (; l->n > 0; l->n--) erase_one();
    } else if (((c >= ' ' && c < 0x7f) || c == '\t') && l->n < CONS_LINE - 1) {
        l->buf[l->n++] = (char)c;
        console_write(&l->buf[l->n - 1], 1);
    }
    return false;
}

static void read_line(struct cons_line *l) {
    l->n = 0;
    while (!edit(l, console_getc())) {}
}

static void consserv_main(void *arg) {
    struct endpoint *writer = arg;
    const struct contract *c = endpoint_contract(writer);
    int data_tag = contract_message(c, "Data");
    struct cons_line line;
    for (;;) {
        read_line(&line);
        if (line.n == 0) break;        // Ctrl-D on an empty line: end of file
        const char *why = NULL;
        int r = chan_send(writer, data_tag, line.buf, (uint32_t)line.n, NULL, 0, &why);
        if (r == CHAN_VIOLATION) kprintf("consserv: Stream refuses a line: %s\n", why ? why : "?");
        if (r < 0) break;              // the reader has gone
    }
    endpoint_close(writer);
    thread_exit(0);
}

struct endpoint *consserv_start(void) {
    const struct contract *c = contract_find("Stream");
    if (!c || contract_message(c, "Data") < 0 || contract_role(c, "writer") < 0) {
        kprintf("consserv: contract Stream (role writer, message Data) not loaded: no console input\n");
        return NULL;
    }
    struct endpoint *e[2];
    if (chan_create(c, &e[0], &e[1]) < 0) return NULL;
    int w = contract_role(c, "writer");
    if (!thread_create("consserv", consserv_main, e[w])) {
        endpoint_close(e[0]);
        endpoint_close(e[1]);
        return NULL;
    }
    return e[1 - w];
}

// The line editing, fed bytes directly (the echo goes to the console).
static int feed(struct cons_line *l, const char *keys) {
    l->n = 0;
    for (; *keys; keys++)
        if (edit(l, (uint8_t)*keys)) return 1;
    return 0;
}

KTEST(consserv_editing) {
    static struct cons_line l;
    KT_CHECK(feed(&l, "ab\bc\n") && l.n == 3 && memcmp(l.buf, "ac\n", 3) == 0);
    KT_CHECK(feed(&l, "xyz\x15ok\x7f!\n") && l.n == 3 && memcmp(l.buf, "o!\n", 3) == 0);
    KT_CHECK(feed(&l, "\b\bq\x01\n") && l.n == 2 && memcmp(l.buf, "q\n", 2) == 0);
    KT_CHECK(feed(&l, "part\x04") && l.n == 4);       // Ctrl-D: the line so far, no '\n'
    KT_CHECK(feed(&l, "\x04") && l.n == 0);           // on an empty line: end of file
    KT_CHECK(!feed(&l, "abc") && l.n == 3);            // not finished without Enter
    static char many[CONS_LINE + 40];
    memset(many, 'm', sizeof many - 2);
    many[sizeof many - 2] = '\n';
    many[sizeof many - 1] = '\0';
    KT_CHECK(feed(&l, many) && l.n == CONS_LINE && l.buf[CONS_LINE - 1] == '\n');
    return 0;
}
