; proc_sip/sipjmp.asm: setjmp/longjmp for leaving wasm code on a trap or an
; exit. The kernel's own, so SIP objects need no libc and may not call these
; (the loader refuses any symbol outside proc_sip/sip_abi.c's table).
bits 64
section .text
global sip_setjmp
global sip_longjmp

; int sip_setjmp(uint64_t jb[8]): jb in rdi
sip_setjmp:
    mov [rdi + 0], rbx
    mov [rdi + 8], rbp
    mov [rdi + 16], r12
    mov [rdi + 24], r13
    mov [rdi + 32], r14
    mov [rdi + 40], r15
    lea rdx, [rsp + 8]          ; rsp after our return
    mov [rdi + 48], rdx
    mov rdx, [rsp]              ; our return address
    mov [rdi + 56], rdx
    xor eax, eax
    ret

; void sip_longjmp(uint64_t jb[8], int val): never returns
sip_longjmp:
    mov eax, esi
    test eax, eax
    jnz .nz
    mov eax, 1                  ; setjmp must not seem to return 0 twice
.nz:
    mov rbx, [rdi + 0]
    mov rbp, [rdi + 8]
    mov r12, [rdi + 16]
    mov r13, [rdi + 24]
    mov r14, [rdi + 32]
    mov r15, [rdi + 40]
    mov rsp, [rdi + 48]
    jmp [rdi + 56]

section .note.GNU-stack noalloc noexec nowrite progbits

section .text
global sip_call_on_stack
; void sip_call_on_stack(void (*fn)(void *), void *arg, uint64_t stack_top):
; runs fn(arg) on the SIP's own stack, then returns on the kernel stack. A
; trap or exit inside fn leaves through sip_longjmp instead, which restores
; the kernel stack's rsp from the jmpbuf.
sip_call_on_stack:
    push rbp
    mov rbp, rsp                ; rbp is callee-saved: fn returns with it intact
    mov rax, rdi
    mov rdi, rsi
    mov rsp, rdx
    and rsp, -16
    call rax
    mov rsp, rbp
    pop rbp
    ret
