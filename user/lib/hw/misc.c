// user/lib/hw/misc.c: POSIX conveniences over the hw system calls.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../libc.h"

void __lock_busy(void) {
    yield();
}

unsigned sleep(unsigned seconds) {
    sleep_ms((long)seconds * 1000);
    return 0;
}

int usleep(unsigned long usec) {
    return sleep_ms((long)((usec + 999) / 1000));
}

int stat(const char *path, struct stat *st) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return fd;
    int r = fstat(fd, st);
    close(fd);
    return r;
}
