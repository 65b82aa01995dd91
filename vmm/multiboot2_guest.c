/* Multiboot2 guest loader (Multiboot2 Specification 2.0): the header in the
 * first 32 KiB (8-byte aligned), its tags (information request, address,
 * entry address, flags, framebuffer, module alignment, EFI, relocatable),
 * the kernel by ELF program headers or the address tag, modules
 * page-aligned after the kernel, and a boot information block with the
 * tags GRUB would give: command line, loader name, modules, basic memory
 * information, memory map, ACPI old/new RSDP copies and, when keel was
 * booted through 64-bit EFI, the EFI system table and EFI memory map (with
 * keel's region carved out as reserved, as in every map keel gives).
 * Entry: EAX = 0x36D76289, EBX = info, 32-bit flat protected mode, paging
 * off (section 3.3, "I386 machine state"). */
#include "lib/bytes.h"
#include "vmm/loader_mem.h"
#include "vmm/multiboot_guest.h"
#include "vmm/multiboot2_guest.h"
#include "vmm/efi_map.h"
#include "lib/string.h"
#include "lib/log.h"

const uint8_t *multiboot2_find_header(const uint8_t *img, uint64_t size, uint64_t *offset)
{
    uint64_t off;
    for (off = 0; off + 16 <= size && off < MB2_SEARCH; off += 8) {
        uint32_t magic = rd32(img + off), arch = rd32(img + off + 4), len = rd32(img + off + 8);
        uint32_t sum = rd32(img + off + 12);
        if (magic == MB2_HEADER_MAGIC && (uint32_t)(magic + arch + len + sum) == 0) {
            *offset = off;
            return img + off;
        }
    }
    return NULL;
}

/* The RSDP the guest gets by value: the one it is pointed at (keel's copy
 * of the root tables, vm.c), else the boot loader's copy. */
static const uint8_t *guest_rsdp(const struct loader_ctx *c, unsigned *len)
{
    if (c->g->rsdp_len >= 20) {
        *len = c->g->rsdp_len;
        return c->g->rsdp;
    }
    *len = c->bi->rsdp_len;
    return c->bi->rsdp;
}

/* The info tags keel can provide (information request tag, section 3.1.4). */
static bool can_provide(const struct loader_ctx *c, uint32_t type)
{
    const struct boot_info *bi = c->bi;
    unsigned rlen;
    guest_rsdp(c, &rlen);
    switch (type) {
    case MB2_TAG_CMDLINE:
    case MB2_TAG_LOADER_NAME:
    case MB2_TAG_MODULE:
    case MB2_TAG_BASIC_MEMINFO:
    case MB2_TAG_MMAP:
        return true;
    case MB2_TAG_ACPI_OLD:
        return rlen >= 20;
    case MB2_TAG_ACPI_NEW:
        return rlen >= 36;
    case MB2_TAG_EFI64:
        return bi->efi_systab && bi->efi_systab64;
    case MB2_TAG_EFI_MMAP:
        return bi->efi_systab && bi->efi_systab64 && bi->efi_mmap_len;
    default:
        return false;
    }
}

struct mb2_header_info {
    bool have_addr, have_entry;
    uint32_t header_addr, load_addr, load_end, bss_end, entry;
};

/* The header tags keel knows (Multiboot2 spec 3.1.3-3.1.12): the smallest
 * size of those it reads fields from, and for those it cannot honour the
 * reason it refuses a required one. The rest are accepted and ignored:
 * console flags (keel's guests get a serial port), module alignment
 * (modules are page-aligned anyway), relocatable (loaded where linked), the
 * EFI entry points (used only with boot services). */
