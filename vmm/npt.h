/* Nested paging (AMD NPT / Intel EPT) identity map builder, shared by both
 * backends: guest-physical == host-physical everywhere except keel's region,
 * which is left unmapped so a guest access to it exits (NPF / EPT violation). */
#ifndef KEEL_VMM_NPT_H
#define KEEL_VMM_NPT_H
#include <stdint.h>
#include <stdbool.h>

/* The vendor-specific entry encoding. `level`: 1 = 4 KiB PTE, 2 = 2 MiB PDE,
 * 3 = 1 GiB PDPTE. Non-leaf entries point at the next table. */
struct npt_format {
    uint64_t (*table_entry)(uint64_t next_table_pa);
    /* RWX, memory type for pa. May return 0 for a large page whose range
     * cannot be one leaf (e.g. mixed MTRR memory types): the builder then
     * maps that range with the next smaller page size. */
    uint64_t (*leaf_entry)(uint64_t pa, int level);
};

/* Build an identity map of [0, top) minus [hole_base, hole_end); returns
 * the root table's physical address (0 if out of memory). */
uint64_t npt_build(const struct npt_format *fmt, uint64_t top, uint64_t hole_base, uint64_t hole_end);
/* Tables allocated by the last npt_build (for the boot report). */
unsigned npt_table_pages(void);

#endif
