// hostile_divz: an integer division by zero, wasm's "divide by zero" trap.
//   hostile_divz -w   exits 0 at once (a quick child for siptests)
#include <sip.h>

static volatile int zero;       // volatile: the compiler may not fold the division away

int main(int argc, char **argv) {
    (void)argv;
    if (argc > 1) return 0;
    return 10 / zero;
}
