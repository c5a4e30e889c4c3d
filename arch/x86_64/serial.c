// arch/x86_64/serial.c: COM1, 115200 8N1. Output polls the transmit-empty
// bit; input arrives by interrupt (IRQ 4) and is handed to the console.
#include "arch/x86_64/arch.h"

#define COM1 0x3F8
enum { DATA = 0, IER = 1, FCR = 2, LCR = 3, MCR = 4, LSR = 5 };
#define LSR_RX_READY 0x01
#define LSR_TX_EMPTY 0x20

static bool present;

void serial_init(void) {
    outb(COM1 + IER, 0x00);          // no interrupts yet
    outb(COM1 + LCR, 0x80);          // DLAB on: set the divisor
    outb(COM1 + DATA, 1);            // 115200 baud
    outb(COM1 + IER, 0);
    outb(COM1 + LCR, 0x03);          // 8N1, DLAB off
    outb(COM1 + FCR, 0xC7);          // FIFO on, cleared, 14-byte threshold
    outb(COM1 + MCR, 0x0B);          // DTR, RTS, OUT2 (OUT2 gates the IRQ line)
    present = inb(COM1 + LSR) != 0xFF;
}

void serial_putc(char c) {
    if (!present) return;
    for (int spins = 0; !(inb(COM1 + LSR) & LSR_TX_EMPTY) && spins < 100000; spins++)
        cpu_relax();
    outb(COM1 + DATA, (uint8_t)c);
}

static void (*rx_handler)(char c);

static void serial_irq(struct trapframe *tf) {
    (void)tf;
    while (inb(COM1 + LSR) & LSR_RX_READY) {
        char c = (char)inb(COM1 + DATA);
        if (rx_handler) rx_handler(c);
    }
    pic_eoi(4);
}

void serial_enable_rx_irq(void (*rx)(char c)) {
    rx_handler = rx;
    irq_register(VEC_COM1, serial_irq);
    pic_unmask(4);
    outb(COM1 + IER, 0x01);          // interrupt when data arrives
}
