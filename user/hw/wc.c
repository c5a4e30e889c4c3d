// wc [FILE...]: lines, words and bytes, separated by single spaces. From
// stdin the line is just the three numbers (`echo hello world | wc` prints
// "1 2 12"); for files each line ends with the name, and several files get
// a "total" line.
#include <ctype.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct counts {
    unsigned long lines, words, bytes;
};

static char buf[4096];

static int count(int fd, const char *name, struct counts *c) {
    bool in_word = false;
    *c = (struct counts){ 0, 0, 0 };
    for (;;) {
        long n = read(fd, buf, sizeof buf);
        if (n == 0) return 0;
        if (n < 0) {
            fprintf(stderr, "wc: %s: %s\n", name, strerror((int)-n));
            return 1;
        }
        c->bytes += (unsigned long)n;
        for (long i = 0; i < n; i++) {
            if (buf[i] == '\n') c->lines++;
            if (isspace((unsigned char)buf[i])) in_word = false;
            else if (!in_word) in_word = true, c->words++;
        }
    }
}

int main(int argc, char **argv) {
    struct counts c, total = { 0, 0, 0 };
    int status = 0;
    if (argc == 1) {
        if (count(0, "stdin", &c)) return 1;
        printf("%lu %lu %lu\n", c.lines, c.words, c.bytes);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        int fd = open(argv[i], O_RDONLY);
        if (fd < 0) {
            fprintf(stderr, "wc: %s: %s\n", argv[i], strerror(-fd));
            status = 1;
            continue;
        }
        if (count(fd, argv[i], &c) == 0) {
            printf("%lu %lu %lu %s\n", c.lines, c.words, c.bytes, argv[i]);
            total.lines += c.lines, total.words += c.words, total.bytes += c.bytes;
        } else {
            status = 1;
        }
        close(fd);
    }
    if (argc > 2) printf("%lu %lu %lu total\n", total.lines, total.words, total.bytes);
    return status;
}
