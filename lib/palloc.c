#include "lib/palloc.h"
#include "lib/bitmap.h"
#include "lib/string.h"

#define MAX_PAGES (64u << 20 >> 12)     /* up to a 64 MiB region */

static uint8_t used[MAX_PAGES / 8];
static uint64_t region_base;
static size_t region_pages;
static size_t free_pages;
static uint8_t *view;                   /* NULL: identity */

void palloc_set_view(uint8_t *view_of_base)
{
    view = view_of_base;
}

void *palloc_ptr(uint64_t phys)
{
    if (view)
        return view + (phys - region_base);
    return (void *)(uintptr_t)phys;
}

void palloc_init(uint64_t base, uint64_t size, uint64_t used_prefix)
{
    size_t i, pre = (size_t)((used_prefix + PAGE_SIZE - 1) / PAGE_SIZE);
    region_base = base;
    region_pages = (size_t)(size / PAGE_SIZE);
    if (region_pages > MAX_PAGES)
        region_pages = MAX_PAGES;
    memset(used, 0, sizeof(used));
    for (i = 0; i < pre && i < region_pages; i++)
        bitmap_set(used, i);
    free_pages = region_pages - (pre < region_pages ? pre : region_pages);
}

uint64_t palloc_pages(size_t n, uint64_t align)
{
    size_t step = (size_t)(align / PAGE_SIZE), i, j;
    if (n == 0 || step == 0)
        return 0;
    /* First fit from the first aligned page. */
    i = (size_t)(((region_base + align - 1) & ~(align - 1)) - region_base) / PAGE_SIZE;
    for (; i + n <= region_pages; i += step) {
        for (j = 0; j < n && !bitmap_test(used, i + j); j++)
            ;
        if (j == n) {
            uint64_t phys = region_base + i * PAGE_SIZE;
            for (j = 0; j < n; j++)
                bitmap_set(used, i + j);
            free_pages -= n;
            memset(palloc_ptr(phys), 0, n * PAGE_SIZE);
            return phys;
        }
    }
    return 0;
}

void palloc_free(uint64_t addr, size_t n)
{
    size_t i = (size_t)((addr - region_base) / PAGE_SIZE), j;
    for (j = 0; j < n && i + j < region_pages; j++) {
        if (bitmap_test(used, i + j)) {
            bitmap_clear(used, i + j);
            free_pages++;
        }
    }
}

uint64_t palloc_free_bytes(void)
{
    return free_pages * PAGE_SIZE;
}

uint64_t palloc_total_bytes(void)
{
    return region_pages * PAGE_SIZE;
}
