/* AMD-Vi DMA remapping ("AMD I/O Virtualization Technology (IOMMU)
 * Specification"; section numbers below are from it). Every requester ID
 * the IVHD names gets a device table entry with translation on and the
 * same host page tables (domain 1); commands go through the command buffer
 * (INVALIDATE_DEVTAB_ENTRY, INVALIDATE_IOMMU_PAGES, COMPLETION_WAIT), and
 * blocked accesses are read from the event log with its interrupt off. */
#include "arch/x86/iommu.h"
#include "lib/palloc.h"
#include "lib/string.h"
#include "arch/x86/cpu.h"

#define AMD_DEVTAB_BASE 0x0000
#define AMD_CMDBUF_BASE 0x0008
#define AMD_EVTLOG_BASE 0x0010
#define AMD_CONTROL 0x0018
#define AMD_EXCL_BASE 0x0020
#define AMD_EXCL_LIMIT 0x0028
#define AMD_EFR 0x0030
#define AMD_CMD_HEAD 0x2000
#define AMD_CMD_TAIL 0x2008
#define AMD_EVT_HEAD 0x2010
#define AMD_EVT_TAIL 0x2018
#define AMD_STATUS 0x2020

/* MMIO Control Register */
#define CTL_IOMMU_EN (1ull << 0)
#define CTL_EVTLOG_EN (1ull << 2)
#define CTL_EVT_INT_EN (1ull << 3)
#define CTL_COMWAIT_INT_EN (1ull << 4)
#define CTL_CMDBUF_EN (1ull << 12)
#define STATUS_EVT_OVERFLOW (1ull << 0)

/* 2.2.2 device table entry, 256 bits */
#define DTE_V (1ull << 0)
#define DTE_TV (1ull << 1)
#define DTE_MODE(l) ((uint64_t)(l) << 9)
#define DTE_IR (1ull << 61)
#define DTE_IW (1ull << 62)
struct amd_dte { uint64_t q[4]; };
_Static_assert(sizeof(struct amd_dte) == 32, "AMD IOMMU 2.2.2: device table entries are 256 bits");

struct amd_cmd { uint32_t d[4]; };
struct amd_event { uint32_t d[4]; };
_Static_assert(sizeof(struct amd_cmd) == 16 && sizeof(struct amd_event) == 16,
               "AMD IOMMU 2.4/2.5: commands and events are 128 bits");

#define RING_BYTES 4096u                     /* 256 entries: the smallest ring (Len = 8) */
#define RING_LEN_256 (8ull << 56)
#define CMD_COMPLETION_WAIT 0x1u
#define CMD_INV_DEVTAB_ENTRY 0x2u
#define CMD_INV_IOMMU_PAGES 0x3u
#define CMD_INV_IOMMU_ALL 0x8u
#define EFR_IA_SUP (1ull << 6)
#define EVT_IO_PAGE_FAULT 0x2u
#define DOMAIN_ID 1
#define SPIN 10000000u

static uint64_t rd64(const struct iommu_hw *h, unsigned off)
{
    return *(volatile uint64_t *)(h->mmio + off);
}
static void wr64(const struct iommu_hw *h, unsigned off, uint64_t v)
{
    *(volatile uint64_t *)(h->mmio + off) = v;
}

static const char *amdvi_probe(struct iommu_hw *h)
{
    h->mmio = (uintptr_t)h->u->mmio_base;
    h->cap = rd64(h, AMD_EFR);
    if (rd64(h, AMD_CONTROL) == ~0ull)
        return "its registers read as all ones (no device at the IVHD's base address)";
    h->levels_mask = 1u << 4;               /* keel uses Mode 4: 48-bit I/O addresses (2.2.3) */
    h->large = true;                        /* 2 MiB leaves are part of the base format */
    return 0;
}

/* Queue one command (the ring has room: callers wait after at most 255). */
static void cmd_put(struct iommu_hw *h, uint32_t d0, uint32_t d1, uint32_t d2, uint32_t d3)
{
    struct amd_cmd *c = (struct amd_cmd *)palloc_ptr(h->cmdbuf + h->cmd_tail);
    c->d[0] = d0, c->d[1] = d1, c->d[2] = d2, c->d[3] = d3;
    h->cmd_tail = (h->cmd_tail + 16) % RING_BYTES;
}

