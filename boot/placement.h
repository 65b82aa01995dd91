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

/* What keel's region must hold, in bytes (boot/layout.h constants). */
struct region_budget {
    uint64_t image;             /* text + data + bss, copied into the region */
    uint64_t shared;            /* one copy for all CPUs: the boot information, struct vm */
    uint64_t per_cpu;           /* KEEL_REGION_PER_CPU x cpus */
    unsigned cpus;              /* CPUs keel starts */
    uint64_t keel_tables;       /* keel's page tables: identity map (2 MiB pages) + image (4 KiB) */
    uint64_t npt_tables;        /* nested page tables for the guest's memory map */
    uint64_t margin;            /* KEEL_REGION_MARGIN */
    uint64_t total;             /* the sum, rounded up to 64 KiB */
};
/* shared: the bytes of what keel allocates once for all CPUs (the caller
 * rounds each object up to pages); ram_end: end of the highest RAM range
 * (the identity map and the guest's nested map both cover
 * [0, max(ram_end, 4 GiB))). */
void region_budget(struct region_budget *b, uint64_t image, uint64_t shared, unsigned cpus, uint64_t ram_end);

/* Returns NULL or a message. busy_*: ranges that must not be overwritten
 * while booting (keel's load image, the boot info); modules are taken from bi. */
const char *place_keel(const struct boot_info *bi, uint64_t region_size, uint64_t busy_start,
                       uint64_t busy_end, struct placement *out);

#endif
