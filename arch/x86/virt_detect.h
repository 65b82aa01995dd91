/* Which hardware virtualization this CPU offers, and if not, exactly why. */
#ifndef KEEL_ARCH_VIRT_DETECT_H
#define KEEL_ARCH_VIRT_DETECT_H
#include <stdbool.h>

enum virt_kind { VIRT_NONE, VIRT_SVM, VIRT_VMX };

/* Prints the CPU line (vendor, family/model/stepping, brand) and the
 * virtualization line; returns what is usable. */
enum virt_kind virt_report_cpu(void);
/* Usability checks; `why` gets a reason when false. */
bool svm_usable(const char **why);
bool vmx_usable(const char **why);

#endif
