/* VM-exit decode into the neutral record (vmm/exit.h): the parts that need
 * no VMREAD, as static inline functions so the exit path pays no call and
 * tests/unit/test_vmx.c can check them against the SDM tables. */
#ifndef KEEL_ARCH_VMX_DECODE_H
#define KEEL_ARCH_VMX_DECODE_H
#include <stdint.h>
#include "arch/x86/vmx/vmcs.h"
#include "vmm/exit.h"

/* Basic exit reason -> neutral kind (SDM Appendix C). 0 (EXIT_NONE) means
 * "not listed": vmx_exit_kind() turns it into EXIT_OTHER. */
static const uint8_t vmx_reason_kind[VMX_EXIT_REASON_MAX] = {
    [VMX_EXIT_EXCEPTION_NMI] = EXIT_EXCEPTION,
    [VMX_EXIT_TRIPLE_FAULT] = EXIT_SHUTDOWN,
    [VMX_EXIT_INIT] = EXIT_INIT,
    [VMX_EXIT_SIPI] = EXIT_SIPI,
    [VMX_EXIT_CPUID] = EXIT_CPUID,
    [VMX_EXIT_HLT] = EXIT_HLT,
    [VMX_EXIT_INVD] = EXIT_INVD,
    [VMX_EXIT_VMCALL] = EXIT_HYPERCALL,
    [19] = EXIT_VMINSN, [20] = EXIT_VMINSN, [21] = EXIT_VMINSN, [22] = EXIT_VMINSN,
    [23] = EXIT_VMINSN, [24] = EXIT_VMINSN, [25] = EXIT_VMINSN, [26] = EXIT_VMINSN,
    [27] = EXIT_VMINSN, [VMX_EXIT_INVEPT] = EXIT_VMINSN, [VMX_EXIT_INVVPID] = EXIT_VMINSN,
    [VMX_EXIT_VMFUNC] = EXIT_VMINSN,
    /* MONITOR/MWAIT (hidden by CPUID) and GETSEC (no SMX): vmm/ answers
     * with #UD, as a CPU without them would (same as SVM's MONITOR/MWAIT). */
    [VMX_EXIT_MONITOR] = EXIT_VMINSN, [VMX_EXIT_MWAIT] = EXIT_VMINSN, [VMX_EXIT_GETSEC] = EXIT_VMINSN,
    [VMX_EXIT_CR_ACCESS] = EXIT_CR_ACCESS,
    [VMX_EXIT_IO] = EXIT_IO,
    [VMX_EXIT_RDMSR] = EXIT_MSR_READ,
    [VMX_EXIT_WRMSR] = EXIT_MSR_WRITE,
    [VMX_EXIT_INVALID_GUEST_STATE] = EXIT_INVALID_STATE,
    [VMX_EXIT_MSR_LOADING] = EXIT_INVALID_STATE,
    [VMX_EXIT_MACHINE_CHECK] = EXIT_INVALID_STATE,
    [VMX_EXIT_EPT_VIOLATION] = EXIT_NPF,
    [VMX_EXIT_EPT_MISCONFIG] = EXIT_NPT_MISCONFIG,
    [VMX_EXIT_RDTSCP] = EXIT_RDTSCP,
    [VMX_EXIT_WBINVD] = EXIT_WBINVD,
    [VMX_EXIT_XSETBV] = EXIT_XSETBV,
};

/* `reason`: the full exit-reason field (bit 31 = VM-entry failure). */
static inline enum exit_kind vmx_exit_kind(uint32_t reason)
{
    uint32_t basic = reason & 0xffff;
    if (basic < VMX_EXIT_REASON_MAX && vmx_reason_kind[basic])
        return (enum exit_kind)vmx_reason_kind[basic];
    return EXIT_OTHER;
}

/* Fill the kind-specific fields that come from the exit qualification. */
static inline void vmx_decode_qual(struct vm_exit *x, uint64_t q)
{
    switch (x->kind) {
    case EXIT_IO:                       /* SDM table 28-5 */
        x->u.io.size = (uint8_t)((q & 7) + 1);
        x->u.io.in = (q >> 3) & 1;
        x->u.io.string = (q >> 4) & 1;
        x->u.io.rep = (q >> 5) & 1;
        x->u.io.port = (uint16_t)(q >> 16);
        break;
    case EXIT_NPF:                      /* SDM table 28-7: bits 0/1/2 = read/write/fetch = NPF_* */
    case EXIT_NPT_MISCONFIG:
        x->u.npf.access = (uint32_t)(q & (NPF_READ | NPF_WRITE | NPF_EXEC));
        break;
    case EXIT_CR_ACCESS:                /* SDM table 28-3; gpr in the x86 encoding (0 RAX, 1 RCX, ...) */
        x->u.cr.cr = (uint8_t)(q & 15);
        x->u.cr.write = ((q >> 4) & 3) != 1;    /* MOV to CR, CLTS, LMSW write; MOV from CR reads */
        x->u.cr.gpr = (uint8_t)((q >> 8) & 15);
        break;
    default:
        break;
    }
}

#endif
