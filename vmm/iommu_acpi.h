/* The IOMMUs the firmware describes: the ACPI DMAR table (Intel VT-d,
 * "Intel Virtualization Technology for Directed I/O" spec chapter 8) and
 * the ACPI IVRS table (AMD I/O Virtualization Technology spec chapter 5),
 * parsed into one small vendor-neutral record. Pure: the parsers see only
 * the table bytes, so they run hosted in the unit tests. */
#ifndef KEEL_VMM_IOMMU_ACPI_H
#define KEEL_VMM_IOMMU_ACPI_H
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

#define IOMMU_MAX_UNITS 8
#define IOMMU_MAX_RESV 8

enum iommu_kind { IOMMU_KIND_NONE, IOMMU_KIND_VTD, IOMMU_KIND_AMDVI };

struct iommu_unit {
    uint64_t mmio_base, mmio_size;  /* register set: keel's, hidden from the guest */
    uint16_t segment;               /* PCI segment group */
    uint16_t devid;                 /* AMD-Vi: the IOMMU's own PCI requester ID */
    uint8_t type;                   /* IVHD type (0x10/0x11/0x40); DRHD: 0 */
    uint8_t flags;                  /* DRHD or IVHD flags byte */
    bool include_all;               /* DRHD INCLUDE_PCI_ALL / IVHD "select all" entry */
    unsigned nscopes;               /* device scope / device entries seen */
    uint16_t max_devid;             /* AMD-Vi: highest requester ID the entries name */
    uint64_t efr;                   /* IVHD 11h/40h: EFR register image */
};

/* Memory the firmware needs devices to keep reaching (VT-d RMRR, AMD-Vi
 * IVMD): keel's identity domain must map it. */
struct iommu_resv {
    uint64_t base, end;             /* [base, end) */
    uint16_t segment;
};

struct iommu_acpi {
    enum iommu_kind kind;
    uint8_t haw;                    /* DMAR: host address width in bits (field + 1) */
    uint8_t dmar_flags;             /* DMAR: INTR_REMAP bit 0, X2APIC_OPT_OUT 1, DMA_CTRL_PLATFORM_OPT_IN 2 */
    uint32_t ivinfo;                /* IVRS: IVinfo */
    unsigned nunits;
    struct iommu_unit unit[IOMMU_MAX_UNITS];
    unsigned nresv;
    struct iommu_resv resv[IOMMU_MAX_RESV];
};

/* Parse a DMAR / IVRS table of `len` bytes (header included; the caller
 * has checked the checksum). Returns NULL, or a message saying why the
 * table is rejected (truncated, a zero-length structure, an unaligned
 * register base, no remapping unit ...); `out` is then kind NONE. */
const char *dmar_parse(const uint8_t *t, uint32_t len, struct iommu_acpi *out, char *err, size_t errlen);
const char *ivrs_parse(const uint8_t *t, uint32_t len, struct iommu_acpi *out, char *err, size_t errlen);

#endif
