/* ACPI 6.x, sections 5.2.5 (RSDP), 5.2.7/5.2.8 (RSDT/XSDT), 5.2.9 (FADT).
 * Tables are read through keel's identity map; every pointer is checked to
 * lie below 4 GiB (what keel maps) and every table's checksum is verified. */
#include "vmm/acpi.h"
#include "lib/string.h"

static const uint8_t *phys(uint64_t pa, uint64_t len)
{
    const uint8_t *p;
    if (pa == 0 || pa + len > 0x100000000ull || pa + len < pa)
        return 0;
    p = (const uint8_t *)(uintptr_t)pa;
    /* Hide the constant address from the compiler: it is RAM, not an array. */
    __asm__("" : "+r"(p));
    return p;
}

static bool checksum_ok(const uint8_t *p, uint32_t len)
{
    uint8_t sum = 0;
    uint32_t i;
    for (i = 0; i < len; i++)
        sum += p[i];
    return sum == 0;
}

static uint64_t scan(uint64_t start, uint64_t end)
{
    uint64_t a;
    for (a = start; a + 20 <= end; a += 16) {
        const uint8_t *p = phys(a, 20);
        if (p && !memcmp(p, "RSD PTR ", 8) && checksum_ok(p, 20))
            return a;
    }
    return 0;
}

uint64_t acpi_find_rsdp(void)
{
    /* EBDA first (its segment is at 0x40e), then the BIOS ROM area. */
    const uint8_t *bda = phys(0x40e, 2);
    uint64_t ebda = bda ? (uint64_t)(bda[0] | bda[1] << 8) << 4 : 0, r = 0;
    if (ebda >= 0x80000 && ebda < 0xa0000)
        r = scan(ebda, ebda + 1024);
    return r ? r : scan(0xe0000, 0x100000);
}

static const uint8_t *table(uint64_t pa)
{
    const uint8_t *h = phys(pa, 36);
    uint32_t len;
    if (!h)
        return 0;
    memcpy(&len, h + 4, 4);
    if (len < 36 || len > (1u << 20) || !phys(pa, len) || !checksum_ok(h, len))
        return 0;
    return h;
}

/* The first table with `sig` listed in the RSDT/XSDT, or NULL. */
static const uint8_t *find_table(uint64_t rsdp, const char *sig)
{
    const uint8_t *r = phys(rsdp, 36), *sdt;
    uint64_t sdt_pa = 0;
    uint32_t len, entry_size = 4, i;

    if (!r)
        return 0;
    if (r[15] >= 2) {                   /* revision 2+: XSDT */
        memcpy(&sdt_pa, r + 24, 8);
        entry_size = 8;
    }
    if (!sdt_pa || !table(sdt_pa)) {
        uint32_t rsdt;
        memcpy(&rsdt, r + 16, 4);
        sdt_pa = rsdt;
        entry_size = 4;
    }
    sdt = table(sdt_pa);
    if (!sdt)
        return 0;
    memcpy(&len, sdt + 4, 4);
    for (i = 36; i + entry_size <= len; i += entry_size) {
        uint64_t e = 0;
        const uint8_t *t;
        memcpy(&e, sdt + i, entry_size);
        t = table(e);
        if (t && !memcmp(t, sig, 4))
            return t;
    }
    return 0;
}

uint8_t *acpi_find_table(uint64_t rsdp, const char *sig, uint32_t *len)
{
    const uint8_t *t = find_table(rsdp, sig);
    if (!t)
        return 0;
    memcpy(len, t + 4, 4);
    /* keel's identity map is writable: the MADT rewrite edits the table. */
    return (uint8_t *)(uintptr_t)t;
}

bool acpi_pm1a_cnt_port(uint64_t rsdp, uint16_t *port)
{
    const uint8_t *fadt = find_table(rsdp, "FACP");
    uint32_t len;

    if (!fadt)
        return false;
    memcpy(&len, fadt + 4, 4);
    /* X_PM1a_CNT_BLK (GAS at 172) when it names an I/O port; else PM1a_CNT_BLK (64). */
    if (len >= 184 && fadt[172] == 1) {
        uint64_t a;
        memcpy(&a, fadt + 176, 8);
        if (a && a <= 0xffff) {
            *port = (uint16_t)a;
            return true;
        }
    }
    {
        uint32_t p;
        memcpy(&p, fadt + 64, 4);
        if (p && p <= 0xffff) {
            *port = (uint16_t)p;
            return true;
        }
    }
    return false;
}
