/* Placing the guest's ACPI copy and choosing its hooks. */
#include "vmm/guest_acpi.h"
#include "vmm/acpi_copy.h"
#include "vmm/efi_config.h"
#include "vmm/iommu.h"
#include "vmm/npt.h"
#include "lib/log.h"
#include "lib/string.h"

#define PAGE 0x1000ull

/* The copy's last pages back the guest's views of firmware pages: the one
 * holding the BIOS-area RSDP, and the EFI configuration table's (at most
 * EFI_CONFIG_VIEW_PAGES) just below it. */
#define VIEW_PAGES (1 + EFI_CONFIG_VIEW_PAGES)

static struct {
    uint64_t host_rsdp, copy_rsdp;
    uint64_t bios_page;     /* backs the BIOS-area view */
    uint64_t efi_pages;     /* back the EFI configuration table's view */
} ga;

static const uint8_t *identity_read(void *ctx, uint64_t pa, uint64_t len)
{
    const uint8_t *p;
    (void)ctx;
    if (!pa || pa + len > 0x100000000ull || pa + len < pa)
        return 0;
    p = (const uint8_t *)(uintptr_t)pa;
    __asm__("" : "+r"(p));      /* RAM, not an object the compiler knows */
    return p;
}

/* Every table transform the guest's copy applies. A new one (e.g. an
 * APIC/MADT rewrite) adds its hooks here. */
static unsigned collect_hooks(struct acpi_hook *h, unsigned max)
{
    unsigned n = 0;
    n += iommu_acpi_hooks(h + n, max - n);
    return n;
}

uint64_t guest_acpi_build(uint64_t host_rsdp, uint64_t base, uint64_t end)
{
    struct acpi_hook hooks[8];
    struct acpi_copy_in in;
    struct acpi_copy_out out;
    const char *e;
    uint8_t *buf = (uint8_t *)(uintptr_t)base;

    memset(&ga, 0, sizeof(ga));
    ga.host_rsdp = host_rsdp;
    if (!host_rsdp || end <= base + (VIEW_PAGES + 1) * PAGE)
        return host_rsdp;
    __asm__("" : "+r"(buf));
    in.rsdp_pa = host_rsdp;
    in.rsdp = 0;
    in.read = identity_read;
    in.ctx = 0;
    in.hooks = hooks;
    in.nhooks = collect_hooks(hooks, sizeof(hooks) / sizeof(hooks[0]));
    /* The last pages are kept for the views of firmware pages. */
    e = acpi_copy_build(&in, buf, base, end - base - VIEW_PAGES * PAGE, &out);
    if (e) {
        klog("warning: guest ACPI: %s; the guest sees the firmware's tables%s", e,
             iommu_owned() ? " (the IOMMU's table included)" : "");
        return host_rsdp;
    }
    ga.copy_rsdp = out.rsdp;
    ga.bios_page = end - PAGE;
    ga.efi_pages = end - VIEW_PAGES * PAGE;
    klog("guest ACPI: root tables copied to [%lx-%lx) (RSDP %lx, XSDT %lx, RSDT %lx): %u tables listed, %u left "
         "out%s, %u rewritten", base, end, out.rsdp, out.xsdt, out.rsdt, out.kept + out.replaced, out.dropped,
         out.dropped ? " (DMAR/IVRS)" : "", out.replaced);
    return out.rsdp;
}

void guest_acpi_map_bios_rsdp(struct npt *n)
{
    uint64_t page = ga.host_rsdp & ~(PAGE - 1), off = ga.host_rsdp & (PAGE - 1);
    const uint8_t *src, *copy;
    uint8_t *dst;
    if (!ga.copy_rsdp || ga.host_rsdp >= 0x100000)
        return;                 /* not found by scanning (UEFI hands it over) */
    src = identity_read(0, page, PAGE);
    copy = identity_read(0, ga.copy_rsdp, 36);
    dst = (uint8_t *)(uintptr_t)ga.bios_page;
    __asm__("" : "+r"(dst));
    if (!src || !copy || off + 36 > PAGE) {
        klog("warning: guest ACPI: the BIOS-area RSDP at %lx straddles a page; a guest scanning for it finds "
             "the firmware's", ga.host_rsdp);
        return;
    }
    memcpy(dst, src, PAGE);
    acpi_rsdp_retarget(dst + off, *(const uint32_t *)(copy + 16), copy[15] >= 2 ? *(const uint64_t *)(copy + 24) : 0);
    if (!npt_set_page(n, page, ga.bios_page)) {
        klog("warning: guest ACPI: out of table memory remapping the BIOS-area RSDP");
        return;
    }
    klog("guest ACPI: the BIOS-area RSDP at %lx reads as the copy's (guest page %lx backed by %lx)", ga.host_rsdp,
         page, ga.bios_page);
}

void guest_acpi_map_efi_config(struct npt *n, uint64_t systab, uint64_t keel_base, uint64_t keel_end)
{
    struct efi_config_view v;
    const char *why;
    const uint8_t *src;
    uint8_t *dst;
    unsigned i, k;

    if (!systab || !ga.copy_rsdp)
        return;                 /* no EFI, or no copy: the guest sees the firmware's tables anyway */
    why = efi_config_check(systab, identity_read, 0, keel_base, keel_end, &v);
    if (why || !(src = identity_read(0, v.page, v.npages * PAGE))) {
        klog("warning: guest ACPI: the EFI system table at %lx %s: a guest reading the EFI configuration table "
             "finds the firmware's RSDP %lx%s", systab, why ? why : "has a configuration table keel cannot read",
             ga.host_rsdp, iommu_owned() ? " (the IOMMU's table included)" : "");
        return;
    }
    dst = (uint8_t *)(uintptr_t)ga.efi_pages;
    __asm__("" : "+r"(dst));
    memcpy(dst, src, v.npages * PAGE);
    k = efi_config_retarget(&v, dst, ga.copy_rsdp);
    for (i = 0; i < v.npages; i++)
        if (!npt_set_page(n, v.page + i * PAGE, ga.efi_pages + i * PAGE)) {
            /* A page already switched shows the same bytes but the entries. */
            klog("warning: guest ACPI: out of table memory remapping the EFI configuration table: a guest "
                 "reading it may find the firmware's RSDP %lx", ga.host_rsdp);
            return;
        }
    klog("guest ACPI: the EFI configuration table at %lx (%lu entries) names the copy's RSDP %lx in its %u ACPI "
         "entr%s (guest page%s %lx backed by %lx, the firmware's left as it is)", v.table, v.entries, ga.copy_rsdp,
         k, k == 1 ? "y" : "ies", v.npages > 1 ? "s" : "", v.page, ga.efi_pages);
}
