/* Multiboot information parsing. v1: Multiboot Specification 0.6.96
 * section 3.3; v2: Multiboot2 Specification 2.0 section 3.6. */
#include "boot/mbinfo.h"
#include "lib/string.h"
#include "lib/log.h"
#include "lib/format.h"

#define MB1_INFO_MEM (1u << 0)
#define MB1_INFO_CMDLINE (1u << 2)
#define MB1_INFO_MODS (1u << 3)
#define MB1_INFO_MMAP (1u << 6)
#define MB1_INFO_LOADER (1u << 9)

static char errbuf[160];
static bool mmap_full_warned;   /* one warning per parse, not one per dropped entry */

static void copy_cstr(phys_reader_fn rd, uint64_t addr, char *dst, size_t size)
{
    size_t i;
    dst[0] = 0;
    if (!addr)
        return;
    for (i = 0; i + 1 < size; i++) {
        const char *c = rd(addr + i, 1);
        if (!c || !*c)
            break;
        dst[i] = *c;
    }
    dst[i] = 0;
}

static void add_range(struct boot_info *bi, uint64_t base, uint64_t len, uint32_t type)
{
    if (len == 0)
        return;
    if (bi->nmmap == BOOT_MAX_MMAP) {
        if (!mmap_full_warned)
            klog("warning: memory map has more than %d entries; ignoring the rest", BOOT_MAX_MMAP);
        mmap_full_warned = true;
        return;
    }
    if (type < MEM_AVAILABLE || type > MEM_BAD)
        type = MEM_RESERVED;
    if (len > ~0ull - base)
        len = ~0ull - base;              /* clamp: every end stays representable */
    bi->mmap[bi->nmmap].base = base;
    bi->mmap[bi->nmmap].len = len;
    bi->mmap[bi->nmmap].type = type;
    bi->nmmap++;
}

static void sort_mmap(struct boot_info *bi)
{
    unsigned i, j;
    for (i = 1; i < bi->nmmap; i++) {
        struct mem_range r = bi->mmap[i];
        for (j = i; j > 0 && bi->mmap[j - 1].base > r.base; j--)
            bi->mmap[j] = bi->mmap[j - 1];
        bi->mmap[j] = r;
    }
}

static void drop_range(struct boot_info *bi, unsigned i)
{
    for (; i + 1 < bi->nmmap; i++)
        bi->mmap[i] = bi->mmap[i + 1];
    bi->nmmap--;
}

/* Sort by base and make the ranges disjoint; where ranges overlap, the more
 * restrictive type wins the overlap (available only where nothing else
 * claims the memory). One overlap is resolved per round, then the map is
 * sorted again (a trimmed range may move); every round shrinks or drops a
 * range, so this ends, and the guard bounds it regardless. */
static void normalise_mmap(struct boot_info *bi)
{
    unsigned i, guard;
    for (guard = 0; guard < 16 * BOOT_MAX_MMAP; guard++) {
        bool again = false;
        sort_mmap(bi);
        for (i = 0; i + 1 < bi->nmmap; i++) {
            struct mem_range *a = &bi->mmap[i], *b = &bi->mmap[i + 1];
            uint64_t a_end = a->base + a->len, b_end = b->base + b->len;
            if (b->base >= a_end)
                continue;
            if (a->type == MEM_AVAILABLE && b->type != MEM_AVAILABLE) {
                /* a keeps what lies below b, and above b if b ends inside a */
                if (b_end < a_end)
                    add_range(bi, b_end, a_end - b_end, MEM_AVAILABLE);
                a->len = b->base - a->base;
                if (a->len == 0)
                    drop_range(bi, i);
            } else if (b_end <= a_end) {
                drop_range(bi, i + 1);
            } else {
                b->len = b_end - a_end;
                b->base = a_end;
            }
            again = true;
            break;
        }
        if (!again)
            break;
    }
}

static void add_module(struct boot_info *bi, phys_reader_fn rd, uint64_t start, uint64_t end,
                       uint64_t str_addr, const char *inline_str)
{
    struct boot_module *m;
    if (bi->nmods == BOOT_MAX_MODS) {
        klog("warning: more than %d modules; ignoring the rest", BOOT_MAX_MODS);
        return;
    }
    m = &bi->mods[bi->nmods++];
    m->start = start;
    m->end = end;
    if (inline_str)
        kstrlcpy(m->cmdline, inline_str, sizeof(m->cmdline));
    else
        copy_cstr(rd, str_addr, m->cmdline, sizeof(m->cmdline));
}

struct __attribute__((packed)) mb1_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
    uint32_t drives_length, drives_addr, config_table, boot_loader_name;
};
_Static_assert(sizeof(struct mb1_info) == 68, "multiboot v1 info up to boot_loader_name");

