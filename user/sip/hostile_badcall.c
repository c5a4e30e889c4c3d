// hostile_badcall: calls a function through a pointer of the wrong type. In C
// that is undefined behaviour; in wasm call_indirect checks the callee's type
// against the one the caller expects, and a mismatch traps ("indirect call
// type mismatch"): a SIP cannot jump into code with the wrong arguments.
//   hostile_badcall -w   exits 0 at once (a quick child for siptests)
#include <sip.h>

typedef long long (*two_longs_fn)(long long, long long);

static int add_one(int x) { return x + 1; }

// volatile: the compiler cannot see which function is called, so it must emit
// a real call_indirect with the type (i64, i64) -> i64.
static void *volatile target = (void *)add_one;

int main(int argc, char **argv) {
    (void)argv;
    if (argc > 1) return add_one(-1);
    two_longs_fn f = (two_longs_fn)target;
    return (int)f(1, 2);
}
