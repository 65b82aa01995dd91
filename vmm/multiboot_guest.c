/* Multiboot v1 guest loader: ELF32/ELF64 kernels by program headers
 * (p_paddr), or the a.out kludge (header flag bit 16); modules placed
 * page-aligned after the kernel; a multiboot info built in guest RAM
 * (docs/loaders.md). Entry: EAX=0x2BADB002, EBX=info, 32-bit flat
 * protected mode, paging off. */
#include "lib/bytes.h"
#include "vmm/loader_mem.h"
#include "vmm/multiboot_guest.h"
#include "lib/string.h"
#include "lib/format.h"
#include "lib/log.h"

#define MB1_SEARCH 8192u
#define MB1_F_PAGE_ALIGN (1u << 0)
#define MB1_F_MEMINFO (1u << 1)
#define MB1_F_VIDEO (1u << 2)
#define MB1_F_AOUT (1u << 16)
#define MB1_F_SUPPORTED (MB1_F_PAGE_ALIGN | MB1_F_MEMINFO | MB1_F_VIDEO)


const uint8_t *multiboot_find_header(const uint8_t *img, uint64_t size, uint64_t *offset)
{
    uint64_t off;
    for (off = 0; off + 12 <= size && off < MB1_SEARCH; off += 4) {
        uint32_t magic = rd32(img + off), flags = rd32(img + off + 4), sum = rd32(img + off + 8);
        if (magic == MB1_HEADER_MAGIC && (uint32_t)(magic + flags + sum) == 0) {
            *offset = off;
            return img + off;
        }
    }
    return NULL;
}

/* ---- kernel image parsing -------------------------------------------------------- */

static bool parse_aout(const uint8_t *img, uint64_t size, uint64_t hoff, struct mb_seg *s,
                       uint64_t *entry)
{
    if (hoff + 32 > size) {
        klog("multiboot guest: a.out kludge header at 0x%llx is truncated",
             (unsigned long long)hoff);
        return false;
    }
    *entry = rd32(img + hoff + 28);
    return mb_parse_addresses(size, hoff, rd32(img + hoff + 12), rd32(img + hoff + 16), rd32(img + hoff + 20),
                              rd32(img + hoff + 24), s);
}

bool mb_parse_addresses(uint64_t size, uint64_t hoff, uint32_t header_addr, uint32_t load_addr,
                        uint32_t load_end, uint32_t bss_end, struct mb_seg *s)
{
    uint64_t load_off;
    if (header_addr < load_addr || header_addr - load_addr > hoff) {
        klog("multiboot guest: bad a.out kludge header: header_addr 0x%x, load_addr 0x%x at "
             "file offset 0x%llx", header_addr, load_addr, (unsigned long long)hoff);
        return false;
    }
    load_off = hoff - (header_addr - load_addr);
    s->paddr = load_addr;
    s->offset = load_off;
    if (load_end == 0) {
        s->filesz = size - load_off;
    } else {
        if (load_end < load_addr) {
            klog("multiboot guest: bad a.out kludge header: load_end_addr 0x%x < load_addr 0x%x",
                 load_end, load_addr);
            return false;
        }
        s->filesz = (uint64_t)load_end - load_addr;
        if (load_off + s->filesz > size) {
            klog("multiboot guest: kernel truncated: the a.out kludge loads file bytes "
                 "[0x%llx, 0x%llx) of %llu", (unsigned long long)load_off,
                 (unsigned long long)(load_off + s->filesz), (unsigned long long)size);
            return false;
        }
    }
    if (bss_end == 0) {
        s->memsz = s->filesz;
    } else {
        if ((uint64_t)bss_end < load_addr + s->filesz) {
            klog("multiboot guest: bad a.out kludge header: bss_end_addr 0x%x below the loaded "
                 "end 0x%llx", bss_end, (unsigned long long)(load_addr + s->filesz));
            return false;
        }
        s->memsz = (uint64_t)bss_end - load_addr;
    }
    return true;
}

/* Where ELF32 and ELF64 keep the header and program-header fields this
 * loader reads (System V gABI "ELF Header", "Program Header"): e_entry is
 * at 24 in both; p_offset, p_vaddr, p_paddr, p_filesz, p_memsz follow each
 * other p_step bytes apart. */
static const struct elf_layout {
    uint8_t phoff, phentsize, phnum, p_offset, p_step;
} elf_layout[2] = {
    { 28, 42, 44, 4, 4 },       /* ELF32 */
    { 32, 54, 56, 8, 8 },       /* ELF64 */
};

static uint64_t elf_word(const uint8_t *p, bool is64)
{
    return is64 ? rd64(p) : rd32(p);
}

