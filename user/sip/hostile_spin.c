// hostile_spin: spins forever, never calling the kernel. The timer preempts
// it like any thread (siptests keeps running beside it), and its parent's
// sip_kill must still end it ("killed by sip P").
//   hostile_spin -w   exits 0 at once (a quick child for siptests)
#include <sip.h>

static volatile unsigned long spins;

int main(int argc, char **argv) {
    (void)argv;
    if (argc > 1) return 0;
    for (;;) spins++;
}
