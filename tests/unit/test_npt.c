/* Unit tests: the shared nested-paging builder (identity map minus keel's
 * region, 4 KiB fallback where a 2 MiB leaf is refused, on-demand mapping). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "vmm/npt.h"
#include "lib/palloc.h"

#define REGION_BASE 0x40000000ull     /* where the fake allocator's pages "are" */
#define MIB (1ull << 20)

static uint8_t *mem;

static uint64_t t_entry(uint64_t pa) { return pa | 0x7; }
/* Refuse 2 MiB leaves in the first 2 MiB (like mixed MTRR types). */
static uint64_t l_entry(uint64_t pa, int level)
{
    if (level == 2 && pa < 2 * MIB)
        return 0;
    return pa | 0x7 | (level == 2 ? 0x80 : 0);
}
static const struct npt_format fmt = { t_entry, l_entry };

/* Walk the tables: the leaf entry for gpa, its level, or 0 if not mapped. */
static uint64_t lookup(uint64_t root, uint64_t gpa, int *level)
{
    uint64_t *t = palloc_ptr(root);
    int l;
    for (l = 4; l >= 1; l--) {
        uint64_t e = t[(gpa >> (12 + 9 * (l - 1))) & 511];
        if (!(e & 7))
            return 0;
        if (l == 1 || (e & 0x80)) {
            *level = l;
            return e;
        }
        t = palloc_ptr(e & 0x000FFFFFFFFFF000ull);
    }
    return 0;
}

static int setup(void **state)
{
    (void)state;
    mem = aligned_alloc(4096, 8 * MIB);
    palloc_set_view(mem);
    palloc_init(REGION_BASE, 8 * MIB, 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    palloc_set_view(NULL);
    free(mem);
    return 0;
}

static void test_identity_minus_hole(void **state)
{
    (void)state;
    /* 256 MiB of "RAM"; keel's region [0xee00000, 0xffe0000) is a hole. */
    static struct npt n;
    uint64_t root = npt_build(&n, &fmt, 0x100000000ull, 0xee00000, 0xffe0000);
    int level = 0;
    assert_true(root != 0);
    assert_int_equal(lookup(root, 0x9000, &level) & ~0xfffull, 0x9000);   /* split: 4 KiB */
    assert_int_equal(level, 1);
    assert_int_equal(lookup(root, 0x400123, &level) & ~0xfffull, 0x400000);
    assert_int_equal(level, 2);
    assert_int_equal(lookup(root, 0xee00000, &level), 0);                   /* keel's region */
    assert_int_equal(lookup(root, 0xffdf000, &level), 0);
    assert_int_equal(lookup(root, 0xffe0000, &level) & ~0xfffull, 0xffe0000); /* ACPI tables after it */
    assert_int_equal(level, 1);
    assert_int_equal(lookup(root, 0xfee00000, &level) & ~0xfffull, 0xfee00000); /* LAPIC MMIO */
    assert_int_equal(lookup(root, 0x100000000ull, &level), 0);              /* above the map */
    assert_true(n.pages > 6);
    /* On demand: a 64-bit BAR above RAM. */
    assert_true(npt_map_on_demand(&n, 0x800001234ull));
    assert_int_equal(lookup(root, 0x800001234ull, &level) & ~0xfffull, 0x800000000ull);
    assert_int_equal(level, 2);
    assert_int_equal(lookup(root, 0x800200000ull, &level), 0);              /* only that 2 MiB */
}

/* One 4 KiB page changed inside a 2 MiB leaf: split into 512 pages that
 * keep the identity map, the page itself unmapped or backed elsewhere. */
static void test_set_page(void **state)
{
    int level = 0;
    uint64_t root;
    static struct npt n;
    (void)state;
    root = npt_build(&n, &fmt, 0x100000000ull, 0xee00000, 0xffe0000);
    assert_true(root != 0);
    assert_int_equal(lookup(root, 0xfed90000, &level) & ~0xfffull, 0xfed80000 & ~0x1fffffull);
    assert_int_equal(level, 2);
    assert_true(npt_set_page(&n, 0xfed90000, NPT_UNMAPPED));               /* an IOMMU's registers */
    assert_int_equal(lookup(root, 0xfed90123, &level), 0);
    assert_int_equal(lookup(root, 0xfed8f000, &level) & ~0xfffull, 0xfed8f000);
    assert_int_equal(level, 1);
    assert_int_equal(lookup(root, 0xfed91000, &level) & ~0xfffull, 0xfed91000);
    assert_int_equal(lookup(root, 0xfec00000, &level) & ~0xfffull, 0xfec00000);  /* first of the split block */
    /* A page already 4 KiB (the first 2 MiB are split by l_entry) backed elsewhere. */
    assert_true(npt_set_page(&n, 0xf5000, 0xffdb000));
    assert_int_equal(lookup(root, 0xf59d0, &level) & ~0xfffull, 0xffdb000);
    assert_int_equal(lookup(root, 0xf6000, &level) & ~0xfffull, 0xf6000);
    /* Out of table memory for the split: refused, nothing changed. */
    while (palloc_page())
        ;
    assert_false(npt_set_page(&n, 0x40000000, NPT_UNMAPPED));
    assert_int_equal(lookup(root, 0x40000000, &level) & ~0xfffull, 0x40000000);
}

static void test_out_of_memory(void **state)
{
    (void)state;
    palloc_init(REGION_BASE, 4 * 4096, 0);                                   /* 4 pages only */
    static struct npt n;
    assert_int_equal(npt_build(&n, &fmt, 0x100000000ull, 0xee00000, 0xffe0000), 0);
}

/* The LAPIC page taken out of the map while a CPU waits for its SIPI, and put
 * back: the 2 MiB leaf is split, its neighbours stay mapped 1:1. */
static void test_set_present(void **state)
{
    static struct npt n;
    uint64_t root = npt_build(&n, &fmt, 0x100000000ull, 0xee00000, 0xffe0000);
    int level = 0;
    (void)state;
    assert_true(root != 0);
    assert_int_equal(lookup(root, 0xfee00000, &level) & ~0xfffull, 0xfee00000);
    assert_int_equal(level, 2);
    assert_true(npt_set_page(&n, 0xfee00300, NPT_UNMAPPED));
    assert_int_equal(lookup(root, 0xfee00000, &level), 0);
    assert_int_equal(lookup(root, 0xfee01000, &level) & ~0xfffull, 0xfee01000);
    assert_int_equal(level, 1);
    assert_int_equal(lookup(root, 0xfedff000, &level) & ~0x1fffffull, 0xfec00000); /* other 2 MiB untouched */
    assert_int_equal(level, 2);
    assert_true(npt_set_page(&n, 0xfee00000, 0xfee00000));
    assert_int_equal(lookup(root, 0xfee00000, &level) & ~0xfffull, 0xfee00000);
    assert_int_equal(level, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_identity_minus_hole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_present, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
