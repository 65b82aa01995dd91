/* Guest loader internals shared by vmm/loader.c (format detection, module
 * staging, guest memory bookkeeping), vmm/multiboot_guest.c and
 * vmm/linux_guest.c. The public entry point is guest_load() in vmm/guest.h;
 * docs/loaders.md describes the conventions and where things go. */
#ifndef KEEL_VMM_LOADER_H
#define KEEL_VMM_LOADER_H
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "vmm/guest.h"

#define LD_PAGE 0x1000ull
#define LD_1MIB 0x100000ull
#define LD_4GIB 0x100000000ull
#define LD_MAX_MAP (BOOT_MAX_MMAP + 12)
#define LD_MAX_TAKEN (32 + BOOT_MAX_MODS + 8)   /* segments + modules + boot structures */

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

struct ld_range {
    uint64_t base, end;                  /* [base, end) */
    const char *what;                    /* for messages: "the kernel", ... */
};

struct loader_ctx {
    const struct boot_info *bi;
    const struct guest_layout *g;
    /* The guest's memory map: g->map sorted, with keel's region carved out
     * as RESERVED (whether or not g->map already did that). */
    struct mem_range map[LD_MAX_MAP];
    unsigned nmap;
    /* Available RAM, adjacent ranges merged, keel's region excluded. */
    struct ld_range avail[LD_MAX_MAP];
    unsigned navail;
    /* Staged copies of the modules (in g->scratch_*). */
    uint64_t staged[BOOT_MAX_MODS];
    uint64_t size[BOOT_MAX_MODS];
    unsigned nmods;
    /* Staged copies of modules >= guard_from are still needed: placement
     * treats them as taken. nmods (or more) = none. */
    unsigned guard_from;
    /* Guest memory handed out so far (kernel, modules, boot structures). */
    struct ld_range taken[LD_MAX_TAKEN];
    unsigned ntaken;
};

static inline uint64_t ld_align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}
static inline uint64_t ld_align_down(uint64_t v, uint64_t a)
{
    return v & ~(a - 1);
}
static inline bool ld_overlap(uint64_t b1, uint64_t e1, uint64_t b2, uint64_t e2)
{
    return b1 < e2 && b2 < e1;
}

/* Staged image of module i (never NULL for a staged module of size > 0). */
const uint8_t *ld_module(const struct loader_ctx *c, unsigned i);

/* [base, base+len) lies in available guest RAM (outside keel's region). */
bool ld_is_ram(const struct loader_ctx *c, uint64_t base, uint64_t len);
/* ... and overlaps nothing taken or guarded. */
bool ld_is_free(const struct loader_ctx *c, uint64_t base, uint64_t len);
/* Lowest `align`-aligned free block of len bytes at or above `from` ending
 * at or below `limit`; false if none. */
bool ld_find_up(const struct loader_ctx *c, uint64_t from, uint64_t len, uint64_t align,
                uint64_t limit, uint64_t *out);
/* Highest such block at or above `floor` ending at or below `limit`. */
bool ld_find_down(const struct loader_ctx *c, uint64_t floor, uint64_t len, uint64_t align,
                  uint64_t limit, uint64_t *out);
/* Record [base, base+len) as used by `what`; false (with a message) if the
 * table is full. */
bool ld_take(struct loader_ctx *c, uint64_t base, uint64_t len, const char *what);

/* Check that [base, base+len) may be written for the guest: in RAM, not in
 * keel's region, not over the staged modules still needed, not over what
 * was already placed. On failure prints "keel: <what> [a, b) <reason>"
 * and returns false. */
bool ld_check_dest(const struct loader_ctx *c, const char *what, uint64_t base, uint64_t len);
/* guest_phys_ptr with a message naming `what` when it says no. */
void *ld_dest_ptr(const struct loader_ctx *c, const char *what, uint64_t base, uint64_t len);

/* Format loaders, called by guest_load after staging. They fill *entry
 * and print their own messages. */
bool multiboot_guest_load(struct loader_ctx *c, struct guest_entry *entry);
bool linux_guest_load(struct loader_ctx *c, struct guest_entry *entry);
bool multiboot2_guest_load(struct loader_ctx *c, struct guest_entry *entry);

/* The Multiboot v1 header in the first 8 KiB, or NULL. Sets *offset. */
const uint8_t *multiboot_find_header(const uint8_t *img, uint64_t size, uint64_t *offset);
/* A Linux bzImage (any boot protocol version): "HdrS" at 0x202. */
bool linux_is_bzimage(const uint8_t *img, uint64_t size);

#endif
