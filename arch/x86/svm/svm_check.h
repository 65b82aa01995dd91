/* VMCB dump by field name and the APM's VMRUN consistency checks, so a
 * VMEXIT_INVALID says which check failed (APM Vol 2 15.5.1 "Basic
 * Operation", "Canonicalization and Consistency Checks"). */
#ifndef KEEL_SVM_CHECK_H
#define KEEL_SVM_CHECK_H
#include "arch/x86/svm/vmcb.h"

/* The first failing check's description, or NULL if all pass.
 * maxphyaddr: the host's physical address width. */
const char *svm_check_vmcb(const struct vmcb *vm, unsigned maxphyaddr);
void svm_dump_vmcb(const struct vmcb *vm);

#endif
