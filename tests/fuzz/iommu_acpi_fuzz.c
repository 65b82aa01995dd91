/* libFuzzer target: DMAR / IVRS parsing and the guest ACPI copy on
 * arbitrary bytes. The first byte picks the parser; the rest is the table
 * (its signature forced so the parser gets past the first check). A parse
 * either fails with a message or yields units with aligned register bases. */
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <stdlib.h>
#include "vmm/iommu_acpi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t t[8192];
    static char err[200];
    struct iommu_acpi ia;
    const char *e;
    unsigned i;
    if (size < 1 || size - 1 > sizeof(t))
        return 0;
    memcpy(t, data + 1, size - 1);
    if (size - 1 >= 4)
        memcpy(t, data[0] & 1 ? "IVRS" : "DMAR", 4);
    e = data[0] & 1 ? ivrs_parse(t, (uint32_t)(size - 1), &ia, err, sizeof(err))
                    : dmar_parse(t, (uint32_t)(size - 1), &ia, err, sizeof(err));
    if (e) {
        if (ia.kind != IOMMU_KIND_NONE || !strlen(e))
            abort();
        return 0;
    }
    if (!ia.nunits || ia.nunits > IOMMU_MAX_UNITS || ia.nresv > IOMMU_MAX_RESV)
        abort();
    for (i = 0; i < ia.nunits; i++)
        if (!ia.unit[i].mmio_base || (ia.unit[i].mmio_base & 0xfff) || !ia.unit[i].mmio_size)
            abort();
    return 0;
}
