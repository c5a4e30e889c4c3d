// proc_hw/textshare.h: read-only program segments shared between the
// processes that exec the same file contents (textshare.c).
#pragma once
#include "proc_hw/uvm.h"

// What a shared segment is: these bytes of this version of this file, at
// this place, with these permissions (PROT_*, never PROT_WRITE).
struct textseg_key {
    uint64_t ino, version;
    uint64_t offset, vaddr, memsz;
    uint64_t prot;
};

struct textseg *textseg_find(const struct textseg_key *key);   // +1 user, or NULL
struct textseg *textseg_publish(const struct textseg_key *key, const uint64_t *frames,
                                size_t npages);                 // 1 user, or NULL
const uint64_t *textseg_frames(const struct textseg *t, size_t *npages);
void textseg_dup(struct textseg *t);    // +1 user (fork)
void textseg_put(struct textseg *t);    // -1 user; the last frees its frames

// uvm.c: an exec'd space maps an entry's frames, or publishes what it loaded.
// uvm_map_textseg takes over the caller's user reference on success only.
int uvm_map_textseg(struct uspace *as, uint64_t va, struct textseg *t, uint64_t prot);
void uvm_publish_textseg(struct uspace *as, const struct textseg_key *key);
