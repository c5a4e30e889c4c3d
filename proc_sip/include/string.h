// proc_sip/include/string.h: the string functions a SIP object may call.
// The loader resolves them against the kernel's own (kern/string.c).
#pragma once
#include <stddef.h>
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
