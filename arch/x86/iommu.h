/* The IOMMU drivers (Intel VT-d, AMD-Vi): the only code that knows their
 * registers and in-memory structures. vmm/iommu.c decides (which units,
 * which identity domain), a driver commits it to the hardware. */
#ifndef KEEL_ARCH_IOMMU_H
#define KEEL_ARCH_IOMMU_H
#include <stdint.h>
#include <stdbool.h>
#include "vmm/iommu_acpi.h"
#include "vmm/iommu_pt.h"

/* One DMA access the IOMMU blocked. */
struct dma_fault {
    bool known;                     /* device, address and direction are known */
    uint16_t segment, devid;        /* requester: bus << 8 | dev << 3 | fn */
    uint64_t addr;                  /* the I/O address (= guest-physical) */
    bool write;
    unsigned reason;                /* the vendor's fault reason / event code */
    const char *what;               /* the vendor's name for it */
};
typedef void (*dma_fault_fn)(const struct dma_fault *f);

/* Driver state for one unit (keel owns at most IOMMU_MAX_UNITS). */
struct iommu_hw {
    const struct iommu_unit *u;
    uintptr_t mmio;
    /* what probe found */
    uint64_t cap, ecap;             /* VT-d CAP/ECAP; AMD-Vi: EFR in cap */
    unsigned levels_mask;           /* page-table depths it walks: bit 3 = 3 levels, bit 4 = 4 */
    bool large;                     /* 2 MiB leaves usable */
    /* tables and rings in keel's region */
    uint64_t root, devtab, cmdbuf, evtlog, wait_slot;
    uint32_t cmd_tail, evt_head;
    unsigned faults;                /* blocked accesses seen */
    unsigned lost;                  /* overflowed (not recorded) */
};

struct iommu_driver {
    const char *name;               /* "VT-d", "AMD-Vi" */
    enum iommu_pt_format fmt;
    /* Read capabilities; NULL or why keel cannot drive this unit. */
    const char *(*probe)(struct iommu_hw *h);
    /* Point every device at the identity domain `pt`, invalidate, turn
     * translation on, fault reporting polled (no interrupt). NULL or why not. */
    const char *(*enable)(struct iommu_hw *h, const struct iommu_pt *pt);
    /* Report faults recorded since the last poll through fn and clear them. */
    void (*poll)(struct iommu_hw *h, dma_fault_fn fn);
};

extern const struct iommu_driver vtd_driver, amdvi_driver;

#endif
