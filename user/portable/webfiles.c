// webfiles: after Singularity's WebFiles benchmark, three processes in a row
// over two links, the same program on hw, sip and Linux:
//
//   client (this invocation) --link--> file server --link--> disk server
//
//   webfiles [client] [-n OPS] [-r RUNS] [-s SEED] [-d IMAGE] [-q] [-S]   the client
//   webfiles fs IMAGE       the file server (spawned by the client)
//   webfiles disk IMAGE     the disk server (spawned by the file server)
//
// The disk server reads IMAGE (default /data/webfiles.disk, written by
// tools/mkwebdata) into memory once: that is the "disk". It serves block
// reads: a request names a block and a count (1 or 2), the reply carries
// those 512-byte blocks. The file server reads the header and the directory
// from the disk at start, then serves the client: a request names a file (by
// its number) and an offset; the reply is a small header (status, file size)
// and up to PT_MSG_MAX - 8 bytes of the file, which it reads from the disk
// server. The client reads whole files picked at random (seeded; the image's
// SPECweb99-like mix makes most reads small and most bytes large) and checks
// every byte against the data set's formula (below; the same as mkwebdata's).
// The word `client` may name the client's role, as `fs` and `disk` name the
// servers': the sip kernel chooses a SIP's domain by its first argument
// (sipdom.webfiles/client=c puts the client alone in its own address space).
// -S: every run reads the same files (the sequence starts again from the seed),
// so runs differ only by the system, not by the mix (tools/figure5 compares
// configurations run by run). One operation is one whole-file read. Any mismatch or error: a message on
// stderr and a non-zero exit. Exit closes the links in turn: the file server
// sees -EPIPE and closes the disk's link; everyone is waited for.
#include "ptmeasure.h"
#include <fcntl.h>
#include <unistd.h>

#define PROG "webfiles"
#define BLOCK 512
#define DISK_REQ_MAX 2                    // blocks per disk reply: 1024 bytes, a message
#define FS_HDR 8                          // status + size before a reply's data
#define FS_DATA_MAX (PT_MSG_MAX - FS_HDR)
#define DIR_ENTRY 32
#define IMAGE_BLOCKS_MAX (64u * 1024 * 1024 / BLOCK)   // a sanity limit on the header

enum { FS_INFO = 1, FS_READ = 2 };

// Byte o of file i (tools/mkwebdata writes the same; mod 2^32 then mod 256
// is Python's mod 256).
static uint8_t expected_byte(uint32_t i, uint32_t o) {
    return (uint8_t)(i * 131u + o * 7u + (o >> 8) * 13u + (o >> 16) * 29u);
}

static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

// The image header (block 0; see tools/mkwebdata).
struct header {
    uint32_t nfiles, dir_block, dir_blocks, data_block, total_blocks;
};

// Parses block 0: 0, or -1 after saying what is wrong with `path`.
static int parse_header(const char *who, const char *path, const uint8_t *b, struct header *h) {
    if (memcmp(b, "TWFWEBD1", 8) != 0 || get32(b + 8) != 1) {
        fprintf(stderr, PROG " %s: %s: not a WebFiles image (magic TWFWEBD1, version 1)\n",
                who, path);
        return -1;
    }
    *h = (struct header){ get32(b + 12), get32(b + 16), get32(b + 20), get32(b + 24),
                          get32(b + 28) };
    // In this order nothing overflows: each bound limits the next product or sum.
    if (h->total_blocks > IMAGE_BLOCKS_MAX || h->data_block > h->total_blocks ||
        h->dir_block != 1 || h->dir_blocks >= h->data_block ||
        h->nfiles > h->dir_blocks * (BLOCK / DIR_ENTRY)) {
        fprintf(stderr, PROG " %s: %s: the header's layout is inconsistent\n", who, path);
        return -1;
    }
    return 0;
}

// ------------------------------------------------------------------ the disk server

static uint8_t *disk;
static uint32_t disk_blocks;

// Reads exactly n bytes: 0, or -1 when the file ends first or read fails.
static int read_fully(int fd, uint8_t *p, uint32_t n) {
    while (n > 0) {
        long r = read(fd, p, n > 65536 ? 65536 : n);
        if (r <= 0) return -1;
        p += r, n -= (uint32_t)r;
    }
    return 0;
}

