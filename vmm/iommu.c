/* DMA protection (see iommu.h). The decisions are here; the drivers in
 * arch/x86/iommu_*.c only commit them to the hardware. State is the
 * machine's (the IOMMUs), not a VM's or a vCPU's. */
#include "vmm/iommu.h"
#include "vmm/acpi.h"
#include "vmm/iommu_acpi.h"
#include "vmm/iommu_pt.h"
#include "vmm/options.h"
#include "arch/x86/iommu.h"
#include "arch/x86/stop.h"
#include "lib/log.h"
#include "lib/string.h"

#define FAULTS_SHOWN 16     /* lines per run; the rest are counted */

static struct {
    struct iommu_acpi acpi;
    const struct iommu_driver *drv;
    struct iommu_hw hw[IOMMU_MAX_UNITS];
    struct iommu_pt pt;
    bool owned, enabled;
    unsigned shown, faults;
} io;

static void report_unit(const struct iommu_unit *u)
{
    if (io.acpi.kind == IOMMU_KIND_VTD)
        klog("IOMMU:   DRHD registers [%lx-%lx) segment %u%s, %u device scope entries", u->mmio_base,
             u->mmio_base + u->mmio_size, u->segment, u->include_all ? " INCLUDE_PCI_ALL" : "", u->nscopes);
    else
        klog("IOMMU:   IVHD type 0x%x registers [%lx-%lx) segment %u, IOMMU %02x:%02x.%x, device IDs up to 0x%04x",
             u->type, u->mmio_base, u->mmio_base + u->mmio_size, u->segment, u->devid >> 8, (u->devid >> 3) & 31,
             u->devid & 7, u->max_devid);
}

void iommu_probe(uint64_t rsdp)
{
    static char err[200];
    const uint8_t *t;
    const char *e = 0, *table = "DMAR";
    uint32_t len = 0;
    unsigned i, common = ~0u;
    bool want = strcmp(opt_str(&keel_opts, "iommu"), "off") != 0;

    memset(&io, 0, sizeof(io));
    t = rsdp ? acpi_find_table(rsdp, "DMAR", &len) : 0;
    if (t) {
        e = dmar_parse(t, len, &io.acpi, err, sizeof(err));
        io.drv = &vtd_driver;
    } else if (rsdp && (t = acpi_find_table(rsdp, "IVRS", &len))) {
        table = "IVRS";
        e = ivrs_parse(t, len, &io.acpi, err, sizeof(err));
        io.drv = &amdvi_driver;
    }
    if (!t) {
        klog("IOMMU: none (no ACPI DMAR or IVRS table): DMA protection off, a guest-programmed device can "
             "reach keel's region");
        return;
    }
    if (e) {
        klog("IOMMU: the firmware's %s table is rejected: %s", table, e);
        if (want)
            keel_fatal("cannot protect keel from DMA with a malformed %s table; boot with iommu=off to run "
                       "without DMA protection", table);
        return;
    }
    klog("IOMMU: %s (%s table): %u unit%s%s", io.drv->name, table, io.acpi.nunits, io.acpi.nunits == 1 ? "" : "s",
         io.acpi.nresv ? ", reserved memory regions kept mapped" : "");
    for (i = 0; i < io.acpi.nunits; i++)
        report_unit(&io.acpi.unit[i]);
    if (!want) {
        klog("IOMMU: iommu=off: keel leaves it alone and the guest sees it; DMA protection off");
        return;
    }
    for (i = 0; i < io.acpi.nunits; i++) {
        struct iommu_hw *h = &io.hw[i];
        h->u = &io.acpi.unit[i];
        e = io.drv->probe(h);
        if (e)
            keel_fatal("IOMMU unit %u at %lx cannot be driven: %s; boot with iommu=off to run without DMA "
                       "protection", i, h->u->mmio_base, e);
        /* All units share one table: a depth and page size every one of them walks. */
        common &= h->levels_mask;
        io.pt.large = i ? io.pt.large && h->large : h->large;
    }
    /* The deeper table when both are possible: it translates 256 TiB. */
    io.pt.levels = common & (1u << 4) ? 4 : common & (1u << 3) ? 3 : 0;
    if (!io.pt.levels)
        keel_fatal("the IOMMU units share no page-table depth keel builds; boot with iommu=off to run without "
                   "DMA protection");
    io.pt.fmt = io.drv->fmt;
    io.owned = true;
}

