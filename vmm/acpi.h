/* Just enough ACPI for keel: find the RSDP (for the Linux zero page) and
 * the PM1a control port, whose sleep-enable write is the guest powering the
 * machine off (keel traps it to print its statistics first). */
#ifndef KEEL_VMM_ACPI_H
#define KEEL_VMM_ACPI_H
#include <stdint.h>
#include <stdbool.h>
#include "boot/bootinfo.h"

/* Physical address of the RSDP (the loader's copy is not addressable by
 * the guest, so the BIOS areas are searched), or 0. */
uint64_t acpi_find_rsdp(void);
/* The FADT's PM1a control block I/O port; false if none (or in MMIO). */
bool acpi_pm1a_cnt_port(uint64_t rsdp, uint16_t *port);

/* The first table with signature `sig` (checksum verified), and its
 * length; NULL if there is none. */
uint8_t *acpi_find_table(uint64_t rsdp, const char *sig, uint32_t *len);

#endif
