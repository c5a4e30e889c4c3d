// mm/heap.c: the heap core (see mm/heap.h for the design). Pure C: no
// locks, no printing; the caller serializes.
#include "mm/heap.h"

#define SLAB_MAGIC 0x51AB5EEDu
#define SLAB_HDR   64u             // header bytes at the start of a slab page
#define SLAB_MAX_OBJS 256u         // bitmap size: (4096 - 64) / 16 = 252 fit

// The header of a slab page. Objects follow at SLAB_HDR.
struct heap_slab {
    uint32_t magic;                 // SLAB_MAGIC: kfree's sanity check
    uint16_t cls;                   // size class index
    uint16_t inuse;                 // objects handed out
    uint16_t capacity;              // objects in this page
    uint16_t pad[3];
    struct heap_slab *next, *prev;  // in h->partial[cls] while inuse < capacity
    uint64_t used[SLAB_MAX_OBJS / 64];   // 1 = object handed out
};
_Static_assert(sizeof(struct heap_slab) == SLAB_HDR, "slab header must be 64 bytes");

struct heap_large {
    struct heap_large *next;        // hash chain
    void *base;                     // page-aligned block, what heap_alloc returned
    size_t npages;
};

static size_t class_size(unsigned cls) {
    return (size_t)1 << (cls + HEAP_MIN_SHIFT);
}

// The smallest class holding n bytes (1 <= n <= HEAP_SMALL_MAX).
static unsigned class_of(size_t n) {
    unsigned cls = 0;
    while (class_size(cls) < n) cls++;
    return cls;
}

void heap_core_init(struct heap *h, const struct heap_page_source *src) {
    *h = (struct heap){ .src = *src };
}

// ---- Slab lists ----

static void slab_push(struct heap *h, struct heap_slab *s) {
    struct heap_slab **head = &h->partial[s->cls];
    s->prev = NULL;
    s->next = *head;
    if (*head) (*head)->prev = s;
    *head = s;
}

static void slab_unlink(struct heap *h, struct heap_slab *s) {
    if (s->prev) s->prev->next = s->next;
    else h->partial[s->cls] = s->next;
    if (s->next) s->next->prev = s->prev;
    s->next = s->prev = NULL;
}

// ---- Slabs: getting and returning pages ----

static struct heap_slab *slab_new(struct heap *h, unsigned cls) {
    struct heap_slab *s = h->src.get(1, h->src.ctx);
    if (!s) return NULL;
    *s = (struct heap_slab){
        .magic = SLAB_MAGIC,
        .cls = (uint16_t)cls,
        .capacity = (uint16_t)((HEAP_PAGE_SIZE - SLAB_HDR) / class_size(cls)),
    };
    slab_push(h, s);
    h->nempty[cls]++;
    h->slab_pages++;
    return s;
}

static void slab_release(struct heap *h, struct heap_slab *s) {
    slab_unlink(h, s);
    h->nempty[s->cls]--;
    h->slab_pages--;
    s->magic = 0;                   // a stale pointer into it is no longer "ours"
    h->src.put(s, 1, h->src.ctx);
}

// ---- Slabs: objects ----

static void *slab_object(struct heap_slab *s, unsigned i) {
    return (char *)s + SLAB_HDR + (size_t)i * class_size(s->cls);
}

static unsigned slab_first_free(const struct heap_slab *s) {
    for (unsigned w = 0; w < SLAB_MAX_OBJS / 64; w++)
        if (~s->used[w]) return w * 64 + (unsigned)__builtin_ctzll(~s->used[w]);
    return SLAB_MAX_OBJS;          // unreachable: full slabs are not on the list
}

static void *small_alloc(struct heap *h, unsigned cls) {
    struct heap_slab *s = h->partial[cls];
    if (!s && !(s = slab_new(h, cls))) return NULL;
    if (s->inuse == 0) h->nempty[cls]--;
    unsigned i = slab_first_free(s);
    s->used[i / 64] |= 1ull << (i % 64);
    if (++s->inuse == s->capacity) slab_unlink(h, s);
    return slab_object(s, i);
}

// The slab p would belong to, or NULL if that page is not a slab.
static struct heap_slab *slab_of(const void *p) {
    struct heap_slab *s = (struct heap_slab *)((uintptr_t)p & ~(uintptr_t)(HEAP_PAGE_SIZE - 1));
    if (s->magic != SLAB_MAGIC || s->cls >= HEAP_NCLASSES) return NULL;
    return s;
}

