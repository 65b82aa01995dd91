/* AP start-up code for the SMP test guest: copied to SMP_TRAMP (0x8000,
 * SIPI vector 0x08); real mode -> flat 32-bit protected mode -> smp_ap_pm32
 * in the guest image, on the stack the BSP put in ap_stack_top. */
#define SMP_TRAMP 0x8000
#define T(x) (SMP_TRAMP + ((x) - smp_tramp_start))

        .section .text
        .code16
        .globl smp_tramp_start, smp_tramp_end
smp_tramp_start:
        cli
        xorw %ax, %ax
        movw %ax, %ds
        lgdtl T(tgdtr)
        movl %cr0, %eax
        orl $1, %eax
        movl %eax, %cr0
        ljmpl $0x08, $smp_ap_pm32
        .balign 8
tgdt:
        .quad 0
        .quad 0x00cf9a000000ffff
        .quad 0x00cf92000000ffff
tgdtr:
        .word 23
        .long T(tgdt)
smp_tramp_end:

        .code32
smp_ap_pm32:
        movw $0x10, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %fs
        movw %ax, %gs
        movw %ax, %ss
        movl ap_stack_top, %esp
        call ap_main
1:      cli
        hlt
        jmp 1b

/* Fixed-IPI handlers (vectors 0x40 and 0x41). */
        .globl ipi_stub
ipi_stub:
        pushal
        cld
        call ipi_handler
        popal
        iretl

/* NMI (vector 2) while a test expects one: count it. */
        .globl nmi_stub
nmi_stub:
        lock incl nmi_count
        iretl
        .section .note.GNU-stack,"",@progbits
