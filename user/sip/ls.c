// user/sip/ls.c: the hw program user/hw/ls.c, unchanged, built as a SIP: the SIP C
// library gives it the same C API (stdio, files over the file service).
#include "../hw/ls.c"