static const struct mb2_hdr_tag {
    const char *name;       /* NULL: not a tag keel knows */
    uint8_t min_size;       /* keel reads fields up to here */
    const char *refusal;    /* non-NULL: keel cannot honour it */
} mb2_hdr_tags[] = {
    [MB2_HDR_TAG_INFO_REQ] = { "information request", 8, NULL },
    [MB2_HDR_TAG_ADDRESS] = { "address", 24, NULL },
    [MB2_HDR_TAG_ENTRY] = { "entry address", 12, NULL },
    [MB2_HDR_TAG_FLAGS] = { "console flags", 8, NULL },
    [MB2_HDR_TAG_FRAMEBUFFER] = { "framebuffer", 8, "the kernel requires a framebuffer; keel gives a serial console only" },
    [MB2_HDR_TAG_MODULE_ALIGN] = { "module alignment", 8, NULL },
    /* Boot services ended before keel ran (GRUB exits them). */
    [MB2_HDR_TAG_EFI_BS] = { "EFI boot services", 8, "the kernel requires EFI boot services, which are gone under keel" },
    [MB2_HDR_TAG_EFI_I386] = { "EFI i386 entry address", 8, NULL },
    [MB2_HDR_TAG_EFI_AMD64] = { "EFI amd64 entry address", 8, NULL },
    [MB2_HDR_TAG_RELOCATABLE] = { "relocatable", 8, NULL },
};

/* Walk the header's tags. Every tag must lie inside header_length; a tag
 * keel cannot honour is an error unless it is marked optional (flags bit 0). */
static bool parse_header(const struct loader_ctx *c, const uint8_t *hdr, uint32_t hlen,
                         struct mb2_header_info *h)
{
    uint32_t off, size;
    memset(h, 0, sizeof(*h));
    for (off = 16; off + 8 <= hlen; off += (size + 7) & ~7u) {
        uint16_t type = rd16(hdr + off), flags = rd16(hdr + off + 2);
        uint32_t i;
        bool optional = flags & MB2_HDR_TAG_OPTIONAL;
        const struct mb2_hdr_tag *t = type < sizeof(mb2_hdr_tags) / sizeof(mb2_hdr_tags[0]) &&
                                              mb2_hdr_tags[type].name ? &mb2_hdr_tags[type] : NULL;
        const uint8_t *tag = hdr + off;
        size = rd32(hdr + off + 4);
        if (type == MB2_HDR_TAG_END)
            return true;
        if (size < 8 || size > hlen - off) {
            klog("multiboot2 guest: header tag %u at +0x%x has a bad size %u", type, off, size);
            return false;
        }
        if (!t || t->refusal) {
            if (!optional) {
                if (t)
                    klog("multiboot2 guest: %s", t->refusal);
                else
                    klog("multiboot2 guest: the kernel's header has unknown required tag %u", type);
                return false;
            }
            continue;       /* optional and not honoured: skipped */
        }
        if (size < t->min_size) {
            klog("multiboot2 guest: %s tag too short (%u bytes)", t->name, size);
            return false;
        }
        switch (type) {
        case MB2_HDR_TAG_INFO_REQ:
            for (i = 8; i + 4 <= size; i += 4) {
                uint32_t want = rd32(tag + i);
                if (!can_provide(c, want) && !optional) {
                    klog("multiboot2 guest: the kernel requires boot information tag %u, which keel cannot give", want);
                    return false;
                }
            }
            break;
        case MB2_HDR_TAG_ADDRESS:
            h->have_addr = true;
            h->header_addr = rd32(tag + 8);
            h->load_addr = rd32(tag + 12);
            h->load_end = rd32(tag + 16);
            h->bss_end = rd32(tag + 20);
            break;
        case MB2_HDR_TAG_ENTRY:
            h->have_entry = true;
            h->entry = rd32(tag + 8);
            break;
        default:        /* known and ignored */
            break;
        }
    }
    klog("multiboot2 guest: the kernel's header has no end tag");
    return false;
}

/* ---- the boot information ---------------------------------------------------------------- */

static uint64_t tag_len(uint64_t body)
{
    return (8 + body + 7) & ~7ull;
}

static uint8_t *tag_put(uint8_t *p, uint32_t type, uint32_t body)
{
    wr32(p, type);
    wr32(p + 4, 8 + body);
    return p + 8;
}

