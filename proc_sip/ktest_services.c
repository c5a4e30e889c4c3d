// proc_sip/ktest_services.c: the name directory and the file service, driven
// from the kernel with kernel-held endpoints (no SIP needed). Every wait has
// a deadline, so a broken service fails the test instead of hanging it.
#include "kern/kern.h"
#include "kern/fs.h"
#include "syscall/errno_list.h"
#include "proc_sip/services.h"

#define KT_WAIT_NS (2ull * 1000 * 1000 * 1000)
#define KT_O_RDONLY 0x000
#define KT_O_RDWR   0x002
#define KT_O_CREAT  0x040

// The next message on e within the deadline: 0 and *m, or -errno.
static int recv_within(struct endpoint *e, struct chan_msg **m) {
    int r = chan_select(&e, 1, time_ns() + KT_WAIT_NS);
    if (r < 0) return r;
    const char *why = NULL;
    return chan_try_recv(e, m, &why);
}

// A channel of contract `name` whose role-0 end is *a. 0 or -1.
static int make_chan(const char *name, struct endpoint **a, struct endpoint **b) {
    const struct contract *c = contract_find(name);
    return c && chan_create(c, a, b) == 0 ? 0 : -1;
}

// ---- The name directory ----

static int connect_arrives(struct endpoint *svc, struct endpoint *sent) {
    struct chan_msg *m;
    if (recv_within(svc, &m) < 0) return -1;
    int ok = m->neps == 1 && m->eps[0] == sent && m->len == 0;
    chan_msg_free(m);                  // closes the carried endpoint too
    return ok ? 0 : -1;
}

KTEST(nsdir_register_connect) {
    size_t alive0 = chan_endpoints_alive();
    struct endpoint *dir, *svc, *dir2, *svc2, *pa, *pb;
    KT_CHECK(make_chan("Connect", &dir, &svc) == 0);
    KT_CHECK(make_chan("Connect", &dir2, &svc2) == 0);
    KT_CHECK(make_chan("Ping", &pa, &pb) == 0);
    KT_CHECK(nsdir_register("", dir) == -EINVAL);
    KT_CHECK(nsdir_register("a_name_that_is_much_too_long_for_it", dir) == -EINVAL);
    KT_CHECK(nsdir_register("kt_svc", svc) == -EINVAL);        // not a dir end
    KT_CHECK(nsdir_register("kt_svc", pa) == -EINVAL);         // not Connect at all
    KT_CHECK(nsdir_register("kt_svc", dir) == 0);
    KT_CHECK(nsdir_register("kt_svc", dir2) == -EEXIST);       // a live service has it
    KT_CHECK(nsdir_connect("kt_nobody", pb) == -ENOENT);
    KT_CHECK(nsdir_connect("kt_svc", pb) == 0);
    KT_CHECK(connect_arrives(svc, pb) == 0);
    endpoint_close(pa);
    // The service goes: its name is free again, for the second one.
    endpoint_close(svc);
    KT_CHECK(nsdir_register("kt_svc", dir2) == 0);
    endpoint_close(svc2);
    KT_CHECK(make_chan("Ping", &pa, &pb) == 0);
    KT_CHECK(nsdir_connect("kt_svc", pb) == -ENOENT);          // gone, and dropped
    endpoint_close(pa);
    endpoint_close(pb);
    KT_CHECK(chan_endpoints_alive() == alive0);                // both dir ends freed
    return 0;
}

// ---- The file service ----

struct kt_req {
    uint8_t data[CHAN_MSG_MAX];
    uint32_t len;
};

static void req_i32(struct kt_req *q, int32_t v) {
    memcpy(q->data + q->len, &v, 4);
    q->len += 4;
}

static void req_i64(struct kt_req *q, int64_t v) {
    memcpy(q->data + q->len, &v, 8);
    q->len += 8;
}

static void req_bytes(struct kt_req *q, const void *p, uint32_t n) {
    memcpy(q->data + q->len, p, n);
    q->len += n;
}

static const struct contract *fsc(void) {
    return contract_find("FileService");
}

// Sends request `msg` and waits for the reply: its tag (>= 0), *m, or -1.
static int rpc(struct endpoint *cl, const char *msg, struct kt_req *q, struct chan_msg **m) {
    const char *why = NULL;
    int tag = contract_message(fsc(), msg);
    if (tag < 0 || chan_send(cl, tag, q->data, q->len, NULL, 0, &why) != 0) return -1;
    return recv_within(cl, m) < 0 ? -1 : (*m)->tag;
}

