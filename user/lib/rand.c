// user/lib/rand.c: a small reproducible generator (xorshift32), so that a
// seed given on a command line replays the same run.
#include <stdlib.h>

unsigned rand_r(unsigned *seed) {
    unsigned x = *seed ? *seed : 0x9e3779b9u;       // xorshift is stuck at 0
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *seed = x;
    return x;
}

static unsigned rand_state = 1;

int rand(void) { return (int)(rand_r(&rand_state) & RAND_MAX); }
void srand(unsigned seed) { rand_state = seed; }
