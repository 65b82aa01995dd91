/* DMA and ACPI tests: QEMU's edu PCI device (QEMU docs/specs/edu.rst) is
 * programmed to DMA into the guest's own memory (must work) and into
 * keel's region (must be blocked by keel's IOMMU, or land with
 * iommu=off); the guest's ACPI tables as a BIOS-area scanner finds them. */
#include "suite.h"

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define EDU_ID 0x00
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_CMD_START 1u
#define EDU_CMD_TO_RAM 2u        /* direction: 0 = RAM -> device, 1 = device -> RAM */
#define EDU_BUF 0x40000u         /* the device's DMA buffer in its own address space */
#define DMA_LEN 256u

static inline uint32_t inl_g(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline void outw_g(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }

/* PCI configuration mechanism #1 (ports 0xCF8/0xCFC). */
static uint32_t pci_read(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
    outl(0xcf8, 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc));
    return inl_g(0xcfc);
}
static void pci_write16(unsigned bus, unsigned dev, unsigned fn, unsigned reg, uint16_t v)
{
    outl(0xcf8, 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc));
    outw_g((uint16_t)(0xcfc + (reg & 2)), v);
}

static volatile uint32_t *edu;

static uint32_t edu_rd(unsigned off) { return edu[off / 4]; }
static void edu_wr(unsigned off, uint32_t v) { edu[off / 4] = v; }

static bool find_edu(void)
{
    for (unsigned bus = 0; bus < 4; bus++)
        for (unsigned dev = 0; dev < 32; dev++) {
            uint32_t id = pci_read(bus, dev, 0, 0);
            if ((id & 0xffff) != EDU_VENDOR || id >> 16 != EDU_DEVICE)
                continue;
            uint32_t bar = pci_read(bus, dev, 0, 0x10) & ~0xfu;
            uint32_t cmd = pci_read(bus, dev, 0, 4) & 0xffff;
            /* Memory space + bus master (PCI command bits 1 and 2). */
            pci_write16(bus, dev, 0, 4, (uint16_t)(cmd | 0x6));
            edu = (volatile uint32_t *)(uintptr_t)bar;
            info("dma: edu at %02x:%02x.0, BAR0 0x%08x, id 0x%08x", bus, dev, bar, edu_rd(EDU_ID));
            return bar != 0;
        }
    return false;
}

/* One transfer; false if the engine never finished (bounded by a count,
 * not a clock). */
static bool edu_dma(uint32_t src, uint32_t dst, uint32_t len, bool to_ram)
{
    edu_wr(EDU_DMA_SRC, src);
    edu_wr(EDU_DMA_SRC + 4, 0);
    edu_wr(EDU_DMA_DST, dst);
    edu_wr(EDU_DMA_DST + 4, 0);
    edu_wr(EDU_DMA_CNT, len);
    edu_wr(EDU_DMA_CNT + 4, 0);
    edu_wr(EDU_DMA_CMD, EDU_CMD_START | (to_ram ? EDU_CMD_TO_RAM : 0));
    for (uint32_t i = 0; i < 200000000u; i++)
        if (!(edu_rd(EDU_DMA_CMD) & EDU_CMD_START))
            return true;
    return false;
}

static uint8_t src_buf[DMA_LEN] __attribute__((aligned(4096)));
static uint8_t dst_buf[DMA_LEN] __attribute__((aligned(4096)));

/* expect: "blocked" (keel owns an IOMMU) or "lands" (iommu=off). */
void run_dma(const char *expect)
{
    uint32_t base = 0, size = 0, h0, h1, f0, f1;
    bool blocked = !strcmp(expect, "blocked");
    if (!blocked && strcmp(expect, "lands")) {
        fail("dma", "dma-expect must be blocked or lands, not \"%s\"", expect);
        return;
    }
    if (!check(find_edu(), "dma-find-edu", "no edu device (vendor 0x1234 device 0x11e8) on buses 0-3"))
        return;
    /* Its own memory: RAM -> device -> RAM, read back. */
    for (unsigned i = 0; i < DMA_LEN; i++) {
        src_buf[i] = (uint8_t)(i * 7 + 3);
        dst_buf[i] = 0;
    }
    bool ok = edu_dma((uint32_t)(uintptr_t)src_buf, EDU_BUF, DMA_LEN, false) &&
              edu_dma(EDU_BUF, (uint32_t)(uintptr_t)dst_buf, DMA_LEN, true);
    check(ok && !memcmp(src_buf, dst_buf, DMA_LEN), "dma-guest-memory-roundtrip",
          "%s; first bytes %02x %02x %02x, want %02x %02x %02x", ok ? "data differs" : "the DMA engine did not finish",
          dst_buf[0], dst_buf[1], dst_buf[2], src_buf[0], src_buf[1], src_buf[2]);

    /* keel's region: aim at keel's DMA canary page (hypercall 5 with EBX
     * = 0), which keel never uses, so a write that lands is seen and does
     * no other harm. */
    uint32_t target = 0;
    if (hypercall(HC_REGION, 0, &base, &size) || !size || hypercall(HC_DMA_CHECK, 0, &target, &f0) ||
        target < base || target - base >= size) {
        fail("dma-keel", "hypercalls 4/5 gave region 0x%08x+0x%x, canary 0x%08x", base, size, target);
        return;
    }
    if (hypercall(HC_DMA_CHECK, target, &h0, &f0) || h0 == 0xffffffffu) {
        fail("dma-keel", "hypercall 5 (DMA check) refused page 0x%08x", target);
        return;
    }
    info("dma: writing %u bytes into keel's region at 0x%08x (page hash 0x%08x, %u DMA faults so far)", DMA_LEN,
         target, h0, f0);
    ok = edu_dma(EDU_BUF, target, DMA_LEN, true);
    hypercall(HC_DMA_CHECK, target, &h1, &f1);
    if (!check(ok, "dma-keel-done", "the DMA engine did not finish"))
        return;
    if (blocked) {
        check(h1 == h0, "dma-keel-unchanged", "keel's page hash went 0x%08x -> 0x%08x: the write landed", h0, h1);
        check(f1 > f0, "dma-keel-fault-reported", "DMA faults %u -> %u: keel saw no fault", f0, f1);
    } else {
        check(h1 != h0, "dma-keel-write-lands", "keel's page hash stayed 0x%08x: the write did not land", h0);
    }
    /* The device keeps working for the guest after the fault. */
    for (unsigned i = 0; i < DMA_LEN; i++)
        dst_buf[i] = 0;
    ok = edu_dma(EDU_BUF, (uint32_t)(uintptr_t)dst_buf, DMA_LEN, true);
    check(ok && !memcmp(src_buf, dst_buf, DMA_LEN), "dma-guest-memory-after", "%s",
          ok ? "data differs" : "the DMA engine did not finish");
}

