// user/sip/grep.c: the hw program user/hw/grep.c, unchanged, built as a SIP: the SIP C
// library gives it the same C API (stdio, files over the file service).
#include "../hw/grep.c"
