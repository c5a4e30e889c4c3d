// proc_sip/nsdir.c: the kernel's name directory. A service registers the
// `dir` end of a Connect channel under a name and keeps the `service` end;
// a client's endpoint reaches the service inside a Connect message sent on
// that `dir` end. The directory never receives anything: a `dir` end that
// polls "ready" has a closed peer, i.e. its service is gone.
//
// chan_send may sleep (a service that does not accept fills its queue), so
// no spinlock is held across channel calls: an entry in use has users > 0
// and is not freed until they are done; a dead one only stops matching.
#include "kern/kern.h"
#include "syscall/errno_list.h"
#include "proc_sip/services.h"

#define NSDIR_MAX 64

struct nsentry {
    char name[NSDIR_NAME_MAX];   // "" while the slot is free
    struct endpoint *dir;        // the Connect:dir end (ours)
    int users;                   // threads using dir outside the lock
    bool dead;                   // its service closed: the name no longer matches
};

static struct nsentry table[NSDIR_MAX];
static struct spinlock nsdir_lock = SPINLOCK_INIT("nsdir");

// Frees e if it is dead and unused; returns the endpoint to close (outside
// the lock), or NULL. Caller holds nsdir_lock.
static struct endpoint *entry_reap(struct nsentry *e) {
    if (!e->dead || e->users > 0 || !e->dir) return NULL;
    struct endpoint *dir = e->dir;
    e->dir = NULL;
    e->name[0] = '\0';
    e->dead = false;
    return dir;
}

// Caller holds nsdir_lock. The live entry called name, or NULL.
static struct nsentry *entry_find(const char *name) {
    for (int i = 0; i < NSDIR_MAX; i++)
        if (table[i].dir && !table[i].dead && strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

// Ends a use of e begun under the lock; dead: the use found its service gone.
static void entry_release(struct nsentry *e, bool dead) {
    spin_lock(&nsdir_lock);
    e->users--;
    if (dead) e->dead = true;
    struct endpoint *gone = entry_reap(e);
    spin_unlock(&nsdir_lock);
    if (gone) endpoint_close(gone);
}

// Polls e's service (without the lock): false if its service end is closed.
// Caller holds a use of e.
static bool entry_alive(struct nsentry *e) {
    struct endpoint *dir = e->dir;
    return chan_select(&dir, 1, 0) != 0;    // 0: "ready", nothing but a closed peer
}

// Drops every entry whose service has gone, so that a dead service's `dir`
// end does not linger (leak counts) and its name is free again.
static void nsdir_sweep(void) {
    for (int i = 0; i < NSDIR_MAX; i++) {
        struct nsentry *e = &table[i];
        spin_lock(&nsdir_lock);
        bool check = e->dir && !e->dead;
        if (check) e->users++;
        spin_unlock(&nsdir_lock);
        if (check) entry_release(e, !entry_alive(e));
    }
}

static bool name_ok(const char *name) {
    size_t n = strlen(name);
    return n > 0 && n < NSDIR_NAME_MAX;
}

static bool is_connect_dir(struct endpoint *ep) {
    const struct contract *c = contract_find("Connect");
    return ep && c && endpoint_contract(ep) == c && endpoint_role(ep) == contract_role(c, "dir");
}

int nsdir_register(const char *name, struct endpoint *dir_end) {
    if (!name_ok(name) || !is_connect_dir(dir_end)) return -EINVAL;
    nsdir_sweep();
    spin_lock(&nsdir_lock);
    int r = -EEXIST;
    if (!entry_find(name)) {
        r = -ENOMEM;                     // the table is full
        for (int i = 0; i < NSDIR_MAX && r != 0; i++) {
            if (table[i].dir) continue;
            strlcpy(table[i].name, name, sizeof table[i].name);
            table[i].dir = dir_end;
            table[i].users = 0;
            table[i].dead = false;
            r = 0;
        }
    }
    spin_unlock(&nsdir_lock);
    return r;
}

int nsdir_connect(const char *name, struct endpoint *client) {
    if (!name_ok(name)) return -ENOENT;  // no service can have it
    if (!client) return -EINVAL;
    const struct contract *c = contract_find("Connect");
    int tag = c ? contract_message(c, "Connect") : -1;
    if (tag < 0) return -ENOENT;
    nsdir_sweep();
    spin_lock(&nsdir_lock);
    struct nsentry *e = entry_find(name);
    if (e) e->users++;
    spin_unlock(&nsdir_lock);
    if (!e) return -ENOENT;
    const char *why = NULL;
    int r = chan_send(e->dir, tag, NULL, 0, &client, 1, &why);
    entry_release(e, r == -EPIPE);
    if (r == CHAN_VIOLATION) {           // our own message refused: a bad Connect contract
        kprintf("nsdir: contract Connect refuses Connect to %s: %s\n", name, why ? why : "?");
        return -EINVAL;
    }
    return r == -EPIPE ? -ENOENT : r;
}
