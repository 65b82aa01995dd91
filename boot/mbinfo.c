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
        klog("warning: memory map has more than %d entries; ignoring the rest", BOOT_MAX_MMAP);
        return;
    }
    if (type < MEM_AVAILABLE || type > MEM_BAD)
        type = MEM_RESERVED;
    bi->mmap[bi->nmmap].base = base;
    bi->mmap[bi->nmmap].len = len;
    bi->mmap[bi->nmmap].type = type;
    bi->nmmap++;
}

/* Sort by base; where ranges overlap, the more restrictive type wins for
 * the overlap (available only where nothing else claims the memory). */
static void normalise_mmap(struct boot_info *bi)
{
    unsigned i, j;
    for (i = 1; i < bi->nmmap; i++) {
        struct mem_range r = bi->mmap[i];
        for (j = i; j > 0 && bi->mmap[j - 1].base > r.base; j--)
            bi->mmap[j] = bi->mmap[j - 1];
        bi->mmap[j] = r;
    }
    for (i = 0; i + 1 < bi->nmmap; i++) {
        struct mem_range *a = &bi->mmap[i], *b = &bi->mmap[i + 1];
        uint64_t a_end = a->base + a->len;
        if (b->base >= a_end)
            continue;
        /* Overlap: trim the available one. */
        if (a->type == MEM_AVAILABLE && b->type != MEM_AVAILABLE) {
            a->len = b->base - a->base;
        } else {
            uint64_t b_end = b->base + b->len;
            if (b_end <= a_end) {
                for (j = i + 1; j + 1 < bi->nmmap; j++)
                    bi->mmap[j] = bi->mmap[j + 1];
                bi->nmmap--;
                i--;
                continue;
            }
            b->len = b_end - a_end;
            b->base = a_end;
        }
        if (a->len == 0) {
            for (j = i; j + 1 < bi->nmmap; j++)
                bi->mmap[j] = bi->mmap[j + 1];
            bi->nmmap--;
            i = i ? i - 2 : (unsigned)-1;
        }
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
            p += e->size + 4;
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

static const char *parse_v2(uint64_t info_phys, phys_reader_fn rd, struct boot_info *bi)
{
    const uint32_t *hdr = rd(info_phys, 8);
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
        if (t->size < 8 || p + t->size > end)
            return "multiboot2 tag runs past the end of the info";
        body = rd(p, t->size);
        if (!body)
            return "multiboot2 tag is not readable";
        switch (t->type) {
        case 1: /* command line */
            kstrlcpy(bi->cmdline, (const char *)body + 8,
                     t->size - 8 < sizeof(bi->cmdline) ? t->size - 8 + 1 : sizeof(bi->cmdline));
            break;
        case 2: /* boot loader name */
            kstrlcpy(bi->loader_name, (const char *)body + 8,
                     t->size - 8 < sizeof(bi->loader_name) ? t->size - 8 + 1 : sizeof(bi->loader_name));
            break;
        case 3: { /* module */
            char str[BOOT_MODSTR_MAX];
            uint32_t start, mend;
            size_t n = t->size - 16 < sizeof(str) - 1 ? t->size - 16 : sizeof(str) - 1;
            if (t->size < 16)
                return "multiboot2 module tag too short";
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
        case 6: { /* memory map */
            uint32_t esize, off;
            if (t->size < 16)
                return "multiboot2 memory map tag too short";
            memcpy(&esize, body + 8, 4);
            if (esize < 24)
                return "multiboot2 memory map entry size < 24";
            for (off = 16; off + esize <= t->size; off += esize) {
                uint64_t base, len;
                uint32_t type;
                memcpy(&base, body + off, 8);
                memcpy(&len, body + off + 8, 8);
                memcpy(&type, body + off + 16, 4);
                add_range(bi, base, len, type);
            }
            break;
        }
        case 14: /* ACPI old RSDP (copy) */
        case 15: /* ACPI new RSDP (copy) */
            if (t->type == 15 || !bi->rsdp_len) {
                unsigned n = t->size - 8 > sizeof(bi->rsdp) ? sizeof(bi->rsdp) : t->size - 8;
                memcpy(bi->rsdp, body + 8, n);
                bi->rsdp_len = n;
            }
            break;
        default:
            break;
        }
        p += (t->size + 7) & ~7u;
    }
    return 0;
}

const char *mbinfo_parse(uint32_t magic, uint64_t info_phys, phys_reader_fn rd, struct boot_info *bi)
{
    const char *err;
    memset(bi, 0, sizeof(*bi));
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
