#include "vmm/npt.h"
#include "lib/palloc.h"

#define TWO_MIB 0x200000ull
#define FOUR_KIB 0x1000ull
#define PRESENT_MASK 0x7ull     /* NPT: P|W|U; EPT: R|W|X: nonzero low bits = present */


static uint64_t *tbl(uint64_t pa)
{
    return (uint64_t *)palloc_ptr(pa);
}

static uint64_t *walk(struct npt *n, uint64_t gpa, int to_level)
{
    const struct npt_format *fmt = n->fmt;
    uint64_t *t = tbl(n->root);
    int level;
    for (level = 4; level > to_level; level--) {
        unsigned idx = (gpa >> (12 + 9 * (level - 1))) & 511;
        if (!(t[idx] & PRESENT_MASK)) {
            uint64_t page = palloc_page();
            if (!page)
                return 0;
            n->pages++;
            t[idx] = fmt->table_entry(page);
        }
        t = tbl(t[idx] & 0x000FFFFFFFFFF000ull);
    }
    return t;
}

static bool map_range_4k(struct npt *n, uint64_t start, uint64_t end)
{
    uint64_t a;
    for (a = start; a < end; a += FOUR_KIB) {
        uint64_t *t = walk(n, a, 1);
        if (!t)
            return false;
        t[(a >> 12) & 511] = n->fmt->leaf_entry(a, 1);
    }
    return true;
}

static bool map_range(struct npt *n, uint64_t start, uint64_t end)
{
    const struct npt_format *fmt = n->fmt;
    uint64_t a = start;
    while (a < end) {
        int level = (!(a & (TWO_MIB - 1)) && end - a >= TWO_MIB) ? 2 : 1;
        uint64_t size = level == 2 ? TWO_MIB : FOUR_KIB;
        uint64_t e = fmt->leaf_entry(a, level), *t;
        if (!e && level == 2) {
            /* Not expressible as one 2 MiB leaf: use 4 KiB pages. */
            if (!map_range_4k(n, a, a + TWO_MIB))
                return false;
            a += TWO_MIB;
            continue;
        }
        t = walk(n, a, level);
        if (!t)
            return false;
        t[(a >> (12 + 9 * (level - 1))) & 511] = e;
        a += size;
    }
    return true;
}

uint64_t npt_build(struct npt *n, const struct npt_format *fmt, uint64_t top, uint64_t hole_base,
                   uint64_t hole_end)
{
    uint64_t root = palloc_page();
    n->fmt = fmt;
    n->root = root;
    n->pages = 1;
    if (!root)
        return 0;
    top = (top + FOUR_KIB - 1) & ~(FOUR_KIB - 1);
    if (!map_range(n, 0, hole_base < top ? hole_base : top))
        return 0;
    if (hole_end < top && !map_range(n, hole_end, top))
        return 0;
    return root;
}

bool npt_map_on_demand(struct npt *n, uint64_t gpa)
{
    uint64_t base = gpa & ~(TWO_MIB - 1);
    return n->root && map_range(n, base, base + TWO_MIB);
}

bool npt_set_page(struct npt *n, uint64_t gpa, uint64_t hpa)
{
    uint64_t *pd, *pt;
    unsigned i2 = (gpa >> 21) & 511, i;
    gpa &= ~(FOUR_KIB - 1);
    if (!n->root)
        return false;
    pd = walk(n, gpa, 2);
    if (!pd)
        return false;
    /* Bit 7 is the large-page bit in both NPT and EPT PDEs (APM Vol 2
     * 15.25.5; SDM Vol 3 Table 29-4): split it into 512 identical 4 KiB
     * leaves first. */
    if ((pd[i2] & PRESENT_MASK) && (pd[i2] & (1ull << 7))) {
        uint64_t page = palloc_page(), base = gpa & ~(TWO_MIB - 1);
        if (!page)
            return false;
        n->pages++;
        pt = tbl(page);
        for (i = 0; i < 512; i++)
            pt[i] = n->fmt->leaf_entry(base + i * FOUR_KIB, 1);
        pd[i2] = n->fmt->table_entry(page);
    }
    pt = walk(n, gpa, 1);
    if (!pt)
        return false;
    pt[(gpa >> 12) & 511] = hpa == NPT_UNMAPPED ? 0 : n->fmt->leaf_entry(hpa & ~(FOUR_KIB - 1), 1);
    return true;
}
