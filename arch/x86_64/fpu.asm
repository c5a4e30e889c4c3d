; arch/x86_64/fpu.asm: saving and restoring a thread's x87/SSE state. The
; kernel itself never uses these registers (-mgeneral-regs-only), but user
; programs (hw) and SIP code (sip) may, so the scheduler saves the outgoing
; thread's state and restores the incoming one's on every switch.
; Areas are 512 bytes, 16-byte aligned (the fxsave format).

bits 64
section .text

; void fpu_save(void *area)
global fpu_save
fpu_save:
    fxsave64 [rdi]
    ret

; void fpu_restore(const void *area)
global fpu_restore
fpu_restore:
    fxrstor64 [rdi]
    ret

; void fpu_init_state(void *area): the image a new thread starts from, the
; same as fninit + ldmxcsr 0x1F80 + fxsave would give (x87 control word
; 0x037F, all exceptions masked, every register empty, MXCSR 0x1F80). It
; is built in memory rather than by running fninit, so that creating a
; thread does not wipe the live FPU registers of the thread creating it.
%define FXSAVE_FCW   0
%define FXSAVE_MXCSR 24
global fpu_init_state
fpu_init_state:
    mov rdx, rdi
    xor eax, eax
    mov ecx, 512 / 8
    rep stosq
    mov word [rdx + FXSAVE_FCW], 0x037F
    mov dword [rdx + FXSAVE_MXCSR], 0x1F80
    ret

section .note.GNU-stack noalloc noexec nowrite progbits
