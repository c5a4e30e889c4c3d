; arch/x86_64/trapentry.asm: the first instructions of every interrupt and
; exception. Each of the 256 vectors has a tiny stub that makes the stack
; look the same whatever the CPU pushed (a fake error code where the CPU
; pushes none, then the vector number); the common code then saves every
; general register so the stack holds a `struct trapframe` (arch.h: the
; push order below is that struct read backwards) and calls
; trap_dispatch(tf). On return it restores everything and leaves by iretq.
;
; GS: the kernel reaches its struct cpu through GS base. A trap from ring 3
; arrives with the user's GS base, so entry swaps it with swapgs when the
; saved CS says ring 3, and exit swaps it back. NMI, double fault and
; machine check can interrupt the kernel at any instruction, including the
; few between a syscall's entry and its swapgs, so for them the saved CS
; proves nothing: they look at GS base itself (a kernel pointer is in the
; upper half) and remember whether they swapped.

bits 64
extern trap_dispatch

; Frame offsets once the stub has pushed the error code and the vector.
%define TF_CS_AFTER_STUB   24      ; vector, error, rip, cs
%define MSR_GS_BASE        0xC0000101

; Vectors for which the CPU itself pushes an error code.
%define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)
; Vectors that may interrupt anything (see above): the "paranoid" path.
%define PARANOID(v) ((v) == 2 || (v) == 8 || (v) == 18)

%include "arch/x86_64/trapframe.inc"

section .text

; One stub per vector. Their sizes differ (with or without the fake error
; code), so idt_init takes their addresses from trap_stubs below.
%assign v 0
%rep 256
align 16
trap_stub_ %+ v:
%if !HAS_ERROR(v)
    push 0                          ; fake error code: every frame has one
%endif
    push v
%if PARANOID(v)
    jmp trap_paranoid
%else
    jmp trap_common
%endif
%assign v v + 1
%endrep

; Ordinary traps: swapgs if and only if we came from ring 3.
trap_common:
    test qword [rsp + TF_CS_AFTER_STUB], 3
    jz .from_kernel_entry
    swapgs
.from_kernel_entry:
    PUSH_GPRS
    cld                             ; the C ABI wants DF clear
    mov rdi, rsp                    ; struct trapframe *
    call trap_dispatch
global trap_return
trap_return:                        ; a new thread may start life here
    POP_GPRS
    add rsp, 16                     ; vector and error code
    test qword [rsp + 8], 3         ; saved CS: going back to ring 3?
    jz .to_kernel
    swapgs
.to_kernel:
    iretq

; NMI, #DF, #MC: decide by GS base, not by CS. ebx (callee-saved, so it
; survives trap_dispatch; the interrupted value is in the frame) remembers
; whether we swapped.
trap_paranoid:
    PUSH_GPRS
    cld
    xor ebx, ebx
    mov ecx, MSR_GS_BASE
    rdmsr                           ; edx = high half of GS base
    test edx, edx
    js .kernel_gs                   ; upper half: already the kernel's
    swapgs
    mov ebx, 1
.kernel_gs:
    mov rdi, rsp
    call trap_dispatch
    test ebx, ebx
    jz .no_swap_back
    swapgs
.no_swap_back:
    POP_GPRS
    add rsp, 16
    iretq

; The stubs' addresses, for idt_init.
section .rodata
align 8
global trap_stubs
trap_stubs:
%assign v 0
%rep 256
    dq trap_stub_ %+ v
%assign v v + 1
%endrep

section .note.GNU-stack noalloc noexec nowrite progbits
