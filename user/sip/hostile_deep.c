// hostile_deep: recursion without end. wasm2c counts nested calls and traps
// at its limit ("call stack exhausted") before the native stack runs out.
//   hostile_deep -w   exits 0 at once (a quick child for siptests)
#include <sip.h>

static int (*volatile next)(int);   // through a pointer: no tail call, no loop

static int dive(int n) {
    char frame[64];
    frame[n & 63] = (char)n;
    return next(n + 1) + frame[(n * 7) & 63];
}

int main(int argc, char **argv) {
    (void)argv;
    if (argc > 1) return 0;
    next = dive;
    return dive(1);
}
