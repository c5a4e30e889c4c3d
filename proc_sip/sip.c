// proc_sip/sip.c: a SIP's life: find its image in the initrd, load the image's
// code once (the loaded module is kept and shared by every later SIP of that
// name: code is fixed once loaded, and the code area is never reused), then
// run instantiate and the entry on a new kernel thread. sip_exit and traps
// unwind to that thread's base; the kernel then frees the SIP's linear memory
// and instance and the thread ends with the status.
#include "proc_sip/sip.h"
#include "proc_sip/sip_source.h"
#include "mm/mm.h"

struct sip_module {
    char name[32];
    struct sip_code code;
    void (*init_module)(void);
    void (*instantiate)(void *instance, void *env);
    void (*entry)(void *instance);
    size_t instance_size;
};

#define MAX_SIP_MODULES 32
static struct sip_module modules[MAX_SIP_MODULES];
static int nmodules;
static struct spinlock modules_lock = SPINLOCK_INIT("sip modules");
static int next_sip_id = 1;

struct sip *sip_current(void) {
    return thread_current()->owner;
}

// The symbols the manifest names, looked up in the freshly loaded object.
static int bind_symbols(struct sip_module *m, const struct sip_image *src, const char **err) {
    const uint8_t *o = src->object;
    uint64_t init = sip_object_symbol(o, src->object_len, &m->code, src->init_module);
    uint64_t inst = sip_object_symbol(o, src->object_len, &m->code, src->instantiate);
    uint64_t entry = sip_object_symbol(o, src->object_len, &m->code, src->entry);
    if (!init || !inst || !entry) {
        *err = "the manifest names a function the object does not define";
        return -1;
    }
    m->init_module = (void (*)(void))init;
    m->instantiate = (void (*)(void *, void *))inst;
    m->entry = (void (*)(void *))entry;
    return 0;
}

static struct sip_module *module_find(const char *name) {
    for (int i = 0; i < nmodules; i++)
        if (strcmp(modules[i].name, name) == 0) return &modules[i];
    return NULL;
}

// The loaded module NAME, loading it on first use. NULL after a message.
static struct sip_module *module_get(const char *name) {
    static struct sip_image src;     // big: not on the stack; used under modules_lock
    const char *err;
    uint8_t *obj = NULL;
    spin_lock(&modules_lock);
    struct sip_module *m = module_find(name);
    if (m) { spin_unlock(&modules_lock); return m; }
    if (nmodules == MAX_SIP_MODULES) { err = "too many loaded images"; goto refuse; }
    if (sip_source_open(name, &src, &err) < 0) goto refuse;
    // The object sits unaligned inside the image: the loader reads an aligned copy.
    if (!(obj = kmalloc(src.object_len))) { err = "out of memory"; goto refuse; }
    memcpy(obj, src.object, src.object_len);
    src.object = obj;
    m = &modules[nmodules];
    if (sip_load_object(obj, src.object_len, sip_abi_symbols, &m->code, &err) < 0 ||
        bind_symbols(m, &src, &err) < 0)
        goto refuse;
    kfree(obj);
    strlcpy(m->name, name, sizeof m->name);
    m->instance_size = src.instance_size;
    nmodules++;
    spin_unlock(&modules_lock);
    return m;
refuse:
    spin_unlock(&modules_lock);
    kfree(obj);
    kprintf("sip: %s: %s\n", sip_source_path(name), err);
    return NULL;
}

// Runs on the SIP's own thread: everything the SIP's code does happens here.
static void run_wasm(void *arg) {
    struct sip *s = arg;
    s->instance = kzalloc(s->mod->instance_size);
    if (!s->instance) sip_trap_current("no memory for the instance");
    s->mod->init_module();       // idempotent: registers the module's types
    s->mod->instantiate(s->instance, s);
    s->mod->entry(s->instance);
}

static void sip_main(void *arg) {
    struct sip *s = arg;
    wasm_rt_call_stack_depth = 0;
    if (sip_setjmp(s->exit_jmp) == 0) {
        uint64_t stack_top = sip_stack_map(s);
        if (!stack_top) sip_trap_current("out of memory for its stack");
        sip_call_on_stack(run_wasm, s, stack_top);
        s->status = 0;           // returning from _start is exit(0)
    }
    if (s->trap)
        kprintf("sip %d (%s): trap: %s, killed\n", s->id, s->name, s->trap);
    else
        kprintf("sip %d (%s): exited with status %d\n", s->id, s->name, s->status);
    sip_mem_release(s);
    sip_tables_release(s);
    kfree(s->instance);
    s->instance = NULL;
    int status = s->status;
    // From here the thread is no SIP's: sip_wait may free s once we are gone,
    // and the last switch away must not save into it.
    thread_current()->owner = NULL;
    thread_exit(status);
}

_Noreturn void sip_exit_current(int status) {
    struct sip *s = sip_current();
    KASSERT(s);
    s->status = status;
    sip_longjmp(s->exit_jmp, 1);
}

_Noreturn void sip_trap_current(const char *what) {
    struct sip *s = sip_current();
    KASSERT(s);
    s->trap = what;
    s->status = -1;
    sip_longjmp(s->exit_jmp, 1);
}

struct sip *sip_spawn(const char *name) {
    struct sip_module *m = module_get(name);
    if (!m) return NULL;
    struct sip *s = kzalloc(sizeof *s);
    if (!s) return NULL;
    s->mod = m;
    s->mem_slot = -1;
    strlcpy(s->name, name, sizeof s->name);
    s->id = __atomic_fetch_add(&next_sip_id, 1, __ATOMIC_RELAXED);
    if (sip_window_reserve(s) < 0) {
        kprintf("sip: %s: too many SIPs (no memory window free)\n", name);
        kfree(s);
        return NULL;
    }
    s->main = thread_alloc(name, sip_main, s);
    if (!s->main) { sip_mem_release(s); kfree(s); return NULL; }
    s->main->owner = s;          // before it first runs: sip_current() is right from the start
    sched_make_ready(s->main);
    return s;
}

int sip_wait(struct sip *s) {
    thread_join(s->main);
    int status = s->status;
    kfree(s);
    return status;
}
