; arch/x86_64/entry.asm: from GRUB's 32-bit protected mode to long mode and
; the higher-half kernel. GRUB leaves eax = multiboot2 magic, ebx = info
; (physical). We check the CPU, build early page tables that map the first
; 1 GiB three times (identity, direct map, kernel window), enable PAE,
; long mode and paging, and jump to kmain in the upper half. mm/vm.c later
; replaces these tables with the real ones.

%define KERNEL_BASE 0xFFFFFFFF80000000
%define MB2_MAGIC   0xE85250D6
%define MB2_ARCH    0              ; i386 protected mode

section .multiboot2
align 8
mb2_header:
    dd MB2_MAGIC
    dd MB2_ARCH
    dd mb2_header_end - mb2_header
    dd -(MB2_MAGIC + MB2_ARCH + (mb2_header_end - mb2_header))
    ; end tag
    dw 0, 0
    dd 8
mb2_header_end:

section .boot.data
align 4096
early_pml4:   times 512 dq 0
early_pdpt_lo: times 512 dq 0      ; PML4[0] and PML4[256]: identity and direct map
early_pdpt_hi: times 512 dq 0      ; PML4[511]: kernel window at -2 GiB
early_pd:     times 512 dq 0       ; 512 x 2 MiB = the first 1 GiB
align 16
early_stack:  times 16384 db 0      ; becomes the boot thread's kernel stack
early_stack_top:

early_gdt:
    dq 0
    dq 0x00AF9A000000FFFF          ; 0x08: 64-bit code
    dq 0x00CF92000000FFFF          ; 0x10: data
early_gdt_end:
early_gdtr:
    dw early_gdt_end - early_gdt - 1
    dq early_gdt

boot_msg_nolm: db "Twofold: this CPU lacks x86_64 long mode or NX; cannot boot.", 0
boot_msg_nomb: db "Twofold: not loaded by a multiboot2 loader; cannot boot.", 0

section .boot.text
bits 32
global _start
_start:
    cli
    mov esp, early_stack_top
    mov edi, eax                   ; keep magic and info for kmain
    mov esi, ebx
    cmp eax, 0x36D76289
    jne .no_multiboot
    call check_long_mode
    call build_early_tables
    call enter_long_mode
    lgdt [early_gdtr]
    jmp 0x08:long_mode_entry

.no_multiboot:
    mov esi, boot_msg_nomb
    jmp early_die

check_long_mode:
    mov eax, 0x80000000
    cpuid
    cmp eax, 0x80000001
    jb .no
    mov eax, 0x80000001
    cpuid
    test edx, 1 << 29                  ; long mode
    jz .no
    test edx, 1 << 20                  ; NX: we set EFER.NXE and use PTE_NX
    jz .no
    ret
.no:
    mov esi, boot_msg_nolm
    jmp early_die

; Print the message at esi on COM1 and halt: we cannot use C yet.
early_die:
.loop:
    lodsb
    test al, al
    jz .halt
    mov dx, 0x3F8
    out dx, al
    jmp .loop
.halt:
    hlt
    jmp .halt

build_early_tables:
    ; PD: 512 x 2 MiB pages, present+writable+huge
    mov ecx, 0
.fill:
    mov eax, ecx
    shl eax, 21
    or eax, 0x83
    mov [early_pd + ecx * 8], eax
    mov dword [early_pd + ecx * 8 + 4], 0
    inc ecx
    cmp ecx, 512
    jne .fill
    mov eax, early_pd
    or eax, 3
    mov [early_pdpt_lo], eax           ; PDPT_lo[0] -> first GiB
    mov [early_pdpt_hi + 510 * 8], eax ; PDPT_hi[510] -> -2 GiB window
    mov eax, early_pdpt_lo
    or eax, 3
    mov [early_pml4], eax              ; identity
    mov [early_pml4 + 256 * 8], eax    ; DIRECT_BASE
    mov eax, early_pdpt_hi
    or eax, 3
    mov [early_pml4 + 511 * 8], eax    ; KERNEL_BASE
    ret

enter_long_mode:
    mov eax, cr4
    or eax, 1 << 5                     ; PAE
    mov cr4, eax
    mov eax, early_pml4
    mov cr3, eax
    mov ecx, 0xC0000080                ; EFER
    rdmsr
    or eax, (1 << 8) | (1 << 11)       ; LME, NXE (every x86_64 CPU we target has NX)
    wrmsr
    mov eax, cr0
    or eax, (1 << 31) | (1 << 16)      ; PG, WP
    mov cr0, eax
    ret

bits 64
long_mode_entry:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor ax, ax
    mov fs, ax
    mov gs, ax
    mov rax, KERNEL_BASE
    add rsp, rax                       ; the same stack, through the kernel window
    mov rax, higher_half
    jmp rax

section .text
extern kmain
higher_half:
    ; edi = magic, esi = multiboot2 info (physical); zero-extend for kmain
    mov edi, edi
    mov esi, esi
    xor rbp, rbp
    call kmain
.hang:
    cli
    hlt
    jmp .hang

section .note.GNU-stack noalloc noexec nowrite progbits
