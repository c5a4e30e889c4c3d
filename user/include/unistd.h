// user/include/unistd.h: the system calls. Their prototypes are generated
// from syscall/hw.tbl (hw_syscalls.h, included by hw_abi.h): each returns
// >= 0 on success, or -errno (and sets errno) on failure, so `if (fd < 0)`
// works for every call. Note read/write/lseek/sbrk return long, and fork,
// exec and wait are the hw kernel's: exec(path, argv), wait(&status).
#pragma once
#include <sys/types.h>
#include <hw_abi.h>

#define STDIN_FILENO  0
#define STDOUT_FILENO 1
#define STDERR_FILENO 2

unsigned sleep(unsigned seconds);   // over sleep_ms; returns 0
int usleep(unsigned long usec);     // rounded up to whole milliseconds
