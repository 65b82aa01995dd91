/* Multiboot2 guest loader: constants (Multiboot2 Specification 2.0) and
 * where keel puts the boot information (docs/loaders.md). */
#ifndef KEEL_VMM_MULTIBOOT2_GUEST_H
#define KEEL_VMM_MULTIBOOT2_GUEST_H
#include <stdint.h>
#include "vmm/loader_mem.h"

#define MB2_HEADER_MAGIC 0xE85250D6u
#define MB2_SEARCH 32768u                 /* the header lies in the first 32 KiB, 8-aligned */
#define MB2_ARCH_I386 0u

/* header tags (section 3.1.3) */
#define MB2_HDR_TAG_END 0
#define MB2_HDR_TAG_INFO_REQ 1
#define MB2_HDR_TAG_ADDRESS 2
#define MB2_HDR_TAG_ENTRY 3
#define MB2_HDR_TAG_FLAGS 4
#define MB2_HDR_TAG_FRAMEBUFFER 5
#define MB2_HDR_TAG_MODULE_ALIGN 6
#define MB2_HDR_TAG_EFI_BS 7
#define MB2_HDR_TAG_EFI_I386 8
#define MB2_HDR_TAG_EFI_AMD64 9
#define MB2_HDR_TAG_RELOCATABLE 10
#define MB2_HDR_TAG_OPTIONAL 1u           /* flags bit 0 */

/* boot information tags keel gives (section 3.6) */
#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_LOADER_NAME 2
#define MB2_TAG_MODULE 3
#define MB2_TAG_BASIC_MEMINFO 4
#define MB2_TAG_MMAP 6
#define MB2_TAG_EFI64 12
#define MB2_TAG_ACPI_OLD 14
#define MB2_TAG_ACPI_NEW 15
#define MB2_TAG_EFI_MMAP 17

/* The info goes at MB2_INFO_LOW when that RAM is free, else page-aligned
 * after the last module. */
#define MB2_INFO_LOW 0x9000ull
#define MB2_INFO_LOW_LIMIT 0x80000ull
#define MB2_LOADER_NAME "keel"

/* The Multiboot2 header (magic and checksum right) or NULL; sets *offset. */
const uint8_t *multiboot2_find_header(const uint8_t *img, uint64_t size, uint64_t *offset);

/* The Multiboot2 format loader, called by guest_load (vmm/loader.c)
 * after staging: fills *entry, prints its own messages. */
bool multiboot2_guest_load(struct loader_ctx *c, struct guest_entry *entry);

#endif
