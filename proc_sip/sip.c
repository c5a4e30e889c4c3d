// proc_sip/sip.c: a SIP's life: find its image in the initrd, load the image's
// code once (the loaded module is kept and shared by every later SIP of that
// name: code is fixed once loaded, and the code area is never reused), then
// run instantiate and the entry on a new kernel thread. sip_exit and traps
// unwind to that thread's base; the kernel then frees the SIP's linear memory
// and instance and the thread ends with the status.
#include "proc_sip/sip.h"
#include "proc_sip/ring3.h"
#include "proc_sip/sip_source.h"
#include "mm/mm.h"
#include "ipc/chan.h"
#include "syscall/errno_list.h"

struct sip_module {
    char name[32];
    struct sip_code code;
    void (*init_module)(void);
    void (*instantiate)(void *instance, void *env);
    void (*entry)(void *instance);
    // abi 2: threads. NULL when the manifest names none (sip_thread_create: -EINVAL).
    void (*thread_entry)(void *instance, uint32_t fn, uint32_t arg);
    uint32_t *(*stack_pointer)(void *instance);
    size_t instance_size;
    bool memcheck_guard;         // manifest memcheck=guard or none: its code has no bounds checks
    bool ring3;                  // the copy for ring-3 SIPs (proc_sip/ring3.c): user pages, stubs
    uint64_t sp_off;             // ring 3: __stack_pointer's offset in the instance
    int nendpoints;              // its manifest's endpoint=CONTRACT:ROLE lines, in order
    char endpoint[SIP_ENDPOINTS_MAX][SIP_SYM_MAX];
};

#define MAX_SIP_MODULES 32
static struct sip_module modules[MAX_SIP_MODULES];
static int nmodules;
static struct spinlock modules_lock = SPINLOCK_INIT("sip modules");
static int next_sip_id = 1;
static int sips_alive;

struct sip *sip_current(void) {
    return thread_current()->owner;
}

int sip_alive_count(void) {
    return __atomic_load_n(&sips_alive, __ATOMIC_RELAXED);
}

// An optional symbol (an empty manifest value): 0 and *addr = 0.
static int bind_optional(const struct sip_image *src, const struct sip_code *c,
                         const char *sym, uint64_t *addr) {
    *addr = 0;
    if (!sym[0]) return 0;
    *addr = sip_object_symbol(src->object, src->object_len, c, sym);
    return *addr ? 0 : -1;
}

// The symbols the manifest names, looked up in the freshly loaded object.
static int bind_symbols(struct sip_module *m, const struct sip_image *src, const char **err) {
    const uint8_t *o = src->object;
    uint64_t init = sip_object_symbol(o, src->object_len, &m->code, src->init_module);
    uint64_t inst = sip_object_symbol(o, src->object_len, &m->code, src->instantiate);
    uint64_t entry = sip_object_symbol(o, src->object_len, &m->code, src->entry);
    uint64_t te, sp;
    if (!init || !inst || !entry || bind_optional(src, &m->code, src->thread_entry, &te) < 0 ||
        bind_optional(src, &m->code, src->stack_pointer, &sp) < 0) {
        *err = "the manifest names a function the object does not define";
        return -1;
    }
    m->init_module = (void (*)(void))init;
    m->instantiate = (void (*)(void *, void *))inst;
    m->entry = (void (*)(void *))entry;
    m->thread_entry = (void (*)(void *, uint32_t, uint32_t))te;
    m->stack_pointer = (uint32_t *(*)(void *))sp;
    m->nendpoints = src->nendpoints;
    for (int i = 0; i < src->nendpoints && i < SIP_ENDPOINTS_MAX; i++)
        strlcpy(m->endpoint[i], src->endpoint[i], SIP_SYM_MAX);
    return 0;
}

static struct sip_module *module_find(const char *name, bool ring3) {
    for (int i = 0; i < nmodules; i++)
        if (strcmp(modules[i].name, name) == 0 && modules[i].ring3 == ring3) return &modules[i];
    return NULL;
}

