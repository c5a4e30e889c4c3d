// kill PID...: have the kernel end each process (its parent sees it as
// killed: WIFKILLED in its wait status).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int status = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: kill PID...\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        char *end;
        long pid = strtol(argv[i], &end, 10);
        if (end == argv[i] || *end || pid <= 0 || pid > 0x7fffffff) {
            fprintf(stderr, "kill: %s: not a process id\n", argv[i]);
            status = 1;
            continue;
        }
        int r = kill((int)pid);
        if (r < 0) {
            fprintf(stderr, "kill: %ld: %s\n", pid, strerror(-r));
            status = 1;
        }
    }
    return status;
}
