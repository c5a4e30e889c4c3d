// codebench: the user-side computation of the benchmark programs, with no
// kernel call inside a timed loop: what the same C costs as native code (hw,
// Linux) and as a SIP (wasm2c). tools/codecost boots it on hw and sip under
// `-icount shift=0`, where a row's cycles are instructions, and divides.
// A benchmark: it reports and never fails on a number. Every row checks its
// own result each operation against a value known from a native run (the
// same formula), so a mistranslation fails the program, not just a row.
//
//   codebench [-r RUNS] [-q]   the rows below (-q: few operations, 2 runs)
//
// Rows (KEY: one operation, and the code it mirrors):
//   verify_4k    check 4 KiB against the data set's formula (webfiles'
//                check_bytes and expected_byte: the client's whole-file verify)
//   verify_64k   the same over 64 KiB (the data set's largest files)
//   msg_frame    build a 1 KiB reply (status, size, data copied out of a block
//                buffer at an offset) and parse it back (webfiles' fs_read,
//                fs_call and get32/put32: the message framing of every hop)
//   memcpy_1k    copy a 1 KiB message (the disk server's and the backends'
//                message copies)
//   memset_1k    clear a 1 KiB buffer (what every fresh message buffer costs)
//   argparse     webfiles' command line: strcmp per option and strtol per value
//                (ptm_count), over `client -n 100 -r 7 -s 1 -d /data/webfiles.disk`
//   qsort_1000   qsort of 1000 ints with a compare function (benchstat's sort
//                of the runs, the C library's qsort, scaled up)
//   fnv_4k       FNV-1a over 4 KiB (a block checksum: byte loads, multiplies)
//   strsearch    strstr for a word at the end of 1 KiB of text (the grep and
//                argument scans of the shell programs)
// Output format: user/portable/ptmeasure.h.
#include "ptmeasure.h"

#define PROG "codebench"
#define MSG 1024
#define BIG (64 * 1024)

// Inputs read through volatile: the compiler can neither fold a row's work
// into a constant nor hoist it out of the operation loop.
static volatile uint32_t file_no = 77, frame_offset = 300, text_len = MSG;
static volatile uint8_t fill_byte = 0x5a;
static volatile int wf_argc = 10;

static uint8_t file_data[BIG], block_buf[3 * 512], msg_a[MSG], msg_b[MSG];
static int sort_buf[1000];
static char text[MSG + 1];

static int wrong(const char *key, uint64_t got, uint64_t want) {
    fprintf(stderr, PROG ": %s: result %llu, the native run says %llu\n", key,
            (unsigned long long)got, (unsigned long long)want);
    return -1;
}

// ------------------------------------------------------------ webfiles' verify

static uint8_t expected_byte(uint32_t i, uint32_t o) {     // webfiles.c's, unchanged
    return (uint8_t)(i * 131u + o * 7u + (o >> 8) * 13u + (o >> 16) * 29u);
}

static int check_bytes(uint32_t f, uint32_t offset, const uint8_t *data, int n) {
    for (int k = 0; k < n; k++)
        if (data[k] != expected_byte(f, offset + (uint32_t)k)) return -1;
    return 0;
}

static int verify(long ops, int n) {
    for (long i = 0; i < ops; i++)
        if (check_bytes(file_no, 0, file_data, n) < 0) return wrong("verify", 1, 0);
    return 0;
}
static int verify_4k(long ops) { return verify(ops, 4096); }
static int verify_64k(long ops) { return verify(ops, BIG); }

// ------------------------------------------------------------ message framing

static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

#define FRAME_DATA (MSG - 8)
#define FRAME_SUM 14099438u             // the data's 32-bit words summed, low 24 bits

// fs_read's half: header and data copied out of the block buffer.
static int frame_build(uint8_t *reply, uint32_t offset) {
    memcpy(reply + 8, block_buf + offset, FRAME_DATA);
    put32(reply, 0), put32(reply + 4, 5000);
    return MSG;
}

// fs_call's half: the header's fields, then a sum over the data as the check.
static uint32_t frame_parse(const uint8_t *reply, int n) {
    if (n != MSG || get32(reply) != 0 || get32(reply + 4) != 5000) return 0;
    uint32_t sum = 0;
    for (int k = 8; k < n; k += 4) sum += get32(reply + k);
    return sum & 0xffffffu;
}

static int msg_frame(long ops) {
    for (long i = 0; i < ops; i++) {
        uint32_t sum = frame_parse(msg_a, frame_build(msg_a, frame_offset));
        if (sum != FRAME_SUM) return wrong("msg_frame", sum, FRAME_SUM);
    }
    return 0;
}

// ------------------------------------------------------------ copies

static int memcpy_1k(long ops) {
    for (long i = 0; i < ops; i++) {
        memcpy(msg_b, block_buf + (frame_offset & 7), MSG);
        if (msg_b[MSG - 1] != block_buf[(frame_offset & 7) + MSG - 1])
            return wrong("memcpy_1k", msg_b[MSG - 1], block_buf[(frame_offset & 7) + MSG - 1]);
    }
    return 0;
}

static int memset_1k(long ops) {
    for (long i = 0; i < ops; i++) {
        memset(msg_b, fill_byte, MSG);
        if (msg_b[MSG / 2] != 0x5a) return wrong("memset_1k", msg_b[MSG / 2], 0x5a);
    }
    return 0;
}

