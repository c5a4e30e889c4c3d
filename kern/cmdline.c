// kern/cmdline.c: the kernel command line GRUB passed: words "key=value"
// or bare "key", separated by spaces.
#include "kern/kern.h"

// Returns the value of key in a static buffer: "" for a bare word, NULL
// when absent. Values are short (test names, switches).
const char *cmdline_get(const char *key) {
    static char value[128];
    size_t klen = strlen(key);
    const char *p = boot.cmdline;
    while (p && *p) {
        while (*p == ' ') p++;
        const char *word = p;
        while (*p && *p != ' ') p++;
        size_t wlen = p - word;
        if (wlen < klen || strncmp(word, key, klen) != 0) continue;
        if (wlen == klen) return "";
        if (word[klen] != '=') continue;
        size_t vlen = MIN(wlen - klen - 1, sizeof value - 1);
        memcpy(value, word + klen + 1, vlen);
        value[vlen] = 0;
        return value;
    }
    return NULL;
}

// The next word at or after *cursor (start with *cursor = NULL): its key
// (before the first '=') and value (after it; "" for a bare word) into the
// caller's buffers, cut to fit. false at the end. For keys that carry a
// variable part (e.g. "sipdom.NAME"), which cmdline_get cannot look up.
bool cmdline_next(const char **cursor, char *key, size_t kcap, char *value, size_t vcap) {
    const char *p = *cursor ? *cursor : boot.cmdline;
    while (p && *p == ' ') p++;
    if (!p || !*p) return false;
    const char *word = p, *eq = NULL;
    while (*p && *p != ' ') {
        if (*p == '=' && !eq) eq = p;
        p++;
    }
    const char *kend = eq ? eq : p;
    size_t klen = MIN((size_t)(kend - word), kcap - 1);
    memcpy(key, word, klen);
    key[klen] = 0;
    size_t vlen = eq ? MIN((size_t)(p - eq - 1), vcap - 1) : 0;
    if (eq) memcpy(value, eq + 1, vlen);
    value[vlen] = 0;
    *cursor = p;
    return true;
}
