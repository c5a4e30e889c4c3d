// grade/host/check.h: the little test framework the host unit tests share.
// Each check prints one line; check_summary() prints "N passed, M failed"
// (the line CI reads) and gives main's exit status.
#pragma once
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static int checks_passed, checks_failed;

// check_named("name", ok, "why it failed: %d", x)
static inline void check_named(const char *name, bool ok, const char *fmt, ...) {
    printf("%s %s", ok ? "PASS" : "FAIL", name);
    if (!ok && fmt) {
        va_list ap;
        va_start(ap, fmt);
        printf(": ");
        vprintf(fmt, ap);
        va_end(ap);
    }
    printf("\n");
    if (ok) checks_passed++;
    else checks_failed++;
}

// CHECK(cond): the condition's own text is its name.
#define CHECK(cond) check_named(#cond, (cond), "line %d", __LINE__)

static inline int check_summary(void) {
    printf("%d passed, %d failed\n", checks_passed, checks_failed);
    return checks_failed ? 1 : 0;
}
