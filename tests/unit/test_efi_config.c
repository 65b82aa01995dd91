/* Unit tests: the guest's EFI configuration table, its ACPI entries naming
 * keel's RSDP copy (vmm/efi_config.c): validation of the system table
 * before anything is written, and the change confined to those entries. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "vmm/efi_config.h"
#include "lib/string.h"

/* Fake physical memory: [MEM_BASE, MEM_BASE + 4 pages). */
#define MEM_BASE 0x7000000ull
#define MEM_LEN 0x4000ull
static uint8_t mem[MEM_LEN] __attribute__((aligned(4096)));

static const uint8_t *rd(void *ctx, uint64_t pa, uint64_t len)
{
    (void)ctx;
    if (pa < MEM_BASE || pa + len > MEM_BASE + MEM_LEN || pa + len < pa)
        return NULL;
    return mem + (pa - MEM_BASE);
}

static const uint8_t other_guid[16] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                        0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10 };
#define SYSTAB (MEM_BASE + 0x18)
#define TABLE (MEM_BASE + 0xc98)

static void put64(uint64_t pa, uint64_t v) { memcpy(mem + (pa - MEM_BASE), &v, 8); }
static uint64_t get64(const uint8_t *buf, uint64_t off) { uint64_t v; memcpy(&v, buf + off, 8); return v; }

static void entry(uint64_t table, unsigned i, const uint8_t *guid, uint64_t vendor)
{
    memcpy(mem + (table - MEM_BASE) + i * 24, guid, 16);
    put64(table + i * 24 + 16, vendor);
}

/* An OVMF-like table: 4 entries, ACPI 1.0 and 2.0 among them. */
static void build(uint64_t table, uint64_t n)
{
    uint32_t hs = 120;
    memset(mem, 0x5a, sizeof(mem));
    memcpy(mem + (SYSTAB - MEM_BASE), "IBI SYST", 8);
    memcpy(mem + (SYSTAB - MEM_BASE) + 12, &hs, 4);
    put64(SYSTAB + 104, n);
    put64(SYSTAB + 112, table);
    entry(table, 0, other_guid, 0x1111);
    entry(table, 1, efi_acpi10_guid, 0xfb7e000);
    entry(table, 2, efi_acpi20_guid, 0xfb7e014);
    entry(table, 3, other_guid, 0x2222);
}

static void test_retarget_only_acpi_entries(void **state)
{
    struct efi_config_view v;
    uint8_t copy[2 * 4096];
    (void)state;
    build(TABLE, 4);
    assert_null(efi_config_check(SYSTAB, rd, NULL, 0x8000000, 0x8200000, &v));
    assert_int_equal(v.table, TABLE);
    assert_int_equal(v.entries, 4);
    assert_int_equal(v.page, MEM_BASE);
    assert_int_equal(v.npages, 1);
    assert_int_equal(v.nacpi, 2);
    memcpy(copy, mem, 4096);
    assert_int_equal(efi_config_retarget(&v, copy, 0xe407000), 2);
    assert_int_equal(get64(copy, 0xc98 + 1 * 24 + 16), 0xe407000);
    assert_int_equal(get64(copy, 0xc98 + 2 * 24 + 16), 0xe407000);
    /* Every other byte of the page is the firmware's, the system table included. */
    put64(TABLE + 1 * 24 + 16, 0xe407000);
    put64(TABLE + 2 * 24 + 16, 0xe407000);
    assert_memory_equal(copy, mem, 4096);
}

static void test_table_across_a_page(void **state)
{
    struct efi_config_view v;
    uint8_t copy[2 * 4096];
    (void)state;
    build(MEM_BASE + 0x1000 - 48, 4);       /* two entries in each page */
    assert_null(efi_config_check(SYSTAB, rd, NULL, 0, 0, &v));
    assert_int_equal(v.page, MEM_BASE);
    assert_int_equal(v.npages, 2);
    memcpy(copy, mem, sizeof(copy));
    assert_int_equal(efi_config_retarget(&v, copy, 0xe407000), 2);
    assert_int_equal(get64(copy, 0x1000 - 48 + 1 * 24 + 16), 0xe407000);
    assert_int_equal(get64(copy, 0x1000 - 48 + 2 * 24 + 16), 0xe407000);
    assert_int_equal(get64(copy, 0x1000 - 48 + 3 * 24 + 16), 0x2222);
}

