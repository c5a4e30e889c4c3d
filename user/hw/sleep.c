// sleep SECONDS: wait that long. SECONDS may have a fraction ("0.25"),
// kept to the millisecond.
#include <ctype.h>
#include <stdio.h>
#include <unistd.h>

// Milliseconds in s, or -1 if s is not a number of seconds.
static long parse_ms(const char *s) {
    long ms = 0, scale = 1000;
    if (!isdigit((unsigned char)*s) && *s != '.') return -1;
    for (; isdigit((unsigned char)*s); s++) {
        if (ms > 1000L * 1000 * 1000 * 1000) return -1;   // ~30 years is enough
        ms = ms * 10 + (*s - '0') * 1000;
    }
    if (*s == '.') {
        for (s++; isdigit((unsigned char)*s); s++)
            if ((scale /= 10) > 0) ms += (*s - '0') * scale;
    }
    return *s ? -1 : ms;
}

int main(int argc, char **argv) {
    long ms = argc == 2 ? parse_ms(argv[1]) : -1;
    if (ms < 0) {
        fprintf(stderr, "usage: sleep SECONDS\n");
        return 2;
    }
    int r = sleep_ms(ms);
    return r < 0;
}
