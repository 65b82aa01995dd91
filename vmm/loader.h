/* The guest-loader dispatcher (vmm/loader.c): which format module 0 is.
 * The public entry point is guest_load() in vmm/guest.h; the format loaders
 * declare their entry points in their own headers and share
 * vmm/loader_mem.h. docs/loaders.md describes where things go. */
#ifndef KEEL_VMM_LOADER_H
#define KEEL_VMM_LOADER_H
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "vmm/guest.h"
#include "vmm/loader_mem.h"

/* True when the boot loader gave keel at least one module (the guest
 * kernel). The caller checks this first: no module means "no guest given"
 * and a clean stop, not a load error. */
bool guest_present(const struct boot_info *bi);

/* Which loader would take module 0 (without loading anything). */
/* A kernel with both a Multiboot2 and a Multiboot v1 header is loaded as
 * Multiboot2: it was written for either, and Multiboot2 hands it more (ACPI,
 * EFI, a 64-bit memory map). */
enum guest_format { GUEST_FMT_NONE, GUEST_FMT_MULTIBOOT, GUEST_FMT_LINUX, GUEST_FMT_UNKNOWN, GUEST_FMT_MULTIBOOT2 };
enum guest_format guest_detect(const void *image, uint64_t size);

#endif
