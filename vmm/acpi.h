/* Just enough ACPI for keel: find the RSDP (for the Linux zero page) and
 * the PM1a control port, whose sleep-enable write is the guest powering the
 * machine off (keel traps it to print its statistics first). */
#ifndef KEEL_VMM_ACPI_H
#define KEEL_VMM_ACPI_H
#include <stdint.h>
#include <stdbool.h>
#include "boot/bootinfo.h"

/* The machine's ACPI RSDP (physical), found once at boot by
 * acpi_locate_rsdp(); 0 if there is none. This is the one accessor for
 * keel's own ACPI use and for what guests are given. */
uint64_t acpi_rsdp(void);

/* Find the RSDP in firmware memory and record it (bi->rsdp_phys,
 * bi->rsdp_source, acpi_rsdp()). The boot loader's copy (multiboot2 tags
 * 15/14) says which RSDP: keel looks for it where it lives, because the
 * copy in the boot info is in RAM the guest will reuse: through the EFI
 * configuration table (ACPI 2.0 then 1.0 GUID) when booted through EFI,
 * else the BIOS areas. Without a copy, the first RSDP found that way, and
 * bi->rsdp then gets a copy of it (rsdp_tag stays 0). */
uint64_t acpi_locate_rsdp(struct boot_info *bi);

/* The BIOS-area scan alone (EBDA, then 0xE0000-0xFFFFF), or 0. */
uint64_t acpi_find_rsdp(void);

/* The VendorTable of the EFI configuration table entry with `guid` in the
 * 64-bit EFI system table at systab, or 0. */
uint64_t efi_config_table(uint64_t systab, const uint8_t guid[16]);
/* The first table with signature `sig` the RSDT/XSDT lists (checksum
 * verified), its length in *len; NULL if none. */
const uint8_t *acpi_find_table(uint64_t rsdp, const char *sig, uint32_t *len);
/* The FADT's PM1a control block I/O port; false if none (or in MMIO). */
bool acpi_pm1a_cnt_port(uint64_t rsdp, uint16_t *port);

#endif
