// hostile_oom: takes memory until there is none. malloc grows linear memory
// with memory.grow, which the kernel refuses past the per-SIP cap (16 MiB) or
// when frames run out: malloc must then say NULL, and the SIP goes on. Then
// it frees everything, checks the last byte of its memory is usable and that
// malloc works again. Exit 0 when all held, else the failing step's number.
//   hostile_oom -w   exits 0 at once (a quick child for siptests)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sip.h>

#define CHUNK (64 * 1024)

struct chunk { struct chunk *next; };

int main(int argc, char **argv) {
    (void)argv;
    if (argc > 1) return 0;
    struct chunk *list = NULL;
    long chunks = 0;
    for (;;) {
        struct chunk *c = malloc(CHUNK);
        if (!c) break;
        memset(c, 0x5a, CHUNK);                 // really touch it: every page must be there
        c->next = list;
        list = c;
        chunks++;
    }
    unsigned pages = (unsigned)__builtin_wasm_memory_size(0);
    printf("hostile_oom: malloc said NULL after %ld KiB; memory is %u wasm pages\n",
           chunks * (CHUNK / 1024), pages);
    if (chunks < 8) return 1;                   // it could not even get 512 KiB
    volatile char *last = (volatile char *)(uintptr_t)(pages * 65536u - 1);
    *last = 7;
    if (*last != 7) return 2;
    for (struct chunk *c = list, *n; c; c = n) {
        n = c->next;
        free(c);
    }
    void *again = malloc(CHUNK);                // freed memory is reusable
    if (!again) return 3;
    free(again);
    return 0;
}