// The loaded module NAME, loading it on first use. NULL and *errno_out:
// -ENOENT (no such image; printed only if 'say_missing') or -ENOEXEC (refused,
// printed as `sip: sip/NAME.sip: PROBLEM`).
static struct sip_module *module_get(const char *name, bool ring3, bool say_missing,
                                     int *errno_out) {
    static struct sip_image src;     // big: not on the stack; used under modules_lock
    const char *err;
    uint8_t *obj = NULL;
    spin_lock(&modules_lock);
    struct sip_module *m = module_find(name, ring3);
    // A ring-3 copy resolves against the ring-3 stubs instead of the kernel.
    const struct sip_ksym *allowed = ring3 ? sip_ring3_symbols() : sip_abi_symbols;
    if (m) { spin_unlock(&modules_lock); return m; }
    *errno_out = -ENOEXEC;
    if (nmodules == MAX_SIP_MODULES) { err = "too many loaded images"; goto refuse; }
    if (!allowed) { err = "ring 3 is not available"; goto refuse; }
    if (sip_source_open(name, &src, &err) < 0) {
        if (strcmp(err, "no such image") == 0 || strncmp(err, "not a SIP name", 14) == 0)
            *errno_out = -ENOENT;
        goto refuse;
    }
    // The object sits unaligned inside the image: the loader reads an aligned copy.
    if (!(obj = kmalloc(src.object_len))) { err = "out of memory"; goto refuse; }
    memcpy(obj, src.object, src.object_len);
    src.object = obj;
    m = &modules[nmodules];
    if (sip_load_object(obj, src.object_len, allowed, &m->code, &err) < 0 ||
        bind_symbols(m, &src, &err) < 0)
        goto refuse;
    m->ring3 = ring3;
    if (ring3) ring3_image_ready(&m->code, m->init_module, m->stack_pointer, &m->sp_off);
    kfree(obj);
    strlcpy(m->name, name, sizeof m->name);
    m->instance_size = src.instance_size;
    m->memcheck_guard = src.memcheck != SIP_MEMCHECK_EXPLICIT;   // guard or none
    nmodules++;
    spin_unlock(&modules_lock);
    return m;
refuse:
    spin_unlock(&modules_lock);
    kfree(obj);
    if (*errno_out != -ENOENT || say_missing)
        kprintf("sip: %s: %s\n", sip_source_path(name), err);
    return NULL;
}

// For tests (ktest_ring3.c): where the loaded copy's entry is, or 0.
uint64_t sip_module_entry(const char *name, bool ring3) {
    spin_lock(&modules_lock);
    struct sip_module *m = module_find(name, ring3);
    uint64_t entry = m ? (uint64_t)m->entry : 0;
    spin_unlock(&modules_lock);
    return entry;
}

// Runs on the SIP's main thread, on its own stack: everything the SIP's
// code does starts here.
static void run_wasm(void *arg) {
    struct sip *s = arg;
    s->instance = kzalloc(s->mod->instance_size);
    if (!s->instance) sip_trap_current("no memory for the instance");
    s->mod->init_module();       // idempotent: registers the module's types
    s->mod->instantiate(s->instance, s);
    // The __stack_pointer global, which variant_thread_switch swaps per thread.
    if (s->mod->stack_pointer) {
        uint32_t *sp = s->mod->stack_pointer(s->instance);
        s->threads[0].sp = *sp;
        __atomic_store_n(&s->stack_pointer, sp, __ATOMIC_RELEASE);
    }
    s->mod->entry(s->instance);
}

// A ring-3 SIP (proc_sip/ring3_sip.c): the same steps from ring 3, where
// its image's trampoline calls instantiate and entry. Never returns.
static _Noreturn void run_ring3(struct sip *s, uint64_t stack_top) {
    const struct sip_module *m = s->mod;
    ring3_run_main(s, stack_top, (uint64_t)m->instantiate, (uint64_t)m->entry,
                   m->instance_size, m->stack_pointer ? m->sp_off : UINT64_MAX);
}

