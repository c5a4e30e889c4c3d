// user/lib/strerror.c: the messages, worded as on Linux so that what a
// student sees here matches what they see there.
#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *message(int err) {
    switch (err) {
    case 0: return "Success";
    case EPERM: return "Operation not permitted";
    case ENOENT: return "No such file or directory";
    case ESRCH: return "No such process";
    case EINTR: return "Interrupted system call";
    case EIO: return "Input/output error";
    case E2BIG: return "Argument list too long";
    case ENOEXEC: return "Exec format error";
    case EBADF: return "Bad file descriptor";
    case ECHILD: return "No child processes";
    case EAGAIN: return "Resource temporarily unavailable";
    case ENOMEM: return "Cannot allocate memory";
    case EFAULT: return "Bad address";
    case EBUSY: return "Device or resource busy";
    case EEXIST: return "File exists";
    case ENOTDIR: return "Not a directory";
    case EISDIR: return "Is a directory";
    case EINVAL: return "Invalid argument";
    case EMFILE: return "Too many open files";
    case EFBIG: return "File too large";
    case ENOSPC: return "No space left on device";
    case ESPIPE: return "Illegal seek";
    case EPIPE: return "Broken pipe";
    case ERANGE: return "Numerical result out of range";
    case ENAMETOOLONG: return "File name too long";
    case ENOSYS: return "Function not implemented";
    case ENOTEMPTY: return "Directory not empty";
    case EPROTO: return "Protocol error";
    case EMSGSIZE: return "Message too long";
    case ETIMEDOUT: return "Connection timed out";
    default: return NULL;
    }
}

char *strerror(int err) {
    static char unknown[32];
    const char *m = message(err < 0 ? -err : err);   // forgiving: -ENOENT works too
    if (m) return (char *)m;
    snprintf(unknown, sizeof unknown, "Unknown error %d", err);
    return unknown;
}
