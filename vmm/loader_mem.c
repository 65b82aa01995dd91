/* Guest-memory bookkeeping every format loader uses (docs/loaders.md): the
 * guest's memory map, available RAM, what was placed so far, checked
 * destinations, and the staging of the boot modules. The dispatcher
 * (vmm/loader.c) sets a context up with ld_init(); the format loaders
 * (vmm/multiboot_guest.c, multiboot2_guest.c, linux_guest.c) place through
 * the ld_* helpers; none of these call back into the dispatcher. */
#include "vmm/loader_mem.h"
#include "lib/string.h"
#include "lib/log.h"

/* ---- the guest's memory map -------------------------------------------------- */

static void map_add(struct loader_ctx *c, uint64_t base, uint64_t end, uint32_t type)
{
    if (end <= base || c->nmap >= LD_MAX_MAP)
        return;
    c->map[c->nmap].base = base;
    c->map[c->nmap].len = end - base;
    c->map[c->nmap].type = type;
    c->nmap++;
}

static void build_map(struct loader_ctx *c)
{
    const struct guest_layout *g = c->g;
    struct mem_range in[BOOT_MAX_MMAP + 4];
    unsigned n = g->nmap < BOOT_MAX_MMAP + 4 ? g->nmap : BOOT_MAX_MMAP + 4;
    unsigned i, j;
    uint64_t kb = g->keel_base, ke = g->keel_end;

    memcpy(in, g->map, n * sizeof(in[0]));
    for (i = 1; i < n; i++) {                  /* insertion sort by base */
        struct mem_range t = in[i];
        for (j = i; j > 0 && in[j - 1].base > t.base; j--)
            in[j] = in[j - 1];
        in[j] = t;
    }
    c->nmap = 0;
    for (i = 0; i < n; i++) {
        uint64_t b = in[i].base, e = in[i].base + in[i].len;
        if (e < b)
            e = ~0ull;                         /* clamp a wrapping entry */
        if (ke > kb && ld_overlap(b, e, kb, ke)) {
            map_add(c, b, kb, in[i].type);
            map_add(c, b > kb ? b : kb, e < ke ? e : ke, MEM_RESERVED);
            map_add(c, ke, e, in[i].type);
        } else {
            map_add(c, b, e, in[i].type);
        }
    }
    /* Merge adjacent available ranges, keel's region already excluded. */
    c->navail = 0;
    for (i = 0; i < c->nmap; i++) {
        uint64_t b = c->map[i].base, e = b + c->map[i].len;
        if (c->map[i].type != MEM_AVAILABLE)
            continue;
        if (c->navail && c->avail[c->navail - 1].end == b) {
            c->avail[c->navail - 1].end = e;
            continue;
        }
        c->avail[c->navail].base = b;
        c->avail[c->navail].end = e;
        c->avail[c->navail].what = "RAM";
        c->navail++;
    }
}

/* ---- free-space bookkeeping ----------------------------------------------------- */

bool ld_is_ram(const struct loader_ctx *c, uint64_t base, uint64_t len)
{
    uint64_t end = base + (len ? len : 1);
    unsigned i;
    if (end < base)
        return false;
    for (i = 0; i < c->navail; i++)
        if (c->avail[i].base <= base && end <= c->avail[i].end)
            return true;
    return false;
}

static uint64_t staged_end(const struct loader_ctx *c, unsigned i)
{
    return c->staged[i] + ld_align_up(c->size[i], LD_PAGE);
}

/* EFI boot-services memory (efi_bs_overlap, boot/bootinfo.h) is guest RAM,
 * but tables the guest's OS still reads may live there. Placements keel is
 * free to choose (ld_find_up/down) avoid it when they can; fixed ones (a
 * kernel's link address) may use it. */
static const struct ld_range *bs_conflict(const struct loader_ctx *c, uint64_t base, uint64_t end,
                                          struct ld_range *tmp)
{
    uint32_t off = 0;
    if (!efi_bs_overlap(c->bi, &off, base, end, &tmp->base, &tmp->end))
        return NULL;
    tmp->what = "EFI boot-services memory";
    return tmp;
}

/* The first thing [base, end) collides with (taken or guarded staging;
 * with soft, also EFI boot-services memory). */
static const struct ld_range *conflict_ex(const struct loader_ctx *c, uint64_t base, uint64_t end,
                                          struct ld_range *tmp, bool soft)
{
    unsigned i;
    for (i = 0; i < c->ntaken; i++)
        if (ld_overlap(base, end, c->taken[i].base, c->taken[i].end))
            return &c->taken[i];
    for (i = c->guard_from; i < c->nmods; i++) {
        if (c->size[i] && ld_overlap(base, end, c->staged[i], staged_end(c, i))) {
            tmp->base = c->staged[i];
            tmp->end = staged_end(c, i);
            tmp->what = "the staged boot modules";
            return tmp;
        }
    }
    return soft ? bs_conflict(c, base, end, tmp) : NULL;
}

