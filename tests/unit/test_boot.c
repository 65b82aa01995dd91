/* Unit tests: multiboot v1/v2 info parsing (well-formed and malformed) and
 * keel's placement at the top of RAM. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "boot/mbinfo.h"
#include "boot/placement.h"
#include "boot/layout.h"
#include "lib/string.h"
#include "log_capture.h"

/* Fake physical memory: 1 MiB at physical 0. */
static uint8_t phys[1 << 20];

static const void *reader(uint64_t addr, size_t len)
{
    if (addr == 0 || addr + len > sizeof(phys) || addr + len < addr)
        return NULL;
    return phys + addr;
}

static void put32(uint64_t a, uint32_t v) { memcpy(phys + a, &v, 4); }
static void put64(uint64_t a, uint64_t v) { memcpy(phys + a, &v, 8); }
static void putstr(uint64_t a, const char *s) { memcpy(phys + a, s, strlen(s) + 1); }

/* v1 info at 0x1000: mem, cmdline, mods (2), mmap (4 entries), loader. */
static void build_v1(uint32_t flags)
{
    memset(phys, 0, sizeof(phys));
    put32(0x1000, flags);
    put32(0x1004, 639);
    put32(0x1008, 261120);
    put32(0x1010, 0x2000);                  /* cmdline */
    putstr(0x2000, "/keel.elf console=com1 help");
    put32(0x1014, 2);                       /* mods_count */
    put32(0x1018, 0x3000);                  /* mods_addr */
    put32(0x3000, 0x200000); put32(0x3004, 0x210000); put32(0x3008, 0x3100);
    put32(0x3010, 0x210000); put32(0x3014, 0x211000); put32(0x3018, 0x3200);
    putstr(0x3100, "guest.elf arg1 arg2");
    putstr(0x3200, "initrd");
    put32(0x102c, 4 * 24);                  /* mmap_length */
    put32(0x1030, 0x4000);                  /* mmap_addr */
    {
        static const uint64_t e[4][3] = { { 0x100000, 0xfee0000, 1 }, { 0, 0x9fc00, 1 },
                                          { 0x9fc00, 0x400, 2 }, { 0xffe0000, 0x20000, 2 } };
        int i;
        for (i = 0; i < 4; i++) {      /* deliberately unsorted */
            put32(0x4000 + i * 24, 20);
            put64(0x4004 + i * 24, e[i][0]);
            put64(0x400c + i * 24, e[i][1]);
            put32(0x4014 + i * 24, (uint32_t)e[i][2]);
        }
    }
    put32(0x1040, 0x5000);                  /* boot_loader_name */
    putstr(0x5000, "GRUB 2.06");
}

static void test_v1_full(void **state)
{
    (void)state;
    struct boot_info bi;
    build_v1(0x1 | 0x4 | 0x8 | 0x40 | 0x200);
    capture_start();
    assert_null(mbinfo_parse(MB1_BOOT_MAGIC, 0x1000, reader, &bi));
    assert_int_equal(bi.mb_version, 1);
    assert_string_equal(bi.cmdline, "/keel.elf console=com1 help");
    assert_string_equal(bi.loader_name, "GRUB 2.06");
    assert_int_equal(bi.mem_upper_kib, 261120);
    assert_int_equal(bi.nmods, 2);
    assert_int_equal(bi.mods[0].start, 0x200000);
    assert_string_equal(bi.mods[0].cmdline, "guest.elf arg1 arg2");
    assert_string_equal(bi.mods[1].cmdline, "initrd");
    assert_int_equal(bi.nmmap, 4);
    assert_int_equal(bi.mmap[0].base, 0);                   /* sorted */
    assert_int_equal(bi.mmap[1].type, MEM_RESERVED);
    assert_int_equal(bi.mmap[2].base, 0x100000);
    assert_null(mbinfo_validate(&bi));
}

static void test_v1_no_mmap_uses_bounds(void **state)
{
    (void)state;
    struct boot_info bi;
    build_v1(0x1);
    capture_start();
    assert_null(mbinfo_parse(MB1_BOOT_MAGIC, 0x1000, reader, &bi));
    assert_true(log_has("no memory map"));
    assert_int_equal(bi.nmmap, 2);
    assert_int_equal(bi.mmap[1].base, 0x100000);
    assert_int_equal(bi.mmap[1].len, 261120ull << 10);
}

static void test_v1_no_memory_at_all(void **state)
{
    (void)state;
    struct boot_info bi;
    build_v1(0x4);
    assert_string_equal(mbinfo_parse(MB1_BOOT_MAGIC, 0x1000, reader, &bi),
                        "no memory map and no memory bounds from the boot loader");
}

static void test_bad_magic_and_unreadable(void **state)
{
    (void)state;
    struct boot_info bi;
    const char *err = mbinfo_parse(0x12345678, 0x1000, reader, &bi);
    assert_non_null(err);
    assert_non_null(strstr(err, "not booted by a multiboot loader"));
    assert_non_null(mbinfo_parse(MB1_BOOT_MAGIC, 0x7fffffff, reader, &bi));
    assert_non_null(mbinfo_parse(MB2_BOOT_MAGIC, 0x7fffffff, reader, &bi));
}

