// proc_hw/file.c: open files (struct file) and the per-process descriptor
// tables that point at them.
//
//   p->files[fd] ──► struct file ──ops──► ramfs inode (kern/fs.c)
//   (fork, dup,       refs, off,          pipe end    (ipc/pipe.c)
//    dup2 share it)   flags               console     (proc_hw/devconsole.c)
//
// A descriptor holds one reference on its file; so does a syscall while it
// uses one (fd_get), so that another thread's close() in the middle of a
// read() cannot free the file under it. The last reference releases what
// the file stands for: an inode reference, a pipe end.
//
// Locks: p->lock guards the table, f->lock the file's refs and offset.
// Order: p->lock, then f->lock. Nothing that can block or take the fs or
// pipe locks runs under either: closing happens after the table lock is
// dropped.
#include "proc_hw/file.h"
#include "ipc/pipe.h"

// ---- The kinds of file ----

static uint64_t offset_of(struct file *f) {
    spin_lock(&f->lock);
    uint64_t off = f->off;
    spin_unlock(&f->lock);
    return off;
}

static void set_offset(struct file *f, uint64_t off) {
    spin_lock(&f->lock);
    f->off = off;
    spin_unlock(&f->lock);
}

static long inode_read(struct file *f, void *buf, size_t n) {
    uint64_t off = offset_of(f);
    long r = fs_read(f->ip, off, buf, n);
    if (r > 0) set_offset(f, off + (uint64_t)r);
    return r;
}

static long inode_write(struct file *f, const void *buf, size_t n) {
    uint64_t off;
    long r;
    if (f->flags & O_APPEND) {
        r = fs_append(f->ip, buf, n, &off);    // at the end, atomically
    } else {
        off = offset_of(f);
        r = fs_write(f->ip, off, buf, n);
        off += r > 0 ? (uint64_t)r : 0;
    }
    if (r >= 0) set_offset(f, off);
    return r;
}

static void inode_stat(struct file *f, struct stat *st) {
    struct fs_stat fst;
    fs_stat(f->ip, &fst);
    st->type = fst.type;
    st->nlink = fst.nlink;
    st->ino = fst.ino;
    st->size = fst.size;
}

static void inode_release(struct file *f) {
    inode_put(f->ip);
}

static const struct file_ops inode_ops = {
    .read = inode_read, .write = inode_write, .stat = inode_stat, .release = inode_release,
};

static long pipe_file_read(struct file *f, void *buf, size_t n) {
    return pipe_read(f->pipe, buf, n);
}

static long pipe_file_write(struct file *f, const void *buf, size_t n) {
    return pipe_write(f->pipe, buf, n);
}

static void pipe_file_stat(struct file *f, struct stat *st) {
    *st = (struct stat){ .type = T_PIPE, .nlink = 1, .size = pipe_bytes(f->pipe) };
}

static void pipe_file_release(struct file *f) {
    pipe_close(f->pipe, file_writable(f));
}

static const struct file_ops pipe_ops = {
    .read = pipe_file_read, .write = pipe_file_write, .stat = pipe_file_stat,
    .release = pipe_file_release, .stream = true,
};

static long cons_file_read(struct file *f, void *buf, size_t n) {
    (void)f;
    return devconsole_read(buf, n);
}

static long cons_file_write(struct file *f, const void *buf, size_t n) {
    (void)f;
    return devconsole_write(buf, n);
}

static void cons_file_stat(struct file *f, struct stat *st) {
    (void)f;
    *st = (struct stat){ .type = T_DEV, .nlink = 1 };
}

static void cons_file_release(struct file *f) {
    (void)f;
}

static const struct file_ops console_ops = {
    .read = cons_file_read, .write = cons_file_write, .stat = cons_file_stat,
    .release = cons_file_release, .stream = true,
};

// ---- Making, sharing and closing files ----

static struct file *file_alloc(const struct file_ops *ops, int flags) {
    struct file *f = kzalloc(sizeof *f);
    if (!f) return NULL;
    spin_init(&f->lock, "file");
    f->refs = 1;
    f->flags = flags;
    f->ops = ops;
    return f;
}

struct file *file_open_console(int flags) {
    return file_alloc(&console_ops, flags);
}

int file_open_pipe(struct file **rd, struct file **wr) {
    struct pipe *p = pipe_alloc();
    if (!p) return -ENOMEM;
    *rd = file_alloc(&pipe_ops, O_RDONLY);
    *wr = file_alloc(&pipe_ops, O_WRONLY);
    if (!*rd || !*wr) {
        kfree(*rd);
        kfree(*wr);
        pipe_close(p, false);
        pipe_close(p, true);
        return -ENOMEM;
    }
    (*rd)->pipe = (*wr)->pipe = p;
    return 0;
}

