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

/* One VM's nested page tables: shared by all of its vCPUs. */
struct npt {
    const struct npt_format *fmt;
    uint64_t root;          /* physical address of the top table, 0 before npt_build */
    unsigned pages;         /* tables allocated */
};

/* Build an identity map of [0, top) minus [hole_base, hole_end) into n;
 * returns the root table's physical address (0 if out of memory). */
uint64_t npt_build(struct npt *n, const struct npt_format *fmt, uint64_t top, uint64_t hole_base,
                   uint64_t hole_end);
/* Map the 2 MiB-aligned range holding `gpa` 1:1 into n (device memory above RAM, e.g. 64-bit PCI BARs, is mapped on
 * first touch). The caller has checked that gpa is not keel's. Not-present
 * entries are never cached by the TLBs, so no flush is needed (SDM Vol 3
 * 29.4.3.1; APM Vol 2 15.25.9). False when out of table memory. */
bool npt_map_on_demand(struct npt *n, uint64_t gpa);
/* Change one 4 KiB page of n: guest-physical gpa backed by hpa, or not
 * mapped at all (hpa = NPT_UNMAPPED), splitting a 2 MiB leaf into 4 KiB
 * pages where needed. Making a page present needs no flush (not-present
 * entries are never cached); taking one away does, on every vCPU that may
 * have it cached (the caller's business). False when out of table memory. */
#define NPT_UNMAPPED (~0ull)
bool npt_set_page(struct npt *n, uint64_t gpa, uint64_t hpa);

#endif
