// user/lib/hw/stdio.c: FILE over file descriptors, and printf into a FILE.
//
// Buffering: each FILE has one BUFSIZ buffer, used for reading or for
// writing, whichever it last did. stdout is line-buffered on the console
// (flushed at the end of any call that wrote a newline) and fully buffered
// into a pipe or a file; stderr is flushed at the end of every call, so one
// fprintf(stderr, ...) is one write, not one per piece. Reading from a FILE
// first flushes stdout, so a prompt without a newline shows before the
// program waits for input. exit() flushes everything. No locking: threads
// that print at once may interleave or lose output.
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "../libc.h"

enum {
    F_READ = 1, F_WRITE = 2,     // what the mode allows
    F_EOF = 4, F_ERR = 8,
    F_LINEBUF = 16,              // flush after a call that wrote '\n'
    F_UNBUF = 32,                // flush after every call
    F_NEWLINE = 64,              // this call wrote a '\n'
};

struct FILE {
    int fd;
    int flags;                   // 0: the slot is free
    size_t wlen;                 // bytes waiting to be written
    size_t rpos, rlen;           // read buffer: next byte, bytes held
    char buf[BUFSIZ];
};

#define FOPEN_MAX 16
// In .bss, set up by __stdio_init: an initialiser would put all 16 KiB of
// buffers into every program file.
static FILE files[FOPEN_MAX];
FILE *stdin = &files[0], *stdout = &files[1], *stderr = &files[2];

void __stdio_init(void) {
    struct stat st;
    files[0] = (FILE){ .fd = 0, .flags = F_READ };
    files[1] = (FILE){ .fd = 1, .flags = F_WRITE };
    files[2] = (FILE){ .fd = 2, .flags = F_WRITE | F_UNBUF };
    if (fstat(1, &st) >= 0 && st.type == T_DEV) stdout->flags |= F_LINEBUF;
}

