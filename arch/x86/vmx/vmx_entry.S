/* vmx_run: VMLAUNCH / VMRESUME and the VM-exit landing point (SDM Vol. 3
 * 26, 27).
 *
 * Called by vmx_pass (vmx.c) through an inline-asm CALL that names every
 * register but RSP as clobbered, so keel's callee-saved registers are saved
 * once per run, not once per exit.
 * In: RDI = struct guest_regs *, RSI = launched (0: VMLAUNCH, else
 * VMRESUME), RDX = the per-vCPU host frame whose address is HOST_RSP,
 * written once at vcpu_create: frame[0] = regs, frame[1] = this stack. The
 * exit lands on the frame and switches back, so the caller's stack may
 * differ from entry to entry and no VMWRITE of HOST_RSP is needed per entry
 * (under a nested hypervisor each VMWRITE it does not shadow is an exit).
 * Out: RDI = the same struct guest_regs *; EAX = 0 after a VM exit, 1 on
 * VMfailInvalid, 2 on VMfailValid (VM-instruction error field); every other
 * GPR clobbered. Loads and stores every guest GPR but RSP (in the VMCS).
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
    push %rdi                       /* regs, for the VMfail return */
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
3:  pop %rdi                        /* VMfail leaves RSP alone: still our stack */
    ret
    .size vmx_run, . - vmx_run

    .globl vmx_exit_point
    .type vmx_exit_point, @function
vmx_exit_point:                     /* RSP = HOST_RSP = frame */
    xchg %rdi, (%rsp)               /* RDI = regs, guest RDI in frame[0] */
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
    mov (%rsp), %rax
    mov %rax, R_RDI(%rdi)
    mov 8(%rsp), %rsp               /* back to vmx_run's stack (regs pushed on it) */
    pop %rdi
    xor %eax, %eax
    ret
    .size vmx_exit_point, . - vmx_exit_point
    .globl vmx_entry_end        /* for tests/unit/test_vmx_setup.c: no VMREAD/VMWRITE per entry */
vmx_entry_end:
    .section .note.GNU-stack,"",@progbits