static void test_v1_malformed_mmap(void **state)
{
    (void)state;
    struct boot_info bi;
    build_v1(0x40);
    put32(0x4000, 4);                       /* entry size < 20 */
    assert_non_null(strstr(mbinfo_parse(MB1_BOOT_MAGIC, 0x1000, reader, &bi), "malformed"));
    build_v1(0x8 | 0x40);
    put32(0x1014, 100000);
    assert_non_null(strstr(mbinfo_parse(MB1_BOOT_MAGIC, 0x1000, reader, &bi), "absurd module count"));
}

static void test_validate_modules(void **state)
{
    (void)state;
    struct boot_info bi;
    build_v1(0x8 | 0x40);
    put32(0x3010, 0x20f000);                /* module 1 overlaps module 0 */
    assert_null(mbinfo_parse(MB1_BOOT_MAGIC, 0x1000, reader, &bi));
    assert_non_null(strstr(mbinfo_validate(&bi), "modules 0 and 1 overlap"));
    build_v1(0x8 | 0x40);
    put32(0x3010, 0x20000000); put32(0x3014, 0x20001000);   /* outside RAM */
    assert_null(mbinfo_parse(MB1_BOOT_MAGIC, 0x1000, reader, &bi));
    assert_non_null(strstr(mbinfo_validate(&bi), "module 1 ('initrd') at [0x20000000, 0x20001000) is outside RAM"));
    build_v1(0x8 | 0x40);
    put32(0x3014, 0x200000);                /* ends before it starts */
    assert_null(mbinfo_parse(MB1_BOOT_MAGIC, 0x1000, reader, &bi));
    assert_non_null(strstr(mbinfo_validate(&bi), "ends before it starts"));
}

/* v2: tags at 0x8000. */
static uint64_t tag;
static void tag_begin(uint32_t type, uint32_t size)
{
    put32(tag, type);
    put32(tag + 4, size);
}
static void tag_next(uint32_t size)
{
    tag += (size + 7) & ~7u;
}

static void build_v2(void)
{
    memset(phys, 0, sizeof(phys));
    tag = 0x8008;
    tag_begin(1, 8 + 14); putstr(tag + 8, "msr.dump help"); tag_next(8 + 14);
    tag_begin(2, 8 + 6); putstr(tag + 8, "GRUB2"); tag_next(8 + 6);
    tag_begin(3, 16 + 10); put32(tag + 8, 0x300000); put32(tag + 12, 0x301000); putstr(tag + 16, "suite.elf"); tag_next(16 + 10);
    tag_begin(4, 16); put32(tag + 8, 639); put32(tag + 12, 1000); tag_next(16);
    tag_begin(6, 16 + 2 * 24); put32(tag + 8, 24); put32(tag + 12, 0);
    put64(tag + 16, 0x100000); put64(tag + 24, 0x7f00000); put32(tag + 32, 1);
    put64(tag + 40, 0); put64(tag + 48, 0x9fc00); put32(tag + 56, 1);
    tag_next(16 + 48);
    tag_begin(14, 8 + 20); memcpy(phys + tag + 8, "RSD PTR ", 8); tag_next(28);
    tag_begin(0, 8); tag_next(8);
    put32(0x8000, (uint32_t)(tag - 0x8000));
}

static void test_v2_full(void **state)
{
    (void)state;
    struct boot_info bi;
    build_v2();
    assert_null(mbinfo_parse(MB2_BOOT_MAGIC, 0x8000, reader, &bi));
    assert_int_equal(bi.mb_version, 2);
    assert_string_equal(bi.cmdline, "msr.dump help");
    assert_string_equal(bi.loader_name, "GRUB2");
    assert_int_equal(bi.nmods, 1);
    assert_string_equal(bi.mods[0].cmdline, "suite.elf");
    assert_int_equal(bi.mods[0].end, 0x301000);
    assert_int_equal(bi.nmmap, 2);
    assert_int_equal(bi.mmap[0].base, 0);
    assert_int_equal(bi.rsdp_len, 20);
    assert_memory_equal(bi.rsdp, "RSD PTR ", 8);
    assert_int_equal(bi.mem_upper_kib, 1000);
}

static void test_v2_malformed(void **state)
{
    (void)state;
    struct boot_info bi;
    build_v2();
    put32(0x8000, 8);                                           /* total_size too small */
    assert_non_null(strstr(mbinfo_parse(MB2_BOOT_MAGIC, 0x8000, reader, &bi), "impossible total_size"));
    build_v2();
    put32(0x800c, 0x10000);                                     /* first tag runs past the end */
    assert_non_null(strstr(mbinfo_parse(MB2_BOOT_MAGIC, 0x8000, reader, &bi), "runs past the end"));
    build_v2();
    put32(0x800c, 4);                                           /* tag size < 8 */
    assert_non_null(mbinfo_parse(MB2_BOOT_MAGIC, 0x8000, reader, &bi));
}

