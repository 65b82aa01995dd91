/* ACPI 6.x, sections 5.2.5 (RSDP), 5.2.7/5.2.8 (RSDT/XSDT), 5.2.9 (FADT).
 * Tables are read through keel's identity map; every pointer is checked to
 * lie below 4 GiB (what keel maps) and every table's checksum is verified. */
#include "vmm/acpi.h"
#include "vmm/efi_config.h"
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

static uint64_t rsdp_pa;   /* the machine's RSDP: boot-time fact, not per-VM state */

uint64_t acpi_rsdp(void)
{
    return rsdp_pa;
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

/* The firmware RSDP at pa matches the loader's copy. */
static bool same_rsdp(uint64_t pa, const struct boot_info *bi)
{
    const uint8_t *p = phys(pa, bi->rsdp_len);
    return p && !memcmp(p, bi->rsdp, bi->rsdp_len);
}

uint64_t efi_config_table(uint64_t systab, const uint8_t guid[16])
{
    /* EFI_SYSTEM_TABLE (UEFI 2.10 section 4.3, 64-bit): signature
     * "IBI SYST" at 0, NumberOfTableEntries at 104, ConfigurationTable at
     * 112; each EFI_CONFIGURATION_TABLE is a GUID and a pointer (24 bytes). */
    const uint8_t *st = phys(systab, 120), *ct;
    uint64_t n, tab, i;
    if (!st || memcmp(st, "IBI SYST", 8))
        return 0;
    memcpy(&n, st + 104, 8);
    memcpy(&tab, st + 112, 8);
    if (n == 0 || n > 1024 || !(ct = phys(tab, n * 24)))
        return 0;
    for (i = 0; i < n; i++)
        if (!memcmp(ct + i * 24, guid, 16)) {
            uint64_t v;
            memcpy(&v, ct + i * 24 + 16, 8);
            return v;
        }
    return 0;
}

uint64_t acpi_locate_rsdp(struct boot_info *bi)
{
    uint64_t pa = 0;
    const char *src = "not found";
    if (bi->efi_systab && bi->efi_systab64) {
        pa = efi_config_table(bi->efi_systab, efi_acpi20_guid);
        if (!pa || (bi->rsdp_len && !same_rsdp(pa, bi)))
            pa = efi_config_table(bi->efi_systab, efi_acpi10_guid);
        if (pa && bi->rsdp_len && !same_rsdp(pa, bi))
            pa = 0;
        if (pa && !bi->rsdp_len && scan(pa, pa + 20) != pa)
            pa = 0;
        if (pa)
            src = "EFI configuration table";
    }
    if (!pa) {
        pa = acpi_find_rsdp();
        if (pa && bi->rsdp_len && !same_rsdp(pa, bi))
            pa = 0;   /* a stale copy in the BIOS area is not the loader's */
        if (pa)
            src = "BIOS area";
    }
    if (!pa && bi->rsdp_len)
        src = "not found where the boot loader's copy came from";
    if (pa && !bi->rsdp_len) {
        /* Keep a copy, as a multiboot2 loader would have: guest loaders
         * hand it on (Multiboot2 ACPI tags) without reading firmware memory. */
        const uint8_t *r = phys(pa, 36);
        bi->rsdp_len = r && r[15] >= 2 ? 36 : 20;
        memcpy(bi->rsdp, (const uint8_t *)(uintptr_t)pa, bi->rsdp_len);
    }
    bi->rsdp_phys = pa;
    bi->rsdp_source = src;
    rsdp_pa = pa;
    return pa;
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

const uint8_t *acpi_find_table(uint64_t rsdp, const char *sig, uint32_t *len)
{
    const uint8_t *t = find_table(rsdp, sig);
    if (t)
        memcpy(len, t + 4, 4);
    return t;
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