/* COMPLETION_WAIT with a store (2.4.1), ring the doorbell, wait for the store. */
static bool cmd_sync(struct iommu_hw *h)
{
    static uint64_t seq;
    volatile uint64_t *slot = palloc_ptr(h->wait_slot);
    unsigned i;
    seq++;
    *slot = 0;
    cmd_put(h, (uint32_t)h->wait_slot | 1, (uint32_t)(h->wait_slot >> 32) | (CMD_COMPLETION_WAIT << 28),
            (uint32_t)seq, (uint32_t)(seq >> 32));
    __asm__ volatile("sfence" ::: "memory");
    wr64(h, AMD_CMD_TAIL, h->cmd_tail);
    for (i = 0; i < SPIN; i++) {
        if (*slot == seq)
            return true;
        __asm__ volatile("pause");
    }
    return false;
}

static const char *amdvi_enable(struct iommu_hw *h, const struct iommu_pt *pt)
{
    unsigned n = (unsigned)h->u->max_devid + 1, pages = (n * 32 + 4095) / 4096, i, queued = 0;
    struct amd_dte *dt;

    if (pt->levels != 4)
        return "page-table depth does not match the unit's";
    h->devtab = palloc_pages(pages, 4096);
    h->cmdbuf = palloc_page();
    h->evtlog = palloc_page();
    h->wait_slot = palloc_page();
    if (!h->devtab || !h->cmdbuf || !h->evtlog || !h->wait_slot)
        return "out of memory in keel's region for the device table and rings";
    dt = palloc_ptr(h->devtab);
    /* 2.2.2: V, TV, Mode, root, IR/IW; DomainID. IV (bit 128) stays 0:
     * interrupts pass untranslated, as with the IOMMU off. SE/SA 0: page
     * faults are logged. */
    for (i = 0; i < n; i++) {
        dt[i].q[0] = DTE_V | DTE_TV | DTE_MODE(pt->levels) | pt->root | DTE_IR | DTE_IW;
        dt[i].q[1] = DOMAIN_ID;
    }
    __asm__ volatile("wbinvd" ::: "memory");

    /* Program the bases with the IOMMU, command buffer and event log
     * off, then turn them on. */
    wr64(h, AMD_CONTROL, rd64(h, AMD_CONTROL) & ~(CTL_IOMMU_EN | CTL_CMDBUF_EN | CTL_EVTLOG_EN | CTL_EVT_INT_EN |
                                                   CTL_COMWAIT_INT_EN));
    /* Exclusion Base/Limit registers: an exclusion range left by the firmware would let DMA into it
     * bypass translation; keel's domain has no exceptions. */
    wr64(h, AMD_EXCL_BASE, 0);
    wr64(h, AMD_EXCL_LIMIT, 0);
    wr64(h, AMD_DEVTAB_BASE, h->devtab | (pages - 1));
    wr64(h, AMD_CMDBUF_BASE, h->cmdbuf | RING_LEN_256);
    wr64(h, AMD_EVTLOG_BASE, h->evtlog | RING_LEN_256);
    wr64(h, AMD_CMD_HEAD, 0);
    wr64(h, AMD_CMD_TAIL, 0);
    wr64(h, AMD_EVT_HEAD, 0);
    wr64(h, AMD_EVT_TAIL, 0);
    wr64(h, AMD_STATUS, STATUS_EVT_OVERFLOW | (1ull << 1) | (1ull << 2));   /* RW1C */
    h->cmd_tail = h->evt_head = 0;
    wr64(h, AMD_CONTROL, rd64(h, AMD_CONTROL) | CTL_CMDBUF_EN | CTL_EVTLOG_EN);
    wr64(h, AMD_CONTROL, rd64(h, AMD_CONTROL) | CTL_IOMMU_EN);

    /* Drop anything cached from before: device table entries, then the
     * domain's translations (2.4.2, 2.4.3). */
    if (h->cap & EFR_IA_SUP) {
        cmd_put(h, 0, CMD_INV_IOMMU_ALL << 28, 0, 0);
    } else {
        for (i = 0; i < n; i++) {
            cmd_put(h, i, CMD_INV_DEVTAB_ENTRY << 28, 0, 0);
            if (++queued == 200) {
                if (!cmd_sync(h))
                    return "a COMPLETION_WAIT did not complete (command buffer stalled)";
                queued = 0;
            }
        }
    }
    /* S = 1 and the all-ones address: every page of the domain; PDE = 1. */
    cmd_put(h, 0, DOMAIN_ID | (CMD_INV_IOMMU_PAGES << 28), 0xfffff000u | 3u, 0x7fffffffu);
    if (!cmd_sync(h))
        return "a COMPLETION_WAIT did not complete (command buffer stalled)";
    return 0;
}

