// kern/main.c: the order in which the shared core comes up. entry.asm
// calls kmain on the boot stack, in long mode, interrupts off. Each step
// only uses what the steps before it built; docs/boot.md walks through it.
#include "kern/kern.h"
#include "kern/fs.h"
#include "mm/mm.h"
#include "arch/x86_64/arch.h"
#include "git_rev.h"            // generated: GIT_REV, the build's git revision

static void bring_up_cpu(void) {
    cpu_features_init();
    gdt_init_cpu(mycpu()->tss);
    idt_init();
    idt_load();
    cpu_enable_sse();
}

static void bring_up_memory(void) {
    pmm_init();
    vm_init();
    heap_init();
}

static void bring_up_devices(void) {
    pic_init();
    lapic_init();
    timer_init(HZ, sched_tick);
    console_start_input();
}

void kmain(uint32_t magic, uint64_t mbi_phys) {
    (void)magic;                 // entry.asm refused to boot without it
    percpu_init_boot();          // first: spinlocks (so kprintf) use %gs
    console_init();
    kprintf("Twofold %s kernel, revision %s\n", variant_name, GIT_REV);
    multiboot_parse(mbi_phys);
    kprintf("cmdline: '%s'\n", boot.cmdline);
    bring_up_cpu();
    bring_up_memory();
    sched_init();
    bring_up_devices();
    initrd_boot_open();
    fs_init_from_initrd(initrd_get());
    variant_init();
    sched_start();
    const char *spec = cmdline_get("ktest");
    if (spec) ktest_run(spec);
    variant_main();
    kernel_poweroff(POWEROFF_OK);
}
