// proc_sip/sip_source.c: find sip/NAME.sip in the boot initrd and check its
// seal with this build's key. The only file that includes the key.
#include "kern/kern.h"
#include "kern/initrd.h"
#include "proc_sip/sip_source.h"
#include "sip_seal_key.h"

const char *sip_source_path(const char *name) {
    static char path[64];
    ksnprintf(path, sizeof path, "sip/%s.sip", name);
    return path;
}

static bool name_ok(const char *name) {
    size_t n = strlen(name);
    if (n == 0 || n >= SIP_NAME_MAX || name[0] < 'a' || name[0] > 'z') return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    }
    return true;
}

int sip_source_open(const char *name, struct sip_image *img, const char **err) {
    const struct initrd *rd = initrd_get();
    struct initrd_file f;
    if (!name_ok(name)) { *err = "not a SIP name ([a-z][a-z0-9_]*)"; return -1; }
    if (!rd || initrd_find(rd, sip_source_path(name), &f) < 0) { *err = "no such image"; return -1; }
    if (sip_image_parse(f.data, f.size, sip_seal_key, img, err) < 0) return -1;
    if (strcmp(img->name, name) != 0) { *err = "the manifest names another program"; return -1; }
    return 0;
}
