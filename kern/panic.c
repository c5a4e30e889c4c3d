// kern/panic.c: the kernel's last words. A panic prints one "PANIC:" line,
// a backtrace with function names, and powers off with status 3 so that
// tools/osrun reports it as a crash rather than a hang.
#include "kern/kern.h"
#include "arch/x86_64/arch.h"

// Walks saved frame pointers (the kernel is built with
// -fno-omit-frame-pointer). Stops at a null or implausible frame.
void backtrace_from(uint64_t rbp) {
    for (int depth = 0; depth < 16 && rbp >= KERNEL_BASE && (rbp & 7) == 0; depth++) {
        uint64_t *frame = (uint64_t *)rbp;
        uint64_t ret = frame[1], off = 0;
        if (ret < KERNEL_BASE) break;
        const char *name = ksym_lookup(ret, &off);
        kprintf("  #%d 0x%lx <%s+0x%lx>\n", depth, ret, name ? name : "?", off);
        rbp = frame[0];
    }
}

void panic_begin(void) {
    cli();
    console_panic_mode();
}

_Noreturn void panic(const char *fmt, ...) {
    panic_begin();
    va_list ap;
    va_start(ap, fmt);
    kprintf("PANIC: ");
    kvprintf(fmt, ap);
    kprintf("\n");
    va_end(ap);
    kprintf("backtrace:\n");
    backtrace_from((uint64_t)__builtin_frame_address(0));
    kernel_poweroff(POWEROFF_PANIC);
}

_Noreturn void kernel_poweroff(int status) {
    kprintf("poweroff: status %d\n", status);
    arch_poweroff(status);
}