/* Placement: a QEMU-like map, 256 MiB. */
static void qemu_map(struct boot_info *bi)
{
    memset(bi, 0, sizeof(*bi));
    bi->mmap[0] = (struct mem_range){ 0, 0x9fc00, MEM_AVAILABLE };
    bi->mmap[1] = (struct mem_range){ 0x100000, 0xfee0000, MEM_AVAILABLE };
    bi->mmap[2] = (struct mem_range){ 0xffe0000, 0x20000, MEM_RESERVED };
    bi->nmmap = 3;
    bi->info_phys = 0x9000;
    bi->info_end = 0x9400;
}

static void test_place_top_of_ram(void **state)
{
    (void)state;
    struct boot_info bi;
    struct placement pl;
    qemu_map(&bi);
    assert_null(place_keel(&bi, 16 << 20, 0x100000, 0x200000, &pl));
    assert_int_equal(pl.region_end, 0xffe0000);                 /* runs to the top of RAM */
    assert_int_equal(pl.region_base % 0x200000, 0);
    assert_true(pl.region_end - pl.region_base >= (16 << 20));
    assert_int_equal(pl.ram_top_below_4g, 0xffe0000);
    assert_int_equal(pl.scratch_base, 0);                       /* no modules */
}

static void test_place_avoids_modules(void **state)
{
    (void)state;
    struct boot_info bi;
    struct placement pl;
    qemu_map(&bi);
    bi.mods[0] = (struct boot_module){ 0xf000000, 0xf100000, "high module" };
    bi.nmods = 1;
    assert_null(place_keel(&bi, 16 << 20, 0x100000, 0x200000, &pl));
    assert_true(pl.region_end <= 0xf000000);                    /* below the module */
    assert_true(pl.scratch_end <= pl.region_base);
    assert_true(pl.scratch_end - pl.scratch_base >= 0x100000);
    assert_true(pl.scratch_end <= 0xf000000 || pl.scratch_base >= 0xf100000);
}

static void test_place_too_little_ram(void **state)
{
    (void)state;
    struct boot_info bi;
    struct placement pl;
    qemu_map(&bi);
    bi.mmap[1].len = 0x800000;                                  /* 8 MiB of RAM above 1 MiB */
    assert_non_null(strstr(place_keel(&bi, 16 << 20, 0x100000, 0x200000, &pl), "too little RAM"));
}

/* The region sizing: 4 CPUs on a 4 GiB machine (RAM to 5 GiB with the PCI
 * hole) stays within 4 MiB, and every term moves the total. */
static void test_region_budget(void **state)
{
    (void)state;
    struct region_budget b, b1, b8;
    region_budget(&b, 250 << 10, 4, 0x140000000ull);
    assert_int_equal(b.cpus, 4);
    assert_int_equal(b.per_cpu, 4 * KEEL_REGION_PER_CPU);
    assert_int_equal(b.margin, KEEL_REGION_MARGIN);
    assert_int_equal(b.npt_tables, (1 + 1 + 5 + 2) * 0x1000);   /* PML4, PDPT, 5 PDs, 2 edge PTs */
    assert_true(b.total >= b.image + b.per_cpu + b.keel_tables + b.npt_tables + b.margin);
    assert_int_equal(b.total % 0x10000, 0);
    assert_true(b.total <= (4u << 20));
    region_budget(&b1, 250 << 10, 1, 0x140000000ull);
    region_budget(&b8, 250 << 10, 8, 0x140000000ull);
    assert_int_equal(b8.total - b1.total, 7 * KEEL_REGION_PER_CPU);
    region_budget(&b1, 250 << 10, 0, 0x10000000);                /* 256 MiB: maps still cover 4 GiB */
    assert_int_equal(b1.cpus, 1);
    assert_int_equal(b1.npt_tables, (1 + 1 + 4 + 2) * 0x1000);
}

static void test_place_ignores_ram_above_4g(void **state)
{
    (void)state;
    struct boot_info bi;
    struct placement pl;
    qemu_map(&bi);
    bi.mmap[3] = (struct mem_range){ 0x100000000ull, 0x40000000, MEM_AVAILABLE };
    bi.nmmap = 4;
    assert_null(place_keel(&bi, 16 << 20, 0x100000, 0x200000, &pl));
    assert_true(pl.region_end <= 0x100000000ull);
    assert_int_equal(pl.region_end, 0xffe0000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v1_full),          cmocka_unit_test(test_v1_no_mmap_uses_bounds),
        cmocka_unit_test(test_v1_no_memory_at_all), cmocka_unit_test(test_bad_magic_and_unreadable),
        cmocka_unit_test(test_v1_malformed_mmap), cmocka_unit_test(test_validate_modules),
        cmocka_unit_test(test_v2_full),          cmocka_unit_test(test_v2_malformed),
        cmocka_unit_test(test_place_top_of_ram), cmocka_unit_test(test_place_avoids_modules),
        cmocka_unit_test(test_place_too_little_ram), cmocka_unit_test(test_place_ignores_ram_above_4g), cmocka_unit_test(test_region_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
