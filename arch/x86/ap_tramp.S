/* The AP start-up trampoline (Intel SDM Vol 3 10.4.4 / MP start-up: an AP
 * starts in real mode at vector << 12 after INIT-SIPI-SIPI). keel copies
 * the bytes between ap_tramp_start and ap_tramp_end to AP_TRAMP_BASE (a
 * page below 1 MiB it takes back from the guest afterwards) and fills the
 * data block at its end; the code goes real mode -> protected mode -> long
 * mode on a small page table that maps the trampoline 1:1 and keel's
 * -2 GiB window, then jumps to ap_entry64 in keel's image, which switches
 * to keel's own page tables and the AP's stack. */
#include "arch/x86/ap_tramp.h"

#define T(x) (AP_TRAMP_BASE + ((x) - ap_tramp_start))

.section .rodata
.code16
.globl ap_tramp_start, ap_tramp_end
ap_tramp_start:
    cli
    cld
    movw %cs, %ax
    movw %ax, %ds
    lgdtl (tgdtr - ap_tramp_start)
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $0x08, $T(pm32)

.code32
pm32:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl %cr4, %eax
    orl $(1 << 5), %eax                 /* PAE */
    movl %eax, %cr4
    movl T(ap_tramp_data) + AP_TD_TCR3, %eax
    movl %eax, %cr3
    movl $0xC0000080, %ecx              /* EFER */
    rdmsr
    orl T(ap_tramp_data) + AP_TD_EFER, %eax    /* LME, NXE as on the boot CPU */
    wrmsr
    movl %cr0, %eax
    orl $0x80010001, %eax               /* PG | WP | PE */
    movl %eax, %cr0
    ljmpl $0x18, $T(lm64)

.code64
lm64:
    movq T(ap_tramp_data) + AP_TD_PERCPU, %rdi
    movq T(ap_tramp_data) + AP_TD_KCR3, %rsi
    movq T(ap_tramp_data) + AP_TD_STACK, %rdx
    movq T(ap_tramp_data) + AP_TD_ENTRY, %rax
    jmp *%rax

.balign 8
tgdt:
    .quad 0
    .quad 0x00CF9A000000FFFF            /* 0x08: 32-bit code */
    .quad 0x00CF92000000FFFF            /* 0x10: data */
    .quad 0x00AF9A000000FFFF            /* 0x18: 64-bit code */
tgdtr:
    .word tgdtr - tgdt - 1
    .long T(tgdt)

.balign 8
ap_tramp_data:
    .fill AP_TD_SIZE, 1, 0
ap_tramp_end:

/* void ap_entry64(struct percpu *pc, uint64_t keel_cr3, uint64_t stack_top):
 * now in keel's image (the -2 GiB window is mapped in both tables). */
.text
.globl ap_entry64
ap_entry64:
    movq %rsi, %cr3
    movq %rdx, %rsp
    xorl %ebp, %ebp
    call ap_main
1:  cli
    hlt
    jmp 1b
.section .note.GNU-stack,"",@progbits
