// kern/fs.c: the in-memory file system (see kern/fs.h for the interface).
//
// The tree: every inode but the root has exactly one name, kept in the
// inode itself with a pointer to its parent directory; a directory's
// children are a list sorted by name (so `ls` is ordered with no sorting
// in user space). No hard links, so "linked" (nlink 1) and "named by a
// directory entry" are the same thing.
//
// Lifetime: nlink counts the tree's hold, refs everyone else's (open
// files, current directories, lookups in progress). An inode is freed
// when both are zero, so a file unlinked while open stays readable until
// its last close.
//
// File data: up to FS_FILE_MAX bytes in FS_BLOCK_SIZE frames, reached
// through FS_INDEX_PAGES index pages of block pointers. A missing block is
// a hole and reads as zeros. Invariant: every byte of a block past the
// file's size is zero (fresh frames are zeroed, shrinking zeroes the tail),
// so growing a file never exposes old data.
//
// Locking: one spinlock over the whole tree. Every operation is memory
// only and never blocks, and no operation holds the lock for more than
// one block's copy (fs_append: one caller-chunked write), so a sleeping
// lock would buy nothing but complexity.
#include "kern/kern.h"
#include "kern/fs.h"
#include "kern/initrd.h"
#include "mm/mm.h"

#define PTRS_PER_INDEX (FS_BLOCK_SIZE / sizeof(void *))
#define FS_MAX_BLOCKS  (FS_FILE_MAX / FS_BLOCK_SIZE)
#define FS_INDEX_PAGES (FS_MAX_BLOCKS / PTRS_PER_INDEX)
// Files may not eat all memory: a full file system must leave the kernel
// room to run programs (and to delete files). Inodes are capped likewise.
#define FS_FRAMES_SHARE 2              // at most 1/2 of all frames hold file data
#define FS_MAX_INODES   16384

struct inode {
    int type;                          // FS_T_*
    int major;                         // FS_T_DEV only
    uint64_t ino;
    int refs;                          // references outside the tree
    int nlink;                         // 1 while named in a directory
    uint64_t size;                     // bytes (files), entries (directories)
    char name[FS_NAME_MAX + 1];        // its name in the parent directory
    struct inode *parent;              // NULL once unlinked; the root's is itself
    struct inode *children;            // directories: sorted by name
    struct inode *sibling;             // next entry of the parent directory
    void **index[FS_INDEX_PAGES];      // files: pages of block pointers
    uint64_t version;                  // files: bumped by every change of the contents
};

static struct spinlock fs_lock = SPINLOCK_INIT("fs");
static struct inode root = {
    .type = FS_T_DIR, .ino = 1, .refs = 1, .nlink = 1, .name = "/", .parent = &root,
};
static uint64_t next_ino = 2;
static size_t frames_used, ninodes = 1, nfiles, ndirs;

// ---- Frames for data and index pages (caller holds fs_lock) ----

static void *fs_frame_alloc(void) {
    if (frames_used >= frame_total_count() / FS_FRAMES_SHARE) return NULL;
    uint64_t pa = frame_alloc();
    if (!pa) return NULL;
    frames_used++;
    return phys_to_virt(pa);
}

static void fs_frame_free(void *va) {
    frame_free(virt_to_phys(va));
    frames_used--;
}

// ---- File blocks (caller holds fs_lock) ----

// The data block with number bno, allocated (with its index page) when
// 'create' is set. NULL: a hole, or out of memory when creating.
static uint8_t *file_block(struct inode *ip, size_t bno, bool create) {
    void ***index = &ip->index[bno / PTRS_PER_INDEX];
    if (!*index) {
        if (!create) return NULL;
        *index = fs_frame_alloc();
        if (!*index) return NULL;
    }
    void **slot = &(*index)[bno % PTRS_PER_INDEX];
    if (!*slot && create) *slot = fs_frame_alloc();
    return *slot;
}

// Frees the blocks numbered 'first' and up, and index pages left with none.
static void file_free_blocks_from(struct inode *ip, size_t first) {
    for (size_t i = 0; i < FS_INDEX_PAGES; i++) {
        void **index = ip->index[i];
        if (!index) continue;
        size_t base = i * PTRS_PER_INDEX;
        for (size_t j = 0; j < PTRS_PER_INDEX; j++) {
            if (base + j < first || !index[j]) continue;
            fs_frame_free(index[j]);
            index[j] = NULL;
        }
        if (base >= first) {
            fs_frame_free(index);
            ip->index[i] = NULL;
        }
    }
}

