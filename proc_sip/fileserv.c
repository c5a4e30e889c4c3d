// proc_sip/fileserv.c: the file service "fs": FileService connections
// (ipc/contracts/FileService.contract) served over the shared ramfs.
//
// chan_select waits on at most CHAN_SELECT_MAX endpoints, so one thread
// cannot wait on every connection. The acceptor thread owns the Connect
// `service` end registered as "fs"; it hands each new connection to a worker
// with room, over a private Connect channel of that worker (its "inbox").
// A worker waits on its inbox and its own connections (15) and answers one
// request at a time. Each connection has its own table of open files; when
// the client closes, the worker closes them.
//
// Nothing in a request is trusted: fds, lengths, flags and paths are all
// checked, and every problem is answered with Result(-errno). Breaking the
// contract itself is stopped by the channel layer before we see it.
#include "kern/kern.h"
#include "syscall/errno_list.h"
#include "kern/fs.h"
#include "proc_sip/services.h"

#include "syscall/file_flags.h"   // the FileService contract speaks the hw ABI's flags

#define FS_WORKERS       3
#define FS_WORKER_CONNS  (CHAN_SELECT_MAX - 1)   // the inbox takes one select slot
#define FS_FILES         16                      // open files per connection

struct ofile {
    struct inode *ip;            // NULL: the fd is free
    uint64_t off;                // bytes (files) or entries (directories)
    int flags;
};

struct fconn {
    struct endpoint *ep;         // FileService:server; NULL: the slot is free
    struct ofile files[FS_FILES];
};

struct reply {
    int tag;
    uint32_t len;
    uint8_t data[CHAN_MSG_MAX];
};

struct worker {
    struct endpoint *feed;       // Connect:dir, the acceptor's end
    struct endpoint *inbox;      // Connect:service, the worker's end
    int nconns;                  // handed to it and not yet dropped (fileserv_lock)
    int rotate;                  // where the next select starts: no connection starves
    struct fconn conns[FS_WORKER_CONNS];
    struct reply reply;          // too big for a kernel stack
};

typedef void request_fn(struct fconn *c, const struct chan_msg *m, struct reply *out);

static struct worker workers[FS_WORKERS];
static struct spinlock fileserv_lock = SPINLOCK_INIT("fileserv");
static const struct contract *fs_contract;
static int connect_tag;
static int tag_result, tag_data, tag_stat, tag_entry;
static request_fn *handlers[CONTRACT_MAX_MESSAGES];

// ---- Reading a request and writing a reply ----

static int32_t get_i32(const struct chan_msg *m, uint32_t off) {
    int32_t v = 0;
    if (off + 4 <= m->len) memcpy(&v, m->data + off, 4);
    return v;
}

static int64_t get_i64(const struct chan_msg *m, uint32_t off) {
    int64_t v = 0;
    if (off + 8 <= m->len) memcpy(&v, m->data + off, 8);
    return v;
}

static void put(struct reply *out, const void *p, uint32_t n) {
    memcpy(out->data + out->len, p, n);
    out->len += n;
}

static void result(struct reply *out, int32_t v) {
    out->tag = tag_result;
    out->len = 0;
    put(out, &v, 4);
}

// The path in m's bytes field (from off to the end): NUL-terminated into
// buf. 0 or -errno: empty, too long, or a NUL inside.
static int get_path(const struct chan_msg *m, uint32_t off, char buf[FS_MAXPATH]) {
    if (off >= m->len) return -ENOENT;
    uint32_t n = m->len - off;
    if (n >= FS_MAXPATH) return -ENAMETOOLONG;
    for (uint32_t i = 0; i < n; i++)
        if ((buf[i] = (char)m->data[off + i]) == '\0') return -EINVAL;
    buf[n] = '\0';
    return 0;
}

static struct ofile *get_fd(struct fconn *c, int32_t fd) {
    if (fd < 0 || fd >= FS_FILES || !c->files[fd].ip) return NULL;
    return &c->files[fd];
}

static bool readable(const struct ofile *f) {
    return (f->flags & O_ACCMODE) != O_WRONLY;
}

static bool writable(const struct ofile *f) {
    return (f->flags & O_ACCMODE) != O_RDONLY;
}

// ---- The requests ----

static int open_flags_ok(int32_t flags) {
    if (flags & ~(O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND)) return -EINVAL;
    return (flags & O_ACCMODE) == O_ACCMODE ? -EINVAL : 0;
}

// What opening ip with flags needs: 0 (and O_TRUNC done), or -errno.
static int open_check(struct inode *ip, int32_t flags) {
    int type = inode_type(ip);
    bool wr = (flags & O_ACCMODE) != O_RDONLY;
    if (type == FS_T_DIR) return wr ? -EISDIR : 0;
    if (type != FS_T_FILE) return -EIO;      // device nodes: the sip kernel has no drivers
    return wr && (flags & O_TRUNC) ? fs_truncate(ip, 0) : 0;
}

