/* libFuzzer target for the EFI system table check and the configuration
 * table retarget (vmm/efi_config.c): random bytes as physical memory at
 * 0x10000 (reads outside it fail), the system table at an offset the first
 * two bytes choose, keel's region at a fixed range inside. Checks: no crash
 * or out-of-bounds read (ASan); an accepted table lies outside keel's
 * region, spans at most two pages and has an ACPI entry; the retarget
 * changes exactly the 8-byte VendorTable fields of the entries it counts.
 *   make build/fuzz/efi_config && build/fuzz/efi_config -runs=1000000 */
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "vmm/efi_config.h"

#define MEM_AT 0x10000ull
#define KEEL_BASE (MEM_AT + 0x3000)
#define KEEL_END (MEM_AT + 0x4000)
static uint8_t *mem;
static size_t mem_len;

static const uint8_t *rd(void *ctx, uint64_t pa, uint64_t len)
{
    (void)ctx;
    if (pa < MEM_AT || pa + len < pa || pa + len > MEM_AT + mem_len)
        return NULL;
    return mem + (pa - MEM_AT);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct efi_config_view v;
    uint64_t systab, span, i;
    uint8_t *copy;
    unsigned k, changed = 0;
    if (size < 2)
        return 0;
    mem_len = size - 2;
    mem = malloc(mem_len + 1);
    memcpy(mem, data + 2, mem_len);
    systab = MEM_AT + ((uint64_t)(data[0] | data[1] << 8) & 0xffeu);     /* within the first page or so */
    /* Odd first byte: a plausible system table planted from bytes 2-5 (a
     * signature, header size, 1-8 entries at an offset that may cross a page,
     * ACPI GUIDs in some of them), so the search gets past the signature and
     * exercises the accepted path and the retarget too; the rest stays raw. */
    if ((data[0] & 1) && size >= 6 && systab - MEM_AT + 120 <= mem_len) {
        uint8_t *st = mem + (systab - MEM_AT);
        uint32_t hs = 120;
        uint64_t n = 1 + (data[2] & 7), tab = MEM_AT + 0x180 + ((uint64_t)(data[3] & 0x1f) << 3) + (data[4] & 1 ? 0xe00 : 0);
        memcpy(st, "IBI SYST", 8);
        memcpy(st + 12, &hs, 4);
        memcpy(st + 104, &n, 8);
        memcpy(st + 112, &tab, 8);
        if ((data[5] & 1) && tab - MEM_AT + 24 <= mem_len)
            memcpy(mem + (tab - MEM_AT), efi_acpi20_guid, 16);
        if ((data[5] & 2) && tab - MEM_AT + n * 24 <= mem_len)
            memcpy(mem + (tab - MEM_AT) + (n - 1) * 24, efi_acpi10_guid, 16);
    }
    if (efi_config_check(systab, rd, NULL, KEEL_BASE, KEEL_END, &v)) {
        free(mem);
        return 0;
    }
    if (v.npages < 1 || v.npages > EFI_CONFIG_VIEW_PAGES || !v.nacpi || v.entries > EFI_CONFIG_MAX_ENTRIES ||
        (v.table < KEEL_END && KEEL_BASE < v.table + v.entries * EFI_CONFIG_ENTRY_LEN))
        abort();
    span = v.npages * 4096ull;
    copy = calloc(1, span);
    /* The page around the array may lie partly outside the input (zeros there). */
    for (i = v.page < MEM_AT ? MEM_AT - v.page : 0; i < span && v.page + i < MEM_AT + mem_len; i++)
        copy[i] = mem[v.page + i - MEM_AT];
    {
        uint8_t *before = malloc(span);
        memcpy(before, copy, span);
        k = efi_config_retarget(&v, copy, 0x1122334455667788ull);
        for (i = 0; i < span; i++)
            if (before[i] != copy[i]) {
                uint64_t off = v.page + i - v.table;
                if (v.page + i < v.table || off % EFI_CONFIG_ENTRY_LEN < 16)
                    abort();    /* only VendorTable bytes may change */
                changed = 1;
            }
        if (k != v.nacpi || (changed && !k))
            abort();
        free(before);
    }
    free(copy);
    free(mem);
    return 0;
}
