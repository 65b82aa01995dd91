/* VMLAUNCH / VMRESUME and the VM-exit landing point (SDM Vol. 3 26, 27).
 *
 * int vmx_run(struct guest_regs *regs, uint64_t launched, uint64_t *frame)
 *   Loads every guest GPR but RSP from *regs (RSP is in the VMCS), enters
 *   the guest, and on VM exit stores them back. Returns 0 after a VM exit,
 *   1 on VMfailInvalid, 2 on VMfailValid (VM-instruction error field).
 *   `frame` is the per-vCPU host frame whose address is HOST_RSP, written
 *   once at vcpu_create: frame[0] = regs, frame[1] = this function's stack
 *   after its pushes. The exit lands on the frame and switches back, so the
 *   caller's stack may differ from entry to entry and no VMWRITE of
 *   HOST_RSP is needed per entry (under a nested hypervisor each VMWRITE
 *   it does not shadow is an exit of its own).
 * struct guest_regs layout is ABI (vmm/vcpu.h): rax rbx rcx rdx rsi rdi rbp
 * r8..r15 rsp, 8 bytes each. */

#define R_RAX 0
#define R_RBX 8
#define R_RCX 16
#define R_RDX 24
#define R_RSI 32
#define R_RDI 40
#define R_RBP 48
#define R_R8 56
#define R_R9 64
#define R_R10 72
#define R_R11 80
#define R_R12 88
#define R_R13 96
#define R_R14 104
#define R_R15 112

    .text
    .globl vmx_run
    .type vmx_run, @function
vmx_run:
    push %rbp
    mov %rsp, %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rdi, 0(%rdx)               /* regs: found at (%rsp) after the exit */
    mov %rsp, 8(%rdx)               /* the stack to go back to */
    test %rsi, %rsi                 /* flags survive the MOVs below */
    mov R_RBX(%rdi), %rbx
    mov R_RCX(%rdi), %rcx
    mov R_RDX(%rdi), %rdx
    mov R_RSI(%rdi), %rsi
    mov R_RBP(%rdi), %rbp
    mov R_R8(%rdi), %r8
    mov R_R9(%rdi), %r9
    mov R_R10(%rdi), %r10
    mov R_R11(%rdi), %r11
    mov R_R12(%rdi), %r12
    mov R_R13(%rdi), %r13
    mov R_R14(%rdi), %r14
    mov R_R15(%rdi), %r15
    mov R_RAX(%rdi), %rax
    mov R_RDI(%rdi), %rdi
    jnz 1f
    vmlaunch
    jmp 2f
1:  vmresume
2:  /* VM entry did not happen: CF = VMfailInvalid, ZF = VMfailValid. */
    mov $1, %eax
    jc 3f
    mov $2, %eax
3:  jmp vmx_run_out                /* VMfail leaves RSP alone: still our stack */
    .size vmx_run, . - vmx_run

    .globl vmx_exit_point
    .type vmx_exit_point, @function
vmx_exit_point:                     /* RSP = HOST_RSP = frame */
    push %rax                       /* guest RAX; (8)%rsp = regs */
    mov 8(%rsp), %rax
    mov %rbx, R_RBX(%rax)
    mov %rcx, R_RCX(%rax)
    mov %rdx, R_RDX(%rax)
    mov %rsi, R_RSI(%rax)
    mov %rdi, R_RDI(%rax)
    mov %rbp, R_RBP(%rax)
    mov %r8, R_R8(%rax)
    mov %r9, R_R9(%rax)
    mov %r10, R_R10(%rax)
    mov %r11, R_R11(%rax)
    mov %r12, R_R12(%rax)
    mov %r13, R_R13(%rax)
    mov %r14, R_R14(%rax)
    mov %r15, R_R15(%rax)
    pop %rbx
    mov %rbx, R_RAX(%rax)
    mov 8(%rsp), %rsp               /* back to vmx_run's stack */
    xor %eax, %eax
vmx_run_out:
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret
    .size vmx_exit_point, . - vmx_exit_point
    .globl vmx_entry_end        /* for tests/unit/test_vmx_setup.c: no VMREAD/VMWRITE per entry */
vmx_entry_end:
    .section .note.GNU-stack,"",@progbits
