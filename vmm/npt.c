#include "vmm/npt.h"
#include "lib/palloc.h"

#define TWO_MIB 0x200000ull
#define FOUR_KIB 0x1000ull
#define PRESENT_MASK 0x7ull     /* NPT: P|W|U; EPT: R|W|X: nonzero low bits = present */

static unsigned pages;
static const struct npt_format *last_fmt;
static uint64_t last_root;

static uint64_t *tbl(uint64_t pa)
{
    return (uint64_t *)palloc_ptr(pa);
}

static uint64_t *walk(const struct npt_format *fmt, uint64_t root, uint64_t gpa, int to_level)
{
    uint64_t *t = tbl(root);
    int level;
    for (level = 4; level > to_level; level--) {
        unsigned idx = (gpa >> (12 + 9 * (level - 1))) & 511;
        if (!(t[idx] & PRESENT_MASK)) {
            uint64_t page = palloc_page();
            if (!page)
                return 0;
            pages++;
            t[idx] = fmt->table_entry(page);
        }
        t = tbl(t[idx] & 0x000FFFFFFFFFF000ull);
    }
    return t;
}

static bool map_range_4k(const struct npt_format *fmt, uint64_t root, uint64_t start, uint64_t end)
{
    uint64_t a;
    for (a = start; a < end; a += FOUR_KIB) {
        uint64_t *t = walk(fmt, root, a, 1);
        if (!t)
            return false;
        t[(a >> 12) & 511] = fmt->leaf_entry(a, 1);
    }
    return true;
}

static bool map_range(const struct npt_format *fmt, uint64_t root, uint64_t start, uint64_t end)
{
    uint64_t a = start;
    while (a < end) {
        int level = (!(a & (TWO_MIB - 1)) && end - a >= TWO_MIB) ? 2 : 1;
        uint64_t size = level == 2 ? TWO_MIB : FOUR_KIB;
        uint64_t e = fmt->leaf_entry(a, level), *t;
        if (!e && level == 2) {
            /* Not expressible as one 2 MiB leaf: use 4 KiB pages. */
            if (!map_range_4k(fmt, root, a, a + TWO_MIB))
                return false;
            a += TWO_MIB;
            continue;
        }
        t = walk(fmt, root, a, level);
        if (!t)
            return false;
        t[(a >> (12 + 9 * (level - 1))) & 511] = e;
        a += size;
    }
    return true;
}

uint64_t npt_build(const struct npt_format *fmt, uint64_t top, uint64_t hole_base, uint64_t hole_end)
{
    uint64_t root = palloc_page();
    pages = 1;
    if (!root)
        return 0;
    last_fmt = fmt;
    last_root = root;
    top = (top + FOUR_KIB - 1) & ~(FOUR_KIB - 1);
    if (!map_range(fmt, root, 0, hole_base < top ? hole_base : top))
        return 0;
    if (hole_end < top && !map_range(fmt, root, hole_end, top))
        return 0;
    return root;
}

bool npt_map_on_demand(uint64_t gpa)
{
    uint64_t base = gpa & ~(TWO_MIB - 1);
    return last_root && map_range(last_fmt, last_root, base, base + TWO_MIB);
}

bool npt_set_page(uint64_t gpa, uint64_t hpa)
{
    uint64_t *pd, *pt, e;
    unsigned i, i2 = (gpa >> 21) & 511;
    if (!last_root)
        return false;
    pd = walk(last_fmt, last_root, gpa, 2);
    if (!pd)
        return false;
    e = pd[i2];
    /* Bit 7 is the large-page bit in both NPT and EPT PDEs (APM Vol 2
     * 15.25.5; SDM Vol 3 Table 29-4). */
    if ((e & PRESENT_MASK) && (e & 0x80)) {
        uint64_t page = palloc_page(), base = gpa & ~(TWO_MIB - 1);
        if (!page)
            return false;
        pages++;
        pt = tbl(page);
        for (i = 0; i < 512; i++)
            pt[i] = last_fmt->leaf_entry(base + i * FOUR_KIB, 1);
        pd[i2] = last_fmt->table_entry(page);
    }
    pt = walk(last_fmt, last_root, gpa, 1);
    if (!pt)
        return false;
    pt[(gpa >> 12) & 511] = hpa == NPT_UNMAPPED ? 0 : last_fmt->leaf_entry(hpa & ~(FOUR_KIB - 1), 1);
    return true;
}

unsigned npt_table_pages(void)
{
    return pages;
}