static int load_disk(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, PROG " disk: %s: cannot open: %s\n", path, strerror(errno));
        return -1;
    }
    uint8_t first[BLOCK], extra;
    struct header h = { 0 };
    int err = read_fully(fd, first, BLOCK) < 0 ? -2 : parse_header("disk", path, first, &h);
    if (err == 0 && !(disk = malloc((size_t)h.total_blocks * BLOCK))) err = -3;
    if (err == 0) {
        memcpy(disk, first, BLOCK);
        if (read_fully(fd, disk + BLOCK, (h.total_blocks - 1) * BLOCK) < 0) err = -2;
        else if (read(fd, &extra, 1) != 0) err = -4;
    }
    close(fd);
    if (err == -2) fprintf(stderr, PROG " disk: %s: shorter than its header says\n", path);
    if (err == -3) fprintf(stderr, PROG " disk: %s: no memory for %u blocks\n", path, h.total_blocks);
    if (err == -4) fprintf(stderr, PROG " disk: %s: longer than its header says\n", path);
    disk_blocks = h.total_blocks;
    return err < 0 ? -1 : 0;
}

// Request: block, count (1..DISK_REQ_MAX). Reply: the blocks, or an empty
// message for a request outside the disk.
static int disk_server(const char *path) {
    if (load_disk(path) < 0) return 1;
    pt_link l = pt_link_arg(0);
    uint8_t req[8];
    int n;
    while ((n = pt_recv(l, req, sizeof req)) >= 0) {
        uint32_t block = get32(req), count = get32(req + 4);
        int ok = n == 8 && count >= 1 && count <= DISK_REQ_MAX && block < disk_blocks &&
                 count <= disk_blocks - block;
        int err = pt_send(l, ok ? disk + (size_t)block * BLOCK : req, ok ? (int)(count * BLOCK) : 0);
        if (err < 0) {
            fprintf(stderr, PROG " disk: pt_send failed (%d)\n", err);
            return 1;
        }
    }
    if (n != -EPIPE) fprintf(stderr, PROG " disk: pt_recv failed (%d)\n", n);
    return n == -EPIPE ? 0 : 1;
}

// ------------------------------------------------------------------ the file server

static pt_link disk_link;

// Reads blocks [first, first + count) into buf, DISK_REQ_MAX at a time.
static int disk_read(uint32_t first, uint32_t count, uint8_t *buf) {
    for (uint32_t done = 0; done < count;) {
        uint32_t n = count - done < DISK_REQ_MAX ? count - done : DISK_REQ_MAX;
        uint8_t req[8];
        put32(req, first + done), put32(req + 4, n);
        int err = pt_send(disk_link, req, sizeof req);
        int got = err < 0 ? err : pt_recv(disk_link, buf + (size_t)done * BLOCK, DISK_REQ_MAX * BLOCK);
        if (got != (int)(n * BLOCK)) {
            fprintf(stderr, PROG " fs: reading blocks %u..%u from the disk server failed (%d)\n",
                    first + done, first + done + n - 1, got);
            return -1;
        }
        done += n;
    }
    return 0;
}

struct file { uint32_t size, first_block; };
static struct file *files;
static struct header fs_hdr;

static int load_directory(const char *path) {
    uint8_t block[BLOCK];
    if (disk_read(0, 1, block) < 0 || parse_header("fs", path, block, &fs_hdr) < 0) return -1;
    uint8_t *dir = malloc((size_t)fs_hdr.dir_blocks * BLOCK);
    files = malloc(sizeof *files * (fs_hdr.nfiles ? fs_hdr.nfiles : 1));
    if (!dir || !files || disk_read(fs_hdr.dir_block, fs_hdr.dir_blocks, dir) < 0) return -1;
    for (uint32_t i = 0; i < fs_hdr.nfiles; i++) {
        const uint8_t *e = dir + i * DIR_ENTRY;
        files[i] = (struct file){ get32(e + 16), get32(e + 20) };
        uint32_t blocks = (files[i].size + BLOCK - 1) / BLOCK;
        if (files[i].first_block < fs_hdr.data_block || files[i].first_block > fs_hdr.total_blocks ||
            blocks > fs_hdr.total_blocks - files[i].first_block) {
            fprintf(stderr, PROG " fs: %s: directory entry %u lies outside the disk\n", path, i);
            return -1;
        }
    }
    free(dir);
    return 0;
}

