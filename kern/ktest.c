// kern/ktest.c: the in-kernel test runner. Tests are declared anywhere with
// KTEST(name) { ... } (kern/kern.h); the linker gathers them in .ktests.
// "ktest=all" runs every one, "ktest=a,b" some, "ktest=list" names them,
// "ktest=fault" crashes on purpose to show the register dump.
#include "kern/kern.h"
#include "mm/mm.h"

extern const struct ktest __ktests_start[], __ktests_end[];

static const struct ktest *ktest_find(const char *name, size_t len) {
    for (const struct ktest *t = __ktests_start; t < __ktests_end; t++)
        if (strlen(t->name) == len && strncmp(t->name, name, len) == 0) return t;
    return NULL;
}

static int ktest_exec(const struct ktest *t) {
    int r = t->fn();
    if (r == 0) kprintf("ktest %s: PASS\n", t->name);
    else kprintf("ktest %s: FAIL\n", t->name);
    return r;
}

int ktest_run_one(const char *name) {
    const struct ktest *t = ktest_find(name, strlen(name));
    if (!t) return -2;
    return ktest_exec(t) == 0 ? 0 : -1;
}

int ktest_two_rounds_no_leak(int (*round)(void)) {
    size_t frames = 0;
    for (int i = 0; i < 2; i++) {
        int r = round();
        if (r) return r;
        kheap_trim();
        if (i == 0) frames = frame_free_count();
    }
    if (frame_free_count() == frames) return 0;
    kprintf("  %ld frames not back\n", (long)frames - (long)frame_free_count());
    return -1;
}

void ktest_list(void) {
    for (const struct ktest *t = __ktests_start; t < __ktests_end; t++)
        kprintf("ktest-name %s\n", t->name);
}

// Runs the comma-separated names in spec; counts into *pass and *fail.
static void ktest_run_list(const char *spec, int *pass, int *fail) {
    while (*spec) {
        const char *end = strchr(spec, ',');
        size_t len = end ? (size_t)(end - spec) : strlen(spec);
        const struct ktest *t = ktest_find(spec, len);
        if (!t) {
            kprintf("ktest %.*s: FAIL unknown ktest (try ktest=list)\n", (int)len, spec);
            (*fail)++;
        } else if (ktest_exec(t) == 0) (*pass)++;
        else (*fail)++;
        spec += len + (end ? 1 : 0);
    }
}

__attribute__((noinline)) void ktest_deliberate_fault(void) {
    kprintf("ktest fault: writing to unmapped address 0xdead0000 on purpose\n");
    *(volatile uint64_t *)0xdead0000ull = 42;
    kprintf("ktest fault: the write did not fault?\n");
}

_Noreturn void ktest_run(const char *spec) {
    int pass = 0, fail = 0;
    if (strcmp(spec, "list") == 0) {
        ktest_list();
        kernel_poweroff(POWEROFF_OK);
    }
    if (strcmp(spec, "fault") == 0) {
        ktest_deliberate_fault();
        kernel_poweroff(POWEROFF_FAIL);
    }
    if (strcmp(spec, "all") == 0) {
        for (const struct ktest *t = __ktests_start; t < __ktests_end; t++)
            ktest_exec(t) == 0 ? pass++ : fail++;
    } else {
        ktest_run_list(spec, &pass, &fail);
    }
    kprintf("ktest summary: %d passed, %d failed\n", pass, fail);
    kernel_poweroff(fail || pass == 0 ? POWEROFF_FAIL : POWEROFF_OK);
}
