/* EFI memory map carve-out (UEFI 2.10 section 7.2, EFI_MEMORY_DESCRIPTOR:
 * Type u32 at 0, PhysicalStart u64 at 8, VirtualStart u64 at 16,
 * NumberOfPages u64 at 24, Attribute u64 at 32; 4 KiB pages). keel's region
 * lies inside RAM (conventional, loader or boot-services memory), never in
 * runtime-services memory, so no runtime region is ever split. */
#include "vmm/efi_map.h"
#include "lib/string.h"

static bool put(uint8_t *out, size_t cap, size_t *at, const uint8_t *src, uint32_t dsize, uint32_t type,
                uint64_t start, uint64_t end, bool clear_runtime)
{
    uint64_t pages = (end - start) >> 12, attr;
    if (end <= start)
        return true;
    if (*at + dsize > cap)
        return false;
    memcpy(out + *at, src, dsize);
    memcpy(out + *at, &type, 4);
    memcpy(out + *at + 8, &start, 8);
    memcpy(out + *at + 24, &pages, 8);
    if (clear_runtime) {
        uint64_t zero = 0;
        memcpy(&attr, src + 32, 8);
        attr &= ~EFI_MEMORY_RUNTIME;
        memcpy(out + *at + 32, &attr, 8);
        memcpy(out + *at + 16, &zero, 8);
    }
    *at += dsize;
    return true;
}

size_t efi_map_carve(const uint8_t *in, size_t len, uint32_t dsize, uint64_t kb, uint64_t ke, uint8_t *out,
                     size_t cap)
{
    size_t off, at = 0;
    if (dsize < EFI_DESC_MIN)
        return 0;
    for (off = 0; off + dsize <= len; off += dsize) {
        const uint8_t *d = in + off;
        uint32_t type;
        uint64_t s, pages, e;
        memcpy(&type, d, 4);
        memcpy(&s, d + 8, 8);
        memcpy(&pages, d + 24, 8);
        e = pages < (1ull << 52) && s + (pages << 12) >= s ? s + (pages << 12) : ~0ull & ~0xfffull;
        if (ke <= kb || e <= kb || ke <= s) {
            if (at + dsize > cap)
                return 0;
            memcpy(out + at, d, dsize);
            at += dsize;
            continue;
        }
        if (!put(out, cap, &at, d, dsize, type, s, kb > s ? kb : s, false) ||
            !put(out, cap, &at, d, dsize, EFI_RESERVED, kb > s ? kb : s, ke < e ? ke : e, true) ||
            !put(out, cap, &at, d, dsize, type, ke, e, false))
            return 0;
    }
    return at;
}
