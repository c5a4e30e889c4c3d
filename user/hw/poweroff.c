// poweroff [STATUS]: turn the machine off; QEMU exits with the status
// (see docs/console-protocol.md). The shell has a builtin of the same name.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc > 2) {
        fprintf(stderr, "usage: poweroff [STATUS]\n");
        return 2;
    }
    fflush(NULL);
    int r = poweroff(argc == 2 ? atoi(argv[1]) : 0);
    fprintf(stderr, "poweroff: %s\n", strerror(-r));
    return 1;
}
