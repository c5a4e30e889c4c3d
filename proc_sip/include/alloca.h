// proc_sip/include/alloca.h: the compiler's builtin; nothing to link.
#pragma once
#define alloca(n) __builtin_alloca(n)
