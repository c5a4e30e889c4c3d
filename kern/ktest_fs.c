// kern/ktest_fs.c: in-kernel tests of the ramfs (kern/fs.c). Each test
// works under its own top directory and removes everything it made, so
// the tests run in any order, after the initrd's files, and leave the
// tree (and the free-frame count) as they found it.
#include "kern/kern.h"
#include "kern/fs.h"
#include "mm/mm.h"

static long write_str(struct inode *ip, uint64_t off, const char *s) {
    return fs_write(ip, off, s, strlen(s));
}

// Creates (or truncates) the file at path with the given text.
static int put_file(const char *path, const char *text) {
    struct inode *ip;
    int r = fs_open(NULL, path, true, &ip);
    if (r) return r;
    r = fs_truncate(ip, 0);
    if (r == 0 && write_str(ip, 0, text) != (long)strlen(text)) r = -1;
    inode_put(ip);
    return r;
}

// True if the file at path (from cwd) holds exactly 'text'.
static bool file_is(struct inode *cwd, const char *path, const char *text) {
    struct inode *ip;
    char buf[128];
    if (fs_lookup(cwd, path, &ip) != 0) return false;
    long n = fs_read(ip, 0, buf, sizeof buf - 1);
    inode_put(ip);
    if (n < 0) return false;
    buf[n] = 0;
    return strcmp(buf, text) == 0;
}

static int lookup_err(struct inode *cwd, const char *path) {
    struct inode *ip;
    int r = fs_lookup(cwd, path, &ip);
    if (r == 0) inode_put(ip);
    return r;
}

// ---- fs_basic: create, write, read, mkdir, readdir, unlink ----

static int check_readdir_sorted(void) {
    struct inode *d;
    struct fs_dirent de;
    KT_CHECK(fs_lookup(NULL, "/kt-basic", &d) == 0);
    KT_CHECK(fs_readdir(d, 0, &de) == 1 && strcmp(de.name, "a") == 0 && de.type == FS_T_FILE);
    KT_CHECK(fs_readdir(d, 1, &de) == 1 && strcmp(de.name, "b") == 0);
    KT_CHECK(fs_readdir(d, 2, &de) == 1 && strcmp(de.name, "sub") == 0 && de.type == FS_T_DIR);
    KT_CHECK(fs_readdir(d, 3, &de) == 0);
    struct fs_stat st;
    fs_stat(d, &st);
    KT_CHECK(st.type == FS_T_DIR && st.size == 3 && st.nlink == 1);
    inode_put(d);
    return 0;
}

KTEST(fs_basic) {
    size_t inodes = fs_inode_count();
    KT_CHECK(fs_mkdir(NULL, "/kt-basic") == 0);
    KT_CHECK(fs_mkdir(NULL, "/kt-basic") == -FS_EEXIST);
    KT_CHECK(put_file("/kt-basic/b", "bee") == 0);        // made out of order on purpose
    KT_CHECK(put_file("/kt-basic/a", "hello") == 0);
    KT_CHECK(fs_mkdir(NULL, "kt-basic/sub/") == 0);       // relative to "/", trailing slash
    KT_CHECK(file_is(NULL, "/kt-basic/a", "hello"));
    KT_CHECK(check_readdir_sorted() == 0);
    KT_CHECK(fs_unlink(NULL, "/kt-basic") == -FS_ENOTEMPTY);
    KT_CHECK(fs_unlink(NULL, "/kt-basic/sub") == 0);
    KT_CHECK(fs_unlink(NULL, "/kt-basic/a") == 0);
    KT_CHECK(fs_unlink(NULL, "/kt-basic/a") == -FS_ENOENT);
    KT_CHECK(lookup_err(NULL, "/kt-basic/a") == -FS_ENOENT);
    KT_CHECK(fs_unlink(NULL, "/kt-basic/b") == 0);
    KT_CHECK(fs_unlink(NULL, "/kt-basic") == 0);
    KT_CHECK(fs_inode_count() == inodes);
    return 0;
}

// ---- fs_path: ".", "..", slashes, limits, the errors of a bad path ----

static int check_path_errors(struct inode *dir) {
    char name[FS_NAME_MAX + 2];
    memset(name, 'x', sizeof name - 1);
    name[sizeof name - 1] = 0;                            // one character too many
    KT_CHECK(lookup_err(dir, name) == -FS_ENAMETOOLONG);
    KT_CHECK(fs_mkdir(dir, name) == -FS_ENAMETOOLONG);
    name[FS_NAME_MAX] = 0;                                // exactly NAME_MAX: fine
    KT_CHECK(fs_mkdir(dir, name) == 0 && fs_unlink(dir, name) == 0);
    char longpath[FS_MAXPATH + 1];
    for (int i = 0; i < FS_MAXPATH; i++) longpath[i] = i % 2 ? '/' : '.';
    longpath[FS_MAXPATH] = 0;                             // valid shape, but too long
    KT_CHECK(lookup_err(dir, longpath) == -FS_ENAMETOOLONG);
    KT_CHECK(lookup_err(dir, longpath + 2) == 0);         // MAXPATH - 1 characters: fine
    KT_CHECK(lookup_err(dir, "") == -FS_ENOENT);
    KT_CHECK(lookup_err(dir, "f/x") == -FS_ENOTDIR);      // a file in the middle
    KT_CHECK(lookup_err(dir, "f/") == -FS_ENOTDIR);
    KT_CHECK(lookup_err(dir, "nope/f") == -FS_ENOENT);
    KT_CHECK(fs_unlink(dir, ".") == -FS_EINVAL);
    KT_CHECK(fs_unlink(dir, "/") == -FS_EBUSY);
    KT_CHECK(fs_mkdir(dir, "/") == -FS_EEXIST);
    return 0;
}

