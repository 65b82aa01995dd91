/* Intel VT-d DMA remapping ("Intel Virtualization Technology for Directed
 * I/O" architecture specification; section numbers below are from it).
 * keel uses legacy-mode translation only: one root table whose 256 entries
 * all point at one context table whose 256 entries all point at the same
 * second-level identity tables (domain 1), so every requester on every bus
 * of the segment sees the same domain (9.1-9.3). Invalidation is register
 * based (6.5.1/11.4.7-8); faults are read from the fault recording
 * registers with the fault event interrupt masked (7.3, 11.4.9). */
#include "arch/x86/iommu.h"
#include "lib/palloc.h"
#include "lib/string.h"

#define VTD_CAP 0x08
#define VTD_ECAP 0x10
#define VTD_GCMD 0x18
#define VTD_GSTS 0x1c
#define VTD_RTADDR 0x20
#define VTD_CCMD 0x28
#define VTD_FSTS 0x34
#define VTD_FECTL 0x38
#define VTD_PMEN 0x64
#define PMEN_EPM (1u << 31)
#define PMEN_PRS (1u << 0)

#define GCMD_TE (1u << 31)
#define GCMD_SRTP (1u << 30)
#define GCMD_WBF (1u << 27)
#define GCMD_QIE (1u << 26)
#define GCMD_IRE (1u << 25)
#define GCMD_CFI (1u << 23)
/* 11.4.4: software writes GCMD with the other persistent enables as GSTS
 * shows them, so a command never turns off what the firmware turned on
 * (interrupt remapping stays as it was). */
#define GCMD_PERSISTENT (GCMD_TE | GCMD_QIE | GCMD_IRE | GCMD_CFI)

#define CCMD_ICC (1ull << 63)
#define CCMD_GLOBAL (1ull << 61)
#define IOTLB_IVT (1ull << 63)
#define IOTLB_GLOBAL (1ull << 60)
#define IOTLB_DR (1ull << 49)
#define IOTLB_DW (1ull << 48)
#define FSTS_PFO (1u << 0)
#define FECTL_IM (1u << 31)
#define FRCD_F (1u << 31)            /* bit 127 of a record = bit 31 of its last dword */

#define CAP_RWBF(c) (((c) >> 4) & 1)
#define CAP_PMR(c) (((c) >> 5) & 3)    /* PLMR, PHMR */
#define CAP_SAGAW(c) (((c) >> 8) & 0x1f)
#define CAP_FRO(c) ((((c) >> 24) & 0x3ff) * 16)
#define CAP_SLLPS(c) (((c) >> 34) & 0xf)
#define CAP_NFR(c) ((((c) >> 40) & 0xff) + 1)
#define ECAP_C(e) ((e) & 1)
#define ECAP_IRO(e) ((((e) >> 8) & 0x3ff) * 16)

#define DOMAIN_ID 1                 /* 0 is reserved when CAP.CM is set (9.3) */
#define SPIN 10000000u

struct vtd_root_entry { uint64_t lo, hi; };
struct vtd_context_entry { uint64_t lo, hi; };
_Static_assert(sizeof(struct vtd_root_entry) == 16, "VT-d 9.1: root entries are 128 bits");
_Static_assert(sizeof(struct vtd_context_entry) == 16, "VT-d 9.3: context entries are 128 bits");

static uint32_t rd32(const struct iommu_hw *h, unsigned off)
{
    return *(volatile uint32_t *)(h->mmio + off);
}
static uint64_t rd64(const struct iommu_hw *h, unsigned off)
{
    return *(volatile uint64_t *)(h->mmio + off);
}
static void wr32(const struct iommu_hw *h, unsigned off, uint32_t v)
{
    *(volatile uint32_t *)(h->mmio + off) = v;
}
static void wr64(const struct iommu_hw *h, unsigned off, uint64_t v)
{
    *(volatile uint64_t *)(h->mmio + off) = v;
}

static bool wait32(const struct iommu_hw *h, unsigned off, uint32_t mask, uint32_t want)
{
    unsigned i;
    for (i = 0; i < SPIN; i++) {
        if ((rd32(h, off) & mask) == want)
            return true;
        __asm__ volatile("pause");
    }
    return false;
}
static bool wait64_clear(const struct iommu_hw *h, unsigned off, uint64_t mask)
{
    unsigned i;
    for (i = 0; i < SPIN; i++) {
        if (!(rd64(h, off) & mask))
            return true;
        __asm__ volatile("pause");
    }
    return false;
}

/* One-shot or enable command; true once GSTS shows `status` == want. */
static bool gcmd(const struct iommu_hw *h, uint32_t cmd, uint32_t status, bool want)
{
    uint32_t keep = rd32(h, VTD_GSTS) & GCMD_PERSISTENT;
    wr32(h, VTD_GCMD, keep | cmd);
    return wait32(h, VTD_GSTS, status, want ? status : 0);
}

static const char *vtd_probe(struct iommu_hw *h)
{
    uint32_t sagaw;
    h->mmio = (uintptr_t)h->u->mmio_base;
    h->cap = rd64(h, VTD_CAP);
    h->ecap = rd64(h, VTD_ECAP);
    if (h->cap == ~0ull)
        return "its registers read as all ones (no device at the DMAR's register base)";
    sagaw = CAP_SAGAW(h->cap);
    /* 11.4.2 SAGAW: bit 1 = 39-bit (3-level), bit 2 = 48-bit (4-level). */
    h->levels_mask = (sagaw & 2 ? 1u << 3 : 0) | (sagaw & 4 ? 1u << 4 : 0);
    if (!h->levels_mask)
        return "it supports neither 3- nor 4-level second-level tables";
    h->large = CAP_SLLPS(h->cap) & 1;
    if (rd32(h, VTD_GSTS) & GCMD_QIE)
        return "the firmware enabled queued invalidation, and keel invalidates through registers only";
    return 0;
}

