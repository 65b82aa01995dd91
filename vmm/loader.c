/* Guest loading: format detection and the dispatch to the format loaders
 * (docs/loaders.md). The guest-memory bookkeeping they share is
 * vmm/loader_mem.c.
 *
 * guest_load() order, so that nothing is overwritten before it was read:
 *   1. stage every module in g->scratch_base..scratch_end (GRUB may have put
 *      modules where the guest kernel loads);
 *   2. the format loader loads the kernel from the staged copy of module 0;
 *   3. it places the passed-on modules (multiboot) or the initrd (Linux);
 *   4. it builds the boot structures (multiboot info / zero page).
 * Every destination is checked (RAM, keel's region, staged data still
 * needed, what was placed before) and then obtained through
 * guest_phys_ptr() before a byte is written. */
#include "vmm/loader.h"
#include "vmm/multiboot_guest.h"
#include "vmm/multiboot2_guest.h"
#include "vmm/linux_guest.h"
#include "lib/string.h"
#include "lib/log.h"

static struct loader_ctx ctx;   /* static: keel has no heap, and the stack is small */

bool guest_present(const struct boot_info *bi)
{
    return bi && bi->nmods > 0;
}

enum guest_format guest_detect(const void *image, uint64_t size)
{
    const uint8_t *img = image;
    uint64_t off;
    unsigned i;
    if (!img || size == 0)
        return GUEST_FMT_NONE;
    if (linux_is_bzimage(img, size))
        return GUEST_FMT_LINUX;
    if (multiboot2_find_header(img, size, &off))
        return GUEST_FMT_MULTIBOOT2;
    if (multiboot_find_header(img, size, &off))
        return GUEST_FMT_MULTIBOOT;
    /* A multiboot magic with a bad checksum is still meant as multiboot:
     * let the multiboot loader say what is wrong with it. */
    for (i = 0; (uint64_t)i + 12 <= size && i < 8192; i += 4) {
        uint32_t m;
        memcpy(&m, img + i, 4);
        if (m == 0x1BADB002u)
            return GUEST_FMT_MULTIBOOT;
    }
    for (i = 0; (uint64_t)i + 16 <= size && i < MB2_SEARCH; i += 8) {
        uint32_t m;
        memcpy(&m, img + i, 4);
        if (m == MB2_HEADER_MAGIC)
            return GUEST_FMT_MULTIBOOT2;
    }
    return GUEST_FMT_UNKNOWN;
}

/* ---- entry point ---------------------------------------------------------------------- */

bool guest_load(const struct boot_info *bi, const struct guest_layout *g, struct guest_entry *entry)
{
    struct loader_ctx *c = &ctx;
    const uint8_t *img;
    enum guest_format fmt;

    if (!guest_present(bi)) {
        klog("no guest given");
        return false;
    }
    memset(entry, 0, sizeof(*entry));
    if (!ld_init(c, bi, g))
        return false;

    img = ld_module(c, 0);
    fmt = guest_detect(img, c->size[0]);
    switch (fmt) {
    case GUEST_FMT_LINUX:
        return linux_guest_load(c, entry);
    case GUEST_FMT_MULTIBOOT:
        return multiboot_guest_load(c, entry);
    case GUEST_FMT_MULTIBOOT2:
        return multiboot2_guest_load(c, entry);
    case GUEST_FMT_NONE:
        klog("module 0 (\"%s\") is empty: no guest kernel", bi->mods[0].cmdline);
        return false;
    default:
        klog("module 0 (\"%s\") is neither a multiboot kernel nor a Linux bzImage",
             bi->mods[0].cmdline);
        return false;
    }
}
