// user/lib/hw/crt0.S: where every hw program starts. The kernel's exec
// enters here in ring 3 with rdi = argc, rsi = argv (strings and the argv
// array on the user stack) and rsp 16-byte aligned.
    .section .text.start, "ax"
    .globl _start
    .type _start, @function
_start:
    xor %ebp, %ebp              // a zero frame pointer ends every backtrace here
    and $-16, %rsp              // the ABI wants rsp % 16 == 0 at a call; be sure
    call __libc_start           // (argc, argv): runs main, then exit; never returns
    ud2
    .size _start, . - _start

    .section .note.GNU-stack, "", @progbits
