// proc_sip/sip_abi_proc.c: the ABI's threads, futexes and SIPs (spawn, wait,
// kill, args). See sip_abi.c for the conventions; the work is in threads.c,
// sip.c and kill.c.
#include "proc_sip/sip_abi.h"
#include "ipc/chan.h"

int sip_abi_name(struct sip *s, uint32_t ptr, uint32_t len, char buf[32]) {
    if (len == 0 || len > 31) return -EINVAL;
    const char *p = sip_mem_range(s, ptr, len);
    if (!p) return -EFAULT;
    memcpy(buf, p, len);
    buf[len] = '\0';
    return strlen(buf) == len ? 0 : -EINVAL;
}

// ---- Threads ----

uint32_t Z_envZ_sip_thread_create(env_t *env, uint32_t fn, uint32_t arg, uint32_t stack_top) {
    struct sip *s = sip_of(env);
    return (uint32_t)sip_abi_return(s, sip_thread_spawn(s, fn, arg, stack_top));
}

void Z_envZ_sip_thread_exit(env_t *env, uint32_t status) {
    (void)env;
    sip_thread_exit_current((int32_t)status);
}

uint32_t Z_envZ_sip_thread_join(env_t *env, uint32_t tid) {
    struct sip *s = sip_of(env);
    return (uint32_t)sip_abi_return(s, sip_thread_join_tid(s, (int32_t)tid));
}

uint32_t Z_envZ_sip_futex_wait(env_t *env, uint32_t ptr, uint32_t expected, uint64_t timeout_ns) {
    struct sip *s = sip_of(env);
    return (uint32_t)sip_abi_return(s, sip_futex_wait(s, ptr, expected, (int64_t)timeout_ns));
}

uint32_t Z_envZ_sip_futex_wake(env_t *env, uint32_t ptr, uint32_t n) {
    struct sip *s = sip_of(env);
    int32_t count = (int32_t)n;
    return (uint32_t)sip_abi_return(s, sip_futex_wake(s, ptr, count < 0 ? 0 : (uint32_t)count));
}

// ---- SIPs ----

// Lends handles hs[0..n) (-1: none) into eps[]; 0, or -EBADF with nothing lent.
static int lend_all(struct sip *s, const int32_t *hs, int n, struct endpoint **eps) {
    for (int i = 0; i < n; i++) {
        eps[i] = NULL;
        if (hs[i] == -1) continue;
        if (!(eps[i] = sip_handle_lend(s, hs[i]))) {
            for (int j = 0; j < i; j++)
                if (eps[j]) sip_handle_return(s, hs[j]);
            return -EBADF;
        }
    }
    return 0;
}

static void settle_all(struct sip *s, const int32_t *hs, int n, bool moved) {
    for (int i = 0; i < n; i++) {
        if (hs[i] == -1) continue;
        if (moved) sip_handle_commit(s, hs[i]);
        else sip_handle_return(s, hs[i]);
    }
}

static int spawn(struct sip *s, uint32_t name, uint32_t name_len, uint32_t args,
                 uint32_t args_len, uint32_t handles, uint32_t nhandles) {
    char nm[32];
    int32_t hs[SIP_INIT_EPS_MAX];
    struct endpoint *eps[SIP_INIT_EPS_MAX];
    int r = sip_abi_name(s, name, name_len, nm);
    if (r < 0) return r;
    if (args_len > SIP_ARGS_MAX || nhandles > SIP_INIT_EPS_MAX) return -EINVAL;
    const char *a = sip_mem_range(s, args, args_len);
    const void *hp = sip_mem_range(s, handles, nhandles * 4);
    if (!a || !hp) return -EFAULT;
    memcpy(hs, hp, nhandles * 4);
    if ((r = lend_all(s, hs, (int)nhandles, eps)) < 0) return r;
    struct sip *c = sip_create(nm, a, args_len, eps, (int)nhandles, s, &r);
    settle_all(s, hs, (int)nhandles, c != NULL);
    return c ? c->id : r;
}

uint32_t Z_envZ_sip_spawn(env_t *env, uint32_t name, uint32_t name_len, uint32_t args,
                          uint32_t args_len, uint32_t handles, uint32_t nhandles) {
    struct sip *s = sip_of(env);
    return (uint32_t)sip_abi_return(s, spawn(s, name, name_len, args, args_len, handles, nhandles));
}

// s->lock held: the child with this id not yet waited for, or NULL.
static struct sip *child_find(struct sip *s, int id) {
    for (struct sip *c = s->children; c; c = c->sibling)
        if (c->id == id) return c;
    return NULL;
}

static void child_unlink(struct sip *s, struct sip *c) {
    spin_lock(&s->lock);
    struct sip **pp = &s->children;
    while (*pp != c) pp = &(*pp)->sibling;
    *pp = c->sibling;
    spin_unlock(&s->lock);
}

// Sleeps (killable) until c has ended: true, or false if interrupted.
static bool child_wait_end(struct sip *c) {
    bool ended;
    spin_lock(&c->lock);
    while (!(ended = c->ended) && waitq_sleep_killable(&c->end_q, &c->lock) == 0) {}
    spin_unlock(&c->lock);
    return ended;
}

static int wait_child(struct sip *s, int id, uint32_t status_out) {
    void *out = sip_mem_range(s, status_out, 4);
    if (!out) return -EFAULT;
    spin_lock(&s->lock);
    struct sip *c = child_find(s, id);
    if (c && c->waited_on) c = NULL;     // another thread of ours waits for it
    if (c) c->waited_on = true;
    spin_unlock(&s->lock);
    if (!c) return -ECHILD;
    if (!child_wait_end(c)) {
        spin_lock(&s->lock);
        c->waited_on = false;
        spin_unlock(&s->lock);
        return -EINTR;
    }
    child_unlink(s, c);
    int32_t status = sip_wait(c);
    memcpy(out, &status, 4);
    return 0;
}

uint32_t Z_envZ_sip_wait(env_t *env, uint32_t child, uint32_t status_out) {
    struct sip *s = sip_of(env);
    return (uint32_t)sip_abi_return(s, wait_child(s, (int32_t)child, status_out));
}

// Under s->lock, so the child cannot be reaped (and freed) meanwhile.
uint32_t Z_envZ_sip_kill(env_t *env, uint32_t child) {
    struct sip *s = sip_of(env);
    spin_lock(&s->lock);
    struct sip *c = child_find(s, (int32_t)child);
    if (c) sip_kill_by(c, s->id);
    spin_unlock(&s->lock);
    return (uint32_t)sip_abi_return(s, c ? 0 : -ECHILD);
}

static int args(struct sip *s, uint32_t buf, uint32_t cap) {
    if ((int32_t)cap < 0 || cap < s->args_len) return -ERANGE;
    void *p = sip_mem_range(s, buf, s->args_len);
    if (!p) return -EFAULT;
    if (s->args_len) memcpy(p, s->args, s->args_len);
    return (int)s->args_len;
}

uint32_t Z_envZ_sip_args(env_t *env, uint32_t buf, uint32_t cap) {
    struct sip *s = sip_of(env);
    return (uint32_t)sip_abi_return(s, args(s, buf, cap));
}
