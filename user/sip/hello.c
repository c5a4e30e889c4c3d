// user/sip/hello.c: the first SIP program. Compiled to wasm, checked,
// translated and sealed by tools/sipc; it reaches the world only through the
// kernel ABI (user/sip/include/sip.h).
#include <sip.h>

static const char msg[] = "hello from a SIP\n";

void _start(void) {
    sip_print(msg, sizeof msg - 1);
    sip_exit(0);
}
