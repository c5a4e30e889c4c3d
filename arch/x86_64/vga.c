// arch/x86_64/vga.c: the 80x25 VGA text screen at physical 0xB8000, so that
// `make qemu` with a display (and a real machine) shows the console too.
#include "arch/x86_64/arch.h"
#include "mm/mm.h"

#define VGA_COLS 80
#define VGA_ROWS 25
#define VGA_ATTR 0x0700              // light grey on black

static volatile uint16_t *screen;
static int row, col;

static void vga_scroll(void) {
    for (int i = 0; i < (VGA_ROWS - 1) * VGA_COLS; i++) screen[i] = screen[i + VGA_COLS];
    for (int i = 0; i < VGA_COLS; i++) screen[(VGA_ROWS - 1) * VGA_COLS + i] = VGA_ATTR | ' ';
    row = VGA_ROWS - 1;
}

void vga_init(void) {
    screen = phys_to_virt(0xB8000);   // below 1 GiB: mapped early and by vm_init
    for (int i = 0; i < VGA_ROWS * VGA_COLS; i++) screen[i] = VGA_ATTR | ' ';
    row = col = 0;
}

void vga_putc(char c) {
    if (!screen) return;
    if (c == '\n') { col = 0; row++; }
    else if (c == '\r') col = 0;
    else if (c == '\b') { if (col) col--; }
    else if ((uint8_t)c >= ' ') {
        screen[row * VGA_COLS + col] = VGA_ATTR | (uint8_t)c;
        if (++col == VGA_COLS) { col = 0; row++; }
    }
    if (row == VGA_ROWS) vga_scroll();
}