KTEST(fs_path) {
    struct inode *dir;
    KT_CHECK(fs_mkdir(NULL, "/kt-path") == 0 && fs_mkdir(NULL, "/kt-path/d") == 0);
    KT_CHECK(put_file("/kt-path/d/f", "deep") == 0);
    KT_CHECK(fs_lookup(NULL, "/kt-path/d", &dir) == 0);
    KT_CHECK(file_is(dir, "f", "deep"));
    KT_CHECK(file_is(dir, "./f", "deep"));
    KT_CHECK(file_is(dir, "..//d/./f", "deep"));
    KT_CHECK(file_is(dir, "///kt-path////d//f", "deep"));
    KT_CHECK(file_is(dir, "/../../kt-path/d/f", "deep"));  // ".." of the root is the root
    KT_CHECK(check_path_errors(dir) == 0);
    inode_put(dir);
    KT_CHECK(fs_unlink(NULL, "/kt-path/d/f") == 0);
    KT_CHECK(fs_unlink(NULL, "/kt-path/d") == 0 && fs_unlink(NULL, "/kt-path") == 0);
    return 0;
}

// ---- fs_grow: data across blocks, holes, truncate, the size limit ----

static bool bytes_are(struct inode *ip, uint64_t off, size_t n, uint8_t want) {
    uint8_t buf[64];
    while (n) {
        size_t chunk = MIN(n, sizeof buf);
        if (fs_read(ip, off, buf, chunk) != (long)chunk) return false;
        for (size_t i = 0; i < chunk; i++)
            if (buf[i] != want) return false;
        off += chunk;
        n -= chunk;
    }
    return true;
}

static bool fill(struct inode *ip, uint64_t off, size_t n, uint8_t byte) {
    uint8_t buf[256];
    memset(buf, byte, sizeof buf);
    for (size_t done = 0; done < n;) {
        size_t chunk = MIN(n - done, sizeof buf);
        if (fs_write(ip, off + done, buf, chunk) != (long)chunk) return false;
        done += chunk;
    }
    return true;
}

// Regression: truncate must zero the tail of the last block it keeps, or
// growing the file again shows the old bytes where zeros belong.
static int check_truncate(struct inode *ip) {
    KT_CHECK(fs_truncate(ip, 5000) == 0 && inode_size(ip) == 5000);
    KT_CHECK(fs_truncate(ip, 9000) == 0);
    KT_CHECK(bytes_are(ip, 4099, 901, 0xAB) && bytes_are(ip, 5000, 4000, 0));
    KT_CHECK(fs_truncate(ip, 0) == 0 && fs_read(ip, 0, &(char){0}, 1) == 0);
    return 0;
}

static int check_limit(struct inode *ip, size_t frames) {
    char c = 'z';
    KT_CHECK(fs_write(ip, FS_FILE_MAX, &c, 1) == -FS_EFBIG);
    KT_CHECK(fs_write(ip, FS_FILE_MAX - 1, "xy", 2) == 1);   // short, up to the limit
    KT_CHECK(inode_size(ip) == FS_FILE_MAX);
    KT_CHECK(fs_truncate(ip, FS_FILE_MAX + 1) == -FS_EFBIG);
    KT_CHECK(fs_frames_used() == frames + 2);                 // one block, one index page: a hole costs nothing
    return 0;
}

KTEST(fs_grow) {
    size_t frames = fs_frames_used();
    struct inode *ip;
    KT_CHECK(fs_open(NULL, "/kt-grow", true, &ip) == 0);
    KT_CHECK(fill(ip, 0, 3 * FS_BLOCK_SIZE + 100, 0xAB));     // three blocks and a bit
    KT_CHECK(inode_size(ip) == 3 * FS_BLOCK_SIZE + 100);
    KT_CHECK(bytes_are(ip, 0, 3 * FS_BLOCK_SIZE + 100, 0xAB));
    KT_CHECK(fill(ip, FS_BLOCK_SIZE - 3, 6, 0xCD));           // straddles a block boundary
    KT_CHECK(bytes_are(ip, FS_BLOCK_SIZE - 3, 6, 0xCD) && bytes_are(ip, FS_BLOCK_SIZE + 3, 1, 0xAB));
    KT_CHECK(fill(ip, 10 * FS_BLOCK_SIZE, 10, 0xEF));         // leaves a hole
    KT_CHECK(bytes_are(ip, 3 * FS_BLOCK_SIZE + 100, 7 * FS_BLOCK_SIZE - 100, 0));
    KT_CHECK(fs_frames_used() == frames + 6);                 // 4 + 1 blocks and one index page
    KT_CHECK(check_truncate(ip) == 0);
    KT_CHECK(fs_frames_used() == frames);                     // empty again: every block back
    KT_CHECK(check_limit(ip, frames) == 0);
    KT_CHECK(fs_unlink(NULL, "/kt-grow") == 0);
    inode_put(ip);
    KT_CHECK(fs_frames_used() == frames);
    return 0;
}

