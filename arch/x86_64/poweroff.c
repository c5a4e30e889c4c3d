// arch/x86_64/poweroff.c: leave the machine with a status the runner reads.
// QEMU: isa-debug-exit on port 0xf4 (exit code (status << 1) | 1).
// Bochs: the string "Shutdown" on port 0x8900. Then ACPI S5 on QEMU's two
// chipsets in case neither device exists, and finally halt.
#include "arch/x86_64/arch.h"

_Noreturn void arch_halt_forever(void) {
    for (;;) { cli(); hlt(); }
}

_Noreturn void arch_poweroff(int status) {
    cli();
    outl(0xf4, (uint32_t)status);
    for (const char *s = "Shutdown"; *s; s++) outb(0x8900, (uint8_t)*s);
    outw(0x604, 0x2000);             // QEMU q35 ACPI power-off
    outw(0xB004, 0x2000);            // QEMU i440fx (older) / Bochs
    arch_halt_forever();
}