static const struct ld_range *conflict(const struct loader_ctx *c, uint64_t base, uint64_t end,
                                       struct ld_range *tmp)
{
    return conflict_ex(c, base, end, tmp, false);
}

bool ld_is_free(const struct loader_ctx *c, uint64_t base, uint64_t len)
{
    struct ld_range tmp;
    if (!ld_is_ram(c, base, len))
        return false;
    return conflict(c, base, base + (len ? len : 1), &tmp) == NULL;
}

static bool find_up(const struct loader_ctx *c, uint64_t from, uint64_t len, uint64_t align,
                    uint64_t limit, uint64_t *out, bool soft)
{
    uint64_t a = ld_align_up(from, align);
    struct ld_range tmp;
    if (len == 0)
        len = 1;
    for (;;) {
        const struct ld_range *r = NULL, *x;
        unsigned i;
        if (a < from || a + len < a || a + len > limit)
            return false;
        for (i = 0; i < c->navail; i++)
            if (c->avail[i].base <= a && a < c->avail[i].end) {
                r = &c->avail[i];
                break;
            }
        if (!r || a + len > r->end) {
            /* Go to the next available range above a. */
            uint64_t next = ~0ull;
            for (i = 0; i < c->navail; i++)
                if (c->avail[i].base > a && c->avail[i].base < next)
                    next = c->avail[i].base;
            if (next == ~0ull)
                return false;
            a = ld_align_up(next, align);
            continue;
        }
        x = conflict_ex(c, a, a + len, &tmp, soft);
        if (!x) {
            *out = a;
            return true;
        }
        a = ld_align_up(x->end, align);
    }
}

bool ld_find_up(const struct loader_ctx *c, uint64_t from, uint64_t len, uint64_t align,
                uint64_t limit, uint64_t *out)
{
    return find_up(c, from, len, align, limit, out, true) || find_up(c, from, len, align, limit, out, false);
}

static bool find_down(const struct loader_ctx *c, uint64_t floor, uint64_t len, uint64_t align,
                      uint64_t limit, uint64_t *out, bool soft)
{
    int i;
    struct ld_range tmp;
    if (len == 0)
        len = 1;
    for (i = (int)c->navail - 1; i >= 0; i--) {
        uint64_t lo = c->avail[i].base > floor ? c->avail[i].base : floor;
        uint64_t top = c->avail[i].end < limit ? c->avail[i].end : limit;
        uint64_t a;
        if (top < lo || top - lo < len)
            continue;
        a = ld_align_down(top - len, align);
        while (a >= lo) {
            const struct ld_range *x = conflict_ex(c, a, a + len, &tmp, soft);
            if (!x) {
                *out = a;
                return true;
            }
            if (x->base < lo + len)
                break;
            a = ld_align_down(x->base - len, align);
        }
    }
    return false;
}

bool ld_find_down(const struct loader_ctx *c, uint64_t floor, uint64_t len, uint64_t align,
                  uint64_t limit, uint64_t *out)
{
    return find_down(c, floor, len, align, limit, out, true) ||
           find_down(c, floor, len, align, limit, out, false);
}

bool ld_place_low(const struct loader_ctx *c, const char *who, const char *what, uint64_t low,
                  uint64_t low_limit, uint64_t after, uint64_t size, uint64_t *base)
{
    if (ld_is_free(c, low, size) && low + size <= low_limit) {
        *base = low;
        return true;
    }
    if (ld_find_up(c, after, size, LD_PAGE, LD_4GIB, base))
        return true;
    klog("%s: no room for %s (%llu bytes) below 4 GiB", who, what, (unsigned long long)size);
    return false;
}

bool ld_take(struct loader_ctx *c, uint64_t base, uint64_t len, const char *what)
{
    if (len == 0)
        return true;
    if (c->ntaken >= LD_MAX_TAKEN) {
        klog("guest loader: too many regions to place (%s)", what);
        return false;
    }
    c->taken[c->ntaken].base = base;
    c->taken[c->ntaken].end = base + len;
    c->taken[c->ntaken].what = what;
    c->ntaken++;
    return true;
}

