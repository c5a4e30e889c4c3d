// user/sip/lib/fd.c: the hw file API (read, write, open, close, fstat,
// lseek, readdir, mkdir, unlink, stat, getcwd) over a SIP's channels, so
// that the same C programs (user/hw/cat.c, ls.c, ...) build for both
// kernels. Descriptors 0, 1 and 2 are stdin, stdout and stderr
// (stream.c); 3.. are files of the file service (fs.c), whose own numbers
// are per connection. Return values as on hw: >= 0, or -errno with errno
// set. There is one directory, "/": relative paths start there.
#include <errno.h>
#include <fcntl.h>
#include <sip.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <contracts/FileService.h>
#include "sip_libc.h"

static int files[NOFILE];           // fd -> the service's fd, plus one; 0: free

long __sip_ret(long r) {
    if (r < 0)
        errno = (int)-r;
    return r;
}

// The service's fd behind fd, or -1.
static int service_fd(int fd) {
    return fd >= 3 && fd < NOFILE && files[fd] ? files[fd] - 1 : -1;
}

int open(const char *path, int flags) {
    int fd = 3;
    while (fd < NOFILE && files[fd])
        fd++;
    if (fd == NOFILE)
        return (int)__sip_ret(-EMFILE);
    int sfd = __fs_open(path, flags);
    if (sfd < 0)
        return (int)__sip_ret(sfd);
    files[fd] = sfd + 1;
    return fd;
}

long read(int fd, void *buf, size_t n) {
    if (fd == 0)
        return __sip_ret(__stream_read(buf, n));
    int sfd = service_fd(fd);
    return __sip_ret(sfd < 0 ? -EBADF : __fs_read(sfd, buf, n));
}

long write(int fd, const void *buf, size_t n) {
    if (fd == 1)
        return __sip_ret(__stream_write(buf, n));
    if (fd == 2)
        return __sip_ret(__console_write(buf, n));
    int sfd = service_fd(fd);
    return __sip_ret(sfd < 0 ? -EBADF : __fs_write(sfd, buf, n));
}

int close(int fd) {
    if (fd == 0 || fd == 1)
        return (int)__sip_ret(__stream_close(fd));
    int sfd = service_fd(fd);
    if (sfd < 0)
        return (int)__sip_ret(fd == 2 ? 0 : -EBADF);
    files[fd] = 0;
    return (int)__sip_ret(__fs_close(sfd));
}

// stdin and a stdout into a channel are pipes; the console is a device.
int fstat(int fd, void *stp) {
    struct stat *st = stp;
    if (fd >= 0 && fd <= 2) {
        memset(st, 0, sizeof *st);
        st->type = fd == 2 || (fd == 1 && __stdout_is_console()) ? T_DEV : T_PIPE;
        st->nlink = 1;
        return 0;
    }
    int sfd = service_fd(fd);
    return (int)__sip_ret(sfd < 0 ? -EBADF : __fs_fstat(sfd, st));
}

long lseek(int fd, long offset, int whence) {
    if (fd >= 0 && fd <= 2)
        return __sip_ret(-ESPIPE);
    int sfd = service_fd(fd);
    return __sip_ret(sfd < 0 ? -EBADF : __fs_seek(sfd, offset, whence));
}

int readdir(int fd, void *d) {
    int sfd = service_fd(fd);
    return (int)__sip_ret(sfd < 0 ? -EBADF : __fs_readdir(sfd, d));
}

int mkdir(const char *path) {
    return (int)__sip_ret(__fs_path_op(FileService_Mkdir, path));
}

int unlink(const char *path) {
    return (int)__sip_ret(__fs_path_op(FileService_Unlink, path));
}

int stat(const char *path, struct stat *st) {
    return (int)__sip_ret(__fs_stat(path, st));
}

int getcwd(void *buf, size_t n) {
    if (n < 2)
        return (int)__sip_ret(-ERANGE);
    memcpy(buf, "/", 2);
    return 0;
}
