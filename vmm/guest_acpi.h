/* The guest's ACPI tables: keel's copy of the root tables in guest RAM
 * (vmm/acpi_copy.h builds it; this file chooses the hooks and places it). */
#ifndef KEEL_VMM_GUEST_ACPI_H
#define KEEL_VMM_GUEST_ACPI_H
#include <stdint.h>

/* Build the copy in guest RAM [base, end) from the firmware's RSDP.
 * Returns the copy's RSDP (what the guest is pointed at), or host_rsdp
 * when no copy could be built (a message says why). */
uint64_t guest_acpi_build(uint64_t host_rsdp, uint64_t base, uint64_t end);

/* Once the nested page tables exist: a guest that finds the RSDP by
 * scanning the EBDA / 0xE0000-0xFFFFF (ACPI 5.2.5.1) reads the copy's.
 * The firmware's page holding the RSDP is left as it is (its other bytes
 * are firmware code and data); the guest's view of that one page is
 * backed by a copy of it whose RSDP points at keel's root tables. */
struct npt;
void guest_acpi_map_bios_rsdp(struct npt *n);

/* Likewise for a guest that finds the RSDP through the EFI configuration
 * table (UEFI 2.10 section 4.6; the system table at systab, 0 if keel was
 * not booted through 64-bit EFI): the guest's view of the page(s) holding
 * the table's array is backed by a copy whose ACPI 1.0 and 2.0 entries name
 * the copy's RSDP; the firmware's pages and every other entry stay as they
 * are. The system table is validated first (vmm/efi_config.h); if it is
 * malformed, a warning says so and the guest sees the firmware's table. */
void guest_acpi_map_efi_config(struct npt *n, uint64_t systab, uint64_t keel_base, uint64_t keel_end);

#endif