// The struct file for an inode just opened (whose reference it takes over).
static int file_for_inode(struct inode *ip, int flags, struct file **out) {
    struct fs_stat st;
    fs_stat(ip, &st);
    int r = 0;
    if (st.type == FS_T_DIR && (flags & O_ACCMODE) != O_RDONLY) r = -EISDIR;
    else if (st.type == FS_T_DEV) r = st.major == CONSOLE_MAJOR ? 0 : -EIO;
    else if (st.type == FS_T_FILE && (flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY)
        r = fs_truncate(ip, 0);
    if (r == 0) {
        *out = st.type == FS_T_DEV ? file_open_console(flags) : file_alloc(&inode_ops, flags);
        if (!*out) r = -ENOMEM;
    }
    if (r == 0 && st.type != FS_T_DEV) (*out)->ip = ip;
    else inode_put(ip);
    return r;
}

int file_open_path(struct inode *cwd, const char *path, int flags, struct file **out) {
    struct inode *ip;
    int r = fs_open(cwd, path, (flags & O_CREAT) != 0, &ip);
    return r ? r : file_for_inode(ip, flags, out);
}

struct file *file_dup(struct file *f) {
    spin_lock(&f->lock);
    f->refs++;
    spin_unlock(&f->lock);
    return f;
}

void file_close(struct file *f) {
    spin_lock(&f->lock);
    KASSERT(f->refs > 0);
    bool last = --f->refs == 0;
    spin_unlock(&f->lock);
    if (!last) return;
    f->ops->release(f);
    kfree(f);
}

bool file_readable(const struct file *f) {
    return (f->flags & O_ACCMODE) != O_WRONLY;
}

bool file_writable(const struct file *f) {
    return (f->flags & O_ACCMODE) != O_RDONLY;
}

// ---- Operations ----

long file_read(struct file *f, void *buf, size_t n) {
    return f->ops->read(f, buf, n);
}

long file_write(struct file *f, const void *buf, size_t n) {
    return f->ops->write(f, buf, n);
}

// The offset 'whence' counts from.
static int seek_base(struct file *f, int whence, uint64_t *base) {
    switch (whence) {
    case SEEK_SET: *base = 0; return 0;
    case SEEK_CUR: *base = offset_of(f); return 0;
    case SEEK_END: *base = inode_size(f->ip); return 0;
    default: return -EINVAL;
    }
}

long file_lseek(struct file *f, long offset, int whence) {
    if (f->ops->stream) return -ESPIPE;
    uint64_t base;
    int r = seek_base(f, whence, &base);
    if (r) return r;
    // Offsets stay in [0, LONG_MAX], so the result always fits the return value.
    if (base > (uint64_t)__LONG_MAX__ || (offset > 0 && (long)base > __LONG_MAX__ - offset))
        return -EINVAL;
    long target = (long)base + offset;
    if (target < 0) return -EINVAL;
    set_offset(f, (uint64_t)target);
    return target;
}

void file_stat(struct file *f, struct stat *st) {
    f->ops->stat(f, st);
}

int file_readdir(struct file *f, struct dirent *d) {
    if (!f->ip || inode_type(f->ip) != FS_T_DIR) return -ENOTDIR;
    struct fs_dirent fde;
    int r = fs_readdir(f->ip, offset_of(f), &fde);
    if (r == 1) {
        memset(d, 0, sizeof *d);
        d->ino = fde.ino;
        d->type = fde.type;
        strlcpy(d->name, fde.name, sizeof d->name);
    }
    return r;
}

void file_readdir_next(struct file *f) {
    spin_lock(&f->lock);
    f->off++;
    spin_unlock(&f->lock);
}

// ---- Descriptor tables ----

static bool fd_valid(int fd) {
    return fd >= 0 && fd < NOFILE;
}

int fd_install(struct proc *p, struct file *f) {
    int fd = -EMFILE;
    spin_lock(&p->lock);
    for (int i = 0; i < NOFILE; i++) {
        if (p->files[i]) continue;
        p->files[i] = f;
        fd = i;
        break;
    }
    spin_unlock(&p->lock);
    return fd;
}

struct file *fd_get(struct proc *p, int fd) {
    if (!p || !fd_valid(fd)) return NULL;
    spin_lock(&p->lock);
    struct file *f = p->files[fd];
    if (f) file_dup(f);
    spin_unlock(&p->lock);
    return f;
}

int fd_close(struct proc *p, int fd) {
    if (!fd_valid(fd)) return -EBADF;
    spin_lock(&p->lock);
    struct file *f = p->files[fd];
    p->files[fd] = NULL;
    spin_unlock(&p->lock);
    if (!f) return -EBADF;
    file_close(f);
    return 0;
}

int fd_dup2(struct proc *p, int oldfd, int newfd) {
    if (!fd_valid(oldfd) || !fd_valid(newfd)) return -EBADF;
    spin_lock(&p->lock);
    struct file *f = p->files[oldfd], *replaced = NULL;
    if (f && oldfd != newfd) {
        replaced = p->files[newfd];
        p->files[newfd] = file_dup(f);
    }
    spin_unlock(&p->lock);
    if (replaced) file_close(replaced);
    return f ? newfd : -EBADF;
}

// ---- For the process life cycle (declared in proc_hw/proc.h) ----

// Also makes /dev/console, so a program can open the console by name.
void files_init_console(struct proc *p) {
    fs_mkdir(NULL, "/dev");
    fs_mknod(NULL, "/dev/console", CONSOLE_MAJOR);   // -EEXIST after the first time
    struct file *f = file_open_console(O_RDWR);
    if (!f) {
        kprintf("files: no memory for the console of pid %d\n", p->pid);
        return;
    }
    for (int fd = 0; fd < 3; fd++) {
        struct file *ref = file_dup(f);
        if (fd_install(p, ref) < 0) file_close(ref);
    }
    file_close(f);                                   // the descriptors hold it now
}

void files_fork(struct proc *child, struct proc *parent) {
    spin_lock(&parent->lock);
    for (int i = 0; i < NOFILE; i++)
        child->files[i] = parent->files[i] ? file_dup(parent->files[i]) : NULL;
    spin_unlock(&parent->lock);
}

void files_close_all(struct proc *p) {
    for (int fd = 0; fd < NOFILE; fd++)
        fd_close(p, fd);
}