static void do_open(struct fconn *c, const struct chan_msg *m, struct reply *out) {
    char path[FS_MAXPATH];
    int32_t flags = get_i32(m, 0);
    int fd = 0;
    while (fd < FS_FILES && c->files[fd].ip) fd++;
    int r = open_flags_ok(flags);
    if (r == 0) r = get_path(m, 4, path);
    if (r == 0 && fd == FS_FILES) r = -EMFILE;
    struct inode *ip = NULL;
    if (r == 0) r = fs_open(NULL, path, (flags & O_CREAT) != 0, &ip);
    if (r == 0) r = open_check(ip, flags);
    if (r < 0) {
        if (ip) inode_put(ip);
        result(out, r);
        return;
    }
    c->files[fd] = (struct ofile){ .ip = ip, .off = 0, .flags = flags };
    result(out, fd);
}

static void do_read(struct fconn *c, const struct chan_msg *m, struct reply *out) {
    struct ofile *f = get_fd(c, get_i32(m, 0));
    int32_t n = get_i32(m, 4);
    if (!f || !readable(f)) { result(out, -EBADF); return; }
    if (n < 0) { result(out, -EINVAL); return; }
    long got = fs_read(f->ip, f->off, out->data, MIN((uint32_t)n, CHAN_MSG_MAX));
    if (got < 0) { result(out, (int32_t)got); return; }
    f->off += (uint64_t)got;
    out->tag = tag_data;
    out->len = (uint32_t)got;
}

static void do_write(struct fconn *c, const struct chan_msg *m, struct reply *out) {
    struct ofile *f = get_fd(c, get_i32(m, 0));
    if (!f || !writable(f)) { result(out, -EBADF); return; }
    const uint8_t *data = m->data + 4;
    size_t n = m->len > 4 ? m->len - 4 : 0;
    long put_n;
    if (f->flags & O_APPEND) {
        uint64_t end = f->off;
        put_n = fs_append(f->ip, data, n, &end);
        if (put_n >= 0) f->off = end;
    } else {
        put_n = fs_write(f->ip, f->off, data, n);
        if (put_n > 0) f->off += (uint64_t)put_n;
    }
    result(out, (int32_t)put_n);
}

static void do_seek(struct fconn *c, const struct chan_msg *m, struct reply *out) {
    struct ofile *f = get_fd(c, get_i32(m, 0));
    int64_t offset = get_i64(m, 4);
    int32_t whence = get_i32(m, 12);
    if (!f) { result(out, -EBADF); return; }
    int64_t base;
    if (whence == SEEK_SET) base = 0;
    else if (whence == SEEK_CUR) base = (int64_t)f->off;
    else if (whence == SEEK_END) base = (int64_t)inode_size(f->ip);
    else { result(out, -EINVAL); return; }
    // base is at most FS_FILE_MAX-ish, so base + offset cannot overflow
    // when offset is first kept inside the i32 range a Result can carry.
    if (offset < -(int64_t)INT32_MAX || offset > INT32_MAX) { result(out, -EINVAL); return; }
    int64_t target = base + offset;
    if (target < 0 || target > INT32_MAX) { result(out, -EINVAL); return; }
    f->off = (uint64_t)target;
    result(out, (int32_t)target);
}

static void do_close(struct fconn *c, const struct chan_msg *m, struct reply *out) {
    struct ofile *f = get_fd(c, get_i32(m, 0));
    if (!f) { result(out, -EBADF); return; }
    inode_put(f->ip);
    f->ip = NULL;
    result(out, 0);
}

static void stat_reply(struct inode *ip, struct reply *out) {
    struct fs_stat st;
    fs_stat(ip, &st);
    int32_t type = st.type, nlink = st.nlink;
    int64_t ino = (int64_t)st.ino, size = (int64_t)st.size;
    out->tag = tag_stat;
    out->len = 0;
    put(out, &type, 4);
    put(out, &nlink, 4);
    put(out, &ino, 8);
    put(out, &size, 8);
}

static void do_fstat(struct fconn *c, const struct chan_msg *m, struct reply *out) {
    struct ofile *f = get_fd(c, get_i32(m, 0));
    if (f) stat_reply(f->ip, out);
    else result(out, -EBADF);
}

static void do_stat(struct fconn *c, const struct chan_msg *m, struct reply *out) {
    (void)c;
    char path[FS_MAXPATH];
    struct inode *ip;
    int r = get_path(m, 0, path);
    if (r == 0) r = fs_lookup(NULL, path, &ip);
    if (r < 0) { result(out, r); return; }
    stat_reply(ip, out);
    inode_put(ip);
}

