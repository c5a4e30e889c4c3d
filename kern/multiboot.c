// kern/multiboot.c: read what GRUB tells us (multiboot2 information
// structure): the command line, the memory map and the modules. We copy
// what we need into `boot`, so nothing later depends on GRUB's layout.
#include "kern/kern.h"
#include "mm/mm.h"

struct bootinfo boot;

struct mb2_tag { uint32_t type, size; };
struct mb2_mmap_entry { uint64_t base, len; uint32_t type, reserved; };
struct mb2_tag_mmap { uint32_t type, size, entry_size, entry_version; };
struct mb2_tag_module { uint32_t type, size, mod_start, mod_end; char name[]; };

enum { MB2_END = 0, MB2_CMDLINE = 1, MB2_MODULE = 3, MB2_MMAP = 6 };
#define MB2_MEM_AVAILABLE 1

static void parse_mmap(const struct mb2_tag_mmap *t) {
    const uint8_t *p = (const uint8_t *)(t + 1), *end = (const uint8_t *)t + t->size;
    for (; p + sizeof(struct mb2_mmap_entry) <= end; p += t->entry_size) {
        const struct mb2_mmap_entry *e = (const void *)p;
        if (e->type != MB2_MEM_AVAILABLE || boot.nram == MAX_MEM_RANGES) continue;
        boot.ram[boot.nram++] = (struct mem_range){ e->base, e->len };
    }
}

static void parse_module(const struct mb2_tag_module *t) {
    if (boot.nmods == MAX_MODULES) {
        kprintf("multiboot: more than %d modules, ignoring '%s'\n", MAX_MODULES, t->name);
        return;
    }
    boot.mods[boot.nmods++] = (struct boot_module){ t->mod_start, t->mod_end, t->name };
}

// Called before vm_init: GRUB puts the info below 1 GiB, which the early
// page tables map through the direct map.
void multiboot_parse(uint64_t mbi_phys) {
    const uint8_t *mbi = phys_to_virt(mbi_phys);
    uint32_t total = *(const uint32_t *)mbi;
    boot.mbi_phys = mbi_phys;
    boot.mbi_len = total;
    boot.cmdline = "";
    for (uint32_t off = 8; off + 8 <= total; off = ALIGN_UP(off + ((const struct mb2_tag *)(mbi + off))->size, 8)) {
        const struct mb2_tag *tag = (const void *)(mbi + off);
        if (tag->type == MB2_END || tag->size < 8) break;
        if (tag->type == MB2_CMDLINE) boot.cmdline = (const char *)(tag + 1);
        else if (tag->type == MB2_MMAP) parse_mmap((const void *)tag);
        else if (tag->type == MB2_MODULE) parse_module((const void *)tag);
    }
}
