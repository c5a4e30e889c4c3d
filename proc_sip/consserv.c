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
