/* The EFI memory map as a guest gets it: the firmware's map (multiboot2
 * tag 17, kept verbatim in the boot info) saying about the memory keel
 * took what the guest's e820/multiboot map says: keel's region
 * EfiReservedMemoryType, the guest's ACPI copy EfiACPIReclaimMemory. */
#ifndef KEEL_VMM_EFI_MAP_H
#define KEEL_VMM_EFI_MAP_H
#include <stdint.h>
#include <stddef.h>
#include "boot/bootinfo.h"

struct loader_ctx;

/* A range to carve out of the RAM descriptors, and the EFI type it gets. */
struct efi_carve {
    uint64_t base, end;
    uint32_t type;
};

/* Copy the map `in` (len bytes of dsize-byte descriptors) to out (cap
 * bytes). Descriptors of RAM (conventional, loader, boot-services) that
 * overlap a carve range (sorted, disjoint) are split: the parts outside
 * keep their type and attributes, the parts inside get the range's type
 * without EFI_MEMORY_RUNTIME. Other descriptors are copied verbatim.
 * Returns the bytes written, or 0 if out is too small or dsize < 40. */
size_t efi_map_carve_ranges(const uint8_t *in, size_t len, uint32_t dsize, const struct efi_carve *cv, unsigned ncv,
                            uint8_t *out, size_t cap);

/* One range [kb, ke) as EfiReservedMemoryType. */
size_t efi_map_carve(const uint8_t *in, size_t len, uint32_t dsize, uint64_t kb, uint64_t ke, uint8_t *out,
                     size_t cap);

/* Worst-case size of a carved map: two descriptors more per carve range. */
static inline size_t efi_map_carved_max(size_t len, uint32_t dsize, unsigned ncv)
{
    return len + 2 * (size_t)ncv * dsize;
}

/* For the guest loaders: the carve ranges are every range of the guest's
 * map that is not available RAM (keel's region, the ACPI copy, ...; the
 * firmware's own reserved ranges are not RAM descriptors, so they stay as
 * they are). Returns the number of ranges (at most max). */
unsigned efi_carves_from_map(const struct loader_ctx *c, struct efi_carve *cv, unsigned max);

#endif
