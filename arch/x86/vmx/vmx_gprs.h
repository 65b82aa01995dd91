/* The guest GPRs the VMX world switch loads before VM entry and pushes at
 * the VM exit, with their offsets in struct guest_regs (vmm/vcpu.h; the
 * _Static_asserts in vmx.c). One list for the launch stub (vmx_entry.S)
 * and the inline resume (vmx.c). RBX carries the vCPU pointer (regs is its
 * first member): loaded last, pushed by the exit in its place. RSP stays in
 * the VMCS; its slot holds keel's RSP while the guest runs. */
#ifndef KEEL_ARCH_VMX_GPRS_H
#define KEEL_ARCH_VMX_GPRS_H

/* Descending offsets: the exit pushes them in this order, then RBX, RAX. */
#define VMX_GPRS_R15_TO_RCX(X) \
    X(r15, 112) X(r14, 104) X(r13, 96) X(r12, 88) X(r11, 80) X(r10, 72) X(r9, 64) X(r8, 56) \
    X(rbp, 48) X(rdi, 40) X(rsi, 32) X(rdx, 24) X(rcx, 16)
#define VMX_R_RAX 0
#define VMX_R_RBX 8
#define VMX_R_RSP 120

#endif