static bool build_info(struct loader_ctx *c, uint64_t after, const uint64_t *mods_start, uint64_t *info_out)
{
    const struct boot_info *bi = c->bi;
    unsigned nmods = c->nmods, i, nmmap = 0;
    bool efi = can_provide(c, MB2_TAG_EFI_MMAP);
    unsigned rlen;
    const uint8_t *rsdp = guest_rsdp(c, &rlen);
    struct efi_carve cv[LD_MAX_MAP];
    unsigned ncv = efi ? efi_carves_from_map(c, cv, LD_MAX_MAP) : 0;
    uint64_t size, base, efi_max = efi ? efi_map_carved_max(bi->efi_mmap_len, bi->efi_desc_size, ncv) : 0;
    size_t n;
    uint32_t lower, upper;
    uint8_t *p, *q;

    for (i = 0; i < c->nmap; i++)
        if (c->map[i].len)
            nmmap++;
    size = 8 + tag_len(strnlen(bi->mods[0].cmdline, BOOT_MODSTR_MAX - 1) + 1) +
           tag_len(sizeof(MB2_LOADER_NAME)) + tag_len(8) + tag_len(8 + (uint64_t)nmmap * 24) + 8;
    for (i = 1; i < nmods; i++)
        size += tag_len(8 + strnlen(bi->mods[i].cmdline, BOOT_MODSTR_MAX - 1) + 1);
    if (rlen >= 20)
        size += tag_len(20);
    if (rlen >= 36)
        size += tag_len(36);
    if (efi)
        size += tag_len(8) + tag_len(8 + efi_max);

    if (!ld_place_low(c, "multiboot2 guest", "the boot information", MB2_INFO_LOW, MB2_INFO_LOW_LIMIT,
                      after, size, &base))
        return false;
    p = ld_dest_ptr(c, "the multiboot2 information", base, size);
    if (!p)
        return false;
    memset(p, 0, size);
    q = p + 8;

    n = strnlen(bi->mods[0].cmdline, BOOT_MODSTR_MAX - 1);
    memcpy(tag_put(q, MB2_TAG_CMDLINE, (uint32_t)n + 1), bi->mods[0].cmdline, n);
    q += tag_len(n + 1);
    memcpy(tag_put(q, MB2_TAG_LOADER_NAME, sizeof(MB2_LOADER_NAME)), MB2_LOADER_NAME, sizeof(MB2_LOADER_NAME));
    q += tag_len(sizeof(MB2_LOADER_NAME));
    for (i = 1; i < nmods; i++) {
        uint8_t *b;
        n = strnlen(bi->mods[i].cmdline, BOOT_MODSTR_MAX - 1);
        b = tag_put(q, MB2_TAG_MODULE, 8 + (uint32_t)n + 1);
        wr32(b, (uint32_t)mods_start[i]);
        wr32(b + 4, (uint32_t)(mods_start[i] + c->size[i]));
        memcpy(b + 8, bi->mods[i].cmdline, n);
        q += tag_len(8 + n + 1);
    }
    multiboot_mem_bounds(c, &lower, &upper);
    {
        uint8_t *b = tag_put(q, MB2_TAG_BASIC_MEMINFO, 8);
        wr32(b, lower);
        wr32(b + 4, upper);
        q += tag_len(8);
    }
    {   /* memory map: every range, keel's region RESERVED (section 3.6.8) */
        uint8_t *b = tag_put(q, MB2_TAG_MMAP, 8 + nmmap * 24), *e = b + 8;
        wr32(b, 24);                      /* entry_size */
        wr32(b + 4, 0);                   /* entry_version */
        for (i = 0; i < c->nmap; i++) {
            if (!c->map[i].len)
                continue;
            wr64(e, c->map[i].base);
            wr64(e + 8, c->map[i].len);
            wr32(e + 16, c->map[i].type);
            e += 24;
        }
        q += tag_len(8 + (uint64_t)nmmap * 24);
    }
    if (rlen >= 20) {                     /* ACPI old: the RSDP v1 part (section 3.6.12) */
        memcpy(tag_put(q, MB2_TAG_ACPI_OLD, 20), rsdp, 20);
        q += tag_len(20);
    }
    if (rlen >= 36) {                     /* ACPI new: the whole RSDP v2 (section 3.6.13) */
        memcpy(tag_put(q, MB2_TAG_ACPI_NEW, 36), rsdp, 36);
        q += tag_len(36);
    }
    if (efi) {
        uint8_t *b = tag_put(q, MB2_TAG_EFI64, 8);
        size_t got;
        wr64(b, bi->efi_systab);
        q += tag_len(8);
        b = q + 8;
        got = efi_map_carve_ranges(bi->efi_mmap, bi->efi_mmap_len, bi->efi_desc_size, cv, ncv, b + 8, efi_max);
        if (!got) {
            klog("multiboot2 guest: the EFI memory map could not be rebuilt");
            return false;
        }
        tag_put(q, MB2_TAG_EFI_MMAP, 8 + (uint32_t)got);
        wr32(b, bi->efi_desc_size);
        wr32(b + 4, bi->efi_desc_version);
        q += tag_len(8 + got);
    }
    tag_put(q, MB2_TAG_END, 0);
    q += 8;
    wr32(p, (uint32_t)(q - p));           /* total_size (unused slack of a shorter EFI map stays zero) */
    if (!ld_take(c, base, (uint64_t)(q - p), "the multiboot2 information"))
        return false;
    *info_out = base;
    return true;
}