bool ld_check_dest(const struct loader_ctx *c, const char *what, uint64_t base, uint64_t len)
{
    const struct guest_layout *g = c->g;
    uint64_t end = base + len;
    const struct ld_range *x;
    struct ld_range tmp;
    if (len == 0)
        return true;
    if (end < base) {
        klog("%s [0x%llx, +0x%llx) wraps around the address space", what,
             (unsigned long long)base, (unsigned long long)len);
        return false;
    }
    if (g->keel_end > g->keel_base && ld_overlap(base, end, g->keel_base, g->keel_end)) {
        klog("%s [0x%llx, 0x%llx) overlaps keel's region [0x%llx, 0x%llx)", what,
             (unsigned long long)base, (unsigned long long)end,
             (unsigned long long)g->keel_base, (unsigned long long)g->keel_end);
        return false;
    }
    if (!ld_is_ram(c, base, len)) {
        klog("%s [0x%llx, 0x%llx) is outside guest RAM", what, (unsigned long long)base,
             (unsigned long long)end);
        return false;
    }
    x = conflict(c, base, end, &tmp);
    if (x) {
        klog("%s [0x%llx, 0x%llx) overlaps %s [0x%llx, 0x%llx)", what, (unsigned long long)base,
             (unsigned long long)end, x->what, (unsigned long long)x->base,
             (unsigned long long)x->end);
        return false;
    }
    return true;
}

void *ld_dest_ptr(const struct loader_ctx *c, const char *what, uint64_t base, uint64_t len)
{
    const struct guest_layout *g = c->g;
    void *p = guest_phys_ptr(g, base, len ? len : 1);
    if (p)
        return p;
    if (g->keel_end > g->keel_base && ld_overlap(base, base + len, g->keel_base, g->keel_end))
        klog("%s [0x%llx, 0x%llx) overlaps keel's region [0x%llx, 0x%llx)", what,
             (unsigned long long)base, (unsigned long long)(base + len),
             (unsigned long long)g->keel_base, (unsigned long long)g->keel_end);
    else
        klog("%s [0x%llx, 0x%llx) is outside guest RAM", what, (unsigned long long)base,
             (unsigned long long)(base + len));
    return NULL;
}

const uint8_t *ld_module(const struct loader_ctx *c, unsigned i)
{
    if (i >= c->nmods || c->size[i] == 0)
        return NULL;
    return guest_phys_ptr(c->g, c->staged[i], c->size[i]);
}

/* ---- staging ------------------------------------------------------------------------ */

static bool stage_modules(struct loader_ctx *c)
{
    const struct boot_info *bi = c->bi;
    const struct guest_layout *g = c->g;
    uint64_t cur = ld_align_up(g->scratch_base, LD_PAGE);
    unsigned i, j;

    c->nmods = bi->nmods < BOOT_MAX_MODS ? bi->nmods : BOOT_MAX_MODS;
    for (i = 0; i < c->nmods; i++) {
        const struct boot_module *m = &bi->mods[i];
        uint64_t size = m->end - m->start;
        void *src, *dst;
        if (m->end < m->start) {
            klog("module %u has a bad range [0x%llx, 0x%llx)", i, (unsigned long long)m->start,
                 (unsigned long long)m->end);
            return false;
        }
        c->size[i] = size;
        c->staged[i] = cur;
        if (size == 0)
            continue;
        if (cur + size < cur || cur + size > g->scratch_end) {
            klog("the boot modules do not fit in the staging area [0x%llx, 0x%llx)",
                 (unsigned long long)g->scratch_base, (unsigned long long)g->scratch_end);
            return false;
        }
        for (j = i + 1; j < c->nmods; j++) {
            if (ld_overlap(cur, cur + size, bi->mods[j].start, bi->mods[j].end)) {
                klog("staging module %u at [0x%llx, 0x%llx) would overwrite module %u at "
                     "[0x%llx, 0x%llx)", i, (unsigned long long)cur,
                     (unsigned long long)(cur + size), j, (unsigned long long)bi->mods[j].start,
                     (unsigned long long)bi->mods[j].end);
                return false;
            }
        }
        src = guest_phys_ptr(g, m->start, size);
        if (!src) {
            klog("module %u [0x%llx, 0x%llx) is not in guest RAM", i,
                 (unsigned long long)m->start, (unsigned long long)m->end);
            return false;
        }
        dst = guest_phys_ptr(g, cur, size);
        if (!dst) {
            klog("the staging area [0x%llx, 0x%llx) is not guest RAM",
                 (unsigned long long)cur, (unsigned long long)(cur + size));
            return false;
        }
        memmove(dst, src, size);
        cur = ld_align_up(cur + size, LD_PAGE);
    }
    return true;
}

bool ld_init(struct loader_ctx *c, const struct boot_info *bi, const struct guest_layout *g)
{
    memset(c, 0, sizeof(*c));
    c->bi = bi;
    c->g = g;
    build_map(c);
    if (!stage_modules(c))
        return false;
    c->guard_from = 0;
    return true;
}
