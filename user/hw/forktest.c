// forktest: fork until fork fails (the process table or memory is full),
// wait for every child, and check that the system recovered: twice, and
// the second round must reach as far as the first. Prints "forktest: ok".
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LIMIT 10000               // a kernel with no limit at all is a failure too

static int fail(const char *what) {
    printf("forktest: FAIL: %s\n", what);
    return 1;
}

// Forks children that exit at once (they stay zombies until waited for,
// so they keep their slots) until fork fails; returns how many, or -1.
static int fork_all(void) {
    int n = 0;
    for (; n < LIMIT; n++) {
        int pid = fork();
        if (pid == 0) _exit(0);
        if (pid < 0) return n;
    }
    return -1;
}

// Waits for n children; returns how many wait() reported.
static int wait_all(int n) {
    int got = 0, status;
    for (int i = 0; i < n; i++) {
        if (wait(&status) < 0) break;
        if (status == 0) got++;
    }
    return got;
}

static int round_trip(int round, int *forked) {
    int n = fork_all();
    if (n < 0) return fail("fork never failed");
    if (n == 0) return fail("not one fork succeeded");
    printf("forktest: round %d: %d children\n", round, n);
    if (wait_all(n) != n) return fail("a child was lost or exited with a bad status");
    int status;
    if (wait(&status) >= 0) return fail("wait found a child that was never forked");
    *forked = n;
    return 0;
}

int main(void) {
    int first, second;
    fflush(NULL);                 // children _exit: nothing of ours to print twice anyway
    if (round_trip(1, &first) || round_trip(2, &second)) return 1;
    if (second < first) return fail("fewer forks the second time: something leaked");
    printf("forktest: ok\n");
    return 0;
}
