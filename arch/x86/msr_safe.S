/* RDMSR/WRMSR that cannot fault keel: a #GP at the instruction is turned
 * into a jump to the fixup by the exception table (arch/x86/exceptions.c). */
.text
/* bool rdmsr_safe(uint32_t msr, uint64_t *val) */
.globl rdmsr_safe
rdmsr_safe:
    movl %edi, %ecx
1:  rdmsr
    shlq $32, %rdx
    orq %rdx, %rax
    movq %rax, (%rsi)
    movl $1, %eax
    ret
2:  xorl %eax, %eax
    ret
.section __ex_table, "a"
    .quad 1b, 2b
.text
/* bool wrmsr_safe(uint32_t msr, uint64_t val) */
.globl wrmsr_safe
wrmsr_safe:
    movl %edi, %ecx
    movl %esi, %eax
    movq %rsi, %rdx
    shrq $32, %rdx
3:  wrmsr
    movl $1, %eax
    ret
4:  xorl %eax, %eax
    ret
.section __ex_table, "a"
    .quad 3b, 4b
.section .note.GNU-stack,"",@progbits
