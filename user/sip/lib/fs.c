// user/sip/lib/fs.c: files over the kernel's file service (the FileService
// contract; "fs" in the name directory). The first file call connects: a
// new FileService channel whose server end goes to the service with
// sip_ns_connect, the client end kept for the SIP's life. Then every call is
// one request and its reply; the contract's turn rule makes that strict, so
// threads take turns on the connection (fs_lock).
#include <errno.h>
#include <sip.h>
#include <string.h>
#include <dirent.h>
#include <contracts/FileService.h>
#include "sip_libc.h"

static int conn = -1;
static struct sip_lock fs_lock = SIP_LOCK_INIT;
static struct FileService_msg reply;   // guarded by fs_lock

static int connect_fs(void) {
    int client, server, err = FileService_create(&client, &server);
    if (err < 0)
        return err;
    err = sip_ns_connect("fs", 2, server);
    if (err < 0) {
        sip_chan_close(client);
        sip_chan_close(server);         // still ours when the connect failed
        return err == -ENOENT ? -EIO : err;
    }
    conn = client;
    return 0;
}

// Takes the connection (connecting if needed): 0, or -errno and unlocked.
static int begin(void) {
    __sip_lock(&fs_lock);
    int err = conn < 0 ? connect_fs() : 0;
    if (err < 0)
        __sip_unlock(&fs_lock);
    return err;
}

// The reply to the request just sent (err: the send's result): its tag, or
// -errno. A service that has gone is -EIO (the next call reconnects).
static int await(int err) {
    if (err >= 0)
        err = FileService_recv(conn, &reply);
    if (err == -EPIPE) {
        sip_chan_close(conn);
        conn = -1;
        err = -EIO;
    }
    return err;
}

// The value of a Result reply; any other reply is -EIO.
static int result(int tag) {
    if (tag < 0)
        return tag;
    return tag == FileService_Result ? reply.Result.value : -EIO;
}

static int end(int r) {
    __sip_unlock(&fs_lock);
    return r;
}

int __fs_open(const char *path, int flags) {
    int err = begin();
    if (err < 0)
        return err;
    return end(result(await(FileService_send_Open(conn, flags, path, (int)strlen(path)))));
}

long __fs_read(int sfd, void *buf, unsigned long n) {
    int err = begin();
    if (err < 0)
        return err;
    int want = n > SIP_MSG_MAX ? SIP_MSG_MAX : (int)n;
    int tag = await(FileService_send_Read(conn, sfd, want));
    if (tag != FileService_Data)
        return end(result(tag));
    int k = reply.Data.data_len < want ? reply.Data.data_len : want;
    memcpy(buf, reply.Data.data, (size_t)k);
    return end(k);
}

// In pieces of what one message holds; stops at the first short write.
long __fs_write(int sfd, const void *buf, unsigned long n) {
    const char *p = buf;
    unsigned long done = 0;
    int err = begin();
    if (err < 0)
        return err;
    while (done < n) {
        int k = n - done > SIP_MSG_MAX - 4 ? SIP_MSG_MAX - 4 : (int)(n - done);
        int w = result(await(FileService_send_Write(conn, sfd, p + done, k)));
        if (w < 0)
            return end(done ? (int)done : w);
        done += (unsigned long)w;
        if (w < k)
            break;
    }
    return end((int)done);
}

long __fs_seek(int sfd, long offset, int whence) {
    int err = begin();
    if (err < 0)
        return err;
    return end(result(await(FileService_send_Seek(conn, sfd, offset, whence))));
}

int __fs_close(int sfd) {
    int err = begin();
    if (err < 0)
        return err;
    return end(result(await(FileService_send_Close(conn, sfd))));
}

static int stat_reply(int tag, struct stat *st) {
    if (tag != FileService_StatReply)
        return result(tag);
    st->type = reply.StatReply.type;
    st->nlink = reply.StatReply.nlink;
    st->ino = (uint64_t)reply.StatReply.ino;
    st->size = (uint64_t)reply.StatReply.size;
    return 0;
}

int __fs_fstat(int sfd, void *st) {
    int err = begin();
    if (err < 0)
        return err;
    return end(stat_reply(await(FileService_send_Fstat(conn, sfd)), st));
}

int __fs_stat(const char *path, void *st) {
    int err = begin();
    if (err < 0)
        return err;
    return end(stat_reply(await(FileService_send_Stat(conn, path, (int)strlen(path))), st));
}

// 1 and *d filled, 0 past the last entry, or -errno.
int __fs_readdir(int sfd, void *dp) {
    struct dirent *d = dp;
    int err = begin();
    if (err < 0)
        return err;
    int tag = await(FileService_send_Readdir(conn, sfd));
    if (tag != FileService_Entry)
        return end(result(tag));
    int n = reply.Entry.name_len > NAME_MAX ? NAME_MAX : reply.Entry.name_len;
    d->ino = (uint64_t)reply.Entry.ino;
    d->type = reply.Entry.type;
    memcpy(d->name, reply.Entry.name, (size_t)n);
    d->name[n] = '\0';
    return end(1);
}

int __fs_path_op(int tag, const char *path) {
    int err = begin();
    if (err < 0)
        return err;
    int len = (int)strlen(path);
    err = tag == FileService_Mkdir ? FileService_send_Mkdir(conn, path, len)
                                   : FileService_send_Unlink(conn, path, len);
    return end(result(await(err)));
}
