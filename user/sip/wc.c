// user/sip/wc.c: the hw program user/hw/wc.c, unchanged, built as a SIP: the SIP C
// library gives it the same C API (stdio, files over the file service).
#include "../hw/wc.c"
