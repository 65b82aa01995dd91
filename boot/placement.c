/* Choosing keel's region. Guests take RAM from 1 MiB upward (multiboot test
 * kernels everything to mem_upper, Linux from 16 MiB), so keel lives at the
 * top of usable RAM below 4 GiB: below 4 GiB because 32-bit guests and the
 * loaders' structures must be able to address everything else. */
#include "boot/placement.h"
#include "boot/layout.h"
#include "lib/format.h"
#include "lib/string.h"

static char msg[200];
#define FOUR_GIB 0x100000000ull

static uint64_t align_down(uint64_t v, uint64_t a) { return v & ~(a - 1); }
static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

static bool overlaps(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
    return a0 < b1 && b0 < a1;
}

/* EFI boot-services memory (efi_bs_overlap, boot/bootinfo.h) keel does not
 * put itself over: the lowest such descriptor overlapping [base, end), or 0. */
static uint64_t efi_bs_conflict(const struct boot_info *bi, uint64_t base, uint64_t end)
{
    uint32_t off = 0;
    uint64_t c = 0, s, e;
    while (efi_bs_overlap(bi, &off, base, end, &s, &e))
        if (!c || s < c)
            c = s ? s : 0x1000;
    return c;
}

/* The lowest start of anything busy that overlaps [base, end), or 0. */
static uint64_t first_conflict(const struct boot_info *bi, uint64_t base, uint64_t end,
                               uint64_t busy_start, uint64_t busy_end)
{
    uint64_t c = 0;
    unsigned i;
    if (overlaps(base, end, busy_start, busy_end))
        c = busy_start;
    if (overlaps(base, end, bi->info_phys, bi->info_end) && (!c || bi->info_phys < c))
        c = bi->info_phys;
    for (i = 0; i < bi->nmods; i++)
        if (overlaps(base, end, bi->mods[i].start, bi->mods[i].end) && (!c || bi->mods[i].start < c))
            c = bi->mods[i].start;
    {
        uint64_t e = efi_bs_conflict(bi, base, end);
        if (e && (!c || e < c))
            c = e;
    }
    return c;
}

/* Highest aligned block of `size` bytes inside available RAM below `limit`
 * avoiding busy ranges. Returns false if none. */
static bool find_top_block(const struct boot_info *bi, uint64_t size, uint64_t align, uint64_t limit,
                           uint64_t busy_start, uint64_t busy_end, uint64_t *base_out,
                           uint64_t *range_end_out)
{
    int i;
    for (i = (int)bi->nmmap - 1; i >= 0; i--) {
        const struct mem_range *r = &bi->mmap[i];
        uint64_t lo = align_up(r->base, 0x1000), hi = r->base + r->len;
        if (r->type != MEM_AVAILABLE || lo >= limit)
            continue;
        if (hi > limit)
            hi = limit;
        hi = align_down(hi, 0x1000);
        while (hi > lo && hi - lo >= size) {
            uint64_t base = align_down(hi - size, align), c;
            if (base < lo || base < 0x100000)
                break;
            c = first_conflict(bi, base, hi, busy_start, busy_end);
            if (!c) {
                *base_out = base;
                *range_end_out = hi;
                return true;
            }
            hi = align_down(c, 0x1000);
        }
    }
    return false;
}

/* Page-table pages for a 2 MiB-page map of [0, end): PML4, PDPTs, one PD
 * per GiB. */
static uint64_t map_pages(uint64_t end)
{
    uint64_t gib = (end + (1ull << 30) - 1) >> 30;
    return 1 + (gib + 511) / 512 + gib;
}

void region_budget(struct region_budget *b, uint64_t image, uint64_t shared, unsigned cpus, uint64_t ram_end)
{
    uint64_t end = ram_end < FOUR_GIB ? FOUR_GIB : ram_end;
    b->image = align_up(image, 0x1000);
    b->shared = align_up(shared, 0x1000);
    b->cpus = cpus ? cpus : 1;
    b->per_cpu = (uint64_t)KEEL_REGION_PER_CPU * b->cpus;
    /* arch/x86/paging.c: the identity map, then the image in 4 KiB pages
     * (one PT per 2 MiB plus one for a straddle, a PD and a PDPT for the
     * -2 GiB window). */
    b->keel_tables = (map_pages(end) + (b->image >> 21) + 1 + 2) * 0x1000;
    /* vmm/npt.c: the same identity map for the guest, plus the 4 KiB
     * tables at the two unaligned edges of keel's region. */
    b->npt_tables = (map_pages(end) + 2) * 0x1000;
    b->margin = KEEL_REGION_MARGIN;
    b->total = align_up(b->image + b->shared + b->per_cpu + b->keel_tables + b->npt_tables + b->margin, 0x10000);
}

const char *place_keel(const struct boot_info *bi, uint64_t region_size, uint64_t busy_start,
                       uint64_t busy_end, struct placement *out)
{
    uint64_t base, end, mods = 0, top = 0;
    unsigned i;

    for (i = 0; i < bi->nmmap; i++) {
        const struct mem_range *r = &bi->mmap[i];
        uint64_t e = r->base + r->len;
        if (r->type == MEM_AVAILABLE && r->base < FOUR_GIB)
            top = e > FOUR_GIB ? FOUR_GIB : e;
    }
    out->ram_top_below_4g = align_down(top, 0x1000);

    if (!find_top_block(bi, region_size, KEEL_REGION_ALIGN, FOUR_GIB, busy_start, busy_end, &base, &end)) {
        ksnprintf(msg, sizeof(msg), "too little RAM for keel's region: need %lu KiB of free RAM below 4 GiB",
                  region_size >> 10);
        return msg;
    }
    /* The region runs to the end of its RAM range (up to 2 MiB - 4 KiB of
     * alignment slack), so no sliver of RAM is left stranded above it. */
    out->region_base = base;
    out->region_end = end;

    /* Scratch for staging modules: as big as all modules together, highest
     * free RAM below keel's region. */
    for (i = 0; i < bi->nmods; i++)
        mods += align_up(bi->mods[i].end - bi->mods[i].start, 0x1000);
    out->scratch_base = out->scratch_end = 0;
    if (mods) {
        uint64_t sb, se;
        if (!find_top_block(bi, mods, 0x1000, out->region_base, busy_start, busy_end, &sb, &se)) {
            ksnprintf(msg, sizeof(msg), "too little RAM to stage the %u boot modules (%lu KiB)", bi->nmods,
                      mods >> 10);
            return msg;
        }
        out->scratch_base = sb;
        out->scratch_end = sb + mods;
    }
    return 0;
}
