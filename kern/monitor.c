// kern/monitor.c: a tiny command prompt inside the kernel, so that a
// student (and tools/osrun) can talk to the kernel before there is a user
// shell: list the initrd, show memory and threads, run one ktest.
#include "kern/kern.h"
#include "kern/initrd.h"
#include "mm/mm.h"
#include "arch/x86_64/arch.h"

#define LINE_MAX 128

static void read_line(char *buf, size_t cap) {
    size_t n = 0;
    for (;;) {
        int c = console_getc();
        if (c == '\n') break;
        if ((c == '\b' || c == 0x7f) && n > 0) {
            n--;
            console_write("\b \b", 3);
        } else if (c >= ' ' && c < 0x7f && n + 1 < cap) {
            buf[n++] = (char)c;
            char ch = (char)c;
            console_write(&ch, 1);
        }
    }
    buf[n] = 0;
    console_write("\n", 1);
}

static void cmd_help(const char *arg);

static void cmd_ls(const char *arg) {
    (void)arg;
    const struct initrd *rd = initrd_get();
    if (!rd) { kprintf("ls: no initrd\n"); return; }
    size_t cursor = 0;
    struct initrd_file f;
    while (initrd_next(rd, &cursor, &f))
        kprintf("%.*s %zu\n", (int)f.name_len, f.name, f.size);
}

static void cmd_cat(const char *arg) {
    const struct initrd *rd = initrd_get();
    struct initrd_file f;
    if (!*arg) { kprintf("usage: cat FILE\n"); return; }
    if (!rd || initrd_find(rd, arg, &f) != 0) { kprintf("cat: %s: no such file\n", arg); return; }
    console_write((const char *)f.data, f.size);
}

static void cmd_mem(const char *arg) {
    (void)arg;
    kprintf("frames: %zu free of %zu (%zu KiB free)\n",
            frame_free_count(), frame_total_count(), frame_free_count() * 4);
}

static void cmd_uptime(const char *arg) {
    (void)arg;
    uint64_t ns = time_ns();
    kprintf("up %lu.%03lu s, %lu ticks, TSC %lu Hz\n",
            ns / 1000000000, ns / 1000000 % 1000, time_ticks(), tsc_hz);
}

static void cmd_cpu(const char *arg) {
    (void)arg;
    kprintf("%s %s\n", cpu_has.vendor, cpu_has.brand);
    kprintf("pcid %d invpcid %d smep %d smap %d 1g-pages %d rdtscp %d hypervisor %d\n",
            cpu_has.pcid, cpu_has.invpcid, cpu_has.smep, cpu_has.smap,
            cpu_has.pdpe1gb, cpu_has.rdtscp, cpu_has.hypervisor);
}

static void cmd_ktest(const char *arg) {
    if (!*arg || strcmp(arg, "list") == 0) { ktest_list(); return; }
    if (strcmp(arg, "fault") == 0) { ktest_deliberate_fault(); return; }
    if (ktest_run_one(arg) == -2) kprintf("ktest: unknown ktest '%s' (try: ktest list)\n", arg);
}

static void cmd_echo(const char *arg) { kprintf("%s\n", arg); }
static void cmd_threads(const char *arg) { (void)arg; thread_list_print(); }
static void cmd_poweroff(const char *arg) { (void)arg; kernel_poweroff(POWEROFF_OK); }

static const struct {
    const char *name;
    void (*fn)(const char *arg);
    const char *help;
} commands[] = {
    { "help", cmd_help, "this list" },
    { "ls", cmd_ls, "list the initrd: path size" },
    { "cat", cmd_cat, "cat FILE: print a file of the initrd" },
    { "mem", cmd_mem, "free and total physical frames" },
    { "uptime", cmd_uptime, "time since boot, timer ticks, TSC rate" },
    { "cpu", cmd_cpu, "CPU model and the features the kernel uses" },
    { "threads", cmd_threads, "every thread: tid, state, ticks, name" },
    { "ktest", cmd_ktest, "ktest NAME|list|fault: run one in-kernel test" },
    { "echo", cmd_echo, "echo TEXT" },
    { "poweroff", cmd_poweroff, "power off (status 0)" },
};

static void cmd_help(const char *arg) {
    (void)arg;
    for (size_t i = 0; i < ARRAY_LEN(commands); i++)
        kprintf("  %-10s %s\n", commands[i].name, commands[i].help);
}

static void run_command(char *line) {
    while (*line == ' ') line++;
    if (!*line) return;
    char *arg = strchr(line, ' ');
    if (arg) { *arg++ = 0; while (*arg == ' ') arg++; }
    else arg = line + strlen(line);
    for (size_t i = 0; i < ARRAY_LEN(commands); i++)
        if (strcmp(commands[i].name, line) == 0) { commands[i].fn(arg); return; }
    kprintf("%s: unknown command (try 'help')\n", line);
}

void monitor_run(void) {
    char line[LINE_MAX];
    kprintf("kernel monitor: type 'help' for commands\n");
    for (;;) {
        kprintf("kmon$ ");
        read_line(line, sizeof line);
        run_command(line);
    }
}
