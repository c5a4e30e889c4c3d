; arch/x86_64/switch.asm: the kernel-thread context switch, and the first
; code a new thread runs.
;
; A switched-out thread is nothing but its stack pointer: everything else
; it needs was pushed onto its own stack, either here (callee-saved
; registers and the return address) or by the C code that called us (the
; System V ABI lets that code assume every other register is clobbered by
; a call). So the switch saves and restores only rbx, rbp, r12-r15 and rsp.
;
; Layout of a saved context, from the saved rsp upward:
;   r15, r14, r13, r12, rbx, rbp, return address
; kern/thread.c primes a new thread's stack in exactly this shape, with
; thread_trampoline as the return address.

section .text

; void context_switch(uint64_t *old_rsp /* rdi */, uint64_t new_rsp /* rsi */)
global context_switch
context_switch:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    mov [rdi], rsp          ; the old thread is now fully saved
    mov rsp, rsi            ; from here on we run on the new thread's stack
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret                     ; into the new thread: where it called us, or the trampoline

; A new thread's first "return" from context_switch lands here. We start
; C code as if it had been called: rsp 16-byte aligned at the call (the
; ABI's rule, which gcc relies on), and rbp zero so that backtraces stop
; at the bottom of the thread instead of wandering into the primed stack.
extern thread_start
global thread_trampoline
thread_trampoline:
    xor ebp, ebp
    and rsp, -16
    call thread_start       ; runs the thread's function, then thread_exit: never returns
    ud2                     ; if it ever did, fault loudly here

section .note.GNU-stack noalloc noexec nowrite progbits
