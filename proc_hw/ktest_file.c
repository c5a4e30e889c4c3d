// proc_hw/ktest_file.c: in-kernel tests of open files and descriptor
// tables (proc_hw/file.c) on a stand-in struct proc that never runs:
// offsets shared by dup and fork, access modes, O_APPEND and O_TRUNC,
// dup2, the descriptor limit, pipe ends, and that closing everything gives
// every inode, pipe and frame back.
#include "kern/kern.h"
#include "mm/mm.h"
#include "proc_hw/file.h"

static struct proc *fake_proc(void) {
    struct proc *p = kzalloc(sizeof *p);
    if (p) spin_init(&p->lock, "kt-proc");
    return p;
}

static int open_fd(struct proc *p, const char *path, int flags) {
    struct file *f;
    int r = file_open_path(NULL, path, flags, &f);
    if (r) return r;
    int fd = fd_install(p, f);
    if (fd < 0) file_close(f);
    return fd;
}

static long fd_write(struct proc *p, int fd, const char *s) {
    struct file *f = fd_get(p, fd);
    if (!f) return -EBADF;
    long r = file_writable(f) ? file_write(f, s, strlen(s)) : -EBADF;
    file_close(f);
    return r;
}

// Reads up to n - 1 bytes into buf as a string; the count or an error.
static long fd_read(struct proc *p, int fd, char *buf, size_t n) {
    struct file *f = fd_get(p, fd);
    if (!f) return -EBADF;
    long r = file_readable(f) ? file_read(f, buf, n - 1) : -EBADF;
    file_close(f);
    buf[r > 0 ? r : 0] = 0;
    return r;
}

static long fd_seek(struct proc *p, int fd, long off, int whence) {
    struct file *f = fd_get(p, fd);
    if (!f) return -EBADF;
    long r = file_lseek(f, off, whence);
    file_close(f);
    return r;
}

// ---- file_fd: offsets, modes, dup, dup2, fork ----

// Regression: dup (and fork) must share ONE offset, as in Unix, so that
// `(echo a; echo b) > f` writes "a\nb\n" and not "b\n" over "a\n".
static int check_shared_offset(struct proc *p, struct proc *child) {
    char buf[32];
    int fd = open_fd(p, "/kt-file", O_RDWR | O_CREAT | O_TRUNC);
    KT_CHECK(fd == 0);
    int fd2 = fd_dup2(p, fd, 5);
    KT_CHECK(fd2 == 5);
    KT_CHECK(fd_write(p, fd, "one ") == 4 && fd_write(p, fd2, "two ") == 4);
    files_fork(child, p);
    KT_CHECK(fd_write(child, fd, "three") == 5);
    KT_CHECK(fd_seek(p, fd2, 0, SEEK_CUR) == 13);
    KT_CHECK(fd_seek(p, fd, 0, SEEK_SET) == 0);
    KT_CHECK(fd_read(child, 5, buf, sizeof buf) == 13 && strcmp(buf, "one two three") == 0);
    KT_CHECK(fd_seek(p, fd, -5, SEEK_END) == 8 && fd_read(p, fd, buf, sizeof buf) == 5);
    KT_CHECK(fd_seek(p, fd, -1, SEEK_SET) == -EINVAL && fd_seek(p, fd, 0, 7) == -EINVAL);
    KT_CHECK(fd_seek(p, fd, __LONG_MAX__, SEEK_SET) == __LONG_MAX__);
    KT_CHECK(fd_seek(p, fd, 1, SEEK_CUR) == -EINVAL);       // would overflow
    return 0;
}

static int check_modes(struct proc *p) {
    char buf[32];
    int ro = open_fd(p, "/kt-file", O_RDONLY);
    KT_CHECK(ro >= 0 && fd_write(p, ro, "x") == -EBADF);
    int wo = open_fd(p, "/kt-file", O_WRONLY | O_APPEND);
    KT_CHECK(wo >= 0 && fd_read(p, wo, buf, sizeof buf) == -EBADF);
    KT_CHECK(fd_write(p, wo, "!") == 1);                     // at the end, not at 0
    KT_CHECK(fd_read(p, ro, buf, sizeof buf) == 14 && strcmp(buf, "one two three!") == 0);
    KT_CHECK(open_fd(p, "/kt-file", O_RDONLY | O_TRUNC) >= 0);   // read-only: no truncation
    KT_CHECK(open_fd(p, "/kt-file", O_WRONLY | O_TRUNC) >= 0);
    KT_CHECK(fd_seek(p, ro, 0, SEEK_END) == 0);
    KT_CHECK(open_fd(p, "/", O_RDWR) == -EISDIR);
    KT_CHECK(open_fd(p, "/kt-nope", O_RDONLY) == -ENOENT);
    KT_CHECK(fd_close(p, ro) == 0 && fd_close(p, ro) == -EBADF);
    KT_CHECK(fd_close(p, -1) == -EBADF && fd_close(p, NOFILE) == -EBADF);
    KT_CHECK(fd_dup2(p, ro, 3) == -EBADF && fd_dup2(p, 0, NOFILE) == -EBADF);
    return 0;
}

static int check_table_full(struct proc *p) {
    int fd;
    while ((fd = open_fd(p, "/kt-file", O_RDONLY)) >= 0)
        KT_CHECK(fd < NOFILE);
    KT_CHECK(fd == -EMFILE);
    for (int i = 0; i < NOFILE; i++) KT_CHECK(p->files[i] != NULL);
    return 0;
}

KTEST(file_fd) {
    kheap_trim();
    size_t frames = frame_free_count(), inodes = fs_inode_count();
    struct proc *p = fake_proc(), *child = fake_proc();
    KT_CHECK(p && child);
    KT_CHECK(check_shared_offset(p, child) == 0);
    KT_CHECK(check_modes(p) == 0);
    KT_CHECK(check_table_full(p) == 0);
    KT_CHECK(fs_unlink(NULL, "/kt-file") == 0);
    KT_CHECK(fs_inode_count() == inodes + 1);                 // still open
    files_close_all(p);
    files_close_all(child);
    KT_CHECK(fs_inode_count() == inodes);                     // the last close freed it
    kfree(p);
    kfree(child);
    kheap_trim();
    KT_CHECK(frame_free_count() == frames);
    return 0;
}

// ---- file_pipe: pipe ends through descriptors ----

KTEST(file_pipe) {
    kheap_trim();
    size_t frames = frame_free_count();
    struct proc *p = fake_proc();
    struct file *rd, *wr;
    char buf[16];
    KT_CHECK(p && file_open_pipe(&rd, &wr) == 0);
    int r = fd_install(p, rd), w = fd_install(p, wr);
    KT_CHECK(r == 0 && w == 1);
    KT_CHECK(!file_writable(rd) && !file_readable(wr));
    KT_CHECK(fd_seek(p, r, 0, SEEK_SET) == -ESPIPE);
    KT_CHECK(fd_write(p, w, "ping") == 4);
    struct stat st;
    file_stat(wr, &st);
    KT_CHECK(st.type == T_PIPE && st.size == 4);
    int w2 = fd_dup2(p, w, 7);
    KT_CHECK(w2 == 7 && fd_close(p, w) == 0);                // one writer left: no EOF yet
    KT_CHECK(fd_read(p, r, buf, sizeof buf) == 4 && strcmp(buf, "ping") == 0);
    KT_CHECK(fd_close(p, w2) == 0);
    KT_CHECK(fd_read(p, r, buf, sizeof buf) == 0);            // now end of file
    files_close_all(p);
    kfree(p);
    kheap_trim();
    KT_CHECK(frame_free_count() == frames);
    return 0;
}