static int write_all(int fd, const char *p, size_t n) {
    while (n) {
        long w = write(fd, p, n);
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int flush_writes(FILE *f) {
    size_t n = f->wlen;
    f->wlen = 0;
    if (n && write_all(f->fd, f->buf, n) < 0) {
        f->flags |= F_ERR;
        return EOF;
    }
    return 0;
}

// Unread input would be lost by writing: give it back to the file (where
// the descriptor can seek; the console and pipes cannot, and keep nothing).
static void drop_reads(FILE *f) {
    if (f->rlen > f->rpos) lseek(f->fd, -(long)(f->rlen - f->rpos), SEEK_CUR);
    f->rpos = f->rlen = 0;
}

static void put_bytes(FILE *f, const char *p, size_t n) {
    if (!(f->flags & F_WRITE)) {
        f->flags |= F_ERR;
        return;
    }
    drop_reads(f);
    if (memchr(p, '\n', n)) f->flags |= F_NEWLINE;
    while (n) {
        if (f->wlen == BUFSIZ) flush_writes(f);
        if (f->wlen == 0 && n >= BUFSIZ) {          // big: skip the copy
            if (write_all(f->fd, p, n) < 0) f->flags |= F_ERR;
            return;
        }
        size_t k = BUFSIZ - f->wlen < n ? BUFSIZ - f->wlen : n;
        memcpy(f->buf + f->wlen, p, k);
        f->wlen += k;
        p += k;
        n -= k;
    }
}

// Every public output call ends here: this is where line and no buffering
// take effect.
static int end_write(FILE *f) {
    bool now = (f->flags & F_UNBUF) || ((f->flags & F_LINEBUF) && (f->flags & F_NEWLINE));
    f->flags &= ~F_NEWLINE;
    if (now) flush_writes(f);
    return f->flags & F_ERR ? EOF : 0;
}

int fflush(FILE *f) {
    if (f) return flush_writes(f);
    int r = 0;
    for (int i = 0; i < FOPEN_MAX; i++)
        if (files[i].flags && flush_writes(&files[i]) < 0) r = EOF;
    return r;
}

// ---- Formatted output ----
struct file_sink {
    struct fmt_sink sink;
    FILE *f;
};

static void file_put(struct fmt_sink *s, const char *p, size_t n) {
    put_bytes(((struct file_sink *)s)->f, p, n);
}

int vfprintf(FILE *f, const char *fmt, va_list ap) {
    struct file_sink s = { { file_put }, f };
    int n = __vformat(&s.sink, fmt, ap);
    return end_write(f) < 0 ? -1 : n;
}

int fprintf(FILE *f, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(f, fmt, ap);
    va_end(ap);
    return n;
}

int vprintf(const char *fmt, va_list ap) { return vfprintf(stdout, fmt, ap); }

int printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(stdout, fmt, ap);
    va_end(ap);
    return n;
}

// Straight to a descriptor, through a FILE on the stack: one write per call
// (for output under 1 KiB), whatever stdout's buffering.
int vdprintf(int fd, const char *fmt, va_list ap) {
    FILE f = { .fd = fd, .flags = F_WRITE };
    struct file_sink s = { { file_put }, &f };
    int n = __vformat(&s.sink, fmt, ap);
    return flush_writes(&f) < 0 ? -1 : n;
}

int dprintf(int fd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vdprintf(fd, fmt, ap);
    va_end(ap);
    return n;
}

// ---- Unformatted output ----
size_t fwrite(const void *p, size_t size, size_t n, FILE *f) {
    if (size == 0 || n == 0) return 0;
    if (n > (size_t)-1 / size) return 0;
    put_bytes(f, p, size * n);
    return end_write(f) < 0 ? 0 : n;
}

int fputs(const char *s, FILE *f) {
    put_bytes(f, s, strlen(s));
    return end_write(f);
}

int fputc(int c, FILE *f) {
    char ch = (char)c;
    put_bytes(f, &ch, 1);
    return end_write(f) < 0 ? EOF : (unsigned char)ch;
}

int putc(int c, FILE *f) { return fputc(c, f); }
int putchar(int c) { return fputc(c, stdout); }

int puts(const char *s) {
    put_bytes(stdout, s, strlen(s));
    put_bytes(stdout, "\n", 1);
    return end_write(stdout);
}

void perror(const char *s) {
    if (s && *s) fprintf(stderr, "%s: %s\n", s, strerror(errno));
    else fprintf(stderr, "%s\n", strerror(errno));
}

// ---- Input ----
static bool fill(FILE *f) {
    if (!(f->flags & F_READ) || (f->flags & (F_EOF | F_ERR))) return false;
    if (stdout->flags & F_LINEBUF) flush_writes(stdout);   // show the prompt first
    flush_writes(f);
    long n = read(f->fd, f->buf, BUFSIZ);
    if (n <= 0) {
        f->flags |= n == 0 ? F_EOF : F_ERR;
        return false;
    }
    f->rpos = 0;
    f->rlen = (size_t)n;
    return true;
}

int fgetc(FILE *f) {
    if (f->rpos == f->rlen && !fill(f)) return EOF;
    return (unsigned char)f->buf[f->rpos++];
}

int getc(FILE *f) { return fgetc(f); }
int getchar(void) { return fgetc(stdin); }

// At the end of input with nothing read, s is left as it was (as in C).
char *fgets(char *s, int size, FILE *f) {
    int i = 0;
    if (size <= 0) return NULL;
    while (i < size - 1) {
        int c = fgetc(f);
        if (c == EOF) break;
        s[i++] = (char)c;
        if (c == '\n') break;
    }
    if (i == 0 && size > 1) return NULL;
    s[i] = 0;
    return s;
}

size_t fread(void *p, size_t size, size_t n, FILE *f) {
    if (size == 0 || n == 0 || n > (size_t)-1 / size) return 0;
    size_t want = size * n, got = 0;
    char *out = p;
    while (got < want) {
        if (f->rpos == f->rlen && !fill(f)) break;
        size_t k = f->rlen - f->rpos < want - got ? f->rlen - f->rpos : want - got;
        memcpy(out + got, f->buf + f->rpos, k);
        f->rpos += k;
        got += k;
    }
    return got / size;
}

int feof(FILE *f) { return (f->flags & F_EOF) != 0; }
int ferror(FILE *f) { return (f->flags & F_ERR) != 0; }
void clearerr(FILE *f) { f->flags &= ~(F_EOF | F_ERR); }
int fileno(FILE *f) { return f->fd; }

// ---- Opening and closing ----
static int mode_flags(const char *mode, int *fflags) {
    bool plus = strchr(mode, '+') != NULL;
    int acc = plus ? O_RDWR : mode[0] == 'r' ? O_RDONLY : O_WRONLY;
    *fflags = plus ? F_READ | F_WRITE : mode[0] == 'r' ? F_READ : F_WRITE;
    switch (mode[0]) {
    case 'r': return acc;
    case 'w': return acc | O_CREAT | O_TRUNC;
    case 'a': return acc | O_CREAT | O_APPEND;
    default: return -1;
    }
}

FILE *fdopen(int fd, const char *mode) {
    int fflags;
    if (fd < 0 || mode_flags(mode, &fflags) < 0) {
        errno = EINVAL;
        return NULL;
    }
    for (int i = 3; i < FOPEN_MAX; i++) {
        if (files[i].flags == 0) {
            files[i] = (FILE){ .fd = fd, .flags = fflags };
            return &files[i];
        }
    }
    errno = EMFILE;
    return NULL;
}

FILE *fopen(const char *path, const char *mode) {
    int fflags, oflags = mode_flags(mode, &fflags);
    if (oflags < 0) {
        errno = EINVAL;
        return NULL;
    }
    int fd = open(path, oflags);
    if (fd < 0) return NULL;
    FILE *f = fdopen(fd, mode);
    if (!f) close(fd);
    return f;
}

int fclose(FILE *f) {
    int r = flush_writes(f);
    if (close(f->fd) < 0) r = EOF;
    f->flags = 0;
    f->wlen = f->rpos = f->rlen = 0;
    return r;
}