static bool is(const struct chan_msg *m, const char *name) {
    return m->tag == contract_message(fsc(), name);
}

// The Result a request got, or -1000 when the reply was something else.
static int32_t rpc_result(struct endpoint *cl, const char *msg, struct kt_req *q) {
    struct chan_msg *m;
    int32_t v = -1000;
    if (rpc(cl, msg, q, &m) < 0) return v;
    if (is(m, "Result") && m->len == 4) memcpy(&v, m->data, 4);
    chan_msg_free(m);
    return v;
}

static int32_t fs_open_req(struct endpoint *cl, int32_t flags, const char *path, uint32_t len) {
    struct kt_req q = { .len = 0 };
    req_i32(&q, flags);
    req_bytes(&q, path, len);
    return rpc_result(cl, "Open", &q);
}

static int32_t fd_req(struct endpoint *cl, const char *msg, int32_t fd) {
    struct kt_req q = { .len = 0 };
    req_i32(&q, fd);
    return rpc_result(cl, msg, &q);
}

static int32_t path_req(struct endpoint *cl, const char *msg, const char *path) {
    struct kt_req q = { .len = 0 };
    req_bytes(&q, path, (uint32_t)strlen(path));
    return rpc_result(cl, msg, &q);
}

static int32_t write_req(struct endpoint *cl, int32_t fd, const void *p, uint32_t n) {
    struct kt_req q = { .len = 0 };
    req_i32(&q, fd);
    req_bytes(&q, p, n);
    return rpc_result(cl, "Write", &q);
}

static int32_t seek_req(struct endpoint *cl, int32_t fd, int64_t off, int32_t whence) {
    struct kt_req q = { .len = 0 };
    req_i32(&q, fd);
    req_i64(&q, off);
    req_i32(&q, whence);
    return rpc_result(cl, "Seek", &q);
}

// Read(fd, n) into buf: the bytes got, or -errno from a Result, or -1000.
static int32_t read_req(struct endpoint *cl, int32_t fd, int32_t n, void *buf) {
    struct kt_req q = { .len = 0 };
    struct chan_msg *m;
    req_i32(&q, fd);
    req_i32(&q, n);
    if (rpc(cl, "Read", &q, &m) < 0) return -1000;
    int32_t v = -1000;
    if (is(m, "Data")) memcpy(buf, m->data, v = (int32_t)m->len);
    else if (is(m, "Result") && m->len == 4) memcpy(&v, m->data, 4);
    chan_msg_free(m);
    return v;
}

// A connection to "fs": the client end, or NULL.
static struct endpoint *fs_connect(void) {
    struct endpoint *cl, *sv;
    if (make_chan("FileService", &cl, &sv) < 0) return NULL;
    if (nsdir_connect("fs", sv) == 0) return cl;
    endpoint_close(cl);
    endpoint_close(sv);
    return NULL;
}

// Closes the client end and waits until the service has dropped the
// connection (the endpoints alive are back to eps0): 0, or -1 at the deadline.
// So a test's connection does not end during the next test.
static int fs_disconnect(struct endpoint *cl, size_t eps0) {
    endpoint_close(cl);
    uint64_t deadline = time_ns() + KT_WAIT_NS;
    while (chan_endpoints_alive() != eps0 && time_ns() < deadline)
        time_sleep_ns(10 * 1000 * 1000);
    return chan_endpoints_alive() == eps0 ? 0 : -1;
}

// Fstat or Stat: 0 and the fields, or -1.
static int stat_req(struct endpoint *cl, const char *msg, struct kt_req *q, int32_t *type,
                    int64_t *ino, int64_t *size) {
    struct chan_msg *m;
    if (rpc(cl, msg, q, &m) < 0) return -1;
    int ok = is(m, "StatReply") && m->len == 24;
    if (ok) {
        memcpy(type, m->data, 4);
        memcpy(ino, m->data + 8, 8);
        memcpy(size, m->data + 16, 8);
    }
    chan_msg_free(m);
    return ok ? 0 : -1;
}

// Reads directory fd to its end; returns the entries, *found if name was one.
static int list_dir(struct endpoint *cl, int32_t fd, const char *name, bool *found) {
    int n = 0;
    for (;;) {
        struct kt_req q = { .len = 0 };
        struct chan_msg *m;
        req_i32(&q, fd);
        if (rpc(cl, "Readdir", &q, &m) < 0) return -1;
        bool entry = is(m, "Entry") && m->len >= 12;
        if (entry && m->len - 12 == strlen(name) && memcmp(m->data + 12, name, m->len - 12) == 0)
            *found = true;
        chan_msg_free(m);
        if (!entry) return n;
        n++;
    }
}

