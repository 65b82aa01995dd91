/* Exception entry stubs: push a uniform frame (vector, error code, GPRs)
 * and call exception_dispatch(frame). Returning from it resumes at the
 * (possibly fixed-up) frame RIP. */
#define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

.macro STUB v
.align 16
isr_stub_\v:
.if HAS_ERR(\v)
    pushq $\v
.else
    pushq $0
    pushq $\v
.endif
    jmp isr_common
.endm

.text
.irp v,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
STUB \v
.endr

isr_common:
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %rdi
    cld
    call exception_dispatch
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp          /* vector + error code */
    iretq

.section .rodata
.align 8
.globl isr_stub_table
isr_stub_table:
.irp v,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .quad isr_stub_\v
.endr
.section .note.GNU-stack,"",@progbits