static void do_readdir(struct fconn *c, const struct chan_msg *m, struct reply *out) {
    struct ofile *f = get_fd(c, get_i32(m, 0));
    struct fs_dirent de;
    if (!f || !readable(f)) { result(out, -EBADF); return; }
    int r = fs_readdir(f->ip, f->off, &de);
    if (r <= 0) { result(out, r); return; }
    f->off++;
    int64_t ino = (int64_t)de.ino;
    int32_t type = de.type;
    out->tag = tag_entry;
    out->len = 0;
    put(out, &ino, 8);
    put(out, &type, 4);
    put(out, de.name, (uint32_t)strlen(de.name));
}

static void do_mkdir(struct fconn *c, const struct chan_msg *m, struct reply *out) {
    (void)c;
    char path[FS_MAXPATH];
    int r = get_path(m, 0, path);
    result(out, r < 0 ? r : fs_mkdir(NULL, path));
}

static void do_unlink(struct fconn *c, const struct chan_msg *m, struct reply *out) {
    (void)c;
    char path[FS_MAXPATH];
    int r = get_path(m, 0, path);
    result(out, r < 0 ? r : fs_unlink(NULL, path));
}

static const struct { const char *name; request_fn *fn; } requests[] = {
    { "Open", do_open }, { "Read", do_read }, { "Write", do_write }, { "Seek", do_seek },
    { "Close", do_close }, { "Fstat", do_fstat }, { "Stat", do_stat },
    { "Readdir", do_readdir }, { "Mkdir", do_mkdir }, { "Unlink", do_unlink },
};

// ---- Connections ----

static void conn_drop(struct worker *w, struct fconn *c) {
    for (int fd = 0; fd < FS_FILES; fd++)
        if (c->files[fd].ip) inode_put(c->files[fd].ip);
    memset(c->files, 0, sizeof c->files);
    endpoint_close(c->ep);
    c->ep = NULL;
    spin_lock(&fileserv_lock);
    w->nconns--;
    spin_unlock(&fileserv_lock);
}

static void complain(const char *what, const char *why) {
    kprintf("fileserv: %s: %s\n", what, why ? why : "?");
}

// One request of c (select said it is ready): answer it, or drop c when its
// client has gone.
static void conn_serve(struct worker *w, struct fconn *c) {
    struct chan_msg *m;
    const char *why = NULL;
    int r = chan_try_recv(c->ep, &m, &why);
    if (r == -EAGAIN) return;
    if (r < 0) {
        if (r == CHAN_VIOLATION) complain("a request breaks the contract", why);
        conn_drop(w, c);
        return;
    }
    request_fn *fn = m->tag >= 0 && m->tag < CONTRACT_MAX_MESSAGES ? handlers[m->tag] : NULL;
    if (fn) fn(c, m, &w->reply);
    else result(&w->reply, -ENOSYS);     // every await state takes a Result
    chan_msg_free(m);
    r = chan_send(c->ep, w->reply.tag, w->reply.data, w->reply.len, NULL, 0, &why);
    if (r == CHAN_VIOLATION) complain("our reply breaks the contract", why);
    if (r < 0) conn_drop(w, c);
}

// A new connection from the acceptor, into a free slot (the acceptor counted it).
static void worker_accept(struct worker *w) {
    struct chan_msg *m;
    const char *why = NULL;
    if (chan_try_recv(w->inbox, &m, &why) < 0) return;
    struct endpoint *ep = m->neps == 1 ? m->eps[0] : NULL;
    if (ep) m->eps[0] = NULL;
    chan_msg_free(m);
    for (int i = 0; ep && i < FS_WORKER_CONNS; i++) {
        if (w->conns[i].ep) continue;
        w->conns[i].ep = ep;
        return;
    }
    KASSERT(!ep);                        // nconns kept a slot free for it
}

// The endpoints to wait on: the inbox, then the connections from w->rotate.
static int worker_gather(struct worker *w, struct endpoint **eps, struct fconn **who) {
    int n = 0;
    eps[n] = w->inbox;
    who[n++] = NULL;
    for (int k = 0; k < FS_WORKER_CONNS; k++) {
        struct fconn *c = &w->conns[(w->rotate + k) % FS_WORKER_CONNS];
        if (!c->ep) continue;
        eps[n] = c->ep;
        who[n++] = c;
    }
    w->rotate = (w->rotate + 1) % FS_WORKER_CONNS;
    return n;
}

static void worker_main(void *arg) {
    struct worker *w = arg;
    struct endpoint *eps[CHAN_SELECT_MAX];
    struct fconn *who[CHAN_SELECT_MAX];
    for (;;) {
        int n = worker_gather(w, eps, who);
        int i = chan_select(eps, n, UINT64_MAX);
        if (i < 0) {                     // never interrupted; a bug otherwise, but keep serving
            kprintf("fileserv: select failed (%d)\n", i);
            time_sleep_ns(10 * 1000 * 1000);
        } else if (who[i]) {
            conn_serve(w, who[i]);
        } else {
            worker_accept(w);
        }
    }
}