/* The IOMMU's own PCI function: status register (PCI 3.0 6.2.3), through
 * configuration mechanism #1 with the guest's 0xCF8 value put back (keel
 * polls only at points the guest chose: a hypercall or the end of the run). */
#define PCI_STATUS_SIG_TARGET_ABORT 0x0800u
static uint16_t pci_status_take(uint16_t devid)
{
    uint32_t saved = inl(0xcf8), addr = 0x80000000u | (uint32_t)devid << 8 | 0x04;
    uint16_t st;
    outl(0xcf8, addr);
    st = inw(0xcfe);
    if (st & PCI_STATUS_SIG_TARGET_ABORT) {
        outl(0xcf8, addr);
        outw(0xcfe, PCI_STATUS_SIG_TARGET_ABORT);     /* RW1C */
    }
    outl(0xcf8, saved);
    return st;
}

static void amdvi_poll(struct iommu_hw *h, dma_fault_fn fn)
{
    uint32_t tail = (uint32_t)rd64(h, AMD_EVT_TAIL) % RING_BYTES;
    unsigned logged = h->faults;
    while (h->evt_head != tail) {
        const struct amd_event *e = palloc_ptr(h->evtlog + h->evt_head);
        unsigned code = e->d[1] >> 28;
        struct dma_fault f;
        f.segment = h->u->segment;
        f.known = true;
        f.devid = (uint16_t)e->d[0];
        f.addr = ((uint64_t)e->d[3] << 32 | e->d[2]) & ~0xfffull;
        f.reason = code;
        /* 2.5.3 IO_PAGE_FAULT: flags in dword 1 bits 27:16, RW = bit 21. */
        f.write = code == EVT_IO_PAGE_FAULT && (e->d[1] & (1u << 21));
        f.what = code == EVT_IO_PAGE_FAULT ? "IO_PAGE_FAULT" : code == 1 ? "ILLEGAL_DEV_TABLE_ENTRY"
                 : code == 4 ? "PAGE_TAB_HARDWARE_ERROR" : code == 5 ? "ILLEGAL_COMMAND_ERROR" : "event";
        h->faults++;
        fn(&f);
        h->evt_head = (h->evt_head + 16) % RING_BYTES;
    }
    wr64(h, AMD_EVT_HEAD, h->evt_head);
    /* A blocked request is target-aborted, which the IOMMU function shows
     * as Signaled Target Abort in its PCI status. That catches faults an
     * event log did not record: QEMU 7.2's model never writes one (its
     * overflow test is always true). Device and address are then unknown. */
    if ((pci_status_take(h->u->devid) & PCI_STATUS_SIG_TARGET_ABORT) && h->faults == logged) {
        struct dma_fault f;
        memset(&f, 0, sizeof(f));
        f.segment = h->u->segment;
        f.what = "the IOMMU signalled a target abort; its event log holds no entry";
        h->faults++;
        fn(&f);
    }
    if (rd64(h, AMD_STATUS) & STATUS_EVT_OVERFLOW) {
        /* Event log restart procedure (2.5.1): logging stops on overflow until software clears it and
         * restarts the log. */
        h->lost++;
        wr64(h, AMD_CONTROL, rd64(h, AMD_CONTROL) & ~CTL_EVTLOG_EN);
        wr64(h, AMD_STATUS, STATUS_EVT_OVERFLOW);
        wr64(h, AMD_CONTROL, rd64(h, AMD_CONTROL) | CTL_EVTLOG_EN);
    }
}

const struct iommu_driver amdvi_driver = { "AMD-Vi", IOMMU_PT_AMDVI, amdvi_probe, amdvi_enable, amdvi_poll };
