// kern/fs.h: the in-memory file system (ramfs), shared by both kernels: a
// tree of inodes (files, directories, device nodes) seeded from the initrd,
// read-write, with file data in page-sized blocks. Nothing here knows about
// processes or user memory: callers pass kernel buffers, a starting
// directory for relative paths, and hold references on the inodes they keep.
//
// Errors are negative FS_E* values. They have the numbers of the hw ABI's
// errno values (syscall/hw_abi.h), so the hw syscalls pass them through
// unchanged; proc_hw/sys_file.c checks the match at compile time.
#pragma once
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

// ---- Limits (the same values as MAXPATH and NAME_MAX in syscall/hw_abi.h) ----
#define FS_MAXPATH    256                // a path, with its NUL
#define FS_NAME_MAX   59                 // one path component, without its NUL
#define FS_BLOCK_SIZE 4096               // file data lives in frames of this size
#define FS_FILE_MAX   (16u << 20)        // bytes per file: a write past it gets FS_EFBIG

// ---- Errors (negated on return) ----
#define FS_ENOENT        2
#define FS_EBUSY        16
#define FS_EEXIST       17
#define FS_ENOTDIR      20
#define FS_EISDIR       21
#define FS_EINVAL       22
#define FS_EFBIG        27
#define FS_ENOSPC       28
#define FS_ERANGE       34
#define FS_ENAMETOOLONG 36
#define FS_ENOTEMPTY    39

// ---- Inode types (the same values as T_FILE, T_DIR, T_DEV in syscall/hw_abi.h) ----
#define FS_T_FILE 1
#define FS_T_DIR  2
#define FS_T_DEV  3                      // a device node: the variant maps 'major' to a driver

struct inode;                            // opaque: only kern/fs.c looks inside
struct initrd;

struct fs_stat {
    int type;                            // FS_T_*
    int nlink;                           // 1 while in the tree, 0 once unlinked
    uint64_t ino;
    uint64_t size;                       // bytes (files), entries (directories)
    int major;                           // device nodes only
};

struct fs_dirent {
    uint64_t ino;
    int type;
    char name[FS_NAME_MAX + 1];
};

// Seeds the tree from the boot initrd (NULL: an empty root) and prints
// "fs: N files, M directories". Call once, at boot.
void fs_init_from_initrd(const struct initrd *rd);

// ---- References: every inode pointer a caller keeps holds one ----
struct inode *fs_root(void);                     // a new reference to "/"
struct inode *inode_dup(struct inode *ip);       // one more reference; returns ip
void inode_put(struct inode *ip);                // drop one; the last one of an unlinked inode frees it

// ---- Names. Relative paths start at 'cwd' (NULL means "/"). ----
// Each returns 0 and a new reference in *out, or a negative FS_E*.
int fs_lookup(struct inode *cwd, const char *path, struct inode **out);
// The file at path, created empty if absent and 'create' is set.
int fs_open(struct inode *cwd, const char *path, bool create, struct inode **out);
int fs_mkdir(struct inode *cwd, const char *path);
int fs_mknod(struct inode *cwd, const char *path, int major);   // FS_EEXIST if present
// Removes a name. A directory only when empty; an inode still referenced
// (open, or someone's cwd) lives on, nameless, until its last inode_put.
int fs_unlink(struct inode *cwd, const char *path);

// ---- Contents ----
// Bytes read (0 at or past the end), or FS_EISDIR for a directory.
long fs_read(struct inode *ip, uint64_t off, void *buf, size_t n);
// Bytes written (short at FS_FILE_MAX or when memory runs out), FS_EFBIG
// when off is at or past FS_FILE_MAX, FS_ENOSPC when nothing could be stored.
long fs_write(struct inode *ip, uint64_t off, const void *buf, size_t n);
// The same at the end of the file, atomically (O_APPEND); *end gets the new size.
long fs_append(struct inode *ip, const void *buf, size_t n, uint64_t *end);
int fs_truncate(struct inode *ip, uint64_t size);   // shrink frees blocks; growth reads as zeros
// Entry number 'index' of a directory: 1 and *out, 0 past the end, FS_ENOTDIR.
int fs_readdir(struct inode *dir, uint64_t index, struct fs_dirent *out);
void fs_stat(struct inode *ip, struct fs_stat *st);
uint64_t inode_size(struct inode *ip);
int inode_type(struct inode *ip);
void inode_version(struct inode *ip, uint64_t *ino, uint64_t *version);   // names its contents
// The absolute path of a directory into buf: its length, FS_ERANGE if buf
// is too small, FS_ENOENT if the directory was unlinked, FS_ENOTDIR.
int fs_getcwd(struct inode *dir, char *buf, size_t n);

// ---- Accounting (leak checks, ps-like tools) ----
size_t fs_frames_used(void);             // data blocks and block-index pages held now
size_t fs_inode_count(void);             // inodes alive, root included
