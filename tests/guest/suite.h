/* The suite kernel's test groups (suite.c, msr_tests.c, profile_tests.c). */
#ifndef KEEL_GUEST_SUITE_H
#define KEEL_GUEST_SUITE_H
#include "guest.h"

/* msr_tests.c */
void run_msr_table(void);                /* word: msr */
void run_msr_gated(void);                /* MSRs gated by CPUID features only */
void run_msr_filter_deny(uint32_t idx);  /* word: msr-filter-deny=0xIDX */
void run_msr_unknown_ignore(void);       /* word: msr-unknown-ignore */
void run_msrfuzz(uint64_t seed, uint32_t count); /* words: msrfuzz seed=N count=N */

/* profile_tests.c */
void run_profile(const char *name);      /* word: expect-profile=NAME */
void run_boot_info(const char *firmware);  /* word: boot-info=bios|efi (Multiboot2 boot information) */

/* dma_tests.c */
void run_dma(const char *expect);        /* word: dma-expect=blocked|lands (needs -device edu) */
void run_acpi_view(bool expect_iommu_table); /* word: acpi-view=no-iommu|iommu */
void t_iommu_mmio(uint32_t addr);        /* word: iommu-mmio=0xADDR */

/* hw_tests.c */
void run_vminsn_ud(void);                /* word: vminsn */
void run_x2apic(void);                   /* word: x2apic (runs last) */
void run_pae(void);                      /* word: pae */
void run_outs(void);                     /* word: outs (REP OUTSB to the console's THR) */

/* arch_tests.c */
void run_singlestep(void);               /* word: singlestep */
void run_prefix(void);                   /* word: prefix */
void run_pmu(void);                      /* word: pmu */

/* Hypercall helpers shared by the groups: false (and a FAIL under name) if
 * the hypercall instruction faulted. */
bool hc_msr_count(const char *name, uint32_t idx, uint32_t *reads, uint32_t *writes);

/* One ACPI table listed by a root table: true if it is an IOMMU table (DMAR
 * or IVRS); its signature is appended to sigs (size cap, "XXXX " each). */
bool acpi_note_table(const uint8_t *table, char *sigs, unsigned cap, unsigned *len);

#endif
