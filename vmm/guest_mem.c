/* keel's view of guest-physical memory: the identity map. Guest RAM is
 * every available range except keel's region. */
#include "vmm/guest.h"

void *guest_phys_ptr(const struct guest_layout *g, uint64_t gpa, uint64_t len)
{
    unsigned i;
    uint64_t end = gpa + len;
    if (end < gpa)
        return 0;
    if (gpa < g->keel_end && g->keel_base < end)
        return 0;
    for (i = 0; i < g->nmap; i++) {
        const struct mem_range *r = &g->map[i];
        if (r->type == MEM_AVAILABLE && gpa >= r->base && end <= r->base + r->len)
            return (void *)(uintptr_t)gpa;
    }
    return 0;
}