static void sip_main(void *arg) {
    struct sip *s = arg;
    struct sip_thread *st = &s->threads[0];
    wasm_rt_call_stack_depth = 0;
    if (sip_setjmp(st->jmp) == 0) {
        uint64_t stack_top = sip_stack_map(s, 0);
        if (!stack_top) sip_trap_current("out of memory for its stack");
        st->stack_mapped = true;
        if (s->mod->ring3) run_ring3(s, stack_top);
        sip_call_on_stack(run_wasm, s, stack_top);
        sip_end(s, 0, "");       // returning from _start is exit(0)
    }
    ring3_left();                // an unwind from a ring-3 ABI call: SMAP closed
    sip_finish(s);
}

bool sip_memcheck_guard(const struct sip *s) {
    return s->mod->memcheck_guard;
}

bool sip_threads_supported(const struct sip *s) {
    return s->mod->thread_entry && s->stack_pointer;
}

// A ring-3 SIP's thread (threads.c) enters ring 3 at the same function.
uint64_t sip_thread_entry_addr(const struct sip *s) {
    return (uint64_t)s->mod->thread_entry;
}

// On a new thread's own stack (threads.c): the library's __sip_thread_entry.
void sip_run_thread_entry(struct sip *s, uint32_t fn, uint32_t arg) {
    s->mod->thread_entry(s->instance, fn, arg);
}

// Called by sip_finish (kill.c) on the main thread, once every other thread
// and child is gone: the SIP's memory, code tables and instance go back.
void sip_free_resources(struct sip *s) {
    // No thread switch may save into the instance from here on.
    __atomic_store_n(&s->stack_pointer, NULL, __ATOMIC_RELEASE);
    sip_handles_close_all(s);
    sip_mem_release(s);
    ring3_release(s);            // its runtime area (ring 3), while its table exists
    sip_space_destroy(s);        // its own page table, if it has one (after its pages)
    sip_tables_release(s);
    kfree(s->instance);
    s->instance = NULL;
    kfree(s->args);
    s->args = NULL;
}

// NUL-separated strings: at most SIP_ARGC_MAX of them (a last one may lack its NUL).
static bool args_ok(const char *args, uint32_t len) {
    if (len > SIP_ARGS_MAX || (len && !args)) return false;
    int n = 0;
    for (uint32_t i = 0; i < len; i++)
        if (args[i] == '\0' || i == len - 1) n++;
    return n <= SIP_ARGC_MAX;
}

// eps[i] against the manifest's line i "CONTRACT:ROLE": same contract, same
// role, or NULL. A SIP spawning may give FEWER than the lines (the rest are
// none, as a -1 would be): a spawner cannot always know how many a program
// declares (the shell gives stdin and stdout; a portable program's
// pt_spawn gives only the links it made, of the four its backend declares).
// More than the lines is an error; the kernel may give extra NULLs.
static int endpoints_match(const struct sip_module *m, struct endpoint *const *eps, int neps,
                           bool strict) {
    if (neps < 0 || (strict && neps > m->nendpoints)) return -EINVAL;
    for (int i = 0; i < neps; i++) {
        if (!eps || !eps[i]) continue;
        if (i >= m->nendpoints) return -EINVAL;
        const struct contract *c = endpoint_contract(eps[i]);
        const char *colon = strchr(m->endpoint[i], ':');
        size_t clen = colon ? (size_t)(colon - m->endpoint[i]) : 0;
        if (!colon || strlen(c->name) != clen || strncmp(c->name, m->endpoint[i], clen) != 0 ||
            contract_role(c, colon + 1) != endpoint_role(eps[i]))
            return -EINVAL;
    }
    return 0;
}

static struct sip *sip_new(struct sip_module *m, const char *name) {
    struct sip *s = kzalloc(sizeof *s);
    if (!s) return NULL;
    s->mod = m;
    s->mem_slot = -1;
    strlcpy(s->name, name, sizeof s->name);
    spin_init(&s->lock, "sip");
    waitq_init(&s->thread_q, "sip threads");
    waitq_init(&s->end_q, "sip end");
    for (int i = 0; i < SIP_MAX_THREADS; i++) waitq_init(&s->threads[i].futex_q, "sip futex");
    s->next_tid = 2;
    s->id = __atomic_fetch_add(&next_sip_id, 1, __ATOMIC_RELAXED);
    return s;
}

