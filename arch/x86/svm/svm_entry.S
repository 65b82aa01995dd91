/* svm_vmrun: CLGI, VMLOAD, VMRUN, VMSAVE, VMLOAD, STGI around the guest's
 * GPRs.
 *
 * Called by svm_pass (svm.c) through an inline-asm CALL that names every
 * register but RSP as clobbered, so the compiler saves keel's callee-saved
 * registers once per run rather than this code once per exit.
 * In: RBX = struct guest_regs *, RAX = guest VMCB physical address.
 * Out: RBX = the same struct guest_regs *; every other GPR clobbered.
 * RBX rather than an argument register: the run loop keeps the vCPU in a
 * callee-saved register across its handler calls, so it passes and gets
 * back the pointer with no move.
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
/* The guest GPRs the world switch moves (all but RAX and RSP, in the VMCB,
 * and RBX, which holds the struct guest_regs pointer): `op REG, OFFSET`
 * for each, so the list is written once. */
.macro guest_gprs op:req
    \op rcx, 16
    \op rdx, 24
    \op rsi, 32
    \op rdi, 40
    \op rbp, 48
    \op r8, 56
    \op r9, 64
    \op r10, 72
    \op r11, 80
    \op r12, 88
    \op r13, 96
    \op r14, 104
    \op r15, 112
.endm
.macro gpr_load reg:req, off:req
    movq \off(%rbx), %\reg
.endm
.macro gpr_store reg:req, off:req
    movq %\reg, \off(%rbx)
.endm

.text
.globl svm_vmrun
svm_vmrun:
    pushq %rbx                  /* regs, swapped with guest RBX after the exit */
    /* GIF = 0 from before the guest's VMLOAD until keel's own state is
     * back: in between TR (and FS/GS) are the guest's, and an NMI, #MC or
     * SMI taken there would run keel's handler on the guest's TSS/IST
     * (APM 15.17 "Global Interrupt Flag"). VMRUN sets GIF = 1 for the
     * guest, #VMEXIT clears it; anything that arrives meanwhile is held
     * pending until the STGI below. */
    clgi
    guest_gprs gpr_load
    movq 8(%rbx), %rbx
    vmload %rax
    vmrun %rax
    vmsave %rax
    /* Guest GPRs are live; host RSP/RAX are back (RAX = guest VMCB pa). */
    xchgq %rbx, (%rsp)          /* RBX = regs, guest RBX on the stack */
    guest_gprs gpr_store
    popq 8(%rbx)                /* guest RBX, straight into regs */
    addq $4096, %rax            /* keel's state for this CPU: the page after the guest VMCB (svm.c) */
    vmload %rax
    stgi                        /* keel's TR is back: NMIs may be taken (counted as the guest's) */
    ret
    .globl svm_vmrun_end        /* for tests/unit/test_svm_setup.c, which checks the GIF order */
svm_vmrun_end:
.section .note.GNU-stack,"",@progbits
