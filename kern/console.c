// kern/console.c: the console is COM1 plus the VGA text screen for output,
// and COM1's receive interrupt for input. Input goes through a small ring
// buffer that console_getc() sleeps on, so a reading thread blocks instead
// of spinning.
#include "kern/kern.h"
#include "arch/x86_64/arch.h"

static struct spinlock out_lock = SPINLOCK_INIT("console-out");
static bool panicking;          // set by panic: never wait for the lock again

#define INPUT_BUF 256
static struct {
    struct spinlock lock;
    struct waitq readers;
    char buf[INPUT_BUF];
    unsigned r, w;              // read and write positions, free-running
} in = { .lock = SPINLOCK_INIT("console-in") };

void console_init(void) {
    serial_init();
    vga_init();
}

void console_putc(char c) {
    if (c == '\n') serial_putc('\r');
    serial_putc(c);
    vga_putc(c);
}

void console_write(const char *s, size_t n) {
    console_lock();
    while (n--) console_putc(*s++);
    console_unlock();
}

void console_lock(void) {
    if (!panicking) spin_lock(&out_lock);
}

void console_unlock(void) {
    if (!panicking) spin_unlock(&out_lock);
}

// Called by panic so that a fault inside kprintf cannot deadlock the report.
void console_panic_mode(void) {
    panicking = true;
}

// Runs in the serial interrupt: keep it short and never block.
static void console_rx(char c) {
    spin_lock(&in.lock);
    if (c == '\r') c = '\n';
    if (in.w - in.r < INPUT_BUF) in.buf[in.w++ % INPUT_BUF] = c;
    spin_unlock(&in.lock);
    waitq_wake_all(&in.readers);
}

void console_start_input(void) {
    waitq_init(&in.readers, "console-readers");
    serial_enable_rx_irq(console_rx);
}

int console_getc(void) {
    spin_lock(&in.lock);
    while (in.r == in.w) waitq_sleep(&in.readers, &in.lock);
    char c = in.buf[in.r++ % INPUT_BUF];
    spin_unlock(&in.lock);
    return (uint8_t)c;
}

// The same, but a thread_interrupt() (kill of a process blocked reading
// the console) ends the wait: -1, and no byte is taken.
int console_getc_killable(void) {
    bool interrupted = false;
    spin_lock(&in.lock);
    while (in.r == in.w && !interrupted)
        interrupted = waitq_sleep_killable(&in.readers, &in.lock) != 0;
    int c = interrupted ? -1 : (uint8_t)in.buf[in.r++ % INPUT_BUF];
    spin_unlock(&in.lock);
    return c;
}
