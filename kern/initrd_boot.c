// kern/initrd_boot.c: find the initrd among GRUB's modules and open it. A
// malformed archive is refused with a message naming the module and the
// problem, and the kernel boots on without files.
#include "kern/kern.h"
#include "kern/initrd.h"
#include "mm/mm.h"

static struct initrd rd;
static bool rd_ok;

const struct initrd *initrd_get(void) {
    return rd_ok ? &rd : NULL;
}

static const struct boot_module *find_initrd_module(void) {
    for (int i = 0; i < boot.nmods; i++)
        if (strcmp(boot.mods[i].name, "initrd") == 0) return &boot.mods[i];
    return boot.nmods ? &boot.mods[0] : NULL;
}

void initrd_boot_open(void) {
    const struct boot_module *m = find_initrd_module();
    if (!m) {
        kprintf("initrd: none (no multiboot2 module); booting without files\n");
        return;
    }
    const char *err = NULL;
    if (initrd_open(&rd, phys_to_virt(m->start), m->end - m->start, &err) != 0) {
        kprintf("initrd: refused: %s: %s\n", m->name[0] ? m->name : "module0", err);
        return;
    }
    rd_ok = true;
    kprintf("initrd: %zu files, %zu bytes\n", rd.nfiles, rd.total_bytes);
}