KTEST(fileserv_files) {
    static char buf[CHAN_MSG_MAX];
    size_t eps0 = chan_endpoints_alive();
    struct endpoint *cl = fs_connect();
    KT_CHECK(cl);
    int32_t fd = fs_open_req(cl, KT_O_CREAT | KT_O_RDWR, "/kt_fs_file", 11);
    KT_CHECK(fd >= 0);
    KT_CHECK(write_req(cl, fd, "hello services", 14) == 14);
    KT_CHECK(seek_req(cl, fd, 0, 0) == 0);
    KT_CHECK(read_req(cl, fd, 100, buf) == 14 && memcmp(buf, "hello services", 14) == 0);
    KT_CHECK(read_req(cl, fd, 100, buf) == 0);                  // end of file
    KT_CHECK(seek_req(cl, fd, -3, 2) == 11);                    // SEEK_END
    KT_CHECK(read_req(cl, fd, 2, buf) == 2 && memcmp(buf, "ce", 2) == 0);
    KT_CHECK(seek_req(cl, fd, -100, 1) == -EINVAL);
    struct kt_req q = { .len = 0 };
    int32_t type;
    int64_t ino, ino2, size;
    req_i32(&q, fd);
    KT_CHECK(stat_req(cl, "Fstat", &q, &type, &ino, &size) == 0);
    KT_CHECK(type == FS_T_FILE && size == 14);
    q.len = 0;
    req_bytes(&q, "kt_fs_file", 10);                            // relative to "/"
    KT_CHECK(stat_req(cl, "Stat", &q, &type, &ino2, &size) == 0 && ino2 == ino);
    KT_CHECK(fd_req(cl, "Close", fd) == 0);
    KT_CHECK(fd_req(cl, "Close", fd) == -EBADF);
    int32_t dfd = fs_open_req(cl, KT_O_RDONLY, "/", 1);
    bool found = false;
    KT_CHECK(dfd >= 0 && list_dir(cl, dfd, "kt_fs_file", &found) >= 2 && found);
    KT_CHECK(fd_req(cl, "Close", dfd) == 0);
    KT_CHECK(path_req(cl, "Mkdir", "/kt_dir") == 0);
    KT_CHECK(path_req(cl, "Mkdir", "/kt_dir") == -EEXIST);
    KT_CHECK(fs_open_req(cl, KT_O_RDWR, "/kt_dir", 7) == -EISDIR);
    KT_CHECK(path_req(cl, "Unlink", "/kt_dir") == 0);
    KT_CHECK(path_req(cl, "Unlink", "/kt_fs_file") == 0);
    KT_CHECK(path_req(cl, "Stat", "/kt_fs_file") == -ENOENT);
    KT_CHECK(fs_disconnect(cl, eps0) == 0);
    return 0;
}

KTEST(fileserv_bad_requests) {
    static char buf[CHAN_MSG_MAX];
    static char longpath[300];
    size_t eps0 = chan_endpoints_alive(), inodes0 = fs_inode_count();
    struct endpoint *cl = fs_connect();
    KT_CHECK(cl);
    KT_CHECK(read_req(cl, 99, 10, buf) == -EBADF);
    KT_CHECK(read_req(cl, -1, 10, buf) == -EBADF);
    KT_CHECK(fd_req(cl, "Close", 3) == -EBADF);
    KT_CHECK(fd_req(cl, "Readdir", 0) == -EBADF);
    KT_CHECK(write_req(cl, 0, "x", 1) == -EBADF);
    KT_CHECK(fs_open_req(cl, KT_O_RDONLY, "/a\0b", 4) == -EINVAL);   // NUL inside the path
    KT_CHECK(fs_open_req(cl, KT_O_RDONLY, "", 0) == -ENOENT);
    memset(longpath, 'a', sizeof longpath);
    longpath[0] = '/';
    KT_CHECK(fs_open_req(cl, KT_O_RDONLY, longpath, sizeof longpath) == -ENAMETOOLONG);
    KT_CHECK(fs_open_req(cl, 0x3, "/", 1) == -EINVAL);              // O_ACCMODE
    KT_CHECK(fs_open_req(cl, 0x10000, "/", 1) == -EINVAL);          // unknown flag
    KT_CHECK(fs_open_req(cl, KT_O_RDONLY, "/no/such/file", 13) == -ENOENT);
    // A read-only fd refuses Write; a file refuses Readdir; n < 0 is EINVAL.
    int32_t fd = fs_open_req(cl, KT_O_CREAT | KT_O_RDONLY, "/kt_bad", 7);
    KT_CHECK(fd >= 0);
    KT_CHECK(write_req(cl, fd, "x", 1) == -EBADF);
    KT_CHECK(fd_req(cl, "Readdir", fd) == -ENOTDIR);
    KT_CHECK(read_req(cl, fd, -5, buf) == -EINVAL);
    KT_CHECK(read_req(cl, fd, 1 << 30, buf) == 0);                  // capped, empty file
    // 16 open files per connection, then EMFILE.
    int opened = 1;
    while (opened < 16 && fs_open_req(cl, KT_O_RDONLY, "/kt_bad", 7) >= 0) opened++;
    KT_CHECK(opened == 16);
    KT_CHECK(fs_open_req(cl, KT_O_RDONLY, "/kt_bad", 7) == -EMFILE);
    KT_CHECK(path_req(cl, "Unlink", "/kt_bad") == 0);
    KT_CHECK(fs_disconnect(cl, eps0) == 0);
    KT_CHECK(fs_inode_count() == inodes0);           // its 16 open fds were closed
    return 0;
}