// ------------------------------------------------------------ argument parsing

static char *const wf_argv[] = { "webfiles", "client", "-n", "100", "-r", "7", "-s", "1",
                                 "-d", "/data/webfiles.disk", NULL };

static long count_of(const char *s) {                    // ptm_count without the message
    char *end;
    long v = strtol(s, &end, 10);
    return *s == '\0' || *end != '\0' || v < 1 ? -1 : v;
}

// webfiles' main loop over its options: n + 7 * r + 13 * s + length of -d's path.
static long parse_args(int argc, char *const *argv) {
    long runs = 7, ops = 100, seed = 1;
    const char *path = "";
    int first = argc > 1 && strcmp(argv[1], "client") == 0 ? 2 : 1;
    for (int i = first; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (strcmp(a, "-d") == 0) path = v;
        else if (strcmp(a, "-n") == 0) ops = count_of(v);
        else if (strcmp(a, "-r") == 0) runs = count_of(v);
        else if (strcmp(a, "-s") == 0) seed = count_of(v);
        else return -1;
    }
    return ops + 7 * runs + 13 * seed + (long)strlen(path);
}

static int argparse(long ops) {
    for (long i = 0; i < ops; i++) {
        long got = parse_args(wf_argc, wf_argv);
        if (got != 181) return wrong("argparse", (uint64_t)got, 181);
    }
    return 0;
}

// ------------------------------------------------------------ sorting, hashing, searching

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

#define SORT_CHECK 2895549395u            // a position-weighted sum of the sorted ints

static int qsort_1000(long ops) {
    for (long i = 0; i < ops; i++) {
        uint32_t x = file_no * 2654435761u | 1, check = 0;
        for (int k = 0; k < 1000; k++) {             // xorshift32, as webfiles picks files
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            sort_buf[k] = (int)(x % 100000);
        }
        qsort(sort_buf, 1000, sizeof sort_buf[0], cmp_int);
        for (int k = 0; k < 1000; k++) check += (uint32_t)sort_buf[k] * (uint32_t)(k + 1);
        if (check != SORT_CHECK) return wrong("qsort_1000", check, SORT_CHECK);
    }
    return 0;
}

#define FNV_4K 0x29e4d7c5u                 // FNV-1a of file 77's first 4 KiB

static int fnv_4k(long ops) {
    for (long i = 0; i < ops; i++) {
        uint32_t h = 2166136261u;
        for (int k = 0; k < 4096; k++) h = (h ^ file_data[k]) * 16777619u;
        if (h != FNV_4K) return wrong("fnv_4k", h, FNV_4K);
    }
    return 0;
}

static int strsearch(long ops) {
    for (long i = 0; i < ops; i++) {
        text[text_len] = '\0';
        const char *at = strstr(text, "webfiles");
        if (!at || at - text != MSG - 8) return wrong("strsearch", at ? (uint64_t)(at - text) : 0, MSG - 8);
    }
    return 0;
}

// ------------------------------------------------------------ main

// The inputs: file 77 of the data set's formula, a block buffer of a known
// pattern, and 1 KiB of text that mentions "webfile" often, "webfiles" once, last.
static void fill_inputs(void) {
    for (uint32_t o = 0; o < BIG; o++) file_data[o] = expected_byte(file_no, o);
    for (int k = 0; k < (int)sizeof block_buf; k++) block_buf[k] = (uint8_t)(k * 37 + 11);
    static const char words[] = "the webfile client reads webfile data ";
    for (int k = 0; k < MSG; k++) text[k] = words[k % (sizeof words - 1)];
    memcpy(text + MSG - 8, "webfiles", 8);
    text[MSG] = '\0';
}

struct row { const char *key, *what; ptm_batch batch; long ops, quick_ops; };

static const struct row rows[] = {
    { "verify_4k", "verify 4 KiB (webfiles)", verify_4k, 200, 4 },
    { "verify_64k", "verify 64 KiB (webfiles)", verify_64k, 20, 2 },
    { "msg_frame", "1 KiB reply build+parse", msg_frame, 1000, 10 },
    { "memcpy_1k", "memcpy 1 KiB", memcpy_1k, 1000, 10 },
    { "memset_1k", "memset 1 KiB", memset_1k, 1000, 10 },
    { "argparse", "webfiles argv parse", argparse, 2000, 20 },
    { "qsort_1000", "qsort 1000 ints", qsort_1000, 20, 2 },
    { "fnv_4k", "FNV-1a 4 KiB", fnv_4k, 200, 4 },
    { "strsearch", "strstr in 1 KiB", strsearch, 500, 5 },
};

int main(int argc, char **argv) {
    long runs = 5;
    int quick = 0;
    if (ptm_parse_runs(PROG, "codebench [-r RUNS] [-q]", argc, argv, &runs, &quick)) return 2;
    fill_inputs();
    ptm_start(PROG);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct row *r = &rows[i];
        if (ptm_row(PROG, r->key, r->what, r->batch, ptm_clamp_runs(runs),
                    quick ? r->quick_ops : r->ops, NULL) < 0)
            return 1;
    }
    printf(PROG ": every row's result checked against the native run's values\n");
    printf(PROG ": done (a benchmark: these numbers are reported, never judged)\n");
    return 0;
}
