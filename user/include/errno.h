// user/include/errno.h: the E* values are the kernel's (syscall/hw_abi.h).
// A failed system call returns -E... and also sets errno. errno is one
// variable for the whole process: threads share it.
#pragma once
#include <hw_abi.h>

extern int errno;
char *strerror(int err);
