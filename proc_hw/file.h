// proc_hw/file.h: open files and descriptor tables (proc_hw/file.c), the
// console device (proc_hw/devconsole.c). A struct file is one open: an
// offset, an access mode and a kind (ramfs inode, pipe end, console);
// descriptors (fork, dup, dup2) share it through its reference count.
//
// Everything here works on KERNEL buffers: the syscall handlers
// (proc_hw/sys_file.c) copy to and from user memory in chunks.
#pragma once
#include "proc_hw/proc.h"
#include "kern/fs.h"

struct pipe;
struct file;

// What a kind of file does. read/write get kernel buffers of at most one
// chunk; 'stream' files (pipes, the console) return what they have now
// instead of filling the buffer, so a read does one transfer and no more.
struct file_ops {
    long (*read)(struct file *f, void *buf, size_t n);
    long (*write)(struct file *f, const void *buf, size_t n);
    void (*stat)(struct file *f, struct stat *st);
    void (*release)(struct file *f);           // the last close
    bool stream;                               // no offset: lseek gives -ESPIPE
};

struct file {
    struct spinlock lock;                      // refs and off
    int refs;
    int flags;                                 // the open flags: access mode, O_APPEND
    uint64_t off;                              // files: byte offset; directories: entry index
    const struct file_ops *ops;
    struct inode *ip;                          // ramfs files and directories
    struct pipe *pipe;                         // pipe ends
};

// ---- Open files ----
// Opens path (from cwd) with open(2)'s flags: O_CREAT, O_TRUNC, the access
// mode (directories read-only: -EISDIR). 0 and *out, or a negative errno.
int file_open_path(struct inode *cwd, const char *path, int flags, struct file **out);
struct file *file_open_console(int flags);     // NULL if out of memory
int file_open_pipe(struct file **rd, struct file **wr);   // -ENOMEM
struct file *file_dup(struct file *f);         // one more reference; returns f
void file_close(struct file *f);               // drop one; the last releases the object
bool file_readable(const struct file *f);
bool file_writable(const struct file *f);
long file_read(struct file *f, void *buf, size_t n);       // advances the offset
long file_write(struct file *f, const void *buf, size_t n);
long file_lseek(struct file *f, long offset, int whence);  // new offset, -ESPIPE, -EINVAL
void file_stat(struct file *f, struct stat *st);
// The directory entry at the offset into *d: 1, or 0 past the last entry,
// or -ENOTDIR. file_readdir_next moves the offset on once *d was delivered.
int file_readdir(struct file *f, struct dirent *d);
void file_readdir_next(struct file *f);

// ---- Descriptor tables (struct proc's files[], under p->lock) ----
int fd_install(struct proc *p, struct file *f);            // lowest free fd (takes f's reference), -EMFILE
struct file *fd_get(struct proc *p, int fd);               // a new reference, NULL if fd is not open
int fd_close(struct proc *p, int fd);                      // 0, -EBADF
int fd_dup2(struct proc *p, int oldfd, int newfd);         // newfd, -EBADF

// ---- The console device (proc_hw/devconsole.c) ----
#define CONSOLE_MAJOR 1                        // device nodes with this major are the console
// Cooked input: one line per read (echoed, with backspace); Ctrl-D at the
// start of a line is end of file (0). -EINTR if the process was killed.
long devconsole_read(void *buf, size_t n);
long devconsole_write(const void *buf, size_t n);
