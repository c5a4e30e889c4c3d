// proc_sip/include/setjmp.h: wasm-rt.h names jmp_buf for wasm exceptions.
// SIP objects may not call setjmp (the loader refuses the symbol): traps
// unwind through the kernel's own sip_setjmp/sip_longjmp (proc_sip/sipjmp.asm).
#pragma once
typedef unsigned long jmp_buf[8];
int setjmp(jmp_buf env);
_Noreturn void longjmp(jmp_buf env, int val);
