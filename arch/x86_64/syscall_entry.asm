; arch/x86_64/syscall_entry.asm: the hw kernel's doors between ring 3 and
; ring 0 that are not traps.
;
;   syscall_entry     where `syscall` lands (MSR_LSTAR, set by
;                     proc_hw/syscall.c): builds a struct trapframe on the
;                     thread's kernel stack, calls syscall_dispatch(tf), and
;                     leaves by sysretq (or by iretq when sysret is unsafe).
;   user_frame_return a new user thread's first way out: rsp := its frame,
;                     then the common trap exit (trapentry.asm's trap_return).
;   usermode_enter    first entry into ring 3 from a kernel function, by iretq.
;
; `syscall` itself only does: rcx := user rip, r11 := user rflags, rflags &=
; ~SFMASK (so interrupts are off here), CS/SS := kernel selectors from STAR.
; It does NOT switch stacks: rsp is still the user's, which we must not
; trust or even use. So before anything else:
;   swapgs              GS base := this CPU's struct cpu (kern/percpu.c)
;   park the user rsp   in struct cpu's user_rsp_scratch
;   load the kernel rsp from struct cpu's kstack_top, which the scheduler
;                       sets on every switch (kern/sched.c) to the top of the
;                       running thread's kernel stack, as it sets TSS.rsp0.
; Both offsets are pinned against kern/kern.h by _Static_asserts in
; proc_hw/syscall.c. Interrupts stay off until the frame is complete: only
; then may this thread be preempted (and another one use user_rsp_scratch).
;
; The frame is the one traps build (arch.h's struct trapframe), at the same
; place (the top of the kernel stack), so one struct describes a thread's
; user registers however it entered the kernel: proc_user_frame() finds it,
; fork copies it, exec rewrites it, and either exit path can restore it.

bits 64
default rel

; Weak: this file is shared, and the sip kernel, which never enables
; `syscall`, has no syscall_dispatch. Called through a register because a
; weak undefined symbol is 0, out of a rel32 call's reach from -2 GiB.
extern syscall_dispatch:weak
extern trap_return

%define CPU_KSTACK_TOP        48     ; offsetof(struct cpu, kstack_top)
%define CPU_USER_RSP_SCRATCH  56     ; offsetof(struct cpu, user_rsp_scratch)
%define SEG_UCODE             0x23
%define SEG_UDATA             0x1B
%define SYSCALL_VECTOR        0x100  ; trapframe.vector of a syscall: no real vector is this
; Offsets in struct trapframe (arch.h).
%define TF_RIP     136
%define TF_RFLAGS  152
%define TF_RSP     160

%include "arch/x86_64/trapframe.inc"

section .text

global syscall_entry
syscall_entry:
    swapgs
    mov [gs:CPU_USER_RSP_SCRATCH], rsp
    mov rsp, [gs:CPU_KSTACK_TOP]
    ; What the CPU would have pushed for a trap from ring 3, then what the
    ; stubs push, then the registers: a struct trapframe, read backwards.
    push SEG_UDATA                          ; ss
    push qword [gs:CPU_USER_RSP_SCRATCH]    ; rsp
    push r11                                ; rflags
    push SEG_UCODE                          ; cs
    push rcx                                ; rip
    push 0                                  ; error
    push SYSCALL_VECTOR                     ; vector
    PUSH_GPRS
    xor ebp, ebp                            ; backtraces stop here, not in user memory
    sti                                     ; frame complete: preemptible from here
    mov rdi, rsp
    mov rax, syscall_dispatch
    call rax                                ; stores the result in tf->rax
    cli                                     ; nothing may interrupt us between swapgs and sysret
    ; sysret loads rip from rcx. With a non-canonical rcx, Intel CPUs raise
    ; #GP in ring 0 but with the USER rsp and GS already loaded: a kernel
    ; exploit. exec or a signal-like change could have put any rip in the
    ; frame, so check; iretq faults in ring 3 instead, where it is harmless.
    mov rcx, [rsp + TF_RIP]
    shr rcx, 47
    jnz .by_iret
    POP_GPRS                                ; rcx, r11: clobbered below, as syscall allows
    add rsp, 16                             ; vector, error
    mov rcx, [rsp]                          ; rip
    mov r11, [rsp + 16]                     ; rflags
    mov rsp, [rsp + 24]                     ; the user stack, from here on
    swapgs
    o64 sysret
.by_iret:
    jmp trap_return

; void user_frame_return(struct trapframe *tf): never returns. A new user
; thread (fork's child, thread_create) was primed with its frame at the top
; of its kernel stack; this leaves through the common trap exit, which
; restores every register and swapgs-es back to the user's GS.
global user_frame_return
user_frame_return:
    cli
    mov rsp, rdi
    jmp trap_return

; _Noreturn void usermode_enter(uint64_t rip, uint64_t rsp, uint64_t arg0, uint64_t arg1)
; Ring 3 at rip with rsp, rdi = arg0, rsi = arg1, every other register
; zero (nothing of the kernel's leaks), interrupts on in user mode. The
; kernel stack below the caller is abandoned: the next entry from ring 3
; starts again at the top of it.
global usermode_enter
usermode_enter:
    cli
    push SEG_UDATA                          ; ss
    push rsi                                ; rsp
    push 0x202                              ; rflags: IF, and the always-one bit 1
    push SEG_UCODE                          ; cs
    push rdi                                ; rip
    mov rdi, rdx
    mov rsi, rcx
    xor eax, eax
    xor ebx, ebx
    xor ecx, ecx
    xor edx, edx
    xor ebp, ebp
    xor r8d, r8d
    xor r9d, r9d
    xor r10d, r10d
    xor r11d, r11d
    xor r12d, r12d
    xor r13d, r13d
    xor r14d, r14d
    xor r15d, r15d
    swapgs
    iretq

section .note.GNU-stack noalloc noexec nowrite progbits
