/* vmx_launch: the first VM entry of a run (a VMCS in the "clear" launch
 * state), and its VM-exit landing point (SDM Vol. 3 26, 27, 28.5). Every
 * later entry is the VMRESUME inlined in vmx_pass (vmx.c), which lands on
 * its own exit point; both use the register list of vmx_gprs.h.
 *
 * Called by vmx_pass's inline asm, which names every register but RSP and
 * RBX as clobbered, so keel's callee-saved registers are saved once per
 * run, not once per exit.
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
 * instruction per GPR each way and two RSP moves. The pushes need no room
 * below regs: after a VM exit IF = 0, and NMI, #DF and #MC run on IST1
 * (arch/x86/desc.c). */
#include "arch/x86/vmx/vmx_gprs.h"

#define LOAD(r, o) mov o(%rbx), %r;
#define PUSH(r, o) push %r;

    .text
    .globl vmx_launch
    .type vmx_launch, @function
vmx_launch:
    mov %rsp, VMX_R_RSP(%rbx)       /* the caller's stack: its return address on top */
    VMX_GPRS_R15_TO_RCX(LOAD)
    mov VMX_R_RAX(%rbx), %rax
    mov VMX_R_RBX(%rbx), %rbx
    vmlaunch
    ret                             /* VMfail: the flags say which */
    .size vmx_launch, . - vmx_launch

    /* HOST_RIP for the VMLAUNCH (vmx_loop switches it to the inline
     * resume's landing point after the first exit). */
    .globl vmx_exit_point
    .type vmx_exit_point, @function
vmx_exit_point:                     /* RSP = HOST_RSP = &regs.rsp */
    VMX_GPRS_R15_TO_RCX(PUSH)
    push %rbx
    push %rax
    mov %rsp, %rbx                  /* &regs */
    mov VMX_R_RSP(%rbx), %rsp
    ret
    .size vmx_exit_point, . - vmx_exit_point
    .globl vmx_entry_end        /* for tests/unit/test_vmx_setup.c: no VMREAD/VMWRITE per entry */
vmx_entry_end:
    .section .note.GNU-stack,"",@progbits
