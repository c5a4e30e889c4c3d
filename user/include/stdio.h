// user/include/stdio.h: formatted output and a minimal FILE.
//
// Buffering (user/lib/hw/stdio.c): stdout is line-buffered when it is the
// console and fully buffered otherwise (a pipe or a file), stderr is never
// buffered, and exit() flushes everything. A program that forks with output
// still buffered must fflush(stdout) first, or the child prints it again.
#pragma once
#include <stdarg.h>
#include <stddef.h>

#define EOF (-1)
#define BUFSIZ 1024

typedef struct FILE FILE;
extern FILE *stdin, *stdout, *stderr;

#define PRINTFLIKE(f, a) __attribute__((format(printf, f, a)))

int printf(const char *fmt, ...) PRINTFLIKE(1, 2);
int fprintf(FILE *f, const char *fmt, ...) PRINTFLIKE(2, 3);
int dprintf(int fd, const char *fmt, ...) PRINTFLIKE(2, 3);
int snprintf(char *buf, size_t size, const char *fmt, ...) PRINTFLIKE(3, 4);
int sprintf(char *buf, const char *fmt, ...) PRINTFLIKE(2, 3);
int vprintf(const char *fmt, va_list ap);
int vfprintf(FILE *f, const char *fmt, va_list ap);
int vdprintf(int fd, const char *fmt, va_list ap);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

int putchar(int c);
int puts(const char *s);
int fputc(int c, FILE *f);
int putc(int c, FILE *f);
int fputs(const char *s, FILE *f);
size_t fwrite(const void *p, size_t size, size_t n, FILE *f);

int getchar(void);
int fgetc(FILE *f);
int getc(FILE *f);
char *fgets(char *s, int size, FILE *f);
size_t fread(void *p, size_t size, size_t n, FILE *f);

FILE *fopen(const char *path, const char *mode);   // "r", "w", "a", "r+", "w+", "a+"
FILE *fdopen(int fd, const char *mode);
int fclose(FILE *f);
int fflush(FILE *f);                                // NULL: every open FILE
int fileno(FILE *f);
int feof(FILE *f);
int ferror(FILE *f);
void clearerr(FILE *f);
void perror(const char *s);                         // "s: strerror(errno)" on stderr
