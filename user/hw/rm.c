// rm FILE...: remove each file (or empty directory).
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int status = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: rm FILE...\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        int r = unlink(argv[i]);
        if (r < 0) {
            fprintf(stderr, "rm: %s: %s\n", argv[i], strerror(-r));
            status = 1;
        }
    }
    return status;
}
