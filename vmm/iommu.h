/* DMA protection: keel takes the IOMMUs the firmware describes (ACPI DMAR
 * or IVRS), gives every device one identity domain (all RAM and MMIO the
 * guest may use, keel's region and the IOMMUs' registers unmapped), hides
 * the IOMMUs from the guest (their ACPI table is left out of the guest's
 * copy, their registers are not mapped for it), and reports the accesses
 * it blocked. Interrupt remapping is left as the firmware has it. */
#ifndef KEEL_VMM_IOMMU_H
#define KEEL_VMM_IOMMU_H
#include <stdint.h>
#include <stdbool.h>
#include "vmm/acpi_copy.h"

/* Find the IOMMUs through the firmware's RSDP (0: none) and decide,
 * with the iommu= option, whether keel takes them. Prints one line. */
void iommu_probe(uint64_t rsdp);
/* keel owns the IOMMUs: the guest must not see their table or registers. */
bool iommu_owned(void);
/* Hooks for the guest's ACPI copy (drop DMAR/IVRS when owned). */
unsigned iommu_acpi_hooks(struct acpi_hook *out, unsigned max);
/* i-th register block keel owns ([base, end)); false past the last. */
bool iommu_mmio(unsigned i, uint64_t *base, uint64_t *end);
/* Turn translation on: identity map of [0, top) minus [hole_base,
 * hole_end) and the IOMMUs' registers. Stops keel (125) on failure. */
void iommu_enable(uint64_t top, uint64_t hole_base, uint64_t hole_end);
/* Read and report the faults recorded since the last poll (rate-limited);
 * returns the total number of blocked accesses so far. Not for the exit
 * path: it reads device registers. */
unsigned iommu_poll(void);
/* End of the run: poll once more and print the summary line. */
void iommu_report(void);

#endif