static void sip_delete(struct sip *s) {
    if (s->mem_slot >= 0) sip_mem_release(s);
    sip_space_destroy(s);
    kfree(s->args);
    kfree(s);
}

// The first argument after the name (args' second NUL-separated string)
// into buf, cut to fit: what sipdom.NAME/ARG1 selects by. NULL if none.
static const char *first_arg(const char *args, uint32_t len, char *buf, size_t cap) {
    uint32_t i = 0;
    while (i < len && args[i]) i++;
    if (++i >= len) return NULL;
    size_t n = 0;
    while (i + n < len && args[i + n] && n < cap - 1) n++;
    memcpy(buf, args + i, n);
    buf[n] = 0;
    return buf;
}

// Its args, domain, window, page table and main thread; 0 or -errno (then
// s is deleted).
static int sip_setup(struct sip *s, const char *args, uint32_t args_len) {
    char arg1[32];
    if (args_len) {
        if (!(s->args = kmalloc(args_len))) return -ENOMEM;
        memcpy(s->args, args, args_len);
        s->args_len = args_len;
    }
    s->domain = sip_domain_choose(s->name, first_arg(args, args_len, arg1, sizeof arg1));
    if (sip_window_reserve(s) < 0) {
        kprintf("sip: %s: too many SIPs (no memory window free)\n", s->name);
        return -EAGAIN;
    }
    if (sip_space_create(s) < 0) return -ENOMEM;
    s->main = thread_alloc(s->name, sip_main, s);
    if (!s->main) return -EAGAIN;
    s->main->owner = s;          // before it first runs: sip_current() is right from the start
    s->threads[0].tid = 1;
    s->threads[0].t = s->main;
    return 0;
}

static struct sip *create(const char *name, const char *args, uint32_t args_len,
                          struct endpoint *const *eps, int neps, struct sip *parent,
                          bool print_exit, int *err) {
    if (!args_ok(args, args_len)) { *err = -EINVAL; return NULL; }
    // Its domain picks the copy of its image: sip_setup chooses it again, the same way.
    char arg1[32];
    bool ring3 = sip_domain_choose(name, first_arg(args, args_len, arg1, sizeof arg1)) ==
                 SIPDOM_RING3;
    struct sip_module *m = module_get(name, ring3, parent == NULL, err);
    if (!m) return NULL;
    if ((*err = endpoints_match(m, eps, neps, parent != NULL)) < 0) return NULL;
    struct sip *s = sip_new(m, name);
    if (!s) { *err = -ENOMEM; return NULL; }
    if ((*err = sip_setup(s, args, args_len)) < 0) { sip_delete(s); return NULL; }
    s->print_exit = print_exit;
    for (int i = 0; i < neps; i++)
        if (eps && eps[i]) sip_handle_set(s, i, eps[i]);
    if (parent) {
        s->parent = parent;
        spin_lock(&parent->lock);
        s->sibling = parent->children;
        parent->children = s;
        spin_unlock(&parent->lock);
    }
    __atomic_add_fetch(&sips_alive, 1, __ATOMIC_RELAXED);
    sched_make_ready(s->main);
    return s;
}

struct sip *sip_create(const char *name, const char *args, uint32_t args_len,
                       struct endpoint *const *eps, int neps, struct sip *parent, int *err) {
    return create(name, args, args_len, eps, neps, parent, false, err);
}

// The way before sip_create: no args, no endpoints; prints the exit line.
struct sip *sip_spawn(const char *name) {
    int err;
    return create(name, NULL, 0, NULL, 0, NULL, true, &err);
}

bool sip_was_killed(const struct sip *s) {
    return s->end_line[0] != '\0';
}

int sip_wait(struct sip *s) {
    thread_join(s->main);
    int status = s->status;
    kfree(s);
    __atomic_sub_fetch(&sips_alive, 1, __ATOMIC_RELAXED);
    return status;
}