/* ---- the ACPI tables a BIOS-area scanner finds (ACPI 5.2.5.1) ---------- */

static uint8_t sum(const uint8_t *p, uint32_t n)
{
    uint8_t s = 0;
    while (n--)
        s = (uint8_t)(s + *p++);
    return s;
}

static const uint8_t *scan_rsdp(uint32_t from, uint32_t to)
{
    for (uint32_t a = from; a + 20 <= to; a += 16) {
        const uint8_t *p = (const uint8_t *)(uintptr_t)a;
        if (!memcmp(p, "RSD PTR ", 8) && !sum(p, 20))
            return p;
    }
    return 0;
}

/* expect_iommu_table: whether DMAR/IVRS may be listed. */
void run_acpi_view(bool expect_iommu_table)
{
    const volatile uint16_t *bda = (const volatile uint16_t *)0x40e;
    __asm__("" : "+r"(bda));           /* low memory, not an object the compiler knows */
    uint32_t ebda = (uint32_t)*bda << 4;
    const uint8_t *r = ebda >= 0x80000 && ebda < 0xa0000 ? scan_rsdp(ebda, ebda + 1024) : 0;
    if (!r)
        r = scan_rsdp(0xe0000, 0x100000);
    if (!check(r != 0, "acpi-rsdp-found", "no RSDP with a good checksum in the EBDA or 0xE0000-0xFFFFF"))
        return;
    uint32_t rsdt;
    memcpy(&rsdt, r + 16, 4);
    const uint8_t *t = (const uint8_t *)(uintptr_t)rsdt;
    uint32_t len;
    memcpy(&len, t + 4, 4);
    if (!check(!memcmp(t, "RSDT", 4) && len >= 36 && len < 4096 && !sum(t, len), "acpi-rsdt-valid",
               "RSDT at 0x%08x: bad signature, length %u or checksum", rsdt, len))
        return;
    unsigned n = 0, bad = 0;
    bool iommu = false;
    char sigs[128] = "";
    unsigned sl = 0;
    for (uint32_t off = 36; off + 4 <= len; off += 4) {
        uint32_t pa;
        memcpy(&pa, t + off, 4);
        const uint8_t *e = (const uint8_t *)(uintptr_t)pa;
        uint32_t elen;
        memcpy(&elen, e + 4, 4);
        if (elen < 36 || elen > (1u << 20) || sum(e, elen))
            bad++;
        if (acpi_note_table(e, sigs, sizeof sigs, &sl))
            iommu = true;
        n++;
    }
    info("acpi: RSDP at 0x%08x, RSDT at 0x%08x lists %u tables: %s", (uint32_t)(uintptr_t)r, rsdt, n, sigs);
    check(!bad, "acpi-tables-checksums", "%u tables with a bad length or checksum", bad);
    check(iommu == expect_iommu_table, "acpi-iommu-table", "DMAR/IVRS %s, expected %s", iommu ? "listed" : "absent",
          expect_iommu_table ? "listed" : "absent");
}

/* Touch an IOMMU's registers (address from the command line: the guest
 * cannot know it, having no DMAR/IVRS): keel must stop the run (125). */
void t_iommu_mmio(uint32_t addr)
{
    printf("iommu-mmio: reading 0x%08x, the run must end here\n", addr);
    uint32_t v = *(volatile uint32_t *)(uintptr_t)addr;
    fail("iommu-mmio", "read 0x%08x from 0x%08x and went on: keel did not stop the run", v, addr);
}

bool acpi_note_table(const uint8_t *table, char *sigs, unsigned cap, unsigned *len)
{
    if (*len + 6 < cap) {
        memcpy(sigs + *len, table, 4);
        sigs[*len + 4] = ' ';
        *len += 5;
        sigs[*len] = 0;
    }
    return !memcmp(table, "DMAR", 4) || !memcmp(table, "IVRS", 4);
}
