/* The Intel VMX backend (struct vendor_ops vmx_ops in vmm/vendor.h). */
#ifndef KEEL_ARCH_VMX_VMX_H
#define KEEL_ARCH_VMX_VMX_H
#include "vmm/npt.h"

/* EPT entry encoding for the shared builder (vmm/npt.h). leaf_entry returns
 * 0 for a 2 MiB / 1 GiB page whose range the host MTRRs give mixed memory
 * types: the builder must then map that range with smaller pages. */
extern const struct npt_format vmx_npt_format;

#endif
