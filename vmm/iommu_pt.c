/* Identity-domain page tables for the IOMMUs (formats in iommu_pt.h). */
#include "vmm/iommu_pt.h"
#include "lib/palloc.h"

#define TWO_MIB 0x200000ull
#define FOUR_KIB 0x1000ull
#define ADDR_MASK 0x000FFFFFFFFFF000ull
#define VTD_R (1ull << 0)
#define VTD_W (1ull << 1)
#define VTD_PS (1ull << 7)
#define AMD_PR (1ull << 0)
#define AMD_IR (1ull << 61)
#define AMD_IW (1ull << 62)
#define AMD_NEXT(l) ((uint64_t)(l) << 9)
/* A hole's entry on AMD-Vi: PR clear, so the IOMMU ignores every other
 * bit (AMD IOMMU spec 2.2.3) and faults. It is not left zero because
 * QEMU's AMD-Vi model (7.2) drops a DMA to an all-zero entry without
 * logging an IO_PAGE_FAULT event; with NextLevel 1 it walks on, sees PR
 * clear and logs the event as the hardware does. */
#define AMD_HOLE AMD_NEXT(1)

static uint64_t *tbl(uint64_t pa)
{
    return (uint64_t *)palloc_ptr(pa);
}

static bool present(uint64_t e)
{
    /* VT-d: R or W set; AMD-Vi: PR (bit 0). Keel always sets bit 0. */
    return (e & 1) != 0;
}

/* A table entry at `level` (2..4) pointing at the next table. */
static uint64_t table_entry(const struct iommu_pt *pt, uint64_t next, int level)
{
    if (pt->fmt == IOMMU_PT_VTD)
        return next | VTD_R | VTD_W;
    return next | AMD_PR | AMD_NEXT(level - 1) | AMD_IR | AMD_IW;
}

static uint64_t leaf_entry(const struct iommu_pt *pt, uint64_t pa, int level)
{
    if (pt->fmt == IOMMU_PT_VTD)
        return pa | VTD_R | VTD_W | (level == 2 ? VTD_PS : 0);
    return pa | AMD_PR | AMD_IR | AMD_IW;     /* NextLevel 0: a leaf of this level's size */
}

static bool is_leaf(const struct iommu_pt *pt, uint64_t e, int level)
{
    if (level == 1)
        return true;
    if (pt->fmt == IOMMU_PT_VTD)
        return (e & VTD_PS) != 0;
    return ((e >> 9) & 7) == 0;
}

static uint64_t *walk(struct iommu_pt *pt, uint64_t iova, int to_level)
{
    uint64_t *t = tbl(pt->root);
    int level;
    for (level = pt->levels; level > to_level; level--) {
        unsigned idx = (iova >> (12 + 9 * (level - 1))) & 511;
        if (!present(t[idx])) {
            uint64_t page = palloc_page();
            if (!page)
                return 0;
            pt->pages++;
            t[idx] = table_entry(pt, page, level);
        }
        t = tbl(t[idx] & ADDR_MASK);
    }
    return t;
}

static bool set_leaf(struct iommu_pt *pt, uint64_t a, int level)
{
    uint64_t *t = walk(pt, a, level);
    if (!t)
        return false;
    t[(a >> (12 + 9 * (level - 1))) & 511] = leaf_entry(pt, a, level);
    return true;
}

static bool in_hole(const struct iommu_hole *h, unsigned n, uint64_t base, uint64_t end)
{
    unsigned i;
    for (i = 0; i < n; i++)
        if (base < h[i].end && h[i].base < end)
            return true;
    return false;
}

const char *iommu_pt_build(struct iommu_pt *pt, uint64_t top, const struct iommu_hole *holes, unsigned nholes)
{
    uint64_t a;
    pt->pages = 0;
    if (pt->levels != 3 && pt->levels != 4)
        return "IOMMU page tables: only 3 or 4 levels are supported";
    if (top > (1ull << (12 + 9 * pt->levels)))
        return "IOMMU page tables: memory reaches beyond what the IOMMU's address width translates";
    pt->root = palloc_page();
    if (!pt->root)
        return "out of memory in keel's region for the IOMMU page tables";
    pt->pages = 1;
    top = (top + FOUR_KIB - 1) & ~(FOUR_KIB - 1);
    for (a = 0; a < top; a += TWO_MIB) {
        uint64_t end = a + TWO_MIB < top ? a + TWO_MIB : top, p;
        if (pt->large && end - a == TWO_MIB && !in_hole(holes, nholes, a, end)) {
            if (!set_leaf(pt, a, 2))
                return "out of memory in keel's region for the IOMMU page tables";
            continue;
        }
        for (p = a; p < end; p += FOUR_KIB) {
            if (!in_hole(holes, nholes, p, p + FOUR_KIB)) {
                if (!set_leaf(pt, p, 1))
                    return "out of memory in keel's region for the IOMMU page tables";
            } else if (pt->fmt == IOMMU_PT_AMDVI) {
                uint64_t *t = walk(pt, p, 1);
                if (!t)
                    return "out of memory in keel's region for the IOMMU page tables";
                t[(p >> 12) & 511] = AMD_HOLE;
            }
        }
    }
    return 0;
}

bool iommu_pt_translate(const struct iommu_pt *pt, uint64_t iova, uint64_t *pa, bool *writable)
{
    const uint64_t *t = tbl(pt->root);
    int level;
    if (iova >= (1ull << (12 + 9 * pt->levels)))
        return false;
    for (level = pt->levels; level >= 1; level--) {
        uint64_t e = t[(iova >> (12 + 9 * (level - 1))) & 511];
        if (!present(e))
            return false;
        if (is_leaf(pt, e, level)) {
            uint64_t size = 1ull << (12 + 9 * (level - 1));
            if (level > 2)
                return false;      /* keel builds no 1 GiB leaves */
            *pa = (e & ADDR_MASK & ~(size - 1)) | (iova & (size - 1));
            *writable = pt->fmt == IOMMU_PT_VTD ? (e & VTD_W) != 0 : (e & AMD_IW) != 0;
            return true;
        }
        t = tbl(e & ADDR_MASK);
    }
    return false;
}
