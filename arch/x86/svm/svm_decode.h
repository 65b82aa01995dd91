/* #VMEXIT decode into the neutral record (vmm/exit.h): the parts that read
 * only EXITCODE / EXITINFO1 / EXITINFO2, as static inline functions so the
 * exit path pays no call and tests/unit/test_svm_decode.c checks them
 * against the APM tables (Vol. 2 Appendix C "SVM Intercept Exit Codes",
 * 15.10.2 "IN and OUT Behavior", 15.25.6 "Nested versus Guest Page
 * Faults"). The twin of arch/x86/vmx/vmx_decode.h. */
#ifndef KEEL_ARCH_SVM_DECODE_H
#define KEEL_ARCH_SVM_DECODE_H
#include <stdint.h>
#include "arch/x86/svm/vmcb.h"
#include "vmm/exit.h"

#define SVM_CODE_KIND_MAX 0x90

/* EXITCODE -> neutral kind for the intercepts keel sets whose record needs
 * nothing more; 0 (EXIT_NONE) = not listed. */
static const uint8_t svm_code_kind[SVM_CODE_KIND_MAX] = {
    [SVM_EXIT_CPUID] = EXIT_CPUID,
    [SVM_EXIT_VMMCALL] = EXIT_HYPERCALL,
    [SVM_EXIT_XSETBV] = EXIT_XSETBV,
    [SVM_EXIT_INVD] = EXIT_INVD,
    [SVM_EXIT_WBINVD] = EXIT_WBINVD,
    [SVM_EXIT_HLT] = EXIT_HLT,
    [SVM_EXIT_SHUTDOWN] = EXIT_SHUTDOWN,
    [SVM_EXIT_INIT] = EXIT_INIT,
    [SVM_EXIT_NMI] = EXIT_NMI,     /* the NMI itself stays pending: keel takes it after STGI */
    [SVM_EXIT_RDTSCP] = EXIT_RDTSCP,
    /* The SVM instructions and MONITOR/MWAIT (hidden by CPUID): vmm/
     * answers with the #UD a CPU without them gives. */
    [SVM_EXIT_VMRUN] = EXIT_VMINSN, [SVM_EXIT_VMLOAD] = EXIT_VMINSN, [SVM_EXIT_VMSAVE] = EXIT_VMINSN,
    [SVM_EXIT_STGI] = EXIT_VMINSN, [SVM_EXIT_CLGI] = EXIT_VMINSN, [SVM_EXIT_SKINIT] = EXIT_VMINSN,
    [SVM_EXIT_INVLPGA] = EXIT_VMINSN, [SVM_EXIT_MONITOR] = EXIT_VMINSN, [SVM_EXIT_MWAIT] = EXIT_VMINSN,
};

static inline enum exit_kind svm_exit_kind(uint64_t code, uint64_t info1)
{
    if (code == SVM_EXIT_MSR)
        return (info1 & 1) ? EXIT_MSR_WRITE : EXIT_MSR_READ;   /* EXITINFO1: 1 = WRMSR */
    if (code == SVM_EXIT_IOIO)
        return EXIT_IO;
    if (code == SVM_EXIT_NPF)
        return EXIT_NPF;
    if ((uint32_t)code == 0xffffffffu)      /* VMEXIT_INVALID is -1; QEMU stores a 32-bit -1 */
        return EXIT_INVALID_STATE;
    if (code < SVM_CODE_KIND_MAX && svm_code_kind[code])
        return (enum exit_kind)svm_code_kind[code];
    if (code >= SVM_EXIT_EXCP_BASE && code < SVM_EXIT_EXCP_BASE + 32)
        return EXIT_EXCEPTION;
    return EXIT_OTHER;
}

/* The kind-specific fields (x->kind set by svm_exit_kind). */
static inline void svm_decode_info(struct vm_exit *x, uint64_t code, uint64_t info1, uint64_t info2)
{
    switch (x->kind) {
    case EXIT_IO:           /* APM Figure 15-2: EXITINFO1 of an IOIO intercept */
        x->u.io.port = (uint16_t)(info1 >> 16);
        x->u.io.in = info1 & 1;
        x->u.io.string = (info1 >> 2) & 1;
        x->u.io.rep = (info1 >> 3) & 1;
        x->u.io.size = (info1 & (1u << 4)) ? 1 : (info1 & (1u << 5)) ? 2 : 4;
        break;
    case EXIT_NPF:          /* EXITINFO1: a #PF error code; EXITINFO2: the GPA */
        x->u.npf.gpa = info2;
        x->u.npf.access = ((info1 & 2) ? NPF_WRITE : NPF_READ) | ((info1 & 0x10) ? NPF_EXEC : 0);
        break;
    case EXIT_EXCEPTION:
        x->u.exc.vector = (uint8_t)(code - SVM_EXIT_EXCP_BASE);
        break;
    default:
        break;
    }
}

#endif
