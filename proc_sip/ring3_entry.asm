; proc_sip/ring3_entry.asm: the ring-3 side of a SIP whose domain is ring 3
; (sipdom=d/e; proc_sip/ring3.c), and the kernel's one way into it.
;
; ring3_blob_start..ring3_blob_end is position-independent code that
; ring3.c copies, once, into the "stub page" of the code area (mapped R-X
; and user): a ring-3 SIP's object is resolved against these copies instead
; of the kernel's functions (sip_ring3_symbols), because ring 3 can neither
; call nor read a supervisor page. The blob holds:
;   ring3_tramp       where every ring-3 thread starts (see below)
;   one ABI stub per line of syscall/sip_abi.list, in that order: the stub's
;                     syscall number is the line's index. wasm2c passes the
;                     env instance first; the kernel knows who calls, so the
;                     stub drops it and shifts the rest (a 7th argument,
;                     sip_spawn's nhandles, comes from the caller's stack)
;                     into the syscall registers rdi rsi rdx r10 r8 r9
;   the runtime calls the SIP's code makes while it runs (memory, tables,
;                     traps) as syscalls with numbers from RING3_NR_RT
;   memcpy memmove memset memcmp, as plain ring-3 code
; The numbers here and in ring3.c must agree: ring3.c's RING3_NR_* and the
; ktest sip_ring3_stubs check the ABI stubs against sip_abi_symbols.
bits 64
default rel

%define SEG_UDATA 0x1B
%define SEG_UCODE 0x23

%define NR_RT          64          ; RING3_NR_RT in ring3.c
%define NR_RETURN      (NR_RT + 0)
%define NR_ALLOC_MEM   (NR_RT + 1)
%define NR_GROW_MEM    (NR_RT + 2)
%define NR_TRAP        (NR_RT + 3)
%define NR_ALLOC_FUNCREF  (NR_RT + 4)
%define NR_ALLOC_EXTERNREF (NR_RT + 5)

section .text

global ring3_blob_start, ring3_blob_end, ring3_tramp, ring3_abi_stubs, ring3_abi_stub_size
global ring3_rt_allocate_memory, ring3_rt_grow_memory, ring3_rt_trap
global ring3_rt_allocate_funcref_table, ring3_rt_allocate_externref_table
global ring3_rt_free, ring3_rt_grow_table, ring3_rt_is_initialized
global ring3_memcpy, ring3_memmove, ring3_memset, ring3_memcmp

align 16
ring3_blob_start:

; A ring-3 thread's first instruction, entered by ring3_iret with rsp = the
; top of its native stack (16-aligned), r12 = a first function or 0, r13 =
; the second, rdi/rsi/rdx = the arguments. Main thread: instantiate(instance,
; NULL) then entry(instance); other threads: __sip_thread_entry(instance,
; fn, arg). Returning from the last is the thread's normal end.
ring3_tramp:
    mov rbx, rdi
    mov r14, rsi
    mov r15, rdx
    test r12, r12
    jz .second
    xor esi, esi                ; env: the kernel knows who calls
    call r12
    mov rdi, rbx
    mov rsi, r14
    mov rdx, r15
.second:
    call r13
    mov eax, NR_RETURN
    syscall
    ud2

; The ABI stubs, all the same size (ring3_abi_stub_size apart). One is
; answered here, in ring 3, as a vDSO would: sip_cycles (line 3) is rdtsc,
; which ring 3 may run (CR4.TSD is clear) and which reads no kernel state,
; so reading the clock costs the same in every domain and does not distort
; what the benchmarks time. (A dying SIP running it is stopped at its next
; tick instead of on the way out of the call.)
%define NR_SIP_CYCLES 3
%macro ABI_STUB 1
align 32
%if %1 == NR_SIP_CYCLES
    rdtsc
    shl rdx, 32
    or rax, rdx
    ret
%else
    mov rdi, rsi
    mov rsi, rdx
    mov rdx, rcx
    mov r10, r8
    mov r8, r9
    mov r9, [rsp + 8]
    mov eax, %1
    syscall
    ret
%endif
%endmacro
align 32
ring3_abi_stubs:
%assign i 0
%rep 24
    ABI_STUB i
%assign i i + 1
%endrep
align 32
ring3_abi_stubs_end:

align 16
ring3_rt_allocate_memory:       ; (wasm_rt_memory_t *m, u32 initial, u32 max)
    mov eax, NR_ALLOC_MEM
    syscall
    ret
align 16
ring3_rt_grow_memory:           ; (wasm_rt_memory_t *m, u32 delta) -> old pages or -1
    mov eax, NR_GROW_MEM
    syscall
    ret
align 16
ring3_rt_trap:                  ; (int code): never returns
    mov eax, NR_TRAP
    syscall
    ud2
align 16
ring3_rt_allocate_funcref_table:   ; (wasm_rt_table_t *t, u32 elems, u32 max)
    mov eax, NR_ALLOC_FUNCREF
    syscall
    ret
align 16
ring3_rt_allocate_externref_table:
    mov eax, NR_ALLOC_EXTERNREF
    syscall
    ret
align 16
ring3_rt_free:                  ; the module's free functions: the kernel frees at the end
    ret
align 16
ring3_rt_grow_table:            ; tables do not grow (as in ring 0): -1
    mov eax, -1
    ret
align 16
ring3_rt_is_initialized:
    mov eax, 1
    ret

align 16
ring3_memcpy:
    mov rax, rdi
    mov rcx, rdx
    rep movsb
    ret
align 16
ring3_memmove:
    mov rax, rdi
    mov rcx, rdx
    cmp rdi, rsi
    jbe .forward
    lea rsi, [rsi + rcx - 1]
    lea rdi, [rdi + rcx - 1]
    std
    rep movsb
    cld
    ret
.forward:
    rep movsb
    ret
align 16
ring3_memset:
    mov r8, rdi
    mov eax, esi
    mov rcx, rdx
    rep stosb
    mov rax, r8
    ret
align 16
ring3_memcmp:
    xor eax, eax
    test rdx, rdx
    jz .done
.loop:
    movzx eax, byte [rdi]
    movzx ecx, byte [rsi]
    sub eax, ecx
    jnz .done
    inc rdi
    inc rsi
    dec rdx
    jnz .loop
.done:
    ret

ring3_blob_end:

section .rodata
ring3_abi_stub_size: dq (ring3_abi_stubs_end - ring3_abi_stubs) / 24

section .text
; _Noreturn void ring3_iret(const struct ring3_regs *r): into ring 3 at
; r->rip with r->rsp and the argument registers of struct ring3_regs
; (ring3.c), every other register zero (nothing of the kernel's leaks),
; interrupts on. The caller has pointed TSS.rsp0 and the syscall entry's
; kstack_top below its live frames.
global ring3_iret
ring3_iret:
    cli
    mov rax, rdi
    push SEG_UDATA                  ; ss
    push qword [rax + 8]            ; rsp
    push 0x202                      ; rflags: IF and bit 1
    push SEG_UCODE                  ; cs
    push qword [rax]                ; rip
    mov rdi, [rax + 16]
    mov rsi, [rax + 24]
    mov rdx, [rax + 32]
    mov r12, [rax + 40]
    mov r13, [rax + 48]
    xor eax, eax
    xor ebx, ebx
    xor ecx, ecx
    xor ebp, ebp
    xor r8d, r8d
    xor r9d, r9d
    xor r10d, r10d
    xor r11d, r11d
    xor r14d, r14d
    xor r15d, r15d
    swapgs
    iretq

section .note.GNU-stack noalloc noexec nowrite progbits
