/* Linux bzImage guest loader: x86 boot protocol >= 2.10, 32-bit entry
 * (Documentation/arch/x86/boot.rst "32-bit boot protocol"). Loads the
 * protected-mode kernel at pref_address or another suitably aligned free
 * address, places the initrd (module 1, optional) as high as initrd_addr_max allows,
 * builds the zero page with an e820 table from keel's guest map. Entry:
 * EIP = load address, ESI = zero page, EBP = EDI = EBX = 0. */
#include "lib/bytes.h"
#include "vmm/loader_mem.h"
#include "vmm/linux_guest.h"
#include "vmm/efi_map.h"
#include "lib/string.h"
#include "lib/log.h"


bool linux_is_bzimage(const uint8_t *img, uint64_t size)
{
    return img && size >= LH_HEADER + 4 && memcmp(img + LH_HEADER, "HdrS", 4) == 0;
}

/* Where the protected-mode kernel goes: [*at, *at + need). */
static bool place_kernel(struct loader_ctx *c, const uint8_t *h, uint64_t need, uint64_t *at)
{
    uint64_t pref = rd64(h + LH_PREF_ADDRESS), align = rd32(h + LH_KERNEL_ALIGNMENT);
    uint64_t minalign, limit = c->g->ram_top_below_4g ? c->g->ram_top_below_4g : LD_4GIB;
    bool reloc = h[LH_RELOCATABLE] != 0;
    unsigned ma = h[LH_MIN_ALIGNMENT];

    if (pref == 0)
        pref = LINUX_DEFAULT_LOAD;
    if (ld_is_free(c, pref, need) && pref + need <= LD_4GIB) {
        *at = pref;
        return true;
    }
    if (!reloc) {
        klog("linux guest: the kernel is not relocatable and RAM at its load address "
             "[0x%llx, 0x%llx) is not free", (unsigned long long)pref,
             (unsigned long long)(pref + need));
        return false;
    }
    if (align == 0 || (align & (align - 1)))
        align = 0x200000;
    minalign = ma >= 12 && ma < 32 ? 1ull << ma : align;
    if (minalign > align)
        minalign = align;
    if (ld_find_up(c, LD_1MIB, need, align, limit, at) ||
        ld_find_up(c, LD_1MIB, need, minalign, limit, at))
        return true;
    klog("linux guest: the kernel needs %llu KiB of free RAM (init_size) below 0x%llx, "
         "aligned to 0x%llx: too large for the RAM left", (unsigned long long)(need >> 10),
         (unsigned long long)limit, (unsigned long long)minalign);
    return false;
}

_Static_assert(LD_MAX_MAP <= ZP_E820_MAX, "the guest map always fits the zero page's e820 table");

static unsigned build_e820(const struct loader_ctx *c, uint8_t *zp)
{
    unsigned i, n = 0;
    for (i = 0; i < c->nmap; i++) {
        uint8_t *e = zp + ZP_E820_TABLE + n * 20;
        if (!c->map[i].len)
            continue;
        wr64(e, c->map[i].base);
        wr64(e + 8, c->map[i].len);
        wr32(e + 16, c->map[i].type);
        n++;
    }
    zp[ZP_E820_ENTRIES] = (uint8_t)n;
    return n;
}

/* A low fixed address if free, else anywhere free below 4 GiB. */
static bool place_low(struct loader_ctx *c, uint64_t pref, uint64_t len, uint64_t *at)
{
    if (ld_is_free(c, pref, len)) {
        *at = pref;
        return true;
    }
    return ld_find_up(c, LD_PAGE, len, LD_PAGE, LD_4GIB, at);
}

/* When keel was booted through 64-bit EFI: boot_params.efi_info with the
 * firmware's system table and its memory map, keel's region and the ACPI
 * copy carved out as in the e820. Linux
 * then has EFI runtime services (their memory is reserved in every map keel
 * gives, and identity-mapped in nested paging) and /sys/firmware/efi. Boot
 * services are gone: GRUB called ExitBootServices() before keel ran. */
