// proc_hw/sys_file.c: the file system calls. Each handler turns its user
// arguments into kernel values (copyinstr for paths, copyin/copyout for
// buffers and structs, descriptors looked up in the caller's table) and
// hands the work to proc_hw/file.c or kern/fs.c, which only ever see
// kernel memory. Data moves through a small kernel buffer one chunk at a
// time, so a huge user length never becomes a huge kernel allocation.
//
//   read(fd, ubuf, n):  fd_get ─► file_read(kbuf, chunk) ─► copyout(ubuf) ─► repeat
//   write(fd, ubuf, n): fd_get ─► copyin(kbuf, chunk) ─► file_write(kbuf) ─► repeat
#include "proc_hw/file.h"

#define IO_CHUNK 1024                  // bytes per copy through the kernel buffer

// kern/fs.c speaks the ABI's numbers without including it: check they agree.
_Static_assert(FS_ENOENT == ENOENT && FS_EBUSY == EBUSY && FS_EEXIST == EEXIST &&
               FS_ENOTDIR == ENOTDIR && FS_EISDIR == EISDIR && FS_EINVAL == EINVAL &&
               FS_EFBIG == EFBIG && FS_ENOSPC == ENOSPC && FS_ERANGE == ERANGE &&
               FS_ENAMETOOLONG == ENAMETOOLONG && FS_ENOTEMPTY == ENOTEMPTY,
               "kern/fs.h errors differ from syscall/hw_abi.h");
_Static_assert(FS_MAXPATH == MAXPATH && FS_NAME_MAX == NAME_MAX, "path limits differ");
_Static_assert(FS_T_FILE == T_FILE && FS_T_DIR == T_DIR && FS_T_DEV == T_DEV, "types differ");

// ---- Arguments ----

// The whole range must lie in the lower half: a kernel address (or a
// length that wraps) is refused before any byte moves, even when the
// transfer would have been empty (end of file).
static bool user_range(uaddr_t a, size_t n) {
    return a < USER_TOP && n <= USER_TOP - a;
}

static int path_in(char path[MAXPATH], uaddr_t upath) {
    long r = copyinstr(path, upath, MAXPATH);
    return r < 0 ? (int)r : 0;
}

// A reference to the caller's current directory (inode_put it): held
// across the lookup so that another thread's chdir cannot free it.
static struct inode *cwd_hold(void) {
    struct proc *p = proc_current();
    spin_lock(&p->lock);
    struct inode *dir = p->cwd ? inode_dup(p->cwd) : fs_root();
    spin_unlock(&p->lock);
    return dir;
}

static int open_flags_ok(int flags) {
    if (flags & ~(O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND)) return -EINVAL;
    return (flags & O_ACCMODE) == O_ACCMODE ? -EINVAL : 0;
}

// ---- Data ----

// Stream files (pipes, console) give one transfer: what is there now.
static long read_to_user(struct file *f, uaddr_t ubuf, size_t n) {
    char kbuf[IO_CHUNK];
    size_t done = 0;
    while (done < n) {
        size_t want = MIN(n - done, sizeof kbuf);
        long got = file_read(f, kbuf, want);
        if (got < 0) return done ? (long)done : got;
        if (got > 0 && copyout(ubuf + done, kbuf, (size_t)got) < 0)
            return done ? (long)done : -EFAULT;
        done += (size_t)got;
        if ((size_t)got < want || f->ops->stream) break;
    }
    return (long)done;
}

// Stops early when the file takes less than a whole chunk (size limit,
// memory full, reader gone, killed): what was written so far is the result.
static long write_from_user(struct file *f, uaddr_t ubuf, size_t n) {
    char kbuf[IO_CHUNK];
    size_t done = 0;
    while (done < n) {
        size_t want = MIN(n - done, sizeof kbuf);
        if (copyin(kbuf, ubuf + done, want) < 0) return done ? (long)done : -EFAULT;
        long put = file_write(f, kbuf, want);
        if (put < 0) return done ? (long)done : put;
        done += (size_t)put;
        if ((size_t)put < want) break;
    }
    return (long)done;
}

long sys_read(int fd, uaddr_t ubuf, size_t n) {
    struct file *f = fd_get(proc_current(), fd);
    if (!f) return -EBADF;
    long r = -EBADF;
    if (file_readable(f)) r = user_range(ubuf, n) ? read_to_user(f, ubuf, n) : -EFAULT;
    file_close(f);
    return r;
}

long sys_write(int fd, uaddr_t ubuf, size_t n) {
    struct file *f = fd_get(proc_current(), fd);
    if (!f) return -EBADF;
    long r = -EBADF;
    if (file_writable(f)) r = user_range(ubuf, n) ? write_from_user(f, ubuf, n) : -EFAULT;
    file_close(f);
    return r;
}

