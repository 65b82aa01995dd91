/* Guest page-table walk, SDM Vol. 3A 4.3 (32-bit), 4.4 (PAE), 4.5 (4- and
 * 5-level); AMD APM Vol. 2 5.2-5.3. Every table is read through
 * guest_phys_ptr, so a guest pointer into keel's region or outside RAM
 * ends the walk instead of being followed. */
#include "vmm/guest_walk.h"
#include "lib/string.h"
#include "arch/x86/x86_defs.h"

#define PTE_P 1ull
#define PTE_PS (1ull << 7)
#define PTE_ADDR 0x000ffffffffff000ull      /* bits 51:12 */

static bool rd64(const struct guest_layout *g, uint64_t gpa, uint64_t *v)
{
    const uint64_t *p = guest_phys_ptr(g, gpa, 8);
    if (!p)
        return false;
    *v = *p;
    return true;
}

static bool rd32(const struct guest_layout *g, uint64_t gpa, uint32_t *v)
{
    const uint32_t *p = guest_phys_ptr(g, gpa, 4);
    if (!p)
        return false;
    *v = *p;
    return true;
}

bool guest_linear_to_phys(const struct guest_layout *g, const struct guest_paging *pg, uint64_t la,
                          uint64_t *gpa)
{
    uint64_t e, table;
    int level;

    if (!(pg->cr0 & CR0_PG)) {
        *gpa = (uint32_t)la;
        return true;
    }
    if (!(pg->cr4 & CR4_PAE)) {
        /* 32-bit paging: 4 KiB pages, or 4 MiB with CR4.PSE (PSE-36 bits 20:13 = 39:32). */
        uint32_t pde, pte;
        if (!rd32(g, (pg->cr3 & 0xfffff000u) + ((la >> 22) & 0x3ff) * 4, &pde) || !(pde & PTE_P))
            return false;
        if ((pde & PTE_PS) && (pg->cr4 & CR4_PSE)) {
            *gpa = (pde & 0xffc00000u) | ((uint64_t)((pde >> 13) & 0xff) << 32) | (la & 0x3fffff);
            return true;
        }
        if (!rd32(g, (pde & 0xfffff000u) + ((la >> 12) & 0x3ff) * 4, &pte) || !(pte & PTE_P))
            return false;
        *gpa = (pte & 0xfffff000u) | (la & 0xfff);
        return true;
    }
    if (pg->efer & EFER_LMA) {
        level = (pg->cr4 & CR4_LA57) ? 5 : 4;
        table = pg->cr3 & PTE_ADDR;
    } else {
        /* PAE: CR3 bits 31:5 point at four PDPTEs. */
        if (!rd64(g, (pg->cr3 & 0xffffffe0u) + ((la >> 30) & 3) * 8, &e) || !(e & PTE_P))
            return false;
        level = 2;
        table = e & PTE_ADDR;
    }
    for (; level >= 1; level--) {
        unsigned shift = 12 + 9 * (level - 1);
        if (!rd64(g, table + ((la >> shift) & 0x1ff) * 8, &e) || !(e & PTE_P))
            return false;
        if (level == 1 || ((level == 2 || level == 3) && (e & PTE_PS))) {
            uint64_t off = (1ull << shift) - 1;
            *gpa = (e & PTE_ADDR & ~off) | (la & off);
            return true;
        }
        table = e & PTE_ADDR;
    }
    return false;
}

unsigned guest_read_linear(const struct guest_layout *g, const struct guest_paging *pg, uint64_t la,
                           uint8_t *buf, unsigned n)
{
    unsigned done = 0;
    while (done < n) {
        uint64_t gpa, a = la + done;
        unsigned chunk = (unsigned)(0x1000 - (a & 0xfff)), i;
        const uint8_t *p;
        if (chunk > n - done)
            chunk = n - done;
        if (!guest_linear_to_phys(g, pg, a, &gpa))
            break;
        p = guest_phys_ptr(g, gpa, chunk);
        if (p) {
            memcpy(buf + done, p, chunk);
            done += chunk;
            continue;
        }
        /* Part of the page is not guest RAM: up to its first byte that is not. */
        for (i = 0; i < chunk; i++) {
            p = guest_phys_ptr(g, gpa + i, 1);
            if (!p)
                return done + i;
            buf[done + i] = *p;
        }
        done += chunk;
    }
    return done;
}
