/* svm_vmrun: CLGI, VMLOAD, VMRUN, VMSAVE, VMLOAD, STGI around the guest's
 * GPRs.
 *
 * Called by svm_pass (svm.c) through an inline-asm CALL that names every
 * register but RSP as clobbered, so the compiler saves keel's callee-saved
 * registers once per run rather than this code once per exit.
 * In: RDI = struct guest_regs *, RAX = guest VMCB physical address.
 * Out: RDI = the same struct guest_regs *; every other GPR clobbered.
 *
 * VMRUN switches RAX/RSP/RIP/RFLAGS, segment state and control registers
 * but not the other GPRs, and not FS/GS/TR/LDTR hidden state, KERNEL_GS_BASE,
 * STAR/LSTAR/CSTAR/SFMASK or SYSENTER_* (APM Vol 2 15.5). keel's exception
 * path relies on its own TR (IST stacks for #DF/NMI/#MC), so that state is
 * swapped with VMLOAD/VMSAVE around every VMRUN: guest copy in the guest
 * VMCB, keel's copy (this CPU's, saved when the vCPU was created on it) in
 * the page right after the guest VMCB, so no per-CPU lookup with the guest's GS.
 * Guest RAX is in the VMCB (svm.c copies it); RSP stays there.
 * Offsets into struct guest_regs (vmm/vcpu.h): rax 0, rbx 8, rcx 16, rdx 24,
 * rsi 32, rdi 40, rbp 48, r8 56 ... r15 112. */
.text
.globl svm_vmrun
svm_vmrun:
    pushq %rdi                  /* regs, swapped with guest RDI after the exit */
    /* GIF = 0 from before the guest's VMLOAD until keel's own state is
     * back: in between TR (and FS/GS) are the guest's, and an NMI, #MC or
     * SMI taken there would run keel's handler on the guest's TSS/IST
     * (APM 15.17 "Global Interrupt Flag"). VMRUN sets GIF = 1 for the
     * guest, #VMEXIT clears it; anything that arrives meanwhile is held
     * pending until the STGI below. */
    clgi
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
    vmload %rax
    vmrun %rax
    vmsave %rax
    /* Guest GPRs are live; host RSP/RAX are back (RAX = guest VMCB pa). */
    xchgq %rdi, (%rsp)          /* RDI = regs, guest RDI on the stack */
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
    addq $4096, %rax            /* keel's state for this CPU: the page after the guest VMCB (svm.c) */
    vmload %rax
    stgi                        /* keel's TR is back: NMIs may be taken (counted as the guest's) */
    ret
    .globl svm_vmrun_end        /* for tests/unit/test_svm_setup.c, which checks the GIF order */
svm_vmrun_end:
.section .note.GNU-stack,"",@progbits