// ---- Accepting ----

static bool is_fs_server(struct endpoint *ep) {
    return ep && endpoint_contract(ep) == fs_contract &&
           endpoint_role(ep) == contract_role(fs_contract, "server");
}

// A worker with room, counted as taken, or NULL.
static struct worker *worker_pick(void) {
    struct worker *best = NULL;
    spin_lock(&fileserv_lock);
    for (int i = 0; i < FS_WORKERS; i++)
        if (workers[i].nconns < FS_WORKER_CONNS && (!best || workers[i].nconns < best->nconns))
            best = &workers[i];
    if (best) best->nconns++;
    spin_unlock(&fileserv_lock);
    return best;
}

// Gives ep (a client's FileService:server end) to a worker; anything else,
// or one too many, is closed: its client sees the peer closed (EPIPE).
static void hand_over(struct endpoint *ep) {
    if (!is_fs_server(ep)) {
        if (ep) endpoint_close(ep);
        return;
    }
    struct worker *w = worker_pick();
    const char *why = NULL;
    if (w && chan_send(w->feed, connect_tag, NULL, 0, &ep, 1, &why) == 0) return;
    if (w) {
        spin_lock(&fileserv_lock);
        w->nconns--;
        spin_unlock(&fileserv_lock);
    }
    endpoint_close(ep);
}

static void acceptor_main(void *arg) {
    struct endpoint *service = arg;
    for (;;) {
        struct chan_msg *m;
        const char *why = NULL;
        int r = chan_recv(service, &m, &why);
        if (r < 0) {                     // -EPIPE: the directory let "fs" go; else a bug
            kprintf("fileserv: no more connections (%d%s%s)\n", r, why ? ": " : "", why ? why : "");
            break;
        }
        struct endpoint *ep = m->neps == 1 ? m->eps[0] : NULL;
        if (ep) m->eps[0] = NULL;
        chan_msg_free(m);
        hand_over(ep);
    }
    endpoint_close(service);
    thread_exit(0);
}

// ---- Start ----

// The tags of the loaded FileService contract, by name: 0, or -1 after a message.
static int resolve_tags(const struct contract *c) {
    tag_result = contract_message(c, "Result");
    tag_data = contract_message(c, "Data");
    tag_stat = contract_message(c, "StatReply");
    tag_entry = contract_message(c, "Entry");
    int bad = tag_result < 0 || tag_data < 0 || tag_stat < 0 || tag_entry < 0;
    for (size_t i = 0; i < ARRAY_LEN(requests); i++) {
        int tag = contract_message(c, requests[i].name);
        if (tag < 0) bad = 1;
        else handlers[tag] = requests[i].fn;
    }
    if (bad) kprintf("fileserv: contract FileService lacks a message it needs: no file service\n");
    return bad ? -1 : 0;
}

static int start_worker(const struct contract *conn, struct worker *w, int i) {
    char name[THREAD_NAME_LEN];
    int dir = contract_role(conn, "dir");
    struct endpoint *e[2];
    if (chan_create(conn, &e[0], &e[1]) < 0) return -1;
    w->feed = e[dir];
    w->inbox = e[1 - dir];
    ksnprintf(name, sizeof name, "fileserv-%d", i);
    return thread_create(name, worker_main, w) ? 0 : -1;
}

void fileserv_start(void) {
    const struct contract *conn = contract_find("Connect");
    fs_contract = contract_find("FileService");
    if (!conn || !fs_contract) {
        kprintf("fileserv: contract %s not loaded: no file service\n",
                conn ? "FileService" : "Connect");
        return;
    }
    connect_tag = contract_message(conn, "Connect");
    int dir = contract_role(conn, "dir");
    if (connect_tag < 0 || dir < 0) {
        kprintf("fileserv: contract Connect lacks role dir or message Connect: no file service\n");
        return;
    }
    if (resolve_tags(fs_contract) < 0) return;
    // Failing from here on is running out of memory at boot.
    struct endpoint *e[2];
    if (chan_create(conn, &e[0], &e[1]) < 0) panic("fileserv: no memory for a channel");
    for (int i = 0; i < FS_WORKERS; i++)
        if (start_worker(conn, &workers[i], i) < 0) panic("fileserv: cannot start a worker");
    if (nsdir_register("fs", e[dir]) < 0) panic("fileserv: cannot register \"fs\"");
    if (!thread_create("fileserv", acceptor_main, e[1 - dir]))
        panic("fileserv: cannot start the acceptor");
}
