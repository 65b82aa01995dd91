/* VMCB dump by field name and the APM's VMRUN consistency checks, so a
 * VMEXIT_INVALID says which check failed (APM Vol 2 15.5.1 "Basic
 * Operation", "Canonicalization and Consistency Checks"). */
#ifndef KEEL_SVM_CHECK_H
#define KEEL_SVM_CHECK_H
#include <stdbool.h>
#include "arch/x86/svm/vmcb.h"

/* What the checks need to know about the host CPU. */
struct svm_host_caps {
    unsigned maxphyaddr;    /* CPUID 0x80000008 EAX[7:0] */
    bool long_mode;         /* CPUID 0x80000001 EDX[29] */
    bool flush_by_asid;     /* CPUID 0x8000000A EDX[6] */
};

/* The first failing check's description, or NULL if all pass. */
const char *svm_check_vmcb(const struct vmcb *vm, const struct svm_host_caps *h);
/* After VMEXIT_INVALID: print the failing check ("VMRUN consistency
 * check: ..."); returns how many failed (0: none keel knows). */
unsigned svm_explain_vmcb(const struct vmcb *vm, const struct svm_host_caps *h);
void svm_dump_vmcb(const struct vmcb *vm);

#endif