// Keeps the invariant "bytes past the size are zero" after a shrink.
static void file_zero_tail(struct inode *ip, uint64_t size) {
    size_t in_block = size % FS_BLOCK_SIZE;
    uint8_t *blk = in_block ? file_block(ip, size / FS_BLOCK_SIZE, false) : NULL;
    if (blk) memset(blk + in_block, 0, FS_BLOCK_SIZE - in_block);
}

// Copies what lies in pos's block (at most n bytes); 0 at the end of the file.
static size_t read_block_part(struct inode *ip, uint64_t pos, uint8_t *dst, size_t n) {
    if (pos >= ip->size) return 0;
    n = MIN(n, MIN(ip->size - pos, FS_BLOCK_SIZE - pos % FS_BLOCK_SIZE));
    uint8_t *blk = file_block(ip, pos / FS_BLOCK_SIZE, false);
    if (blk) memcpy(dst, blk + pos % FS_BLOCK_SIZE, n);
    else memset(dst, 0, n);
    return n;
}

// Stores into pos's block (at most n bytes); 0 when memory ran out.
static size_t write_block_part(struct inode *ip, uint64_t pos, const uint8_t *src, size_t n) {
    n = MIN(n, FS_BLOCK_SIZE - pos % FS_BLOCK_SIZE);
    uint8_t *blk = file_block(ip, pos / FS_BLOCK_SIZE, true);
    if (!blk) return 0;
    memcpy(blk + pos % FS_BLOCK_SIZE, src, n);
    ip->version++;
    if (pos + n > ip->size) ip->size = pos + n;
    return n;
}

// ---- Inodes (caller holds fs_lock) ----

static struct inode *inode_new(int type, int major, const char *name) {
    if (ninodes >= FS_MAX_INODES) return NULL;
    struct inode *ip = kzalloc(sizeof *ip);
    if (!ip) return NULL;
    ip->type = type;
    ip->major = major;
    ip->ino = next_ino++;
    ip->nlink = 1;
    strlcpy(ip->name, name, sizeof ip->name);
    ninodes++;
    if (type == FS_T_FILE) nfiles++;
    if (type == FS_T_DIR) ndirs++;
    return ip;
}

static void inode_free(struct inode *ip) {
    KASSERT(ip != &root && ip->refs == 0 && ip->nlink == 0 && !ip->children);
    file_free_blocks_from(ip, 0);
    ninodes--;
    if (ip->type == FS_T_FILE) nfiles--;
    if (ip->type == FS_T_DIR) ndirs--;
    kfree(ip);
}

struct inode *fs_root(void) {
    return inode_dup(&root);
}

struct inode *inode_dup(struct inode *ip) {
    spin_lock(&fs_lock);
    ip->refs++;
    spin_unlock(&fs_lock);
    return ip;
}

void inode_put(struct inode *ip) {
    spin_lock(&fs_lock);
    KASSERT(ip->refs > 0);
    if (--ip->refs == 0 && ip->nlink == 0) inode_free(ip);
    spin_unlock(&fs_lock);
}

// ---- Directories (caller holds fs_lock) ----

static struct inode *dir_find(struct inode *dir, const char *name) {
    for (struct inode *c = dir->children; c; c = c->sibling)
        if (strcmp(c->name, name) == 0) return c;
    return NULL;
}

static void dir_insert(struct inode *dir, struct inode *child) {
    struct inode **pp = &dir->children;
    while (*pp && strcmp((*pp)->name, child->name) < 0) pp = &(*pp)->sibling;
    child->sibling = *pp;
    *pp = child;
    child->parent = dir;
    dir->size++;
}

static void dir_remove(struct inode *dir, struct inode *child) {
    struct inode **pp = &dir->children;
    while (*pp != child) pp = &(*pp)->sibling;
    *pp = child->sibling;
    child->sibling = NULL;
    child->parent = NULL;
    child->nlink = 0;
    dir->size--;
}

// ---- Paths (caller holds fs_lock) ----

