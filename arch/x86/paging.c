/* keel's page tables. The image is linked in the -2 GiB window; at boot it
 * runs on the boot loader's copy at 1 MiB (boot/entry.asm's early tables),
 * then moves itself to its region at the top of RAM: guests own RAM from
 * 1 MiB upward. W^X: text RX, rodata R, data RW+NX (SDM Vol 3 4.5). */
#include "arch/x86/paging.h"
#include "arch/x86/cpu.h"
#include "boot/layout.h"
#include "lib/palloc.h"
#include "lib/string.h"

extern char __image_start[], __image_end[], __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[];

/* Implemented in arch/x86/relocate.S: copy len bytes from src to the
 * physical destination (through the identity map), load cr3, return. */
void relocate_and_switch(uint64_t dst_phys, const void *src, uint64_t len, uint64_t cr3);

static uint64_t image_phys = KEEL_LOAD_PHYS + 0x0;  /* updated by paging_relocate */
static bool image_moved;
static bool have_nx;
static uint64_t keel_pml4;      /* the one address space every CPU of keel runs in */

bool cpu_has_nx(void)
{
    return have_nx;
}

uint64_t keel_image_size(void)
{
    return (uint64_t)(__image_end - __image_start);
}

uint64_t keel_image_phys(void)
{
    if (!image_moved)
        return (uint64_t)__image_start - KEEL_VBASE;
    return image_phys;
}

uint64_t virt_to_phys(const void *p)
{
    uint64_t v = (uint64_t)p;
    if (v >= (uint64_t)__image_start && v < (uint64_t)__image_end)
        return keel_image_phys() + (v - (uint64_t)__image_start);
    return v; /* identity-mapped */
}

static uint64_t *table_at(uint64_t phys)
{
    return (uint64_t *)(uintptr_t)phys;
}

static uint64_t *next_level(uint64_t *table, unsigned idx)
{
    if (!(table[idx] & PTE_P)) {
        uint64_t page = palloc_page();
        if (!page)
            return 0;
        table[idx] = page | PTE_P | PTE_W;
    }
    return table_at(table[idx] & PTE_ADDR_MASK);
}

static void map_4k(uint64_t pml4, uint64_t va, uint64_t pa, uint64_t flags)
{
    uint64_t *t = table_at(pml4);
    t = next_level(t, (va >> 39) & 511);
    t = next_level(t, (va >> 30) & 511);
    t = next_level(t, (va >> 21) & 511);
    t[(va >> 12) & 511] = (pa & PTE_ADDR_MASK) | flags | PTE_P;
}

void paging_relocate(uint64_t region_base, uint64_t identity_end)
{
    struct cpuid_regs r;
    uint64_t nx, pml4, va, pdpt = 0;
    uint64_t gib;

    cpuid_count(0x80000001, 0, &r);
    have_nx = (r.edx >> 20) & 1;
    nx = have_nx ? PTE_NX : 0;

    pml4 = palloc_page();

    /* Identity map, 2 MiB pages, data only. */
    if (identity_end < 0x100000000ull)
        identity_end = 0x100000000ull;
    for (gib = 0; gib < (identity_end + (1ull << 30) - 1) >> 30; gib++) {
        uint64_t pd = palloc_page(), i;
        if ((gib & 511) == 0) {
            pdpt = palloc_page();
            table_at(pml4)[gib >> 9] = pdpt | PTE_P | PTE_W;
        }
        table_at(pdpt)[gib & 511] = pd | PTE_P | PTE_W;
        for (i = 0; i < 512; i++)
            table_at(pd)[i] = ((gib << 30) + (i << 21)) | PTE_P | PTE_W | PTE_PS | nx;
    }

    /* The image, 4 KiB pages with per-section rights. */
    for (va = (uint64_t)__image_start; va < (uint64_t)__image_end; va += PAGE_SIZE) {
        uint64_t pa = region_base + (va - (uint64_t)__image_start), flags;
        if (va >= (uint64_t)__text_start && va < (uint64_t)__text_end)
            flags = 0;                         /* RX */
        else if (va >= (uint64_t)__rodata_start && va < (uint64_t)__rodata_end)
            flags = nx;                        /* R */
        else
            flags = PTE_W | nx;                /* RW */
        map_4k(pml4, va, pa, flags | PTE_G);
    }

    image_phys = region_base;
    image_moved = true;
    keel_pml4 = pml4;
    /* From here until the switch nothing may write keel's data: the copy
     * is taken inside relocate_and_switch, with interrupts off. */
    relocate_and_switch(region_base, __image_start, keel_image_size(), pml4);
}

/* Per-CPU stacks live in their own window of the -2 GiB space, 4 KiB pages
 * with an unmapped guard page below each, so an overflow faults instead of
 * overwriting the neighbour (the #DF then runs on the IST stack). */
#define STACK_WINDOW 0xFFFFFFFFF0000000ull
static uint64_t stack_window_next = STACK_WINDOW;

uint64_t paging_map_stack(uint64_t bytes)
{
    uint64_t pages = (bytes + PAGE_SIZE - 1) / PAGE_SIZE, i, base;
    base = stack_window_next + PAGE_SIZE;           /* guard page at stack_window_next */
    for (i = 0; i < pages; i++) {
        uint64_t pa = palloc_page();
        if (!pa)
            return 0;
        memset(palloc_ptr(pa), 0, PAGE_SIZE);
        map_4k(keel_pml4, base + i * PAGE_SIZE, pa, PTE_W | (have_nx ? PTE_NX : 0) | PTE_G);
    }
    stack_window_next = base + pages * PAGE_SIZE;
    return base;
}

uint64_t paging_keel_cr3(void)
{
    return keel_pml4;
}
