// proc_hw/textshare.c: a program's read-only segments (text, rodata),
// loaded once and mapped by every live process that runs the same file
// contents, as a page cache would give them.
//
// Why: exec used to give every new process fresh copies of its text. Under
// QEMU's TCG that is dear twice over: the emulator caches translated code
// by physical address, so code at new frames is translated again, and
// zeroing a freed frame that held translated code makes it throw that code
// away first. fork+exec+exit+wait of hwbench spent most of its time there.
//
// An entry is keyed by the file's (ino, version) (kern/fs.c: never reused,
// bumped by every write) and the segment's place in the file and memory.
// It holds one frame reference per page, so its frames outlive any one
// mapping, and counts the address spaces that use it (struct uspace's
// shared[]): the last one to go frees it, so no frame stays held once no
// process runs the program.
#include "proc_hw/textshare.h"

struct textseg {
    struct textseg_key key;
    int users;                    // address spaces listing it in shared[]
    size_t npages;
    struct textseg *next;
    uint64_t frames[];            // one reference each
};

static struct textseg *segs;
static struct spinlock textshare_lock = SPINLOCK_INIT("textshare");

static bool same_key(const struct textseg_key *a, const struct textseg_key *b) {
    return a->ino == b->ino && a->version == b->version && a->offset == b->offset &&
           a->vaddr == b->vaddr && a->memsz == b->memsz && a->prot == b->prot;
}

// The entry for key with one more user, or NULL if none is live.
struct textseg *textseg_find(const struct textseg_key *key) {
    spin_lock(&textshare_lock);
    struct textseg *t = segs;
    while (t && !same_key(&t->key, key)) t = t->next;
    if (t) t->users++;
    spin_unlock(&textshare_lock);
    return t;
}

// A new entry for the npages frames now mapped in a space (one user: that
// space). NULL when memory or a reference count ran out: the caller then
// simply keeps its private copy.
struct textseg *textseg_publish(const struct textseg_key *key, const uint64_t *frames,
                                size_t npages) {
    struct textseg *t = kmalloc(sizeof *t + npages * sizeof t->frames[0]);
    if (!t) return NULL;
    t->key = *key;
    t->users = 1;
    t->npages = npages;
    for (size_t i = 0; i < npages; i++) {
        if (!frameref_inc(frames[i])) {
            while (i--) frameref_put(frames[i]);
            kfree(t);
            return NULL;
        }
        t->frames[i] = frames[i];
    }
    spin_lock(&textshare_lock);
    t->next = segs;
    segs = t;
    spin_unlock(&textshare_lock);
    return t;
}

const uint64_t *textseg_frames(const struct textseg *t, size_t *npages) {
    *npages = t->npages;
    return t->frames;
}

// fork: the child's space lists the parent's entries too.
void textseg_dup(struct textseg *t) {
    spin_lock(&textshare_lock);
    t->users++;
    spin_unlock(&textshare_lock);
}

void textseg_put(struct textseg *t) {
    spin_lock(&textshare_lock);
    bool last = --t->users == 0;
    if (last) {
        struct textseg **pp = &segs;
        while (*pp != t) pp = &(*pp)->next;
        *pp = t->next;
    }
    spin_unlock(&textshare_lock);
    if (!last) return;
    for (size_t i = 0; i < t->npages; i++) frameref_put(t->frames[i]);
    kfree(t);
}