// Fills reply with the header and up to FS_DATA_MAX bytes of file f from
// offset: the reply's length, with status 0, -ENOENT, -EINVAL or -EIO.
static int fs_read(uint32_t f, uint32_t offset, uint8_t *reply) {
    int32_t status = 0;
    uint32_t n = 0, size = f < fs_hdr.nfiles ? files[f].size : 0;
    if (f >= fs_hdr.nfiles) status = -ENOENT;
    else if (offset > size) status = -EINVAL;
    else n = size - offset < FS_DATA_MAX ? size - offset : FS_DATA_MAX;
    if (n > 0) {
        // the bytes span at most 3 blocks: FS_DATA_MAX < 2 * BLOCK
        uint8_t blocks[3 * BLOCK];
        uint32_t start = offset % BLOCK, first = files[f].first_block + offset / BLOCK;
        if (disk_read(first, (start + n + BLOCK - 1) / BLOCK, blocks) < 0) status = -EIO, n = 0;
        else memcpy(reply + FS_HDR, blocks + start, n);
    }
    put32(reply, (uint32_t)status), put32(reply + 4, size);
    return FS_HDR + (int)n;
}

static int fs_serve(pt_link client) {
    uint8_t req[12], reply[PT_MSG_MAX];
    int n, failed = 0;
    while ((n = pt_recv(client, req, sizeof req)) >= 0) {
        int len = FS_HDR;
        if (n == 12 && get32(req) == FS_INFO) put32(reply, 0), put32(reply + 4, fs_hdr.nfiles);
        else if (n == 12 && get32(req) == FS_READ) len = fs_read(get32(req + 4), get32(req + 8), reply);
        else put32(reply, (uint32_t)-EINVAL), put32(reply + 4, 0);
        failed |= (int32_t)get32(reply) == -EIO;
        int err = pt_send(client, reply, len);
        if (err < 0) {
            fprintf(stderr, PROG " fs: pt_send to the client failed (%d)\n", err);
            return 1;
        }
    }
    if (n != -EPIPE) fprintf(stderr, PROG " fs: pt_recv from the client failed (%d)\n", n);
    return failed || n != -EPIPE;
}

static int file_server(const char *path) {
    char *argv[] = { "webfiles", "disk", (char *)path, NULL };
    pt_link client = pt_link_arg(0);
    int disk_child = pt_spawn("webfiles", argv, &disk_link, 1);
    if (disk_child < 0) {
        fprintf(stderr, PROG " fs: pt_spawn of webfiles disk failed (%d)\n", disk_child);
        return 1;
    }
    int failed = load_directory(path) < 0;
    if (failed) pt_close(client);         // the client's next receive says -EPIPE
    else failed = fs_serve(client);
    pt_close(disk_link);                  // the disk server sees -EPIPE and exits
    int st = -1;
    if (pt_wait(disk_child, &st) < 0 || st != 0) {
        fprintf(stderr, PROG " fs: the disk server ended with status %d\n", st);
        failed = 1;
    }
    return failed;
}

// ------------------------------------------------------------------ the client

static pt_link fs_link;
static uint32_t nfiles, rng_state, rng_start;
static int same_files;                     // -S
static uint64_t files_read, bytes_read;

