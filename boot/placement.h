/* Where keel puts itself: one region at the top of usable RAM below 4 GiB
 * that keel owns from then on, and a scratch area for the guest loader. */
#ifndef KEEL_BOOT_PLACEMENT_H
#define KEEL_BOOT_PLACEMENT_H
#include "boot/bootinfo.h"

struct placement {
    uint64_t region_base, region_end;     /* keel's region */
    uint64_t scratch_base, scratch_end;   /* module staging (guest RAM) */
    uint64_t ram_top_below_4g;
    /* Guest RAM for keel's copy of the ACPI tables, carved by the boot
     * flow from the top of the region place_keel chose (0 if none). */
    uint64_t acpi_base, acpi_end;
};

/* Returns NULL or a message. busy_*: ranges that must not be overwritten
 * while booting (keel's load image, the boot info); modules are taken from bi. */
const char *place_keel(const struct boot_info *bi, uint64_t region_size, uint64_t busy_start,
                       uint64_t busy_end, struct placement *out);

#endif
