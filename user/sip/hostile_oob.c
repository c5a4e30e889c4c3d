// hostile_oob: reads far outside its linear memory. Every load is bounds
// checked in the translated code, so this is wasm's "out of bounds" trap: the
// kernel ends this SIP alone, with one line. siptests expects status -1.
//   hostile_oob -w   exits 0 at once (a quick child for siptests)
#include <sip.h>

int main(int argc, char **argv) {
    (void)argv;
    if (argc > 1) return 0;
    volatile int *far = (volatile int *)0x7ffffff0;   // ~2 GiB: past any SIP's 16 MiB
    return *far;
}