static bool give_efi(struct loader_ctx *c, uint8_t *zp)
{
    const struct boot_info *bi = c->bi;
    struct efi_carve cv[LD_MAX_MAP];
    unsigned ncv;
    uint64_t max, at;
    size_t n;
    uint8_t *dst;

    if (!bi->efi_systab || !bi->efi_mmap_len)
        return true;
    if (!bi->efi_systab64) {
        klog("linux guest: keel was booted by 32-bit EFI; a 64-bit kernel cannot use it: no EFI for the guest");
        return true;
    }
    ncv = efi_carves_from_map(c, cv, LD_MAX_MAP);
    max = efi_map_carved_max(bi->efi_mmap_len, bi->efi_desc_size, ncv);
    if (!ld_find_up(c, LINUX_EFI_MAP_LOW, max, LD_PAGE, LINUX_EFI_MAP_LOW_LIMIT, &at) &&
        !ld_find_up(c, LD_PAGE, max, LD_PAGE, LD_4GIB, &at)) {
        klog("linux guest: no free RAM for the EFI memory map (%llu bytes)", (unsigned long long)max);
        return false;
    }
    dst = ld_dest_ptr(c, "linux guest: EFI memory map", at, max);
    if (!dst)
        return false;
    n = efi_map_carve_ranges(bi->efi_mmap, bi->efi_mmap_len, bi->efi_desc_size, cv, ncv, dst, max);
    if (!n || !ld_take(c, at, n, "the EFI memory map")) {
        klog("linux guest: the EFI memory map could not be rebuilt");
        return false;
    }
    memcpy(zp + ZP_EFI_LOADER_SIGNATURE, "EL64", 4);
    wr32(zp + ZP_EFI_SYSTAB, (uint32_t)bi->efi_systab);
    wr32(zp + ZP_EFI_SYSTAB_HI, (uint32_t)(bi->efi_systab >> 32));
    wr32(zp + ZP_EFI_MEMDESC_SIZE, bi->efi_desc_size);
    wr32(zp + ZP_EFI_MEMDESC_VERSION, bi->efi_desc_version);
    wr32(zp + ZP_EFI_MEMMAP, (uint32_t)at);
    wr32(zp + ZP_EFI_MEMMAP_HI, (uint32_t)(at >> 32));
    wr32(zp + ZP_EFI_MEMMAP_SIZE, (uint32_t)n);
    klog("guest: EFI for linux: system table 0x%llx, memory map %u descriptors at 0x%llx (keel's region "
         "reserved in it)", (unsigned long long)bi->efi_systab, (unsigned)(n / bi->efi_desc_size),
         (unsigned long long)at);
    return true;
}

static bool place_initrd(struct loader_ctx *c, const uint8_t *h, uint64_t *out)
{
    uint64_t initrd_max = rd32(h + LH_INITRD_ADDR_MAX), rd_limit, rd_at;
    uint8_t *dst;

    rd_limit = initrd_max ? initrd_max + 1 : 0x38000000ull;
    if (c->g->ram_top_below_4g && c->g->ram_top_below_4g < rd_limit)
        rd_limit = c->g->ram_top_below_4g;
    if (!ld_find_down(c, LD_1MIB, c->size[1], LD_PAGE, rd_limit, &rd_at)) {
        klog("linux guest: the initrd (%llu KiB) does not fit in free RAM below 0x%llx",
             (unsigned long long)(c->size[1] >> 10), (unsigned long long)rd_limit);
        return false;
    }
    dst = ld_dest_ptr(c, "linux guest: initrd", rd_at, c->size[1]);
    if (!dst)
        return false;
    memmove(dst, ld_module(c, 1), c->size[1]);
    if (!ld_take(c, rd_at, c->size[1], "the initrd"))
        return false;
    *out = rd_at;
    return true;
}

