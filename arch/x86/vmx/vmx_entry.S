/* vmx_world_switch: VMLAUNCH / VMRESUME and the VM-exit landing point
 * (SDM Vol. 3 26, 27).
 *
 * Called by vmx_run_loop (vmx.c) through an inline-asm CALL that names every
 * register but RSP as clobbered, so keel's callee-saved registers are
 * saved once per run, not once per exit.
 * In: RDI = struct guest_regs *, RSI = launched (0: VMLAUNCH, else VMRESUME).
 * Out: RDI = the same struct guest_regs *; EAX = 0 after a VM exit, 1 on
 * VMfailInvalid, 2 on VMfailValid (VM-instruction error field); every other
 * GPR clobbered. Loads and stores every guest GPR but RSP (in the VMCS).
 * struct guest_regs layout is ABI (vmm/vcpu.h): rax rbx rcx rdx rsi rdi rbp
 * r8..r15 rsp, 8 bytes each. */
#define VMCS_HOST_RSP 0x6c14

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
    .globl vmx_world_switch
    .type vmx_world_switch, @function
vmx_world_switch:
    push %rdi                       /* regs: found at (%rsp) after the exit */
    mov $VMCS_HOST_RSP, %eax
    vmwrite %rsp, %rax              /* the exit lands with this RSP */
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
3:  pop %rdi
    ret
    .size vmx_world_switch, . - vmx_world_switch

    .globl vmx_exit_point
    .type vmx_exit_point, @function
vmx_exit_point:
    xchg %rdi, (%rsp)               /* RDI = regs, guest RDI on the stack */
    mov %rax, R_RAX(%rdi)
    mov %rbx, R_RBX(%rdi)
    mov %rcx, R_RCX(%rdi)
    mov %rdx, R_RDX(%rdi)
    mov %rsi, R_RSI(%rdi)
    mov %rbp, R_RBP(%rdi)
    mov %r8, R_R8(%rdi)
    mov %r9, R_R9(%rdi)
    mov %r10, R_R10(%rdi)
    mov %r11, R_R11(%rdi)
    mov %r12, R_R12(%rdi)
    mov %r13, R_R13(%rdi)
    mov %r14, R_R14(%rdi)
    mov %r15, R_R15(%rdi)
    pop %rax
    mov %rax, R_RDI(%rdi)
    xor %eax, %eax
    ret
    .size vmx_exit_point, . - vmx_exit_point
.section .note.GNU-stack,"",@progbits
