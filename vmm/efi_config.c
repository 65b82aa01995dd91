/* The guest's EFI configuration table (vmm/efi_config.h). */
#include "vmm/efi_config.h"
#include "lib/string.h"

#define PAGE 0x1000ull

const uint8_t efi_acpi20_guid[16] = { 0x71, 0xe8, 0x68, 0x88, 0xf1, 0xe4, 0xd3, 0x11,
                                      0xbc, 0x22, 0x00, 0x80, 0xc7, 0x3c, 0x88, 0x81 };
const uint8_t efi_acpi10_guid[16] = { 0x30, 0x2d, 0x9d, 0xeb, 0x88, 0x2d, 0xd3, 0x11,
                                      0x9a, 0x16, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d };

static int is_acpi(const uint8_t *entry)
{
    return !memcmp(entry, efi_acpi20_guid, 16) || !memcmp(entry, efi_acpi10_guid, 16);
}

static int overlaps(uint64_t b, uint64_t e, uint64_t ab, uint64_t ae)
{
    return b < ae && ab < e;
}

const char *efi_config_check(uint64_t systab, efi_read_fn read, void *ctx, uint64_t avoid_base, uint64_t avoid_end,
                             struct efi_config_view *v)
{
    /* EFI_SYSTEM_TABLE (UEFI 2.10 section 4.3), 64-bit: Hdr.Signature at 0,
     * Hdr.HeaderSize at 12, NumberOfTableEntries at 104, ConfigurationTable
     * at 112. */
    const uint8_t *st, *ct;
    uint32_t hsize;
    uint64_t n, tab, len, i;

    memset(v, 0, sizeof(*v));
    if (systab & 7)
        return "is not 8-byte aligned";
    if (!(st = read(ctx, systab, EFI_SYSTAB64_LEN)))
        return "is not in memory keel can read";
    if (overlaps(systab, systab + EFI_SYSTAB64_LEN, avoid_base, avoid_end))
        return "lies in keel's region";
    if (memcmp(st, "IBI SYST", 8))
        return "has no EFI system table signature";
    memcpy(&hsize, st + 12, 4);
    if (hsize < EFI_SYSTAB64_LEN)
        return "has a header too short for a 64-bit system table";
    memcpy(&n, st + 104, 8);
    memcpy(&tab, st + 112, 8);
    if (n == 0 || n > EFI_CONFIG_MAX_ENTRIES)
        return "lists no configuration table or more than 1024";
    if (!tab || (tab & 7))
        return "has a configuration table pointer that is 0 or not 8-byte aligned";
    len = n * EFI_CONFIG_ENTRY_LEN;
    if (tab + len < tab || !(ct = read(ctx, tab, len)))
        return "has a configuration table keel cannot read";
    if (overlaps(tab, tab + len, avoid_base, avoid_end))
        return "has its configuration table in keel's region";
    v->table = tab;
    v->entries = n;
    v->page = tab & ~(PAGE - 1);
    v->npages = (unsigned)(((tab + len - 1) >> 12) - (tab >> 12) + 1);
    if (v->npages > EFI_CONFIG_VIEW_PAGES)
        return "has a configuration table spanning more than 2 pages";
    for (i = 0; i < n; i++)
        v->nacpi += (unsigned)is_acpi(ct + i * EFI_CONFIG_ENTRY_LEN);
    if (!v->nacpi)
        return "has no ACPI entry in its configuration table";
    return 0;
}

unsigned efi_config_retarget(const struct efi_config_view *v, uint8_t *buf, uint64_t rsdp)
{
    uint8_t *ct = buf + (v->table - v->page);
    uint64_t i;
    unsigned k = 0;
    for (i = 0; i < v->entries; i++) {
        uint8_t *e = ct + i * EFI_CONFIG_ENTRY_LEN;
        if (is_acpi(e)) {
            memcpy(e + 16, &rsdp, 8);
            k++;
        }
    }
    return k;
}