unsigned mb_parse_elf(const uint8_t *img, uint64_t size, struct mb_seg *segs, uint64_t *entry,
                      const char **kind)
{
    const struct elf_layout *lay;
    bool is64;
    uint64_t phoff, e_entry, i;
    unsigned phentsize, phnum, machine, n = 0;

    if (size < 52) {
        klog("multiboot guest: kernel truncated: %llu bytes is too short for an ELF header",
             (unsigned long long)size);
        return 0;
    }
    if (memcmp(img, "\177ELF", 4) != 0) {
        klog("multiboot guest: the kernel is not ELF and its multiboot header has no a.out "
             "kludge (flag 16)");
        return 0;
    }
    if (img[4] != 1 && img[4] != 2) {
        klog("multiboot guest: bad ELF class %u", img[4]);
        return 0;
    }
    is64 = img[4] == 2;
    lay = &elf_layout[is64];
    if (img[5] != 1) {
        klog("multiboot guest: the ELF kernel is not little-endian");
        return 0;
    }
    if (is64 && size < 64) {
        klog("multiboot guest: kernel truncated: %llu bytes is too short for an ELF64 header",
             (unsigned long long)size);
        return 0;
    }
    machine = rd16(img + 18);
    e_entry = elf_word(img + 24, is64);
    phoff = elf_word(img + lay->phoff, is64);
    phentsize = rd16(img + lay->phentsize);
    phnum = rd16(img + lay->phnum);
    *kind = is64 ? "ELF64" : "ELF32";
    if (machine != (is64 ? 62u : 3u)) {
        klog("multiboot guest: %s kernel for machine %u, not x86", *kind, machine);
        return 0;
    }
    if (phnum == 0) {
        klog("multiboot guest: the %s kernel has no program headers", *kind);
        return 0;
    }
    if (phentsize < (is64 ? 56u : 32u)) {
        klog("multiboot guest: bad ELF program header size %u", phentsize);
        return 0;
    }
    if (phoff > size || (uint64_t)phnum * phentsize > size - phoff) {
        klog("multiboot guest: kernel truncated: program headers [0x%llx, 0x%llx) beyond the "
             "file's %llu bytes", (unsigned long long)phoff,
             (unsigned long long)(phoff + (uint64_t)phnum * phentsize), (unsigned long long)size);
        return 0;
    }
    *entry = e_entry;
    for (i = 0; i < phnum; i++) {
        const uint8_t *ph = img + phoff + i * phentsize;
        uint64_t type = rd32(ph), off, vaddr, paddr, filesz, memsz;
        off = elf_word(ph + lay->p_offset, is64);
        vaddr = elf_word(ph + lay->p_offset + lay->p_step, is64);
        paddr = elf_word(ph + lay->p_offset + 2 * lay->p_step, is64);
        filesz = elf_word(ph + lay->p_offset + 3 * lay->p_step, is64);
        memsz = elf_word(ph + lay->p_offset + 4 * lay->p_step, is64);
        if (type != 1 /* PT_LOAD */ || memsz == 0)
            continue;
        if (filesz > memsz) {
            klog("multiboot guest: bad program header %llu: p_filesz 0x%llx > p_memsz 0x%llx",
                 (unsigned long long)i, (unsigned long long)filesz, (unsigned long long)memsz);
            return 0;
        }
        if (off > size || filesz > size - off) {
            klog("multiboot guest: kernel truncated: segment %u needs file bytes [0x%llx, 0x%llx) "
                 "of %llu", n, (unsigned long long)off, (unsigned long long)(off + filesz),
                 (unsigned long long)size);
            return 0;
        }
        if (n >= MB_SEG_MAX) {
            klog("multiboot guest: more than %u loadable segments", MB_SEG_MAX);
            return 0;
        }
        /* GRUB: an entry given as a virtual address inside a segment is
         * translated to the physical one. */
        if (e_entry >= vaddr && e_entry - vaddr < memsz)
            *entry = e_entry - vaddr + paddr;
        segs[n].paddr = paddr;
        segs[n].filesz = filesz;
        segs[n].memsz = memsz;
        segs[n].offset = off;
        n++;
    }
    if (n == 0)
        klog("multiboot guest: the %s kernel has no loadable segments", *kind);
    return n;
}

/* ---- the multiboot info --------------------------------------------------------------- */

static uint32_t kib_from(const struct loader_ctx *c, uint64_t at, uint64_t cap)
{
    unsigned i;
    for (i = 0; i < c->navail; i++) {
        if (c->avail[i].base <= at && at < c->avail[i].end) {
            uint64_t e = c->avail[i].end < cap ? c->avail[i].end : cap;
            uint64_t kib = (e - at) >> 10;
            return kib > 0xffffffffull ? 0xffffffffu : (uint32_t)kib;
        }
    }
    return 0;
}

void multiboot_mem_bounds(const struct loader_ctx *c, uint32_t *lower_kib, uint32_t *upper_kib)
{
    *lower_kib = kib_from(c, 0, 640 * 1024);
    *upper_kib = kib_from(c, LD_1MIB, ~0ull);
}