/* ---- the loader -------------------------------------------------------------------------- */

/* The v2 header (Multiboot2 3.1): architecture, length, tags; then the
 * address tag's segment or the ELF program headers, and the entry tag's
 * address over the ELF entry. */
static bool parse_kernel(const struct loader_ctx *c, const uint8_t *img, uint64_t size, const uint8_t *hdr,
                         uint64_t hoff, struct mb_kernel *k)
{
    uint32_t arch = rd32(hdr + 4), hlen = rd32(hdr + 8);
    struct mb2_header_info h;

    if (arch != MB2_ARCH_I386) {
        klog("multiboot2 guest: the kernel is for architecture %u, not i386 (0)", arch);
        return false;
    }
    if (hlen < 24 || hlen > size - hoff) {
        klog("multiboot2 guest: header length %u is impossible (the image has %llu bytes after the header)", hlen,
             (unsigned long long)(size - hoff));
        return false;
    }
    if (!parse_header(c, hdr, hlen, &h))
        return false;
    if (h.have_addr) {
        if (!h.have_entry) {
            klog("multiboot2 guest: the address tag needs an entry address tag");
            return false;
        }
        if (!mb_parse_addresses(size, hoff, h.header_addr, h.load_addr, h.load_end, h.bss_end, &k->segs[0]))
            return false;
        k->kind = "address tag";
        k->nseg = 1;
    } else {
        k->nseg = mb_parse_elf(img, size, k->segs, &k->entry, &k->kind);
        if (!k->nseg)
            return false;
    }
    if (h.have_entry)
        k->entry = h.entry;
    return true;
}

static const struct mb_version mb2 = {
    "multiboot2", multiboot2_find_header, parse_kernel, build_info, MB2_BOOT_MAGIC,
};

bool multiboot2_guest_load(struct loader_ctx *c, struct guest_entry *entry)
{
    struct mb_kernel k;
    struct mb_placed at;
    unsigned rlen;

    if (!mb_load(c, &mb2, entry, &k, &at))
        return false;
    guest_rsdp(c, &rlen);
    klog("guest: multiboot2 %s kernel at [0x%llx, 0x%llx), entry 0x%llx, info at 0x%llx, %u module(s), "
         "ACPI tags %s, EFI tags %s, cmdline \"%s\"", k.kind, (unsigned long long)at.kbase,
         (unsigned long long)at.kend, (unsigned long long)k.entry, (unsigned long long)at.info, c->nmods - 1,
         rlen >= 36 ? "old+new" : rlen ? "old" : "none", can_provide(c, MB2_TAG_EFI_MMAP) ? "yes" : "no",
         c->bi->mods[0].cmdline);
    return true;
}