long sys_lseek(int fd, long offset, int whence) {
    struct file *f = fd_get(proc_current(), fd);
    if (!f) return -EBADF;
    long r = file_lseek(f, offset, whence);
    file_close(f);
    return r;
}

long sys_fstat(int fd, uaddr_t ust) {
    struct file *f = fd_get(proc_current(), fd);
    if (!f) return -EBADF;
    struct stat st;
    memset(&st, 0, sizeof st);         // no kernel stack bytes in the padding
    file_stat(f, &st);
    file_close(f);
    return copyout(ust, &st, sizeof st) < 0 ? -EFAULT : 0;
}

long sys_readdir(int fd, uaddr_t udirent) {
    struct file *f = fd_get(proc_current(), fd);
    if (!f) return -EBADF;
    struct dirent d;
    int r = file_readdir(f, &d);
    if (r == 1 && copyout(udirent, &d, sizeof d) < 0) r = -EFAULT;
    if (r == 1) file_readdir_next(f);  // only once the entry was delivered
    file_close(f);
    return r;
}

// ---- Descriptors ----

long sys_open(uaddr_t upath, int flags) {
    char path[MAXPATH];
    struct file *f;
    int r = open_flags_ok(flags);
    if (r == 0) r = path_in(path, upath);
    if (r == 0) {
        struct inode *dir = cwd_hold();
        r = file_open_path(dir, path, flags, &f);
        inode_put(dir);
    }
    if (r) return r;
    int fd = fd_install(proc_current(), f);
    if (fd < 0) file_close(f);
    return fd;
}

long sys_close(int fd) {
    return fd_close(proc_current(), fd);
}

long sys_dup(int fd) {
    struct proc *p = proc_current();
    struct file *f = fd_get(p, fd);
    if (!f) return -EBADF;
    int nfd = fd_install(p, f);        // the reference fd_get took becomes the new fd's
    if (nfd < 0) file_close(f);
    return nfd;
}

long sys_dup2(int oldfd, int newfd) {
    return fd_dup2(proc_current(), oldfd, newfd);
}

long sys_pipe(uaddr_t ufds) {
    struct proc *p = proc_current();
    struct file *rd, *wr;
    int r = file_open_pipe(&rd, &wr);
    if (r) return r;
    int fds[2] = { fd_install(p, rd), -1 };
    if (fds[0] >= 0) fds[1] = fd_install(p, wr);
    if (fds[1] < 0) {                  // out of descriptors: undo
        if (fds[0] >= 0) fd_close(p, fds[0]);
        else file_close(rd);
        file_close(wr);
        return -EMFILE;
    }
    if (copyout(ufds, fds, sizeof fds) < 0) {
        fd_close(p, fds[0]);
        fd_close(p, fds[1]);
        return -EFAULT;
    }
    return 0;
}

// ---- Names ----

// fs_mkdir or fs_unlink of a user path from the current directory.
static long name_op(uaddr_t upath, int (*op)(struct inode *, const char *)) {
    char path[MAXPATH];
    int r = path_in(path, upath);
    if (r) return r;
    struct inode *dir = cwd_hold();
    r = op(dir, path);
    inode_put(dir);
    return r;
}

long sys_mkdir(uaddr_t upath) {
    return name_op(upath, fs_mkdir);
}

long sys_unlink(uaddr_t upath) {
    return name_op(upath, fs_unlink);
}

long sys_chdir(uaddr_t upath) {
    char path[MAXPATH];
    struct inode *ip;
    int r = path_in(path, upath);
    if (r) return r;
    struct inode *dir = cwd_hold();
    r = fs_lookup(dir, path, &ip);
    inode_put(dir);
    if (r) return r;
    if (inode_type(ip) != FS_T_DIR) {
        inode_put(ip);
        return -ENOTDIR;
    }
    struct proc *p = proc_current();
    spin_lock(&p->lock);
    struct inode *old = p->cwd;
    p->cwd = ip;
    spin_unlock(&p->lock);
    if (old) inode_put(old);
    return 0;
}

// Returns the length of the path (without its NUL), which it copies out
// with the NUL; -ERANGE if it does not fit in n bytes.
long sys_getcwd(uaddr_t ubuf, size_t n) {
    char path[MAXPATH];
    struct inode *dir = cwd_hold();
    int len = fs_getcwd(dir, path, sizeof path);
    inode_put(dir);
    if (len < 0) return len;
    if ((size_t)len + 1 > n) return -ERANGE;
    return copyout(ubuf, path, (size_t)len + 1) < 0 ? -EFAULT : len;
}
