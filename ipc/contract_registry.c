// ipc/contract_registry.c: the sip kernel's contracts, loaded once at boot
// from every contracts/NAME.contract of the initrd (the build copies
// ipc/contracts/ there, mk/contracts.mk). A malformed contract is refused
// with one line and boot goes on without it: a SIP whose manifest names it is
// then refused at spawn, so one bad file never stops the kernel. After the
// load the table is only read, so contract_find needs no lock.
#include "kern/kern.h"
#include "kern/initrd.h"
#include "mm/mm.h"
#include "ipc/contract.h"

#define REGISTRY_MAX 64

static struct contract *loaded[REGISTRY_MAX];
static int nloaded;
static bool load_done;

static const char DIR[] = "contracts/", EXT[] = ".contract";
#define DIR_LEN (sizeof DIR - 1)
#define EXT_LEN (sizeof EXT - 1)

// "contracts/NAME.contract" (no deeper folder) -> NAME in name[]; false for
// every other file. A name too long for a contract is cut short: the parser
// then refuses it (the `contract` line cannot match).
static bool contract_file_name(const struct initrd_file *f, char name[CONTRACT_NAME_MAX]) {
    if (f->name_len <= DIR_LEN + EXT_LEN || strncmp(f->name, DIR, DIR_LEN) != 0 ||
        strncmp(f->name + f->name_len - EXT_LEN, EXT, EXT_LEN) != 0)
        return false;
    size_t n = f->name_len - DIR_LEN - EXT_LEN;
    for (size_t i = 0; i < n; i++)
        if (f->name[DIR_LEN + i] == '/')
            return false;
    if (n >= CONTRACT_NAME_MAX)
        n = CONTRACT_NAME_MAX - 1;
    memcpy(name, f->name + DIR_LEN, n);
    name[n] = '\0';
    return true;
}

static void refuse(const struct initrd_file *f, const char *problem) {
    kprintf("contract: %.*s: %s\n", (int)f->name_len, f->name, problem);
}

static int find_index(const char *name) {
    for (int i = 0; i < nloaded; i++)
        if (strcmp(loaded[i]->name, name) == 0)
            return i;
    return -1;
}

// Parses one file into the table; a later copy of a name replaces the
// earlier one, as extracting the archive would leave it.
static void load_file(const struct initrd_file *f, const char *name) {
    static char err[160];
    struct contract *c = kmalloc(sizeof *c);
    if (!c) {
        refuse(f, "out of memory");
        return;
    }
    if (contract_parse((const char *)f->data, f->size, name, c, err, sizeof err) < 0) {
        refuse(f, err);
        kfree(c);
        return;
    }
    int i = find_index(name);
    if (i >= 0) {
        kfree(loaded[i]);
        loaded[i] = c;
    } else if (nloaded == REGISTRY_MAX) {
        refuse(f, "more than 64 contracts");
        kfree(c);
    } else {
        loaded[nloaded++] = c;
    }
}

// The first `ep C:R` field of c naming no loaded contract C with role R: its
// problem in buf, or NULL if every one is fine.
static const char *bad_ep_field(const struct contract *c, char *buf, size_t cap) {
    for (int m = 0; m < c->nmessages; m++) {
        const struct contract_message *msg = &c->messages[m];
        for (int i = 0; i < msg->nfields; i++) {
            const struct contract_field *f = &msg->fields[i];
            if (f->type != CT_EP || f->ep_contract[0] == '\0')
                continue;
            int k = find_index(f->ep_contract);
            if (k >= 0 && contract_role(loaded[k], f->ep_role) >= 0)
                continue;
            if (k < 0)
                ksnprintf(buf, cap, "line %d: ep field '%s': no contract %s loaded", f->line,
                          f->name, f->ep_contract);
            else
                ksnprintf(buf, cap, "line %d: ep field '%s': contract %s has no role %s",
                          f->line, f->name, f->ep_contract, f->ep_role);
            return buf;
        }
    }
    return NULL;
}

// Drops every contract with a dangling ep field, until none is left (one
// dropped may leave another dangling).
static void drop_dangling(void) {
    static char buf[200];
    for (bool again = true; again;) {
        again = false;
        for (int i = 0; i < nloaded; i++) {
            if (!bad_ep_field(loaded[i], buf, sizeof buf))
                continue;
            kprintf("contract: contracts/%s.contract: %s\n", loaded[i]->name, buf);
            kfree(loaded[i]);
            loaded[i--] = loaded[--nloaded];
            again = true;
        }
    }
}

void contracts_load(void) {
    const struct initrd *rd = initrd_get();
    struct initrd_file f;
    size_t cursor = 0;
    char name[CONTRACT_NAME_MAX];
    if (load_done)
        return;
    load_done = true;
    while (rd && initrd_next(rd, &cursor, &f))
        if (contract_file_name(&f, name))
            load_file(&f, name);
    drop_dangling();
    kprintf("contracts: %d loaded\n", nloaded);
}

const struct contract *contract_find(const char *name) {
    int i = name ? find_index(name) : -1;
    return i >= 0 ? loaded[i] : NULL;
}
