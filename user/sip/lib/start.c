// user/sip/lib/start.c: where every SIP starts. The kernel calls the exported
// _start on the SIP's main thread; the arguments come from sip_args (the
// NUL-separated strings the parent gave sip_spawn, argv[0] first) and main's
// result is the exit status.
//
// Every SIP has the two standard initial endpoints, declared here so that
// tools/sipc puts them first in every manifest (a program's own endpoint
// lines follow as 2, 3, ...). Either may be -1: then stdin is at its end and
// stdout goes to the console (user/sip/lib/stdio.c).
// sip: endpoint=Stream:reader
// sip: endpoint=Stream:writer
#include <sip.h>
#include <stdlib.h>
#include "sip_libc.h"

// clang names a C main by its parameters: int main(int, char **) is
// __main_argc_argv, int main(void) is __main_void. The weak __main_void below
// builds argv for the first kind; a program with main(void) replaces it.
int __main_argc_argv(int argc, char **argv);

static char arg_bytes[SIP_ARGS_MAX + 1];
static char *argv_list[SIP_ARGC_MAX + 1];

// Splits the NUL-separated arguments into argv; a last string without its
// NUL is ended by the extra byte of arg_bytes. Returns argc.
static int split_args(void) {
    int len = sip_args(arg_bytes, SIP_ARGS_MAX), argc = 0;
    if (len < 0)
        len = 0;
    arg_bytes[len] = '\0';
    for (int i = 0; i < len && argc < SIP_ARGC_MAX; argc++) {
        argv_list[argc] = &arg_bytes[i];
        while (i < len && arg_bytes[i])
            i++;
        i++;
    }
    argv_list[argc] = 0;
    return argc;
}

__attribute__((weak)) int __main_void(void) {
    int argc = split_args();
    return __main_argc_argv(argc, argv_list);
}

// What wasm-ld makes of the program's C constructors (__attribute__((constructor))):
// nothing runs them unless _start does, as a hosted C start-up would.
// user/portable/backend/sip.c notes its initial endpoints in one.
void __wasm_call_ctors(void);

__attribute__((export_name("_start"))) void _start(void) {
    __wasm_call_ctors();
    __stdio_init();
    exit(__main_void());
}
