// init: pid 1. Makes sure fds 0, 1 and 2 are the console, starts /bin/sh,
// and then waits forever: for the shell, which it starts again when it
// exits, and for every orphan the kernel hands it, which it reaps.
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CONSOLE "/dev/console"

// The kernel normally starts init with the console open; this is for a
// kernel that does not.
static void open_console(void) {
    struct stat st;
    if (fstat(0, &st) >= 0) return;
    int fd = open(CONSOLE, O_RDWR);
    if (fd < 0) return;           // nowhere to complain to
    if (fd != 0) {
        dup2(fd, 0);
        close(fd);
    }
    dup2(0, 1);
    dup2(0, 2);
}

static int start_shell(void) {
    static char *argv[] = { "sh", NULL };
    fflush(NULL);
    int pid = fork();
    if (pid == 0) {
        int r = exec("/bin/sh", argv);
        fprintf(stderr, "init: cannot run /bin/sh: %s\n", strerror(-r));
        _exit(127);
    }
    if (pid < 0) fprintf(stderr, "init: fork: %s\n", strerror(-pid));
    return pid;
}

// Reaps children until the shell itself ends; returns its status.
static int wait_for_shell(int shell) {
    for (;;) {
        int status, pid = wait(&status);
        if (pid == shell) return status;
        if (pid < 0) return -1;   // no children at all: the shell is gone
    }
}

int main(void) {
    open_console();
    printf("init: starting sh\n");
    for (;;) {
        long started = uptime();
        int shell = start_shell();
        int status = shell < 0 ? -1 : wait_for_shell(shell);
        if (status >= 0 && WIFKILLED(status)) printf("init: sh was killed; starting a new one\n");
        else if (status > 0) printf("init: sh exited with status %d; starting a new one\n", WEXITSTATUS(status));
        // A shell that cannot start (or dies at once) must not become a
        // busy loop of forks: give the machine a second.
        if (uptime() - started < 1000) sleep_ms(1000);
    }
}
