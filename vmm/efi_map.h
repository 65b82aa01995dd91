/* The EFI memory map as a guest gets it: the firmware's map (multiboot2
 * tag 17, kept verbatim in the boot info) with keel's region carved out as
 * EfiReservedMemoryType, exactly as the e820/multiboot map carves it out. */
#ifndef KEEL_VMM_EFI_MAP_H
#define KEEL_VMM_EFI_MAP_H
#include <stdint.h>
#include <stddef.h>
#include "boot/bootinfo.h"

/* Copy the map `in` (len bytes of dsize-byte descriptors) to out (cap
 * bytes), splitting every descriptor that overlaps [kb, ke): the parts
 * outside keep their type and attributes, the part inside becomes
 * EFI_RESERVED without EFI_MEMORY_RUNTIME. Returns the bytes written, or 0
 * if out is too small or the input is malformed (dsize < 40). */
size_t efi_map_carve(const uint8_t *in, size_t len, uint32_t dsize, uint64_t kb, uint64_t ke, uint8_t *out,
                     size_t cap);

/* Worst-case size of the carved map: two descriptors more than the input. */
static inline size_t efi_map_carved_max(size_t len, uint32_t dsize)
{
    return len + 2 * (size_t)dsize;
}

#endif