bool iommu_owned(void)
{
    return io.owned;
}

unsigned iommu_acpi_hooks(struct acpi_hook *out, unsigned max)
{
    if (!io.owned || max < 2)
        return 0;
    out[0] = (struct acpi_hook){ "DMAR", acpi_hook_drop, 0 };
    out[1] = (struct acpi_hook){ "IVRS", acpi_hook_drop, 0 };
    return 2;
}

bool iommu_mmio(unsigned i, uint64_t *base, uint64_t *end)
{
    if (!io.owned || i >= io.acpi.nunits)
        return false;
    *base = io.acpi.unit[i].mmio_base;
    *end = *base + io.acpi.unit[i].mmio_size;
    return true;
}

void iommu_enable(uint64_t top, uint64_t hole_base, uint64_t hole_end)
{
    struct iommu_hole holes[1 + IOMMU_MAX_UNITS];
    unsigned i, n = 0;
    const char *e;
    if (!io.owned)
        return;
    holes[n++] = (struct iommu_hole){ hole_base, hole_end };
    for (i = 0; i < io.acpi.nunits; i++)
        holes[n++] = (struct iommu_hole){ io.acpi.unit[i].mmio_base,
                                          io.acpi.unit[i].mmio_base + io.acpi.unit[i].mmio_size };
    for (i = 0; i < io.acpi.nresv; i++)
        if (io.acpi.resv[i].base < hole_end && hole_base < io.acpi.resv[i].end)
            keel_fatal("IOMMU: the firmware's reserved memory [%lx-%lx) for devices overlaps keel's region",
                       io.acpi.resv[i].base, io.acpi.resv[i].end);
    e = iommu_pt_build(&io.pt, top, holes, n);
    if (e)
        keel_fatal("IOMMU: %s", e);
    for (i = 0; i < io.acpi.nunits; i++) {
        e = io.drv->enable(&io.hw[i], &io.pt);
        if (e)
            keel_fatal("IOMMU unit %u at %lx: %s", i, io.acpi.unit[i].mmio_base, e);
    }
    io.enabled = true;
    klog("IOMMU: DMA protection on: every device in one identity domain of [0-%lx) minus keel's region "
         "[%08lx-%08lx) and the IOMMU registers, %d-level tables%s, %u table pages; faults polled", top,
         hole_base, hole_end, io.pt.levels, io.pt.large ? " with 2 MiB pages" : "", io.pt.pages);
}

static void on_fault(const struct dma_fault *f)
{
    io.faults++;
    if (io.shown >= FAULTS_SHOWN)
        return;
    io.shown++;
    if (!f->known) {
        klog("DMA fault: a device access was blocked (%s: device and address unknown)%s", f->what,
             io.shown == FAULTS_SHOWN ? "; further DMA faults are counted, not shown" : "");
        return;
    }
    klog("DMA fault: device %02x:%02x.%x %s GPA 0x%lx (%s, reason 0x%x)%s", f->devid >> 8, (f->devid >> 3) & 31,
         f->devid & 7, f->write ? "wrote" : "read", f->addr, f->what, f->reason,
         io.shown == FAULTS_SHOWN ? "; further DMA faults are counted, not shown" : "");
}

unsigned iommu_poll(void)
{
    unsigned i;
    if (!io.enabled)
        return 0;
    for (i = 0; i < io.acpi.nunits; i++)
        io.drv->poll(&io.hw[i], on_fault);
    return io.faults;
}

void iommu_report(void)
{
    unsigned i, lost = 0;
    if (!io.enabled)
        return;
    iommu_poll();
    for (i = 0; i < io.acpi.nunits; i++)
        lost += io.hw[i].lost;
    klog("IOMMU: %u DMA access%s blocked during the run (%u shown%s)", io.faults, io.faults == 1 ? "" : "es",
         io.shown, lost ? ", more were lost while the fault records were full" : "");
}
