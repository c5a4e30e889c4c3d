// tlbdemo: what a switch between two programs costs once each touches some
// memory: two processes ping-pong over one link and, every round, each side
// touches N distinct pages of its own buffer before it sends. With one
// address space (sip) the TLB entries of both survive the switch; with one
// per process (hw, Linux) each switch loses them, and a round costs more as
// N grows. The same program on every backend; docs/demo-tlb.md reads it.
//
//   tlbdemo [-p N,N,...] [-n ROUNDS] [-r RUNS] [-q]   (default sweep 1,2,4,...,1024)
//   tlbdemo peer                                      the other side (spawned)
//
// Rows pages.N: one operation is one round (both sides touch N pages each and
// exchange one request/reply). The request carries N, so the peer touches the
// same N. Each buffer (1024 pages, page-aligned) is touched once before
// measuring, so no page fault is timed. A benchmark: it never fails on a number.
#include "ptmeasure.h"

#define PROG "tlbdemo"
#define PAGE 4096
#define PAGES 1024
#define SWEEP_MAX 16

static volatile uint32_t *pages;     // PAGES pages of our own

// Page-aligned memory from malloc, the one allocator every backend has.
static int alloc_pages(void) {
    char *raw = malloc((size_t)(PAGES + 1) * PAGE);
    if (!raw) {
        fprintf(stderr, PROG ": no memory for %d pages\n", PAGES);
        return -1;
    }
    uintptr_t p = ((uintptr_t)raw + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
    pages = (volatile uint32_t *)p;
    return 0;
}

// Reads and writes one word in each of pages 0..n-1. The word moves by one
// cache line from page to page (64 lines a page), so the touches spread over
// the cache's sets instead of all landing in one: what grows with n is the
// number of pages (TLB entries), not the conflicts in one cache set.
static void touch(uint32_t n) {
    for (uint32_t p = 0; p < n; p++)
        pages[p * (PAGE / 4) + (p % 64) * 16] += 1;
}

// ------------------------------------------------------------------ the peer

static int peer(void) {
    if (alloc_pages() < 0) return 1;
    touch(PAGES);
    pt_link l = pt_link_arg(0);
    uint32_t n;
    int got;
    while ((got = pt_recv(l, &n, sizeof n)) >= 0) {
        if (got != (int)sizeof n || n > PAGES) {
            fprintf(stderr, PROG " peer: a bad request (%d bytes, %u pages)\n", got, n);
            return 1;
        }
        touch(n);
        int err = pt_send(l, &n, sizeof n);
        if (err < 0) {
            fprintf(stderr, PROG " peer: pt_send failed (%d)\n", err);
            return 1;
        }
    }
    if (got != -EPIPE) fprintf(stderr, PROG " peer: pt_recv failed (%d)\n", got);
    return got == -EPIPE ? 0 : 1;
}

// ------------------------------------------------------------------ the client

static pt_link peer_link;
static uint32_t npages;              // the row being measured

static int rounds(long ops) {
    for (long i = 0; i < ops; i++) {
        uint32_t n = npages, back = 0;
        touch(n);
        int err = pt_send(peer_link, &n, sizeof n);
        int got = err < 0 ? err : pt_recv(peer_link, &back, sizeof back);
        if (got != (int)sizeof back || back != n) {
            fprintf(stderr, PROG ": round %ld with %u pages failed (send %d, recv %d)\n",
                    i, n, err, got);
            return -1;
        }
    }
    return 0;
}

static int sweep(const uint32_t *sizes, int nsizes, int runs, long ops) {
    for (int i = 0; i < nsizes; i++) {
        char key[16], what[32];
        snprintf(key, sizeof key, "pages.%u", sizes[i]);
        snprintf(what, sizeof what, "round, %u pages/side", sizes[i]);
        npages = sizes[i];
        if (ptm_row(PROG, key, what, rounds, runs, ops, NULL) < 0) return -1;
    }
    return 0;
}

static int client(const uint32_t *sizes, int nsizes, int runs, long ops) {
    if (alloc_pages() < 0) return 1;
    touch(PAGES);
    static char *const argv[] = { "tlbdemo", "peer", NULL };
    int child = pt_spawn("tlbdemo", argv, &peer_link, 1);
    if (child < 0) {
        fprintf(stderr, PROG ": pt_spawn of tlbdemo peer failed (%d)\n", child);
        return 1;
    }
    int failed = sweep(sizes, nsizes, runs, ops) < 0;
    pt_close(peer_link);
    int st = -1;
    if (pt_wait(child, &st) < 0 || st != 0) {
        fprintf(stderr, PROG ": the peer ended with status %d\n", st);
        failed = 1;
    }
    return failed;
}

// ------------------------------------------------------------------ main

// "1,4,64" -> sizes; the count, or -1 after a message.
static int parse_sweep(const char *s, uint32_t *sizes) {
    int n = 0;
    while (*s) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 1 || v > PAGES || n == SWEEP_MAX || (*end && *end != ',')) {
            fprintf(stderr, PROG ": -p wants up to %d page counts 1..%d, comma-separated\n",
                    SWEEP_MAX, PAGES);
            return -1;
        }
        sizes[n++] = (uint32_t)v;
        s = *end ? end + 1 : end;
    }
    return n;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "peer") == 0) return peer();
    uint32_t sizes[SWEEP_MAX];
    int nsizes = 0;
    for (uint32_t n = 1; n <= PAGES; n *= 2) sizes[nsizes++] = n;
    long runs = 7, ops = 100;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-q") == 0) runs = 2, ops = 5;
        else if (v && strcmp(a, "-p") == 0 && (i++, (nsizes = parse_sweep(v, sizes)) <= 0)) return 2;
        else if (v && strcmp(a, "-n") == 0 && (i++, (ops = ptm_count(PROG, a, v)) < 0)) return 2;
        else if (v && strcmp(a, "-r") == 0 && (i++, (runs = ptm_count(PROG, a, v)) < 0)) return 2;
        else if (!v || (strcmp(a, "-p") && strcmp(a, "-n") && strcmp(a, "-r"))) {
            fprintf(stderr, "usage: tlbdemo [-p N,N,...] [-n ROUNDS] [-r RUNS] [-q] | tlbdemo peer\n");
            return 2;
        }
    }
    ptm_measure_tsc();
    ptm_print_meta(PROG);
    printf(PROG ": backend %s, %ld rounds a run; each side touches N of its %d pages a round\n",
           pt_backend(), ops, PAGES);
    return client(sizes, nsizes, ptm_clamp_runs(runs), ops);
}
