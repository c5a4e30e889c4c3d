// user/lib/hw/start.c: from crt0 to main and back out through exit.
#include <stdlib.h>

int main(int argc, char **argv);
void __stdio_init(void);

_Noreturn void __libc_start(int argc, char **argv) {
    __stdio_init();
    exit(main(argc, argv));
}
