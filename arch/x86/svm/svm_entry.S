/* void svm_vmrun(struct guest_regs *regs, uint64_t guest_vmcb_pa, uint64_t host_vmcb_pa)
 *
 * VMRUN switches RAX/RSP/RIP/RFLAGS, segment state and control registers
 * but not the other GPRs, and not FS/GS/TR/LDTR hidden state, KERNEL_GS_BASE,
 * STAR/LSTAR/CSTAR/SFMASK or SYSENTER_* (APM Vol 2 15.5). keel's exception
 * path relies on its own TR (IST stacks for #DF/NMI/#MC), so that state is
 * swapped with VMLOAD/VMSAVE around every VMRUN: guest copy in the guest
 * VMCB, keel's copy in a host VMCB saved once at start-up.
 * Offsets into struct guest_regs (vmm/vcpu.h): rax 0, rbx 8, rcx 16, rdx 24,
 * rsi 32, rdi 40, rbp 48, r8 56 ... r15 112, rsp 120. */
.text
.globl svm_vmrun
svm_vmrun:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    pushq %rdi                  /* regs */
    pushq %rdx                  /* host VMCB */
    movq %rsi, %rax             /* guest VMCB: VMRUN/VMLOAD/VMSAVE take it in RAX */
    movq 8(%rdi), %rbx
    movq 16(%rdi), %rcx
    movq 24(%rdi), %rdx
    movq 32(%rdi), %rsi
    movq 48(%rdi), %rbp
    movq 56(%rdi), %r8
    movq 64(%rdi), %r9
    movq 72(%rdi), %r10
    movq 80(%rdi), %r11
    movq 88(%rdi), %r12
    movq 96(%rdi), %r13
    movq 104(%rdi), %r14
    movq 112(%rdi), %r15
    movq 40(%rdi), %rdi
    /* GIF = 0 from before the guest's VMLOAD until keel's own state is
     * back: in between TR (and FS/GS) are the guest's, and an NMI, #MC or
     * SMI taken there would run keel's handler on the guest's TSS/IST
     * (APM 15.17 "Global Interrupt Flag"). VMRUN sets GIF = 1 for the
     * guest, #VMEXIT clears it; anything that arrives meanwhile is held
     * pending until the STGI below. */
    clgi
    vmload %rax
    vmrun %rax
    vmsave %rax
    /* Guest GPRs are live; host RSP/RAX are back (RAX = guest VMCB pa). */
    pushq %rdi
    movq 16(%rsp), %rdi         /* regs */
    movq %rbx, 8(%rdi)
    movq %rcx, 16(%rdi)
    movq %rdx, 24(%rdi)
    movq %rsi, 32(%rdi)
    movq %rbp, 48(%rdi)
    movq %r8, 56(%rdi)
    movq %r9, 64(%rdi)
    movq %r10, 72(%rdi)
    movq %r11, 80(%rdi)
    movq %r12, 88(%rdi)
    movq %r13, 96(%rdi)
    movq %r14, 104(%rdi)
    movq %r15, 112(%rdi)
    popq %rbx
    movq %rbx, 40(%rdi)
    popq %rax                   /* host VMCB */
    vmload %rax
    stgi                        /* keel's TR is back: NMIs may be taken (counted as the guest's) */
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .globl svm_vmrun_end        /* for tests/unit/test_svm_setup.c, which checks the GIF order */
svm_vmrun_end:
.section .note.GNU-stack,"",@progbits
