; keel's boot entry: Multiboot (v1) and Multiboot2 headers, the 32-bit entry
; point both loaders jump to, and the switch to 64-bit long mode with early
; page tables (identity map of 0-4 GiB plus the -2 GiB kernel window).
; Everything in .boot runs at its physical load address.

%define KEEL_VBASE 0xFFFFFFFF80000000

MB1_MAGIC     equ 0x1BADB002
MB1_FLAGS     equ 0x00000003            ; page-align modules, memory info
MB2_MAGIC     equ 0xE85250D6

section .boot.header progbits alloc noexec nowrite align=8
align 8
mb1_header:
    dd MB1_MAGIC
    dd MB1_FLAGS
    dd -(MB1_MAGIC + MB1_FLAGS)

align 8
mb2_header:
    dd MB2_MAGIC
    dd 0                                ; i386 protected mode
    dd mb2_header_end - mb2_header
    dd -(MB2_MAGIC + 0 + (mb2_header_end - mb2_header))
align 8
    dw 3, 0                             ; entry address tag
    dd 12
    dd _start
align 8
    dw 6, 0                             ; module alignment tag (page-aligned)
    dd 8
align 8
    dw 0, 0                             ; end tag
    dd 8
mb2_header_end:

section .boot.text progbits alloc exec nowrite align=16
bits 32
global _start
_start:
    cli
    cld
    mov edi, eax                        ; boot loader magic
    mov esi, ebx                        ; boot info (physical)
    mov esp, boot_stack_top

    ; Long mode needs CPUID.80000001h:EDX.LM (bit 29).
    mov eax, 0x80000000
    cpuid
    cmp eax, 0x80000001
    jb .no_long_mode
    mov eax, 0x80000001
    cpuid
    bt edx, 29
    jnc .no_long_mode
    xor ebp, ebp
    bt edx, 20                          ; NX available?
    jnc .no_nx
    mov ebp, 1 << 11                    ; EFER.NXE
.no_nx:

    ; Zero the early page tables (7 pages).
    push edi
    mov edi, boot_pml4
    mov ecx, (7 * 4096) / 4
    xor eax, eax
    rep stosd
    pop edi

    ; PML4[0] -> identity PDPT, PML4[511] -> kernel PDPT.
    mov eax, boot_pdpt_low
    or eax, 3
    mov [boot_pml4], eax
    mov eax, boot_pdpt_high
    or eax, 3
    mov [boot_pml4 + 511 * 8], eax
    ; Identity PDPT[0..3] -> PD[0..3]; kernel PDPT[510,511] -> PD[0,1],
    ; so KEEL_VBASE + x maps physical x for x < 2 GiB.
    mov ecx, 0
.pdpt_loop:
    mov eax, ecx
    shl eax, 12
    add eax, boot_pd
    or eax, 3
    mov [boot_pdpt_low + ecx * 8], eax
    inc ecx
    cmp ecx, 4
    jb .pdpt_loop
    mov eax, boot_pd
    or eax, 3
    mov [boot_pdpt_high + 510 * 8], eax
    add eax, 4096
    mov [boot_pdpt_high + 511 * 8], eax
    ; PD entries: 2 MiB pages, present + writable + PS.
    mov ecx, 0
.pd_loop:
    mov eax, ecx
    shl eax, 21
    or eax, 0x83
    mov [boot_pd + ecx * 8], eax
    mov eax, ecx
    shr eax, 11                         ; high dword: bits 32+ of ecx<<21
    mov [boot_pd + ecx * 8 + 4], eax
    inc ecx
    cmp ecx, 2048
    jb .pd_loop

    mov eax, cr4
    or eax, 1 << 5                      ; PAE
    mov cr4, eax
    mov eax, boot_pml4
    mov cr3, eax
    mov ecx, 0xC0000080                 ; EFER
    rdmsr
    or eax, 1 << 8                      ; LME
    or eax, ebp                         ; NXE if available
    wrmsr
    mov eax, cr0
    or eax, (1 << 31) | (1 << 16) | 1   ; PG, WP, PE
    mov cr0, eax
    lgdt [boot_gdt_ptr]
    jmp 0x08:.long_mode

.no_long_mode:
    mov esi, msg_no_lm
.print:
    lodsb
    test al, al
    jz .halt
    mov ah, al
    mov dx, 0x3FD
.wait_tx:
    in al, dx
    test al, 0x20
    jz .wait_tx
    mov dx, 0x3F8
    mov al, ah
    out dx, al
    jmp .print
.halt:
    cli
    hlt
    jmp .halt

bits 64
.long_mode:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor ax, ax
    mov fs, ax
    mov gs, ax
    mov rax, keel_start64
    jmp rax

msg_no_lm: db "keel: fatal: this CPU has no 64-bit long mode; keel needs x86-64", 13, 10, 0

align 8
boot_gdt:
    dq 0
    dq 0x00AF9A000000FFFF                ; 0x08: 64-bit code
    dq 0x00CF92000000FFFF                ; 0x10: data
boot_gdt_end:
boot_gdt_ptr:
    dw boot_gdt_end - boot_gdt - 1
    dd boot_gdt

; Boot-only memory: it sits at the load address below keel's image, is never
; copied into keel's region and becomes guest RAM once the boot CPU runs on
; its region stacks (vmm/main.c). Until then it is reached through the
; identity map, so C code takes only the addresses of these symbols.
section .boot.bss nobits alloc noexec write align=4096
global boot_stack_bottom, boot_stack_top, boot_ist_bottom, boot_ist_top
alignb 4096
boot_pml4:      resb 4096
boot_pdpt_low:  resb 4096
boot_pdpt_high: resb 4096
boot_pd:        resb 4 * 4096
; The boot CPU's first stack (32-bit stub, then keel_main) and its first
; IST stack, without guard pages: the early tables map everything with
; 2 MiB pages, so there is no page to leave out before keel's own tables.
boot_stack_bottom: resb 0x4000
boot_stack_top:
boot_ist_bottom:   resb 0x1000
boot_ist_top:

; ---- 64-bit, linked in the -2 GiB window ----
section .text
bits 64
extern keel_main
keel_start64:
    mov rsp, boot_stack_top             ; identity-mapped, as in keel's own tables
    xor ebp, ebp
    ; rdi = magic, rsi = info (zero-extended by the 32-bit movs above)
    mov edi, edi
    mov esi, esi
    call keel_main                      ; never returns (it moves to a region stack)
.hang:
    cli
    hlt
    jmp .hang
