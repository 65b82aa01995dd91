/* Multiboot v1 / v2 information parsing and validation (pure logic; the
 * unit tests feed it crafted and malformed info blocks). */
#ifndef KEEL_BOOT_MBINFO_H
#define KEEL_BOOT_MBINFO_H
#include <stddef.h>
#include <stdbool.h>
#include "boot/bootinfo.h"

/* Reads len bytes of physical memory at addr: a pointer, or NULL when the
 * range is not readable (keel: identity map below 4 GiB; tests: a buffer). */
typedef const void *(*phys_reader_fn)(uint64_t addr, size_t len);

/* Parse the loader's info. Returns NULL on success, else a message saying
 * what is wrong (the caller prints it and stops). Warnings are klog'd. */
const char *mbinfo_parse(uint32_t magic, uint64_t info_phys, phys_reader_fn rd, struct boot_info *bi);

/* The E820-style type keel uses for an EFI memory type (bs_active: boot
 * services still running, so their memory is not free). */
uint32_t efi_to_mem_type(uint32_t efi_type, bool bs_active);

/* Checks after parsing: modules overlapping each other or outside RAM. */
const char *mbinfo_validate(const struct boot_info *bi);

#endif
