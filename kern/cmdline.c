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