bool linux_guest_load(struct loader_ctx *c, struct guest_entry *entry)
{
    const struct boot_info *bi = c->bi;
    const uint8_t *img = ld_module(c, 0);
    uint64_t size = c->size[0], setup_size, pm_size, need, load, rd_at, zp_at, cl_at;
    uint64_t hdr_end, sys, rd_size = 0;
    bool has_rd;
    static uint8_t h[0x1000];   /* the first 4 KiB (setup header), kept before the image moves */
    uint8_t *zp, *dst;
    const char *cmdline = bi->mods[0].cmdline;
    size_t cmdlen = strnlen(cmdline, BOOT_MODSTR_MAX - 1);
    unsigned setup_sects, version, n, i;
    uint32_t cmdline_max, upper;

    memset(h, 0, sizeof(h));
    memcpy(h, img, size < sizeof(h) ? size : sizeof(h));
    version = rd16(h + LH_VERSION);
    if (version < LINUX_MIN_VERSION) {
        klog("linux guest: boot protocol %u.%02u is too old (keel needs 2.10 or later)",
             version >> 8, version & 0xff);
        return false;
    }
    if (size < LH_MIN_IMAGE || rd16(h + LH_BOOT_FLAG) != 0xAA55) {
        klog("linux guest: corrupt bzImage: %s",
             size < LH_MIN_IMAGE ? "truncated setup header" : "no 0xAA55 boot flag");
        return false;
    }
    if (!(h[LH_LOADFLAGS] & LF_LOADED_HIGH)) {
        klog("linux guest: not a bzImage (zImage loaded low is not supported)");
        return false;
    }
    setup_sects = h[LH_SETUP_SECTS] ? h[LH_SETUP_SECTS] : 4;
    setup_size = ((uint64_t)setup_sects + 1) * 512;
    sys = (uint64_t)rd32(h + LH_SYSSIZE) * 16;
    if (setup_size >= size || sys > size - setup_size + 15) {
        klog("linux guest: corrupt bzImage: truncated (%llu bytes, setup %llu, kernel %llu)",
             (unsigned long long)size, (unsigned long long)setup_size, (unsigned long long)sys);
        return false;
    }
    pm_size = size - setup_size;
    need = rd32(h + LH_INIT_SIZE);
    if (need < pm_size)
        need = pm_size;
    need = ld_align_up(need, LD_PAGE);
    cmdline_max = rd32(h + LH_CMDLINE_SIZE);
    if (cmdlen > cmdline_max) {
        klog("linux guest: command line too long (%llu bytes, the kernel takes %u)",
             (unsigned long long)cmdlen, cmdline_max);
        return false;
    }
    /* The initrd is optional (boot protocol: ramdisk_image/ramdisk_size 0
     * = none): a kernel with its root on a disk, or a memory tester, needs
     * none. A module 1 that is there must be usable. */
    has_rd = c->nmods >= 2;
    if (has_rd && c->size[1] == 0) {
        klog("linux guest: module 1 (the initrd) is empty; leave it out to boot without an initrd");
        return false;
    }

    /* 1. the protected-mode kernel; the staged initrd must survive it. */
    c->guard_from = 1;
    if (!place_kernel(c, h, need, &load))
        return false;
    if (!ld_check_dest(c, "linux guest: kernel", load, need))
        return false;
    dst = ld_dest_ptr(c, "linux guest: kernel", load, need);
    if (!dst)
        return false;
    memmove(dst, img + setup_size, pm_size);
    img = NULL;   /* the staged image may be overwritten from here on */
    if (!ld_take(c, load, need, "the kernel"))
        return false;

    /* 2. the initrd: page-aligned, as high as possible. */
    c->guard_from = c->nmods;
    rd_at = 0;
    if (has_rd && !place_initrd(c, h, &rd_at))
        return false;
    if (has_rd)
        rd_size = c->size[1];
    if (c->nmods > 2)
        klog("linux guest: modules after the initrd are ignored (%u)", c->nmods - 2);

    /* 3. zero page and command line. */
    if (!place_low(c, LINUX_ZERO_PAGE, ZP_SIZE, &zp_at) || !ld_take(c, zp_at, ZP_SIZE, "the zero page") ||
        !place_low(c, LINUX_CMDLINE, cmdlen + 1, &cl_at)) {
        klog("linux guest: no free RAM for the zero page and command line");
        return false;
    }
    zp = ld_dest_ptr(c, "linux guest: zero page", zp_at, ZP_SIZE);
    dst = ld_dest_ptr(c, "linux guest: command line", cl_at, cmdlen + 1);
    if (!zp || !dst || !ld_take(c, cl_at, cmdlen + 1, "the command line"))
        return false;
    memcpy(dst, cmdline, cmdlen);
    dst[cmdlen] = 0;

    memset(zp, 0, ZP_SIZE);
    hdr_end = LH_HEADER + (uint64_t)h[LH_JUMP + 1];
    if (hdr_end > sizeof(h))
        hdr_end = sizeof(h);
    memcpy(zp + LH_SETUP_SECTS, h + LH_SETUP_SECTS, hdr_end - LH_SETUP_SECTS);
    wr16(zp + LH_VID_MODE, 0xffff);                 /* "normal" */
    zp[LH_TYPE_OF_LOADER] = 0xff;                   /* undefined boot loader */
    zp[LH_LOADFLAGS] = (uint8_t)((h[LH_LOADFLAGS] | LF_CAN_USE_HEAP) & ~0x40u);
    wr32(zp + LH_CODE32_START, (uint32_t)load);
    wr32(zp + LH_RAMDISK_IMAGE, (uint32_t)rd_at);
    wr32(zp + LH_RAMDISK_SIZE, (uint32_t)rd_size);
    wr16(zp + LH_HEAP_END_PTR, LINUX_HEAP_END);
    wr32(zp + LH_CMD_LINE_PTR, (uint32_t)cl_at);
    wr32(zp + LH_HW_SUBARCH, 0);                    /* normal PC */
    wr64(zp + LH_SETUP_DATA, 0);
    if (version >= 0x020e)
        wr64(zp + ZP_ACPI_RSDP_ADDR, c->g->rsdp_phys);
    if (!give_efi(c, zp))
        return false;
    /* screen_info stays zero: no VGA text mode (serial console). */
    n = build_e820(c, zp);
    upper = 0;
    for (i = 0; i < c->navail; i++)
        if (c->avail[i].base <= LD_1MIB && LD_1MIB < c->avail[i].end)
            upper = (uint32_t)((c->avail[i].end - LD_1MIB) >> 10);
    wr32(zp + ZP_ALT_MEM_K, upper);

    entry->rip = load;
    entry->rsi = zp_at;
    entry->rax = entry->rbx = entry->rcx = entry->rdx = 0;
    entry->rdi = entry->rbp = entry->rsp = 0;
    entry->kind = "linux";
    if (has_rd)
        klog("guest: linux bzImage (protocol %u.%02u) at [0x%llx, 0x%llx), initrd [0x%llx, 0x%llx), "
             "zero page 0x%llx, %u e820 entries, cmdline \"%s\"", version >> 8, version & 0xff,
             (unsigned long long)load, (unsigned long long)(load + need), (unsigned long long)rd_at,
             (unsigned long long)(rd_at + rd_size), (unsigned long long)zp_at, n, cmdline);
    else
        klog("guest: linux bzImage (protocol %u.%02u) at [0x%llx, 0x%llx), no initrd, "
             "zero page 0x%llx, %u e820 entries, cmdline \"%s\"", version >> 8, version & 0xff,
             (unsigned long long)load, (unsigned long long)(load + need), (unsigned long long)zp_at, n, cmdline);
    return true;
}