// A client that goes away with files open (one of them already unlinked):
// the service closes them, so the nameless inode and its blocks are freed,
// and the connection's endpoints too.
KTEST(fileserv_close_frees) {
    static char block[1000];
    size_t inodes0 = fs_inode_count(), frames0 = fs_frames_used();
    size_t eps0 = chan_endpoints_alive();
    struct endpoint *cl = fs_connect();
    KT_CHECK(cl);
    int32_t fd = fs_open_req(cl, KT_O_CREAT | KT_O_RDWR, "/kt_gone", 8);
    KT_CHECK(fd >= 0);
    memset(block, 'z', sizeof block);
    KT_CHECK(write_req(cl, fd, block, sizeof block) == (int32_t)sizeof block);
    KT_CHECK(fs_open_req(cl, KT_O_RDONLY, "/", 1) >= 0);
    KT_CHECK(path_req(cl, "Unlink", "/kt_gone") == 0);
    KT_CHECK(fs_inode_count() == inodes0 + 1);                     // open, nameless
    KT_CHECK(fs_disconnect(cl, eps0) == 0);
    KT_CHECK(fs_inode_count() == inodes0);
    KT_CHECK(fs_frames_used() == frames0);
    KT_CHECK(chan_endpoints_alive() == eps0);
    // And the service still serves.
    cl = fs_connect();
    KT_CHECK(cl);
    struct kt_req q = { .len = 0 };
    int32_t type;
    int64_t ino, size;
    req_bytes(&q, "/", 1);
    KT_CHECK(stat_req(cl, "Stat", &q, &type, &ino, &size) == 0 && type == FS_T_DIR);
    KT_CHECK(fs_disconnect(cl, eps0) == 0);
    return 0;
}

// More connections than one worker's select can hold are all served (a
// request on each, the replies collected afterwards); past the service's
// limit a connection is refused by closing it: the client sees EPIPE.
#define KT_CONNS 45                    // the service's limit: 3 workers x 15
KTEST(fileserv_many_connections) {
    static struct endpoint *cl[KT_CONNS + 1];
    size_t eps0 = chan_endpoints_alive();
    int tag = contract_message(fsc(), "Stat");
    const char *why = NULL;
    for (int i = 0; i < KT_CONNS; i++) {
        cl[i] = fs_connect();
        KT_CHECK(cl[i]);
        KT_CHECK(chan_send(cl[i], tag, "/", 1, NULL, 0, &why) == 0);
    }
    for (int i = 0; i < KT_CONNS; i++) {
        struct chan_msg *m;
        KT_CHECK(recv_within(cl[i], &m) == 0);
        bool ok = is(m, "StatReply");
        chan_msg_free(m);
        KT_CHECK(ok);
    }
    cl[KT_CONNS] = fs_connect();                // one too many
    KT_CHECK(cl[KT_CONNS]);
    struct chan_msg *m;
    int r = chan_send(cl[KT_CONNS], tag, "/", 1, NULL, 0, &why);
    if (r == 0) r = recv_within(cl[KT_CONNS], &m);
    KT_CHECK(r == -EPIPE);
    for (int i = 0; i < KT_CONNS; i++) endpoint_close(cl[i]);
    KT_CHECK(fs_disconnect(cl[KT_CONNS], eps0) == 0);
    return 0;
}