// ---- fs_unlink_open: an unlinked file lives until its last reference ----

KTEST(fs_unlink_open) {
    size_t inodes = fs_inode_count();
    struct inode *ip, *dir;
    char buf[8] = { 0 };
    KT_CHECK(put_file("/kt-ghost", "boo") == 0);
    KT_CHECK(fs_lookup(NULL, "/kt-ghost", &ip) == 0);
    KT_CHECK(fs_unlink(NULL, "/kt-ghost") == 0);
    KT_CHECK(lookup_err(NULL, "/kt-ghost") == -FS_ENOENT);
    KT_CHECK(fs_read(ip, 0, buf, sizeof buf) == 3 && strcmp(buf, "boo") == 0);
    KT_CHECK(write_str(ip, 3, "!") == 1);                      // still writable, too
    struct fs_stat st;
    fs_stat(ip, &st);
    KT_CHECK(st.nlink == 0 && st.size == 4);
    KT_CHECK(fs_inode_count() == inodes + 1);
    inode_put(ip);                                            // the last reference frees it
    KT_CHECK(fs_inode_count() == inodes);
    // A removed directory that is still someone's cwd: no new entries, no path.
    KT_CHECK(fs_mkdir(NULL, "/kt-gone") == 0 && fs_lookup(NULL, "/kt-gone", &dir) == 0);
    KT_CHECK(fs_unlink(NULL, "/kt-gone") == 0);
    KT_CHECK(put_file("/kt-gone/x", "") == -FS_ENOENT);
    KT_CHECK(fs_mkdir(dir, "y") == -FS_ENOENT && lookup_err(dir, "..") == -FS_ENOENT);
    KT_CHECK(fs_getcwd(dir, buf, sizeof buf) == -FS_ENOENT);
    inode_put(dir);
    KT_CHECK(fs_inode_count() == inodes);
    return 0;
}

// ---- fs_getcwd ----

KTEST(fs_getcwd) {
    struct inode *dir, *root = fs_root();
    char buf[64];
    KT_CHECK(fs_getcwd(root, buf, sizeof buf) == 1 && strcmp(buf, "/") == 0);
    KT_CHECK(fs_getcwd(root, buf, 1) == -FS_ERANGE);
    inode_put(root);
    KT_CHECK(fs_mkdir(NULL, "/kt-cwd") == 0 && fs_mkdir(NULL, "/kt-cwd/inner") == 0);
    KT_CHECK(fs_lookup(NULL, "/kt-cwd/inner", &dir) == 0);
    KT_CHECK(fs_getcwd(dir, buf, sizeof buf) == 13 && strcmp(buf, "/kt-cwd/inner") == 0);
    KT_CHECK(fs_getcwd(dir, buf, 14) == 13);                  // exactly room for the NUL
    KT_CHECK(fs_getcwd(dir, buf, 13) == -FS_ERANGE);
    inode_put(dir);
    KT_CHECK(fs_unlink(NULL, "/kt-cwd/inner") == 0 && fs_unlink(NULL, "/kt-cwd") == 0);
    return 0;
}

// ---- fs_leak: everything made and deleted gives every frame back ----

#define LEAK_FILES 40

static int make_many(void) {
    char path[32];
    KT_CHECK(fs_mkdir(NULL, "/kt-leak") == 0);
    for (int i = 0; i < LEAK_FILES; i++) {
        struct inode *ip;
        ksnprintf(path, sizeof path, "/kt-leak/f%d", i);
        KT_CHECK(fs_open(NULL, path, true, &ip) == 0);
        KT_CHECK(fill(ip, (uint64_t)i * 1000, 3000 + (size_t)i * 100, (uint8_t)i));
        inode_put(ip);
    }
    return 0;
}

static int delete_many(void) {
    char path[32];
    for (int i = 0; i < LEAK_FILES; i++) {
        ksnprintf(path, sizeof path, "/kt-leak/f%d", i);
        KT_CHECK(fs_unlink(NULL, path) == 0);
    }
    KT_CHECK(fs_unlink(NULL, "/kt-leak") == 0);
    return 0;
}

KTEST(fs_leak) {
    kheap_trim();
    size_t free_before = frame_free_count(), inodes = fs_inode_count();
    KT_CHECK(make_many() == 0);
    KT_CHECK(frame_free_count() < free_before);
    KT_CHECK(delete_many() == 0);
    kheap_trim();
    KT_CHECK(fs_inode_count() == inodes);
    KT_CHECK(frame_free_count() == free_before);
    return 0;
}
