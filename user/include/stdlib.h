// user/include/stdlib.h: memory, exit, number parsing.
#pragma once
#include <stddef.h>

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1

void *malloc(size_t n);             // 16-byte aligned; NULL when the heap cannot grow
void free(void *p);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t n);

_Noreturn void exit(int status);    // flush stdio, then _exit
_Noreturn void abort(void);

int atoi(const char *s);
long atol(const char *s);
long strtol(const char *s, char **end, int base);
unsigned long strtoul(const char *s, char **end, int base);
long long strtoll(const char *s, char **end, int base);
unsigned long long strtoull(const char *s, char **end, int base);
int abs(int x);
long labs(long x);

void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
unsigned rand_r(unsigned *seed);
int rand(void);                     // 0..RAND_MAX, reproducible after srand
void srand(unsigned seed);
#define RAND_MAX 0x7fffffff
