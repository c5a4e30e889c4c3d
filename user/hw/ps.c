// ps: one line per process, from the procs() system call's snapshot.
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAXPROCS 256

static struct procinfo table[MAXPROCS];

static const char *state_name(int state) {
    switch (state) {
    case PS_RUNNING: return "run";
    case PS_SLEEPING: return "sleep";
    case PS_ZOMBIE: return "zombie";
    default: return "?";
    }
}

int main(int argc, char **argv) {
    (void)argv;
    if (argc != 1) {
        fprintf(stderr, "usage: ps\n");
        return 2;
    }
    int n = procs(table, MAXPROCS);
    if (n < 0) {
        fprintf(stderr, "ps: %s\n", strerror(-n));
        return 1;
    }
    printf("  PID  PPID STATE  THREADS  PAGES NAME\n");
    for (int i = 0; i < n && i < MAXPROCS; i++) {
        struct procinfo *p = &table[i];
        printf("%5d %5d %-6s %7d %6lu %.*s\n", p->pid, p->ppid, state_name(p->state),
               p->nthreads, (unsigned long)p->mem_pages, PROC_NAME_LEN, p->name);
    }
    return 0;
}
