/* The identity domain keel gives every device: I/O virtual address ==
 * physical address for all RAM and MMIO the guest may use, with holes
 * (keel's region, the IOMMUs' own registers) left unmapped so a device
 * access there faults. Two encodings of the same 4-level radix tree:
 *  - VT-d second-level paging entries (VT-d spec 9.8): R bit 0, W bit 1,
 *    PS bit 7 on a 2 MiB leaf; 3 levels (39-bit AGAW) or 4 (48-bit);
 *  - AMD-Vi host page tables (AMD IOMMU spec 2.2.3): PR bit 0, NextLevel
 *    bits 11:9 (0 on a leaf, whose size is its level's), IR bit 61, IW 62.
 * Pure (tables come from lib/palloc), unit-tested hosted. */
#ifndef KEEL_VMM_IOMMU_PT_H
#define KEEL_VMM_IOMMU_PT_H
#include <stdint.h>
#include <stdbool.h>

enum iommu_pt_format { IOMMU_PT_VTD, IOMMU_PT_AMDVI };

struct iommu_pt {
    enum iommu_pt_format fmt;
    int levels;                     /* 3 or 4 */
    bool large;                     /* 2 MiB leaves allowed (VT-d CAP.SLLPS bit 0) */
    uint64_t root;                  /* physical address of the top table */
    unsigned pages;                 /* tables allocated */
};

struct iommu_hole {
    uint64_t base, end;             /* [base, end), 4 KiB aligned */
};

/* Fill pt->root with an identity map of [0, top) minus the holes (any
 * order, may overlap). pt->fmt/levels/large are inputs. Returns NULL or a
 * message (out of table memory, top beyond what `levels` can address). */
const char *iommu_pt_build(struct iommu_pt *pt, uint64_t top, const struct iommu_hole *holes, unsigned nholes);

/* Walk the tables like the IOMMU does: the physical address `iova`
 * translates to and whether a write is allowed; false if not mapped. */
bool iommu_pt_translate(const struct iommu_pt *pt, uint64_t iova, uint64_t *pa, bool *writable);

#endif
