// hostile_unreachable: __builtin_trap() is wasm's `unreachable` instruction.
//   hostile_unreachable -w   exits 0 at once (a quick child for siptests)
#include <sip.h>

int main(int argc, char **argv) {
    (void)argv;
    if (argc > 1) return 0;
    __builtin_trap();
}
