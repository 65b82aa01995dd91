/* The guest's own page tables, walked through guest-physical memory
 * (guest_phys_ptr: guest RAM only, never keel's region), to read guest
 * code at a linear address. */
#ifndef KEEL_VMM_GUEST_WALK_H
#define KEEL_VMM_GUEST_WALK_H
#include <stdint.h>
#include <stdbool.h>
#include "vmm/guest.h"

/* The control registers that decide how linear addresses translate. */
struct guest_paging {
    uint64_t cr0, cr3, cr4, efer;
};

/* Translate a linear address: false if a table entry is not present or a
 * table is not guest RAM. No permission checks: the CPU already fetched
 * the instruction, keel only reads it again. */
bool guest_linear_to_phys(const struct guest_layout *g, const struct guest_paging *pg, uint64_t la,
                          uint64_t *gpa);
/* Copy up to n bytes from linear address la; returns how many could be
 * read (it stops at the first byte that cannot). */
unsigned guest_read_linear(const struct guest_layout *g, const struct guest_paging *pg, uint64_t la,
                           uint8_t *buf, unsigned n);

#endif