static bool is_dot_or_dotdot(const char *name) {
    return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

// Length of s, or 'max' if no NUL comes first.
static size_t bounded_len(const char *s, size_t max) {
    size_t n = 0;
    while (n < max && s[n]) n++;
    return n;
}

// Copies the component at *p into name and moves *p past it and the
// slashes after it. Its length, 0 when none is left, or FS_ENAMETOOLONG.
static int next_component(const char **p, char name[FS_NAME_MAX + 1]) {
    const char *s = *p;
    while (*s == '/') s++;
    const char *start = s;
    while (*s && *s != '/') s++;
    size_t len = (size_t)(s - start);
    if (len > FS_NAME_MAX) return -FS_ENAMETOOLONG;
    memcpy(name, start, len);
    name[len] = 0;
    while (*s == '/') s++;
    *p = s;
    return (int)len;
}

// Moves *cur from a directory to its entry 'name'.
static int step(struct inode **cur, const char *name) {
    struct inode *d = *cur;
    if (d->type != FS_T_DIR) return -FS_ENOTDIR;
    if (strcmp(name, ".") == 0) return 0;
    if (strcmp(name, "..") == 0) {
        if (!d->parent) return -FS_ENOENT;      // an unlinked directory has no parent
        *cur = d->parent;
        return 0;
    }
    struct inode *c = dir_find(d, name);
    if (!c) return -FS_ENOENT;
    *cur = c;
    return 0;
}

// A path cut into its directory (resolved) and its last component. 'last'
// is "" when the path names the root ("/", "//"). No references taken.
struct walk {
    struct inode *dir;
    char last[FS_NAME_MAX + 1];
    bool trailing_slash;               // "a/": a must be a directory
};

static int walk_parent(struct inode *cwd, const char *path, struct walk *w) {
    size_t len = bounded_len(path, FS_MAXPATH);
    if (len == FS_MAXPATH) return -FS_ENAMETOOLONG;
    if (len == 0) return -FS_ENOENT;
    w->trailing_slash = path[len - 1] == '/';
    struct inode *dir = (path[0] == '/' || !cwd) ? &root : cwd;
    for (const char *p = path;;) {
        int r = next_component(&p, w->last);
        if (r < 0) return r;
        if (r == 0 || *p == 0) break;
        if ((r = step(&dir, w->last)) != 0) return r;
    }
    if (dir->type != FS_T_DIR) return -FS_ENOTDIR;
    w->dir = dir;
    return 0;
}

static int walk_full(struct inode *cwd, const char *path, struct inode **out) {
    struct walk w;
    int r = walk_parent(cwd, path, &w);
    if (r) return r;
    struct inode *ip = w.dir;
    if (w.last[0] && (r = step(&ip, w.last)) != 0) return r;
    if (w.trailing_slash && ip->type != FS_T_DIR) return -FS_ENOTDIR;
    *out = ip;
    return 0;
}

// A new entry w->last in w->dir.
static int create_at(struct walk *w, int type, int major, struct inode **out) {
    if (!w->last[0] || is_dot_or_dotdot(w->last) || dir_find(w->dir, w->last))
        return -FS_EEXIST;
    if (w->dir->nlink == 0) return -FS_ENOENT;  // no new entries in a removed directory
    if (w->trailing_slash && type != FS_T_DIR) return -FS_EISDIR;
    struct inode *ip = inode_new(type, major, w->last);
    if (!ip) return -FS_ENOSPC;
    dir_insert(w->dir, ip);
    *out = ip;
    return 0;
}

// ---- Names ----

int fs_lookup(struct inode *cwd, const char *path, struct inode **out) {
    spin_lock(&fs_lock);
    int r = walk_full(cwd, path, out);
    if (r == 0) (*out)->refs++;
    spin_unlock(&fs_lock);
    return r;
}

int fs_open(struct inode *cwd, const char *path, bool create, struct inode **out) {
    struct walk w;
    spin_lock(&fs_lock);
    int r = walk_full(cwd, path, out);
    if (r == -FS_ENOENT && create && walk_parent(cwd, path, &w) == 0)
        r = create_at(&w, FS_T_FILE, 0, out);
    if (r == 0) (*out)->refs++;
    spin_unlock(&fs_lock);
    return r;
}

static int make_node(struct inode *cwd, const char *path, int type, int major) {
    struct walk w;
    struct inode *ip;
    spin_lock(&fs_lock);
    int r = walk_parent(cwd, path, &w);
    if (r == 0) r = create_at(&w, type, major, &ip);
    spin_unlock(&fs_lock);
    return r;
}

int fs_mkdir(struct inode *cwd, const char *path) {
    return make_node(cwd, path, FS_T_DIR, 0);
}

int fs_mknod(struct inode *cwd, const char *path, int major) {
    return make_node(cwd, path, FS_T_DEV, major);
}

// Why 'w' may not lose its last component, or 0.
static int unlink_refusal(struct walk *w, struct inode *ip) {
    if (!w->last[0]) return -FS_EBUSY;            // the root
    if (is_dot_or_dotdot(w->last)) return -FS_EINVAL;
    if (!ip) return -FS_ENOENT;
    if (w->trailing_slash && ip->type != FS_T_DIR) return -FS_ENOTDIR;
    if (ip->type == FS_T_DIR && ip->children) return -FS_ENOTEMPTY;
    return 0;
}

int fs_unlink(struct inode *cwd, const char *path) {
    struct walk w;
    spin_lock(&fs_lock);
    int r = walk_parent(cwd, path, &w);
    struct inode *ip = r == 0 && w.last[0] ? dir_find(w.dir, w.last) : NULL;
    if (r == 0) r = unlink_refusal(&w, ip);
    if (r == 0) {
        dir_remove(w.dir, ip);
        if (ip->refs == 0) inode_free(ip);
    }
    spin_unlock(&fs_lock);
    return r;
}

// ---- Contents ----

// Block by block, so the lock is never held for a long copy.
long fs_read(struct inode *ip, uint64_t off, void *buf, size_t n) {
    if (ip->type == FS_T_DIR) return -FS_EISDIR;
    size_t done = 0;
    while (done < n) {
        spin_lock(&fs_lock);
        size_t got = read_block_part(ip, off + done, (uint8_t *)buf + done, n - done);
        spin_unlock(&fs_lock);
        if (!got) break;
        done += got;
    }
    return (long)done;
}

static int writable_type(struct inode *ip) {
    if (ip->type == FS_T_DIR) return -FS_EISDIR;
    return ip->type == FS_T_FILE ? 0 : -FS_EINVAL;
}

long fs_write(struct inode *ip, uint64_t off, const void *buf, size_t n) {
    int r = writable_type(ip);
    if (r) return r;
    if (n == 0) return 0;
    if (off >= FS_FILE_MAX) return -FS_EFBIG;
    n = MIN(n, FS_FILE_MAX - off);
    size_t done = 0;
    while (done < n) {
        spin_lock(&fs_lock);
        size_t put = write_block_part(ip, off + done, (const uint8_t *)buf + done, n - done);
        spin_unlock(&fs_lock);
        if (!put) break;
        done += put;
    }
    return done ? (long)done : -FS_ENOSPC;
}

long fs_append(struct inode *ip, const void *buf, size_t n, uint64_t *end) {
    int r = writable_type(ip);
    if (r) return r;
    spin_lock(&fs_lock);
    uint64_t off = ip->size;
    long result = off >= FS_FILE_MAX ? -FS_EFBIG : 0;
    n = result ? 0 : MIN(n, FS_FILE_MAX - off);
    size_t done = 0, put = 1;
    while (done < n && put) {
        put = write_block_part(ip, off + done, (const uint8_t *)buf + done, n - done);
        done += put;
    }
    if (n && !done) result = -FS_ENOSPC;
    *end = ip->size;
    spin_unlock(&fs_lock);
    return result ? result : (long)done;
}

int fs_truncate(struct inode *ip, uint64_t size) {
    int r = writable_type(ip);
    if (r) return r;
    if (size > FS_FILE_MAX) return -FS_EFBIG;
    spin_lock(&fs_lock);
    if (size < ip->size) {
        file_free_blocks_from(ip, ALIGN_UP(size, FS_BLOCK_SIZE) / FS_BLOCK_SIZE);
        file_zero_tail(ip, size);
    }
    ip->size = size;
    ip->version++;
    spin_unlock(&fs_lock);
    return 0;
}

int fs_readdir(struct inode *dir, uint64_t index, struct fs_dirent *out) {
    if (dir->type != FS_T_DIR) return -FS_ENOTDIR;
    spin_lock(&fs_lock);
    struct inode *c = dir->children;
    for (uint64_t i = 0; c && i < index; i++) c = c->sibling;
    if (c) {
        out->ino = c->ino;
        out->type = c->type;
        strlcpy(out->name, c->name, sizeof out->name);
    }
    spin_unlock(&fs_lock);
    return c ? 1 : 0;
}

void fs_stat(struct inode *ip, struct fs_stat *st) {
    spin_lock(&fs_lock);
    st->type = ip->type;
    st->nlink = ip->nlink;
    st->ino = ip->ino;
    st->size = ip->size;
    st->major = ip->major;
    spin_unlock(&fs_lock);
}

uint64_t inode_size(struct inode *ip) {
    spin_lock(&fs_lock);
    uint64_t size = ip->size;
    spin_unlock(&fs_lock);
    return size;
}

// Which contents a file has: (ino, version) names them for good, since
// inode numbers are never reused. exec shares a program's read-only
// segments between processes that loaded the same contents (proc_hw/exec.c).
void inode_version(struct inode *ip, uint64_t *ino, uint64_t *version) {
    spin_lock(&fs_lock);
    *ino = ip->ino;
    *version = ip->version;
    spin_unlock(&fs_lock);
}

int inode_type(struct inode *ip) {
    return ip->type;                   // never changes: no lock needed
}

// Built from the end of buf towards its start, walking up the parents.
static int path_of(struct inode *d, char *buf, size_t n) {
    if (d->type != FS_T_DIR) return -FS_ENOTDIR;
    if (n < 2) return -FS_ERANGE;
    size_t pos = n - 1;
    buf[pos] = 0;
    for (; d != &root; d = d->parent) {
        if (d->nlink == 0) return -FS_ENOENT;
        size_t len = strlen(d->name);
        if (pos < len + 1) return -FS_ERANGE;
        pos -= len;
        memcpy(buf + pos, d->name, len);
        buf[--pos] = '/';
    }
    if (pos == n - 1) buf[--pos] = '/';
    memmove(buf, buf + pos, n - pos);
    return (int)(n - 1 - pos);
}

int fs_getcwd(struct inode *dir, char *buf, size_t n) {
    spin_lock(&fs_lock);
    int r = path_of(dir, buf, n);
    spin_unlock(&fs_lock);
    return r;
}

size_t fs_frames_used(void) {
    return frames_used;
}

size_t fs_inode_count(void) {
    return ninodes;
}

// ---- Seeding from the initrd ----

// mkdir -p of every directory above the file at path (relative to "/").
static int make_parents(char *path) {
    for (char *s = path + 1; *s; s++) {
        if (*s != '/' || s[-1] == '/') continue;
        *s = 0;
        int r = fs_mkdir(NULL, path);
        *s = '/';
        if (r && r != -FS_EEXIST) return r;
    }
    return 0;
}

static int store_file(const char *path, const void *data, size_t size) {
    struct inode *ip;
    int r = fs_open(NULL, path, true, &ip);
    if (r) return r;
    r = fs_truncate(ip, 0);             // a later archive entry of the same path wins
    long w = r ? 0 : fs_write(ip, 0, data, size);
    if (!r && w != (long)size) r = w < 0 ? (int)w : -FS_ENOSPC;
    inode_put(ip);
    return r;
}

static void seed_file(const struct initrd_file *f) {
    char path[FS_MAXPATH];
    int r = -FS_ENAMETOOLONG;
    if (f->name_len > 0 && f->name_len < sizeof path) {
        memcpy(path, f->name, f->name_len);
        path[f->name_len] = 0;
        r = make_parents(path);
        if (r == 0) r = store_file(path, f->data, f->size);
    }
    if (r) kprintf("fs: %.*s: not stored (error %d)\n", (int)f->name_len, f->name, -r);
}

void fs_init_from_initrd(const struct initrd *rd) {
    struct initrd_file f;
    size_t cursor = 0;
    while (rd && initrd_next(rd, &cursor, &f))
        seed_file(&f);
    kprintf("fs: %zu files, %zu directories\n", nfiles, ndirs);
}