static const char *vtd_enable(struct iommu_hw *h, const struct iommu_pt *pt)
{
    struct vtd_root_entry *root;
    struct vtd_context_entry *ctx;
    uint64_t ctx_pa;
    unsigned i, fro = CAP_FRO(h->cap), iro = ECAP_IRO(h->ecap);

    if (!(h->levels_mask & (1u << pt->levels)))
        return "the unit does not walk tables of that depth";
    h->root = palloc_page();
    ctx_pa = palloc_page();
    if (!h->root || !ctx_pa)
        return "out of memory in keel's region for the root and context tables";
    root = palloc_ptr(h->root);
    ctx = palloc_ptr(ctx_pa);
    /* 9.3: P, TT = 00 (untranslated requests through second-level tables),
     * FPD = 0 (faults recorded), AW = 1 (39-bit) / 2 (48-bit), DID. */
    for (i = 0; i < 256; i++) {
        ctx[i].lo = pt->root | 1;
        ctx[i].hi = (uint64_t)(pt->levels == 4 ? 2 : 1) | ((uint64_t)DOMAIN_ID << 8);
        root[i].lo = ctx_pa | 1;
        root[i].hi = 0;
    }
    /* ECAP.C = 0: the unit's table walks do not snoop the caches (11.4.3). */
    if (!ECAP_C(h->ecap))
        __asm__ volatile("wbinvd" ::: "memory");

    /* Faults are polled: mask the fault event interrupt, drop stale records. */
    wr32(h, VTD_FECTL, FECTL_IM);
    for (i = 0; i < CAP_NFR(h->cap); i++)
        wr32(h, fro + i * 16 + 12, FRCD_F);
    wr32(h, VTD_FSTS, FSTS_PFO);

    wr64(h, VTD_RTADDR, h->root);          /* RTT = 0: legacy root table (11.4.5) */
    if (!gcmd(h, GCMD_SRTP, GCMD_SRTP, true))
        return "the root table pointer was not latched (GSTS.RTPS stayed clear)";
    if (CAP_RWBF(h->cap) && !gcmd(h, GCMD_WBF, GCMD_WBF, false))
        return "the write buffer flush did not complete";
    /* 6.5.1: global context-cache, then global IOTLB invalidation. */
    wr64(h, VTD_CCMD, CCMD_ICC | CCMD_GLOBAL);
    if (!wait64_clear(h, VTD_CCMD, CCMD_ICC))
        return "the context-cache invalidation did not complete";
    wr64(h, iro + 8, IOTLB_IVT | IOTLB_GLOBAL | IOTLB_DR | IOTLB_DW);
    if (!wait64_clear(h, iro + 8, IOTLB_IVT))
        return "the IOTLB invalidation did not complete";
    if (!gcmd(h, GCMD_TE, GCMD_TE, true))
        return "translation did not turn on (GSTS.TES stayed clear)";
    /* Protected Memory Enable Register: protected memory regions the firmware may have set up block
     * DMA to ranges of the guest's memory; with remapping on they are not
     * needed (the spec's order: enable remapping, then disable them). */
    if (CAP_PMR(h->cap) && (rd32(h, VTD_PMEN) & PMEN_EPM)) {
        wr32(h, VTD_PMEN, 0);
        if (!wait32(h, VTD_PMEN, PMEN_PRS, 0))
            return "the protected memory regions did not turn off";
    }
    return 0;
}

static const char *vtd_reason(unsigned r)
{
    static const char *const names[] = {
        [0x1] = "root entry not present", [0x2] = "context entry not present",
        [0x3] = "bad context entry", [0x4] = "address beyond the domain's width",
        [0x5] = "write to a page without write permission", [0x6] = "read of a page without read permission",
        [0x7] = "paging entry not accessible", [0xc] = "reserved bit in a paging entry",
    };
    return r < sizeof(names) / sizeof(names[0]) && names[r] ? names[r] : "fault";
}

static void vtd_poll(struct iommu_hw *h, dma_fault_fn fn)
{
    unsigned i, nfr = CAP_NFR(h->cap), fro = CAP_FRO(h->cap);
    uint32_t fsts = rd32(h, VTD_FSTS);
    /* 7.3.1: records are a ring; walking all of them finds every one with
     * F set, whatever FRI says. */
    for (i = 0; i < nfr; i++) {
        unsigned off = fro + i * 16;
        uint32_t hi = rd32(h, off + 12);
        struct dma_fault f;
        if (!(hi & FRCD_F))
            continue;
        f.segment = h->u->segment;
        f.known = true;
        f.addr = rd64(h, off) & ~0xfffull;
        f.devid = (uint16_t)rd32(h, off + 8);
        f.reason = rd32(h, off + 12) & 0xff;
        f.write = !(hi & (1u << 30));      /* T1 (bit 126): 0 = write, 1 = read */
        f.what = vtd_reason(f.reason);
        wr32(h, off + 12, FRCD_F);
        h->faults++;
        fn(&f);
    }
    if (fsts & FSTS_PFO) {
        h->lost++;                          /* faults arrived while every record was full */
        wr32(h, VTD_FSTS, FSTS_PFO);
    }
}

const struct iommu_driver vtd_driver = { "VT-d", IOMMU_PT_VTD, vtd_probe, vtd_enable, vtd_poll };