// xorshift32: the same sequence on every backend (the C libraries' rand differ).
static uint32_t next_random(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

// One request and its reply: the reply's data length, or -1 after a message.
static int fs_call(uint32_t op, uint32_t f, uint32_t offset, uint8_t *reply, uint32_t *size) {
    uint8_t req[12];
    put32(req, op), put32(req + 4, f), put32(req + 8, offset);
    int err = pt_send(fs_link, req, sizeof req);
    int n = err < 0 ? err : pt_recv(fs_link, reply, PT_MSG_MAX);
    if (n < FS_HDR || (int32_t)get32(reply) != 0) {
        fprintf(stderr, PROG ": request %u for file %u at %u failed (link %d, status %d)\n",
                op, f, offset, n, n < FS_HDR ? 0 : (int)get32(reply));
        return -1;
    }
    *size = get32(reply + 4);
    return n - FS_HDR;
}

static int check_bytes(uint32_t f, uint32_t offset, const uint8_t *data, int n) {
    for (int k = 0; k < n; k++) {
        if (data[k] != expected_byte(f, offset + (uint32_t)k)) {
            fprintf(stderr, PROG ": file %u byte %u is %u, the data set says %u\n", f,
                    offset + (uint32_t)k, data[k], expected_byte(f, offset + (uint32_t)k));
            return -1;
        }
    }
    return 0;
}

static int read_whole_file(uint32_t f) {
    uint8_t reply[PT_MSG_MAX];
    uint32_t offset = 0, size = 0, first_size = 0;
    do {
        int n = fs_call(FS_READ, f, offset, reply, &size);
        if (n < 0) return -1;
        if (offset == 0) first_size = size;
        if (size != first_size || (n == 0 && offset < size) || offset + (uint32_t)n > size) {
            fprintf(stderr, PROG ": file %u: the replies disagree about its size\n", f);
            return -1;
        }
        if (check_bytes(f, offset, reply + FS_HDR, n) < 0) return -1;
        offset += (uint32_t)n;
    } while (offset < size);
    files_read++, bytes_read += size;
    return 0;
}

static int file_reads(long ops) {
    if (same_files) rng_state = rng_start;
    for (long i = 0; i < ops; i++)
        if (read_whole_file(next_random() % nfiles) < 0) return -1;
    return 0;
}

// The row and its rate: one op = one whole-file read.
static int measure_reads(int runs, long ops) {
    uint64_t median;
    if (ptm_row(PROG, "read", "whole-file read", file_reads, runs, ops, &median) < 0) return -1;
    uint64_t per_s = median ? ptm_tsc_hz * 100 / median : 0;
    printf(PROG ": read: %llu whole-file reads/s in the median run (3 processes, 2 links)\n",
           (unsigned long long)per_s);
    return 0;
}

static int client(int runs, long ops, uint32_t seed, const char *path) {
    char *argv[] = { "webfiles", "fs", (char *)path, NULL };
    int fs = pt_spawn("webfiles", argv, &fs_link, 1);
    if (fs < 0) {
        fprintf(stderr, PROG ": pt_spawn of webfiles fs failed (%d)\n", fs);
        return 1;
    }
    uint8_t reply[PT_MSG_MAX];
    rng_state = rng_start = seed * 2654435761u | 1;     // never 0: xorshift would stay there
    int failed = fs_call(FS_INFO, 0, 0, reply, &nfiles) < 0 || nfiles == 0;
    if (!failed) failed = measure_reads(runs, ops) < 0;
    pt_close(fs_link);
    int st = -1;
    if (pt_wait(fs, &st) < 0 || st != 0) {
        fprintf(stderr, PROG ": the file server ended with status %d\n", st);
        failed = 1;
    }
    if (!failed)
        printf(PROG ": %llu whole-file reads of %u files, %llu bytes, every byte as the "
               "data set's formula says\n", (unsigned long long)files_read, nfiles,
               (unsigned long long)bytes_read);
    return failed;
}

// ------------------------------------------------------------------ main

static int usage(void) {
    fprintf(stderr, "usage: webfiles [client] [-n OPS] [-r RUNS] [-s SEED] [-d IMAGE] [-q] [-S]\n"
                    "       webfiles fs IMAGE | webfiles disk IMAGE   (spawned by webfiles)\n");
    return 2;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "disk") == 0) return disk_server(argv[2]);
    if (argc == 3 && strcmp(argv[1], "fs") == 0) return file_server(argv[2]);
    long runs = 7, ops = 100, seed = 1;
    const char *path = "/data/webfiles.disk";
    int first = argc > 1 && strcmp(argv[1], "client") == 0 ? 2 : 1;   // the role word
    for (int i = first; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-q") == 0) runs = 2, ops = 10;
        else if (strcmp(a, "-S") == 0) same_files = 1;
        else if (!v) return usage();
        else if (strcmp(a, "-d") == 0) path = v, i++;
        else if (strcmp(a, "-n") == 0 && (i++, (ops = ptm_count(PROG, a, v)) < 0)) return 2;
        else if (strcmp(a, "-r") == 0 && (i++, (runs = ptm_count(PROG, a, v)) < 0)) return 2;
        else if (strcmp(a, "-s") == 0 && (i++, (seed = ptm_count(PROG, a, v)) < 0)) return 2;
        else if (strcmp(a, "-n") && strcmp(a, "-r") && strcmp(a, "-s")) return usage();
    }
    ptm_measure_tsc();
    ptm_print_meta(PROG);
    printf(PROG ": backend %s, image %s, %ld reads a run, seed %ld\n", pt_backend(), path, ops, seed);
    return client(ptm_clamp_runs(runs), ops, (uint32_t)seed, path);
}