/* Each malformation is refused with its reason, before anything is written. */
static void test_malformed(void **state)
{
    struct efi_config_view v;
    uint32_t small = 96;
    (void)state;

    build(TABLE, 4);
    assert_string_equal(efi_config_check(SYSTAB + 4, rd, NULL, 0, 0, &v), "is not 8-byte aligned");
    assert_string_equal(efi_config_check(0x100000000ull, rd, NULL, 0, 0, &v), "is not in memory keel can read");
    assert_string_equal(efi_config_check(MEM_BASE + MEM_LEN - 64, rd, NULL, 0, 0, &v),
                        "is not in memory keel can read");
    assert_string_equal(efi_config_check(SYSTAB, rd, NULL, MEM_BASE, MEM_BASE + 0x1000, &v), "lies in keel's region");
    assert_string_equal(efi_config_check(SYSTAB, rd, NULL, TABLE + 24, TABLE + 25, &v),
                        "has its configuration table in keel's region");

    memcpy(mem + (SYSTAB - MEM_BASE), "IBI SYSX", 8);
    assert_string_equal(efi_config_check(SYSTAB, rd, NULL, 0, 0, &v), "has no EFI system table signature");
    build(TABLE, 4);
    memcpy(mem + (SYSTAB - MEM_BASE) + 12, &small, 4);
    assert_string_equal(efi_config_check(SYSTAB, rd, NULL, 0, 0, &v),
                        "has a header too short for a 64-bit system table");

    build(TABLE, 0);
    assert_string_equal(efi_config_check(SYSTAB, rd, NULL, 0, 0, &v), "lists no configuration table or more than 1024");
    build(TABLE, 1025);
    assert_string_equal(efi_config_check(SYSTAB, rd, NULL, 0, 0, &v), "lists no configuration table or more than 1024");
    build(TABLE, 0xffffffffffffffffull);
    assert_string_equal(efi_config_check(SYSTAB, rd, NULL, 0, 0, &v), "lists no configuration table or more than 1024");

    build(TABLE, 4);
    put64(SYSTAB + 112, 0);
    assert_string_equal(efi_config_check(SYSTAB, rd, NULL, 0, 0, &v),
                        "has a configuration table pointer that is 0 or not 8-byte aligned");
    put64(SYSTAB + 112, TABLE + 4);
    assert_string_equal(efi_config_check(SYSTAB, rd, NULL, 0, 0, &v),
                        "has a configuration table pointer that is 0 or not 8-byte aligned");
    put64(SYSTAB + 112, 0xfffffffffffffff8ull);
    assert_string_equal(efi_config_check(SYSTAB, rd, NULL, 0, 0, &v), "has a configuration table keel cannot read");
    put64(SYSTAB + 104, 1000);      /* 24000 bytes from TABLE: past the end of mem */
    put64(SYSTAB + 112, TABLE);
    assert_string_equal(efi_config_check(SYSTAB, rd, NULL, 0, 0, &v), "has a configuration table keel cannot read");
    put64(SYSTAB + 104, 300);       /* 7200 bytes from 0xc98: three pages */
    assert_string_equal(efi_config_check(SYSTAB, rd, NULL, 0, 0, &v),
                        "has a configuration table spanning more than 2 pages");

    build(TABLE, 4);
    entry(TABLE, 1, other_guid, 1);
    entry(TABLE, 2, other_guid, 2);
    assert_string_equal(efi_config_check(SYSTAB, rd, NULL, 0, 0, &v), "has no ACPI entry in its configuration table");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retarget_only_acpi_entries),
        cmocka_unit_test(test_table_across_a_page),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