static bool build_info(struct loader_ctx *c, uint64_t after, const uint64_t *mods_start,
                       uint64_t *info_out)
{
    const struct boot_info *bi = c->bi;
    unsigned nmods = c->nmods, i, nmmap = 0;
    uint64_t size, strings, mmap_off, mods_off, str_off, base;
    uint32_t lower, upper;
    uint8_t *p;

    for (i = 0; i < c->nmap; i++)
        if (c->map[i].len)
            nmmap++;
    strings = strnlen(bi->mods[0].cmdline, BOOT_MODSTR_MAX - 1) + 1 + sizeof(MB1_LOADER_NAME);
    for (i = 1; i < nmods; i++)
        strings += strnlen(bi->mods[i].cmdline, BOOT_MODSTR_MAX - 1) + 1;
    mmap_off = MB1_INFO_SIZE;
    mods_off = mmap_off + (uint64_t)nmmap * 24;
    str_off = mods_off + (uint64_t)(nmods - 1) * 16;
    size = str_off + strings;

    if (!ld_place_low(c, "multiboot guest", "the multiboot info", MB1_INFO_LOW, MB1_INFO_LOW_LIMIT, after,
                      size, &base))
        return false;
    p = ld_dest_ptr(c, "the multiboot info", base, size);
    if (!p || !ld_take(c, base, size, "the multiboot info"))
        return false;
    memset(p, 0, size);

    multiboot_mem_bounds(c, &lower, &upper);
    wr32(p + 0, MB1_INFO_MEMORY | MB1_INFO_CMDLINE | MB1_INFO_MODS | MB1_INFO_MMAP |
                    MB1_INFO_LOADER_NAME);
    wr32(p + 4, lower);
    wr32(p + 8, upper);
    /* Memory map: every range, keel's region RESERVED. */
    {
        uint8_t *e = p + mmap_off;
        for (i = 0; i < c->nmap; i++) {
            if (!c->map[i].len)
                continue;
            wr32(e, 20);
            wr64(e + 4, c->map[i].base);
            wr64(e + 12, c->map[i].len);
            wr32(e + 20, c->map[i].type);
            e += 24;
        }
        wr32(p + 44, (uint32_t)(nmmap * 24));
        wr32(p + 48, (uint32_t)(base + mmap_off));
    }
    /* Strings: the kernel's command line, module strings, loader name. */
    {
        uint64_t s = str_off;
        size_t n = strnlen(bi->mods[0].cmdline, BOOT_MODSTR_MAX - 1);
        memcpy(p + s, bi->mods[0].cmdline, n);
        wr32(p + 16, (uint32_t)(base + s));
        s += n + 1;
        for (i = 1; i < nmods; i++) {
            uint8_t *m = p + mods_off + (i - 1) * 16;
            n = strnlen(bi->mods[i].cmdline, BOOT_MODSTR_MAX - 1);
            memcpy(p + s, bi->mods[i].cmdline, n);
            wr32(m + 0, (uint32_t)mods_start[i]);
            wr32(m + 4, (uint32_t)(mods_start[i] + c->size[i]));
            wr32(m + 8, (uint32_t)(base + s));
            s += n + 1;
        }
        wr32(p + 20, nmods - 1);
        wr32(p + 24, (uint32_t)(base + mods_off));
        memcpy(p + s, MB1_LOADER_NAME, sizeof(MB1_LOADER_NAME));
        wr32(p + 64, (uint32_t)(base + s));
    }
    *info_out = base;
    return true;
}

/* ---- the loader -------------------------------------------------------------------------- */

static bool load_kernel(struct loader_ctx *c, const uint8_t *img, const struct mb_seg *segs, unsigned nseg,
                        uint64_t e, uint64_t *kbase_out, uint64_t *kend_out)
{
    uint64_t kbase = ~0ull, kend = 0;
    char what[48];
    unsigned i;

    /* Check every destination before writing anything. */
    c->guard_from = 0;
    for (i = 0; i < nseg; i++) {
        ksnprintf(what, sizeof(what), "multiboot guest: segment %u", i);
        if (segs[i].paddr + segs[i].memsz > LD_4GIB) {
            klog("%s [0x%llx, 0x%llx) is above 4 GiB", what, (unsigned long long)segs[i].paddr,
                 (unsigned long long)(segs[i].paddr + segs[i].memsz));
            return false;
        }
        if (!ld_check_dest(c, what, segs[i].paddr, segs[i].memsz) ||
            !ld_dest_ptr(c, what, segs[i].paddr, segs[i].memsz))
            return false;
    }
    if (e >= LD_4GIB) {
        klog("multiboot guest: entry point 0x%llx is above 4 GiB", (unsigned long long)e);
        return false;
    }
    for (i = 0; i < nseg; i++) {
        uint8_t *d = guest_phys_ptr(c->g, segs[i].paddr, segs[i].memsz);
        memmove(d, img + segs[i].offset, segs[i].filesz);
        memset(d + segs[i].filesz, 0, segs[i].memsz - segs[i].filesz);
        if (segs[i].paddr < kbase)
            kbase = segs[i].paddr;
        if (segs[i].paddr + segs[i].memsz > kend)
            kend = segs[i].paddr + segs[i].memsz;
    }
    for (i = 0; i < nseg; i++)
        if (!ld_take(c, segs[i].paddr, segs[i].memsz, "the kernel"))
            return false;

    *kbase_out = kbase;
    *kend_out = kend;
    return true;
}

