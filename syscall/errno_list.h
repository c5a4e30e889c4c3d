// syscall/errno_list.h: the error numbers of both kernels' ABIs. A failed hw
// system call returns -E...; so does a failed sip ABI call (syscall/sip_abi.list).
// One list, so the user C library's errno and strerror serve both.
#pragma once

#define EPERM    1     // not allowed (e.g. kill of init)
#define ENOENT   2     // no such file or directory
#define ESRCH    3     // no such process
#define EINTR    4     // interrupted: the process was killed while blocked
#define EIO      5
#define E2BIG    7     // argument list too long
#define ENOEXEC  8     // not an executable (bad ELF)
#define EBADF    9     // bad file descriptor
#define ECHILD  10     // no children to wait for
#define EAGAIN  11     // try again (process table full)
#define ENOMEM  12     // out of memory
#define EFAULT  14     // bad address: a pointer argument outside the caller's memory
#define EBUSY   16
#define EEXIST  17     // file exists
#define ENOTDIR 20     // a path component is not a directory
#define EISDIR  21     // is a directory
#define EINVAL  22     // invalid argument
#define EMFILE  24     // too many open files
#define EFBIG   27     // file too large
#define ENOSPC  28     // no space left
#define ESPIPE  29     // lseek on a pipe or the console
#define EPIPE   32     // write to a pipe with no reader left
#define ERANGE  34     // result does not fit (getcwd buffer)
#define ENAMETOOLONG 36
#define ENOSYS  38     // no such system call
#define ENOTEMPTY 39   // directory not empty
#define EPROTO  71     // protocol error: a link's send out of turn (user/include/portable.h)
#define EMSGSIZE 90    // message too long for the link or the buffer
#define ETIMEDOUT 110  // futex_wait timed out
