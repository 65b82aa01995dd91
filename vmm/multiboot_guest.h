/* Multiboot v1 guest loader: constants and the layout keel builds
 * (docs/loaders.md). */
#ifndef KEEL_VMM_MULTIBOOT_GUEST_H
#define KEEL_VMM_MULTIBOOT_GUEST_H
#include <stdint.h>
#include "vmm/loader.h"

#define MB1_HEADER_MAGIC 0x1BADB002u

/* multiboot_info.flags bits keel sets */
#define MB1_INFO_MEMORY (1u << 0)
#define MB1_INFO_CMDLINE (1u << 2)
#define MB1_INFO_MODS (1u << 3)
#define MB1_INFO_MMAP (1u << 6)
#define MB1_INFO_LOADER_NAME (1u << 9)

/* The info block: struct multiboot_info (0x80 bytes reserved, zeroed),
 * then the mmap entries (24 bytes each), the module list (16 bytes each),
 * the strings (kernel command line, module strings, "keel"). Placed at
 * MB1_INFO_LOW when that RAM is free (it is unless the kernel loads
 * there), else page-aligned after the last module. */
#define MB1_INFO_LOW 0x9000ull
#define MB1_INFO_LOW_LIMIT 0x80000ull
#define MB1_INFO_SIZE 0x80u
#define MB1_LOADER_NAME "keel"

/* mem_lower (KiB of RAM from 0, at most 640) and mem_upper (KiB of
 * contiguous RAM from 1 MiB up to the first hole or reserved range, keel's
 * region included) from the loader's guest map. */
void multiboot_mem_bounds(const struct loader_ctx *c, uint32_t *lower_kib, uint32_t *upper_kib);

#endif