static bool load_modules(struct loader_ctx *c, uint64_t kend, uint64_t *mods_start, uint64_t *mend_out)
{
    uint64_t mend;
    char what[48];
    unsigned i;

    /* Passed-on modules: page-aligned after the kernel, like GRUB. */
    mods_start[0] = 0;
    mend = kend;
    for (i = 1; i < c->nmods; i++) {
        uint64_t sz = c->size[i], at;
        c->guard_from = i + 1;   /* its own staged copy may be overlapped: memmove */
        if (!ld_find_up(c, mend, sz, LD_PAGE, LD_4GIB, &at)) {
            klog("multiboot guest: no room for module %u (%llu bytes) below 4 GiB", i,
                 (unsigned long long)sz);
            return false;
        }
        if (sz) {
            uint8_t *d;
            ksnprintf(what, sizeof(what), "multiboot guest: module %u", i);
            d = ld_dest_ptr(c, what, at, sz);
            if (!d)
                return false;
            memmove(d, ld_module(c, i), sz);
            if (!ld_take(c, at, sz, "a module"))
                return false;
            mend = at + sz;
        }
        mods_start[i] = at;
    }
    c->guard_from = c->nmods;
    *mend_out = mend;
    return true;
}


bool mb_load(struct loader_ctx *c, const struct mb_version *ver, struct guest_entry *entry, struct mb_kernel *k,
             struct mb_placed *at)
{
    const uint8_t *img = ld_module(c, 0), *hdr;
    uint64_t size = c->size[0], hoff = 0, mods_start[BOOT_MAX_MODS], mend;

    hdr = ver->find_header(img, size, &hoff);
    if (!hdr) {
        klog("%s guest: module 0's %s header has a bad checksum", ver->name, ver->name);
        return false;
    }
    memset(k, 0, sizeof(*k));
    if (!ver->parse(c, img, size, hdr, hoff, k))
        return false;
    at->kbase = ~0ull;
    at->kend = 0;
    if (!load_kernel(c, img, k->segs, k->nseg, k->entry, &at->kbase, &at->kend) ||
        !load_modules(c, at->kend, mods_start, &mend) || !ver->build_info(c, mend, mods_start, &at->info))
        return false;
    entry->rip = k->entry;
    entry->rax = ver->magic;
    entry->rbx = at->info;
    entry->kind = ver->name;
    return true;
}

/* The v1 header's flags (Multiboot 3.1.2): the a.out kludge's addresses,
 * or the ELF program headers. */
static bool parse_kernel(const struct loader_ctx *c, const uint8_t *img, uint64_t size, const uint8_t *hdr,
                         uint64_t hoff, struct mb_kernel *k)
{
    uint32_t flags = rd32(hdr + 4);
    (void)c;
    if (flags & 0xffffu & ~MB1_F_SUPPORTED) {
        klog("multiboot guest: the kernel requires unsupported multiboot features (flags 0x%x)",
             flags);
        return false;
    }
    if (flags & MB1_F_AOUT) {
        k->kind = "a.out kludge";
        k->nseg = parse_aout(img, size, hoff, &k->segs[0], &k->entry) ? 1 : 0;
    } else {
        k->nseg = mb_parse_elf(img, size, k->segs, &k->entry, &k->kind);
    }
    return k->nseg != 0;
}

static const struct mb_version mb1 = {
    "multiboot", multiboot_find_header, parse_kernel, build_info, MB1_BOOT_MAGIC,
};

bool multiboot_guest_load(struct loader_ctx *c, struct guest_entry *entry)
{
    struct mb_kernel k;
    struct mb_placed at;

    if (!mb_load(c, &mb1, entry, &k, &at))
        return false;
    klog("guest: multiboot %s kernel at [0x%llx, 0x%llx), entry 0x%llx, info at 0x%llx, "
         "%u module(s), cmdline \"%s\"", k.kind, (unsigned long long)at.kbase,
         (unsigned long long)at.kend, (unsigned long long)k.entry, (unsigned long long)at.info,
         c->nmods - 1, c->bi->mods[0].cmdline);
    return true;
}
