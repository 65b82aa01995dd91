/* Guest-memory bookkeeping shared by the format loaders (vmm/loader_mem.c):
 * the loader context, placement and destination checks. Included by the
 * format loaders and the dispatcher; it knows neither. */
#ifndef KEEL_VMM_LOADER_MEM_H
#define KEEL_VMM_LOADER_MEM_H
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "vmm/guest.h"

#define LD_PAGE 0x1000ull
#define LD_1MIB 0x100000ull
#define LD_4GIB 0x100000000ull
#define LD_MAX_MAP (BOOT_MAX_MMAP + 12)
#define LD_MAX_TAKEN (32 + BOOT_MAX_MODS + 8)   /* segments + modules + boot structures */

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
/* A boot structure of `size` bytes: at its customary low address `low` if
 * it is free and ends by `low_limit` (below the EBDA), else the lowest free
 * page at or above `after` below 4 GiB. False with "<who>: no room for
 * <what> (N bytes) below 4 GiB". */
bool ld_place_low(const struct loader_ctx *c, const char *who, const char *what, uint64_t low,
                  uint64_t low_limit, uint64_t after, uint64_t size, uint64_t *base);
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

/* Set c up for one load: the guest's memory map and available RAM from
 * g, every boot module of bi staged in g->scratch_*. False (with a
 * message) when a module is bad or the staging area is too small. */
bool ld_init(struct loader_ctx *c, const struct boot_info *bi, const struct guest_layout *g);

#endif
