// cat [FILE...]: copy each FILE (or stdin, also for "-") to stdout.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char buf[4096];

static int write_all(const char *p, long n) {
    while (n > 0) {
        long w = write(1, p, (size_t)n);
        if (w < 0) return (int)w;
        p += w;
        n -= w;
    }
    return 0;
}

// Returns 0, or 1 after printing what went wrong; exits when stdout fails.
static int copy(int fd, const char *name) {
    for (;;) {
        long n = read(fd, buf, sizeof buf);
        if (n == 0) return 0;
        if (n < 0) {
            fprintf(stderr, "cat: %s: %s\n", name, strerror((int)-n));
            return 1;
        }
        int w = write_all(buf, n);
        if (w < 0) {
            // Nobody reading any more (a pipe's reader left): stop quietly,
            // as a Unix cat does when SIGPIPE ends it.
            if (w != -EPIPE) fprintf(stderr, "cat: write error: %s\n", strerror(-w));
            exit(1);
        }
    }
}

int main(int argc, char **argv) {
    int status = 0;
    if (argc == 1) return copy(0, "stdin");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-") == 0) {
            status |= copy(0, "stdin");
            continue;
        }
        int fd = open(argv[i], O_RDONLY);
        if (fd < 0) {
            fprintf(stderr, "cat: %s: %s\n", argv[i], strerror(-fd));
            status = 1;
            continue;
        }
        status |= copy(fd, argv[i]);
        close(fd);
    }
    return status;
}