struct __attribute__((packed)) mb1_module {
    uint32_t start, end, string, reserved;
};

struct __attribute__((packed)) mb1_mmap_entry {
    uint32_t size;
    uint64_t base, len;
    uint32_t type;
};

static const char *parse_v1(uint64_t info_phys, phys_reader_fn rd, struct boot_info *bi)
{
    const struct mb1_info *mi = rd(info_phys, sizeof(*mi));
    uint32_t i;

    if (!mi)
        return "multiboot info is not readable";
    bi->mb_version = 1;
    bi->info_end = info_phys + sizeof(*mi);
    if (mi->flags & MB1_INFO_MEM) {
        bi->has_mem_bounds = true;
        bi->mem_lower_kib = mi->mem_lower;
        bi->mem_upper_kib = mi->mem_upper;
    }
    if (mi->flags & MB1_INFO_CMDLINE)
        copy_cstr(rd, mi->cmdline, bi->cmdline, sizeof(bi->cmdline));
    if (mi->flags & MB1_INFO_LOADER)
        copy_cstr(rd, mi->boot_loader_name, bi->loader_name, sizeof(bi->loader_name));
    if (mi->flags & MB1_INFO_MMAP) {
        uint64_t p = mi->mmap_addr, end = (uint64_t)mi->mmap_addr + mi->mmap_length;
        while (p + 4 <= end) {
            const struct mb1_mmap_entry *e = rd(p, sizeof(*e));
            if (!e || e->size < 20)
                return "multiboot memory map is malformed (entry size < 20)";
            add_range(bi, e->base, e->len, e->type);
            p += (uint64_t)e->size + 4;   /* 64-bit: size 0xfffffffc must not wrap to 0 */
        }
    }
    if (mi->flags & MB1_INFO_MODS) {
        if (mi->mods_count > 1024)
            return "multiboot info claims an absurd module count";
        for (i = 0; i < mi->mods_count; i++) {
            const struct mb1_module *m = rd(mi->mods_addr + (uint64_t)i * sizeof(*m), sizeof(*m));
            if (!m)
                return "multiboot module list is not readable";
            add_module(bi, rd, m->start, m->end, m->string, 0);
        }
    }
    return 0;
}

struct __attribute__((packed)) mb2_tag {
    uint32_t type, size;
};

uint32_t efi_to_mem_type(uint32_t efi_type, bool bs_active)
{
    switch (efi_type) {
    case EFI_LOADER_CODE:
    case EFI_LOADER_DATA:
    case EFI_CONVENTIONAL:
        return MEM_AVAILABLE;
    case EFI_BS_CODE:
    case EFI_BS_DATA:
        /* Free RAM once ExitBootServices() ran (UEFI 2.10 section 7.4.6);
         * still the firmware's while boot services run (multiboot2 tag 18). */
        return bs_active ? MEM_RESERVED : MEM_AVAILABLE;
    case EFI_ACPI_RECLAIM:
        return MEM_ACPI;
    case EFI_ACPI_NVS:
        return MEM_NVS;
    case EFI_UNUSABLE:
        return MEM_BAD;
    default:
        /* Runtime services code/data (must survive for the OS), MMIO, PAL
         * code, persistent and unaccepted memory, reserved, unknown types. */
        return MEM_RESERVED;
    }
}

/* keel's own map from the EFI memory map; adjacent descriptors of the same
 * resulting type are merged (firmware splits RAM into many small ones). */
static void ranges_from_efi(struct boot_info *bi, const uint8_t *map, uint32_t len, uint32_t dsize)
{
    uint32_t off;
    unsigned skipped = 0;
    for (off = 0; off + dsize <= len; off += dsize) {
        uint32_t type, mt;
        uint64_t start, pages;
        struct mem_range *last = bi->nmmap ? &bi->mmap[bi->nmmap - 1] : 0;
        memcpy(&type, map + off, 4);
        memcpy(&start, map + off + 8, 8);
        memcpy(&pages, map + off + 24, 8);
        if (pages == 0)
            continue;
        if ((start & 0xfff) || pages >= (1ull << 52) || (pages << 12) - 1 > ~0ull - start) {
            skipped++;
            continue;
        }
        mt = efi_to_mem_type(type, bi->efi_bs_active);
        if (last && last->type == mt && last->base + last->len == start) {
            last->len += pages << 12;
            continue;
        }
        add_range(bi, start, pages << 12, mt);
    }
    if (skipped)
        klog("warning: EFI memory map: ignored %u malformed descriptor(s) (unaligned or wrapping)", skipped);
}

/* A string tag's text: never read past the tag, even when the loader
 * left out the terminating NUL. */
