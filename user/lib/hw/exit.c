// user/lib/hw/exit.c: exit flushes stdio before the raw _exit system call;
// abort ends the program the way a fault would, by having the kernel kill it.
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

_Noreturn void exit(int status) {
    fflush(NULL);
    _exit(status);
    for (;;) {}                 // _exit does not return; the compiler can't know
}

_Noreturn void abort(void) {
    static const char msg[] = "abort\n";
    write(2, msg, sizeof msg - 1);
    kill(getpid());             // the parent sees WIFKILLED, as for a fault
    _exit(134);
    for (;;) {}
}
