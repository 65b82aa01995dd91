/* vmx_launch / vmx_resume: VM entry, and the VM-exit landing point (SDM
 * Vol. 3 26, 27, 28.5).
 *
 * Called by vmx_pass (vmx.c) through an inline-asm CALL that names every
 * register but RSP and RBX as clobbered, so keel's callee-saved registers
 * are saved once per run, not once per exit.
 * In: RBX = struct guest_regs * (the vCPU: regs is its first member; RBX,
 * callee-saved, is where the run loop keeps it anyway: no move either way).
 * Out after a VM exit: RBX = the same pointer, CF = ZF = 0 (a VM exit
 * loads RFLAGS with 2, SDM 28.5.3, and nothing below changes the flags).
 * Out on VMfail (no entry, RSP untouched): CF = 1 VMfailInvalid or ZF = 1
 * VMfailValid (VM-instruction error field, SDM 31.2), RBX = the guest's
 * RBX (the caller finds the vCPU again through its CPU's percpu block).
 * Every other GPR is clobbered. Loads and stores every guest GPR but RSP
 * (in the VMCS).
 *
 * HOST_RSP is &regs.rsp, written once at vcpu_create: the exit pushes the
 * guest's GPRs straight into struct guest_regs (r15 first, rax last, so
 * RSP ends at &regs), and regs.rsp, which VMX does not use after
 * vcpu_create (the guest's RSP stays in the VMCS), holds the caller's RSP
 * while the guest runs. No VMWRITE per entry (under a nested hypervisor
 * each VMWRITE it does not shadow is an exit), no frame to find: one
 * instruction per GPR each way, the CALL/RET and two RSP moves. The pushes
 * need no room below regs: after a VM exit IF = 0, and NMI, #DF and #MC
 * run on IST1 (arch/x86/desc.c).
 * struct guest_regs layout is ABI (vmm/vcpu.h): rax rbx rcx rdx rsi rdi rbp
 * r8..r15 rsp, 8 bytes each (_Static_assert in vmx.c). */
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
#define R_RSP 120

/* The caller's RSP into regs.rsp, then the guest's GPRs, RBX last. */
.macro LOAD_GUEST
    mov %rsp, R_RSP(%rbx)
    mov R_RAX(%rbx), %rax
    mov R_RCX(%rbx), %rcx
    mov R_RDX(%rbx), %rdx
    mov R_RSI(%rbx), %rsi
    mov R_RDI(%rbx), %rdi
    mov R_RBP(%rbx), %rbp
    mov R_R8(%rbx), %r8
    mov R_R9(%rbx), %r9
    mov R_R10(%rbx), %r10
    mov R_R11(%rbx), %r11
    mov R_R12(%rbx), %r12
    mov R_R13(%rbx), %r13
    mov R_R14(%rbx), %r14
    mov R_R15(%rbx), %r15
    mov R_RBX(%rbx), %rbx
.endm

    .text
    /* The first entry of a run (a VMCS in the "clear" launch state). */
    .globl vmx_launch
    .type vmx_launch, @function
vmx_launch:
    LOAD_GUEST
    vmlaunch
    ret                             /* VMfail: the flags say which */
    .size vmx_launch, . - vmx_launch

    /* Every later entry: no test of which one per exit. */
    .globl vmx_resume
    .type vmx_resume, @function
vmx_resume:
    LOAD_GUEST
    vmresume
    ret                             /* VMfail: the flags say which */
    .size vmx_resume, . - vmx_resume

    .globl vmx_exit_point
    .type vmx_exit_point, @function
vmx_exit_point:                     /* RSP = HOST_RSP = &regs.rsp */
    push %r15
    push %r14
    push %r13
    push %r12
    push %r11
    push %r10
    push %r9
    push %r8
    push %rbp
    push %rdi
    push %rsi
    push %rdx
    push %rcx
    push %rbx
    push %rax
    mov %rsp, %rbx                  /* &regs */
    mov R_RSP(%rbx), %rsp           /* the caller's stack: its return address on top */
    ret
    .size vmx_exit_point, . - vmx_exit_point
    .globl vmx_entry_end        /* for tests/unit/test_vmx_setup.c: no VMREAD/VMWRITE per entry */
vmx_entry_end:
    .section .note.GNU-stack,"",@progbits
