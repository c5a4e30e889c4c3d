// hostile_bigframe: runs off the end of its native stack. wasm2c bounds the
// number of nested calls (500), not the size of their frames: here each
// frame keeps 256 values live across the recursive call, so gcc spills them
// to the native stack (~2 KiB a frame) and about 130 calls fill the 256 KiB
// SIP stack. The page below it is unmapped: the kernel must end this SIP
// alone ("trap: stack overflow") instead of faulting itself.
//   hostile_bigframe -w   exits 0 at once (a quick child for siptests)
#include <stdint.h>
#include <sip.h>

static volatile uint64_t src[256];
static uint64_t (*volatile next)(int);   // through a pointer: no tail call, no loop

#define LOAD1(i)  uint64_t v##i = src[(i) % 256];
#define LOAD4(i)  LOAD1(i##0) LOAD1(i##1) LOAD1(i##2) LOAD1(i##3)
#define LOAD16(i) LOAD4(i##0) LOAD4(i##1) LOAD4(i##2) LOAD4(i##3)
#define LOAD64(i) LOAD16(i##0) LOAD16(i##1) LOAD16(i##2) LOAD16(i##3)
#define MIX1(i)   r = r * 31 + v##i;
#define MIX4(i)   MIX1(i##0) MIX1(i##1) MIX1(i##2) MIX1(i##3)
#define MIX16(i)  MIX4(i##0) MIX4(i##1) MIX4(i##2) MIX4(i##3)
#define MIX64(i)  MIX16(i##0) MIX16(i##1) MIX16(i##2) MIX16(i##3)

// The digits are base 4: v1000..v1333 are 256 distinct locals.
static uint64_t dive(int n) {
    LOAD64(10) LOAD64(11) LOAD64(12) LOAD64(13)
    uint64_t r = next(n + 1);         // every v is live across this call
    MIX64(10) MIX64(11) MIX64(12) MIX64(13)
    return r;
}

int main(int argc, char **argv) {
    (void)argv;
    if (argc > 1) return 0;
    next = dive;
    return (int)dive(1);
}
