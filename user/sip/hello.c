// user/sip/hello.c: the first SIP program. Compiled to wasm with the SIP C
// library, checked, translated and sealed by tools/sipc; it reaches the
// world only through the kernel ABI (user/sip/include/sip.h).
#include <sip.h>

static const char msg[] = "hello from a SIP\n";

int main(void) {
    sip_print(msg, sizeof msg - 1);
    return 0;
}
