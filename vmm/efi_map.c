/* EFI memory map carve-out (UEFI 2.10 section 7.2, EFI_MEMORY_DESCRIPTOR:
 * Type u32 at 0, PhysicalStart u64 at 8, VirtualStart u64 at 16,
 * NumberOfPages u64 at 24, Attribute u64 at 32; 4 KiB pages). Only RAM
 * descriptors are split: keel takes its region (and the guest's ACPI copy)
 * from RAM, never from runtime-services memory, so no runtime region is
 * ever changed. */
#include "vmm/efi_map.h"
#include "vmm/loader_mem.h"
#include "lib/string.h"

static bool is_ram(uint32_t type)
{
    return type == EFI_CONVENTIONAL || type == EFI_LOADER_CODE || type == EFI_LOADER_DATA || type == EFI_BS_CODE ||
           type == EFI_BS_DATA;
}

static bool put(uint8_t *out, size_t cap, size_t *at, const uint8_t *src, uint32_t dsize, uint32_t type,
                uint64_t start, uint64_t end, bool carved)
{
    uint64_t pages = (end - start) >> 12;
    if (end <= start)
        return true;
    if (*at + dsize > cap)
        return false;
    memcpy(out + *at, src, dsize);
    memcpy(out + *at, &type, 4);
    memcpy(out + *at + 8, &start, 8);
    memcpy(out + *at + 24, &pages, 8);
    if (carved) {
        uint64_t attr, zero = 0;
        memcpy(&attr, src + 32, 8);
        attr &= ~EFI_MEMORY_RUNTIME;
        memcpy(out + *at + 32, &attr, 8);
        memcpy(out + *at + 16, &zero, 8);
    }
    *at += dsize;
    return true;
}

size_t efi_map_carve_ranges(const uint8_t *in, size_t len, uint32_t dsize, const struct efi_carve *cv, unsigned ncv,
                            uint8_t *out, size_t cap)
{
    size_t off, at = 0;
    unsigned i;
    if (dsize < EFI_DESC_MIN)
        return 0;
    for (off = 0; off + dsize <= len; off += dsize) {
        const uint8_t *d = in + off;
        uint32_t type;
        uint64_t s, pages, e, cur;
        memcpy(&type, d, 4);
        memcpy(&s, d + 8, 8);
        memcpy(&pages, d + 24, 8);
        e = pages < (1ull << 52) && s + (pages << 12) >= s ? s + (pages << 12) : ~0xfffull;
        cur = s;
        if (!is_ram(type))
            i = ncv;                      /* never split: copied verbatim below */
        else
            i = 0;
        for (; i < ncv && cur < e; i++) {
            uint64_t b = cv[i].base > cur ? cv[i].base : cur, t = cv[i].end < e ? cv[i].end : e;
            if (cv[i].end <= cur || cv[i].base >= e || b >= t)
                continue;
            if (!put(out, cap, &at, d, dsize, type, cur, b, false) || !put(out, cap, &at, d, dsize, cv[i].type, b, t, true))
                return 0;
            cur = t;
        }
        if (cur == s) {                   /* untouched: verbatim */
            if (at + dsize > cap)
                return 0;
            memcpy(out + at, d, dsize);
            at += dsize;
        } else if (!put(out, cap, &at, d, dsize, type, cur, e, false)) {
            return 0;
        }
    }
    return at;
}

size_t efi_map_carve(const uint8_t *in, size_t len, uint32_t dsize, uint64_t kb, uint64_t ke, uint8_t *out,
                     size_t cap)
{
    struct efi_carve cv = { kb, ke, EFI_RESERVED };
    return efi_map_carve_ranges(in, len, dsize, &cv, ke > kb ? 1 : 0, out, cap);
}

unsigned efi_carves_from_map(const struct loader_ctx *c, struct efi_carve *cv, unsigned max)
{
    unsigned i, n = 0;
    for (i = 0; i < c->nmap && n < max; i++) {
        const struct mem_range *r = &c->map[i];
        uint32_t t;
        if (!r->len || r->type == MEM_AVAILABLE)
            continue;
        t = r->type == MEM_ACPI ? EFI_ACPI_RECLAIM : r->type == MEM_NVS ? EFI_ACPI_NVS
                                                   : r->type == MEM_BAD ? EFI_UNUSABLE : EFI_RESERVED;
        cv[n].base = r->base;
        cv[n].end = r->base + r->len;
        cv[n].type = t;
        n++;
    }
    return n;
}
