/* Unit tests: the EFI memory map a guest gets, keel's region carved out
 * (vmm/efi_map.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "vmm/efi_map.h"
#include "lib/string.h"

#define DS 48u

static void desc(uint8_t *m, unsigned i, uint32_t type, uint64_t start, uint64_t pages, uint64_t attr)
{
    uint8_t *d = m + i * DS;
    uint64_t virt = 0x1234000;
    memset(d, 0xee, DS);                 /* stride padding is copied verbatim */
    memcpy(d, &type, 4);
    memcpy(d + 8, &start, 8);
    memcpy(d + 16, &virt, 8);
    memcpy(d + 24, &pages, 8);
    memcpy(d + 32, &attr, 8);
}

static void get(const uint8_t *m, unsigned i, uint32_t *type, uint64_t *start, uint64_t *pages, uint64_t *attr)
{
    const uint8_t *d = m + i * DS;
    memcpy(type, d, 4);
    memcpy(start, d + 8, 8);
    memcpy(pages, d + 24, 8);
    memcpy(attr, d + 32, 8);
}

/* keel's region [16M, 20M) inside one conventional descriptor [8M, 64M):
 * before / reserved / after; other descriptors untouched. */
static void test_carve_middle(void **state)
{
    (void)state;
    uint8_t in[3 * DS], out[5 * DS];
    uint32_t t;
    uint64_t s, p, a;
    desc(in, 0, EFI_BS_DATA, 0, 0xa0, 0xf);
    desc(in, 1, EFI_CONVENTIONAL, 0x800000, 0x3800, 0xf);
    desc(in, 2, EFI_RT_DATA, 0x4000000, 0x10, 0xf | EFI_MEMORY_RUNTIME);
    assert_int_equal(efi_map_carve(in, sizeof(in), DS, 0x1000000, 0x1400000, out, sizeof(out)), 5 * DS);
    assert_memory_equal(out, in, DS);
    get(out, 1, &t, &s, &p, &a);
    assert_int_equal(t, EFI_CONVENTIONAL); assert_int_equal(s, 0x800000); assert_int_equal(p, 0x800);
    get(out, 2, &t, &s, &p, &a);
    assert_int_equal(t, EFI_RESERVED); assert_int_equal(s, 0x1000000); assert_int_equal(p, 0x400);
    assert_int_equal(a, 0xf);
    get(out, 3, &t, &s, &p, &a);
    assert_int_equal(t, EFI_CONVENTIONAL); assert_int_equal(s, 0x1400000); assert_int_equal(p, 0x2c00);
    assert_int_equal(out[3 * DS + 44], 0xee);
    assert_memory_equal(out + 4 * DS, in + 2 * DS, DS);     /* runtime region unchanged */
}

/* The region spans two descriptors and ends one exactly: no empty parts. */
static void test_carve_span(void **state)
{
    (void)state;
    uint8_t in[2 * DS], out[4 * DS];
    uint32_t t;
    uint64_t s, p, a;
    desc(in, 0, EFI_CONVENTIONAL, 0x100000, 0x100, 0);     /* 1M-2M */
    desc(in, 1, EFI_LOADER_DATA, 0x200000, 0x200, 0);      /* 2M-4M */
    assert_int_equal(efi_map_carve(in, sizeof(in), DS, 0x180000, 0x400000, out, sizeof(out)), 3 * DS);
    get(out, 0, &t, &s, &p, &a);
    assert_int_equal(t, EFI_CONVENTIONAL); assert_int_equal(p, 0x80);
    get(out, 1, &t, &s, &p, &a);
    assert_int_equal(t, EFI_RESERVED); assert_int_equal(s, 0x180000); assert_int_equal(p, 0x80);
    get(out, 2, &t, &s, &p, &a);
    assert_int_equal(t, EFI_RESERVED); assert_int_equal(s, 0x200000); assert_int_equal(p, 0x200);
}

/* Too small an output, a bad descriptor size, an empty region. */
static void test_carve_errors(void **state)
{
    (void)state;
    uint8_t in[DS], out[3 * DS];
    desc(in, 0, EFI_CONVENTIONAL, 0x100000, 0x1000, 0);
    assert_int_equal(efi_map_carve(in, DS, DS, 0x200000, 0x300000, out, 2 * DS), 0);
    assert_int_equal(efi_map_carve(in, DS, DS, 0x200000, 0x300000, out, 3 * DS), 3 * DS);
    assert_int_equal(efi_map_carve(in, DS, 32, 0x200000, 0x300000, out, sizeof(out)), 0);
    assert_int_equal(efi_map_carve(in, DS, DS, 0, 0, out, DS), DS);
    assert_memory_equal(out, in, DS);
    assert_int_equal(efi_map_carved_max(10 * DS, DS, 1), 12 * DS);
}

/* Several ranges (keel's region reserved, the ACPI copy above it ACPI
 * reclaim) in one RAM descriptor; a runtime descriptor under a carve range
 * is never split. */
static void test_carve_ranges(void **state)
{
    (void)state;
    uint8_t in[2 * DS], out[6 * DS];
    const struct efi_carve cv[3] = { { 0x1000000, 0x1400000, EFI_RESERVED },
                                     { 0x1400000, 0x1500000, EFI_ACPI_RECLAIM },
                                     { 0x4000000, 0x4010000, EFI_RESERVED } };
    uint32_t t;
    uint64_t s, p, a;
    desc(in, 0, EFI_CONVENTIONAL, 0x800000, 0x3800, 0xf);
    desc(in, 1, EFI_RT_CODE, 0x4000000, 0x10, 0xf | EFI_MEMORY_RUNTIME);
    assert_int_equal(efi_map_carve_ranges(in, sizeof(in), DS, cv, 3, out, sizeof(out)), 5 * DS);
    get(out, 0, &t, &s, &p, &a);
    assert_int_equal(t, EFI_CONVENTIONAL); assert_int_equal(s, 0x800000); assert_int_equal(p, 0x800);
    get(out, 1, &t, &s, &p, &a);
    assert_int_equal(t, EFI_RESERVED); assert_int_equal(s, 0x1000000); assert_int_equal(p, 0x400);
    get(out, 2, &t, &s, &p, &a);
    assert_int_equal(t, EFI_ACPI_RECLAIM); assert_int_equal(s, 0x1400000); assert_int_equal(p, 0x100);
    get(out, 3, &t, &s, &p, &a);
    assert_int_equal(t, EFI_CONVENTIONAL); assert_int_equal(s, 0x1500000); assert_int_equal(p, 0x2b00);
    assert_memory_equal(out + 4 * DS, in + DS, DS);
    assert_int_equal(efi_map_carved_max(sizeof(in), DS, 3), 8 * DS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_carve_middle),
        cmocka_unit_test(test_carve_span),
        cmocka_unit_test(test_carve_errors),
        cmocka_unit_test(test_carve_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