static void tag_str(char *dst, size_t size, const uint8_t *src, uint32_t avail)
{
    size_t n = strnlen((const char *)src, avail);
    if (n > size - 1)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

static bool rsdp_ok(const uint8_t *p, uint32_t avail, unsigned *len_out)
{
    uint8_t sum = 0;
    uint32_t i, len = 20;
    if (avail < 20 || memcmp(p, "RSD PTR ", 8))
        return false;
    for (i = 0; i < 20; i++)
        sum += p[i];
    if (sum)
        return false;
    if (p[15] >= 2) {                    /* ACPI 6.5 5.2.5.3: Length at 20, extended checksum */
        memcpy(&len, p + 20, 4);
        if (len < 36 || len > avail)
            return false;
        for (sum = 0, i = 0; i < len; i++)
            sum += p[i];
        if (sum)
            return false;
        len = 36;
    }
    *len_out = len;
    return true;
}

static const char *parse_v2(uint64_t info_phys, phys_reader_fn rd, struct boot_info *bi)
{
    const uint32_t *hdr = rd(info_phys, 8);
    const uint8_t *mmap6 = 0, *efi17 = 0;
    uint32_t mmap6_size = 0, efi17_size = 0;
    uint64_t p, end;

    if (!hdr)
        return "multiboot2 info is not readable";
    if (hdr[0] < 16 || hdr[0] > (16u << 20))
        return "multiboot2 info has an impossible total_size";
    bi->mb_version = 2;
    end = info_phys + hdr[0];
    bi->info_end = end;
    for (p = info_phys + 8; p + 8 <= end;) {
        const struct mb2_tag *t = rd(p, 8);
        const uint8_t *body;
        if (!t)
            return "multiboot2 tag is not readable";
        if (t->type == 0)
            break;
        if (t->size < 8 || t->size > end - p)
            return "multiboot2 tag runs past the end of the info";
        body = rd(p, t->size);
        if (!body)
            return "multiboot2 tag is not readable";
        switch (t->type) {
        case 1: /* command line */
            tag_str(bi->cmdline, sizeof(bi->cmdline), body + 8, t->size - 8);
            break;
        case 2: /* boot loader name */
            tag_str(bi->loader_name, sizeof(bi->loader_name), body + 8, t->size - 8);
            break;
        case 3: { /* module */
            char str[BOOT_MODSTR_MAX];
            uint32_t start, mend;
            size_t n;
            if (t->size < 16)
                return "multiboot2 module tag too short";
            n = t->size - 16 < sizeof(str) - 1 ? t->size - 16 : sizeof(str) - 1;
            memcpy(&start, body + 8, 4);
            memcpy(&mend, body + 12, 4);
            memcpy(str, body + 16, n);
            str[n] = 0;
            add_module(bi, rd, start, mend, 0, str);
            break;
        }
        case 4: /* basic memory info */
            if (t->size >= 16) {
                bi->has_mem_bounds = true;
                memcpy(&bi->mem_lower_kib, body + 8, 4);
                memcpy(&bi->mem_upper_kib, body + 12, 4);
            }
            break;
        case 6: { /* memory map: converted after the loop (tag 17 wins) */
            uint32_t esize;
            if (t->size < 16)
                return "multiboot2 memory map tag too short";
            memcpy(&esize, body + 8, 4);
            if (esize < 24)
                return "multiboot2 memory map entry size < 24";
            mmap6 = body;
            mmap6_size = t->size;
            break;
        }
        case 11: /* EFI 32-bit system table pointer */
            if (t->size < 12) {
                klog("warning: multiboot2 EFI32 system table tag too short (%u bytes); ignored", t->size);
                break;
            }
            if (!bi->efi_systab64) {
                uint32_t a;
                memcpy(&a, body + 8, 4);
                bi->efi_systab = a;
            }
            break;
        case 12: /* EFI 64-bit system table pointer */
            if (t->size < 16) {
                klog("warning: multiboot2 EFI64 system table tag too short (%u bytes); ignored", t->size);
                break;
            }
            memcpy(&bi->efi_systab, body + 8, 8);
            bi->efi_systab64 = bi->efi_systab != 0;
            break;
        case 14: /* ACPI old RSDP (copy) */
        case 15: { /* ACPI new RSDP (copy) */
            unsigned n;
            if (!rsdp_ok(body + 8, t->size - 8, &n)) {
                klog("warning: multiboot2 ACPI %s RSDP tag is malformed (signature, checksum or length); ignored",
                     t->type == 15 ? "new" : "old");
                break;
            }
            if (t->type == 15 || bi->rsdp_tag != 15) {
                memcpy(bi->rsdp, body + 8, n);
                bi->rsdp_len = n;
                bi->rsdp_tag = t->type;
            }
            break;
        }
        case 17: { /* EFI memory map */
            uint32_t dsize;
            if (t->size < 16) {
                klog("warning: multiboot2 EFI memory map tag too short (%u bytes); ignored", t->size);
                break;
            }
            memcpy(&dsize, body + 8, 4);
            if (dsize < EFI_DESC_MIN || (dsize & 7) || dsize > 4096) {
                klog("warning: multiboot2 EFI memory map has a bad descriptor size %u; ignored", dsize);
                break;
            }
            efi17 = body;
            efi17_size = t->size;
            break;
        }
        case 18: /* EFI boot services not terminated */
            bi->efi_bs_active = true;
            break;
        default:
            break;
        }
        p += (t->size + 7) & ~7u;
    }
    if (efi17) {
        uint32_t dsize, len = efi17_size - 16;
        memcpy(&dsize, efi17 + 8, 4);
        len -= len % dsize;
        bi->efi_desc_size = dsize;
        memcpy(&bi->efi_desc_version, efi17 + 12, 4);
        ranges_from_efi(bi, efi17 + 16, len, dsize);
        bi->mmap_from_efi = bi->nmmap > 0;
        if (len <= sizeof(bi->efi_mmap)) {
            memcpy(bi->efi_mmap, efi17 + 16, len);
            bi->efi_mmap_len = len;
        } else {
            klog("warning: the EFI memory map (%u bytes) is larger than keel keeps (%u): the guest gets none",
                 len, (unsigned)sizeof(bi->efi_mmap));
        }
    }
    if (mmap6 && !bi->mmap_from_efi) {
        uint32_t esize, off;
        memcpy(&esize, mmap6 + 8, 4);
        for (off = 16; esize <= mmap6_size && off <= mmap6_size - esize; off += esize) {
            uint64_t base, len;
            uint32_t type;
            memcpy(&base, mmap6 + off, 8);
            memcpy(&len, mmap6 + off + 8, 8);
            memcpy(&type, mmap6 + off + 16, 4);
            add_range(bi, base, len, type);
        }
    }
    return 0;
}

const char *mbinfo_parse(uint32_t magic, uint64_t info_phys, phys_reader_fn rd, struct boot_info *bi)
{
    const char *err;
    memset(bi, 0, sizeof(*bi));
    mmap_full_warned = false;
    bi->info_phys = info_phys;
    if (magic == MB1_BOOT_MAGIC)
        err = parse_v1(info_phys, rd, bi);
    else if (magic == MB2_BOOT_MAGIC)
        err = parse_v2(info_phys, rd, bi);
    else {
        ksnprintf(errbuf, sizeof(errbuf),
                  "not booted by a multiboot loader (magic 0x%x; expected 0x%x or 0x%x)", magic,
                  MB1_BOOT_MAGIC, MB2_BOOT_MAGIC);
        return errbuf;
    }
    if (err)
        return err;
    if (bi->nmmap == 0) {
        if (!bi->has_mem_bounds)
            return "no memory map and no memory bounds from the boot loader";
        klog("warning: no memory map from the boot loader; using mem_lower/mem_upper");
        add_range(bi, 0, (uint64_t)bi->mem_lower_kib << 10, MEM_AVAILABLE);
        add_range(bi, 0x100000, (uint64_t)bi->mem_upper_kib << 10, MEM_AVAILABLE);
    }
    normalise_mmap(bi);
    return 0;
}

static bool in_available_ram(const struct boot_info *bi, uint64_t start, uint64_t end)
{
    unsigned i;
    for (i = 0; i < bi->nmmap; i++) {
        const struct mem_range *r = &bi->mmap[i];
        if (r->type == MEM_AVAILABLE && start >= r->base && end <= r->base + r->len)
            return true;
    }
    return false;
}

const char *mbinfo_validate(const struct boot_info *bi)
{
    unsigned i, j;
    for (i = 0; i < bi->nmods; i++) {
        const struct boot_module *a = &bi->mods[i];
        if (a->end < a->start) {
            ksnprintf(errbuf, sizeof(errbuf), "module %u ('%s') ends before it starts", i, a->cmdline);
            return errbuf;
        }
        if (!in_available_ram(bi, a->start, a->end)) {
            ksnprintf(errbuf, sizeof(errbuf), "module %u ('%s') at [0x%lx, 0x%lx) is outside RAM", i,
                      a->cmdline, a->start, a->end);
            return errbuf;
        }
        for (j = i + 1; j < bi->nmods; j++) {
            const struct boot_module *b = &bi->mods[j];
            if (a->start < b->end && b->start < a->end) {
                ksnprintf(errbuf, sizeof(errbuf), "modules %u and %u overlap ([0x%lx, 0x%lx) and [0x%lx, 0x%lx))",
                          i, j, a->start, a->end, b->start, b->end);
                return errbuf;
            }
        }
    }
    return 0;
}
