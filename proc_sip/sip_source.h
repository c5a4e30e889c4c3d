// proc_sip/sip_source.h: where a SIP's image comes from: the initrd's
// sip/NAME.sip, seal-checked by sip_image_parse before anything is used.
#pragma once
#include "proc_sip/image.h"

// 0 and *img (pointing into the initrd), or -1 and *err.
int sip_source_open(const char *name, struct sip_image *img, const char **err);
const char *sip_source_path(const char *name);   // "sip/NAME.sip", for messages