// The object index of p in s, or -1 if p is not the start of an object.
static int slab_index(const struct heap_slab *s, const void *p) {
    size_t off = (uintptr_t)p - (uintptr_t)s;
    if (off < SLAB_HDR) return -1;
    off -= SLAB_HDR;
    size_t size = class_size(s->cls);
    if (off % size != 0 || off / size >= s->capacity) return -1;
    return (int)(off / size);
}

// Keep HEAP_KEEP_EMPTY empty slabs per class so that a kmalloc/kfree pair
// at a page boundary does not take and give back a page every time.
static void slab_became_empty(struct heap *h, struct heap_slab *s) {
    h->nempty[s->cls]++;
    if (h->nempty[s->cls] > HEAP_KEEP_EMPTY) slab_release(h, s);
}

static int small_free(struct heap *h, void *p) {
    struct heap_slab *s = slab_of(p);
    int i = s ? slab_index(s, p) : -1;
    if (i < 0) return HEAP_ERR_FOREIGN;
    uint64_t bit = 1ull << (i % 64);
    if (!(s->used[i / 64] & bit)) return HEAP_ERR_DOUBLE;
    s->used[i / 64] &= ~bit;
    if (s->inuse-- == s->capacity) slab_push(h, s);   // was full: back on the list
    if (s->inuse == 0) slab_became_empty(h, s);
    return HEAP_OK;
}

// ---- Large blocks ----

static struct heap_large **large_bucket(struct heap *h, const void *p) {
    return &h->large[((uintptr_t)p / HEAP_PAGE_SIZE) % HEAP_LARGE_BUCKETS];
}

// The link pointing at p's record, or NULL if p is not a live large block.
static struct heap_large **large_find(struct heap *h, const void *p) {
    for (struct heap_large **l = large_bucket(h, p); *l; l = &(*l)->next)
        if ((*l)->base == p) return l;
    return NULL;
}

static void *large_alloc(struct heap *h, size_t n) {
    if (n > SIZE_MAX - HEAP_PAGE_SIZE) return NULL;
    size_t npages = (n + HEAP_PAGE_SIZE - 1) / HEAP_PAGE_SIZE;
    struct heap_large *rec = small_alloc(h, class_of(sizeof *rec));
    if (!rec) return NULL;
    void *base = h->src.get(npages, h->src.ctx);
    if (!base) {
        small_free(h, rec);
        return NULL;
    }
    struct heap_large **bucket = large_bucket(h, base);
    *rec = (struct heap_large){ .next = *bucket, .base = base, .npages = npages };
    *bucket = rec;
    h->large_pages += npages;
    return base;
}

static int large_free(struct heap *h, void *p) {
    struct heap_large **link = large_find(h, p);
    if (!link) return HEAP_ERR_FOREIGN;
    struct heap_large *rec = *link;
    *link = rec->next;
    h->large_pages -= rec->npages;
    h->src.put(p, rec->npages, h->src.ctx);
    return small_free(h, rec);
}

// ---- The interface ----

static bool page_aligned(const void *p) {
    return ((uintptr_t)p & (HEAP_PAGE_SIZE - 1)) == 0;
}

void *heap_alloc(struct heap *h, size_t n) {
    if (n == 0) n = 1;             // a unique pointer, as malloc(0) may give
    if (n <= HEAP_SMALL_MAX) return small_alloc(h, class_of(n));
    return large_alloc(h, n);
}

int heap_free(struct heap *h, void *p) {
    if (!p) return HEAP_OK;
    return page_aligned(p) ? large_free(h, p) : small_free(h, p);
}

size_t heap_block_size(struct heap *h, const void *p) {
    if (!p) return 0;
    if (page_aligned(p)) {
        struct heap_large **l = large_find(h, p);
        return l ? (*l)->npages * HEAP_PAGE_SIZE : 0;
    }
    struct heap_slab *s = slab_of(p);
    int i = s ? slab_index(s, p) : -1;
    if (i < 0 || !(s->used[i / 64] & (1ull << (i % 64)))) return 0;
    return class_size(s->cls);
}

size_t heap_trim(struct heap *h) {
    size_t released = 0;
    for (unsigned cls = 0; cls < HEAP_NCLASSES; cls++) {
        struct heap_slab *s = h->partial[cls];
        while (s) {
            struct heap_slab *next = s->next;
            if (s->inuse == 0) {
                slab_release(h, s);
                released++;
            }
            s = next;
        }
    }
    return released;
}

size_t heap_pages_held(const struct heap *h) {
    return h->slab_pages + h->large_pages;
}
