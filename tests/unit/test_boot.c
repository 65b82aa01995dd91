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

/* An RSDP (ACPI 6.5 section 5.2.5.3) at a: revision 0 (20 bytes) or 2 (36),
 * both checksums right; OEM ID's first letter `oem`. */
static void put_rsdp(uint64_t a, unsigned rev, char oem)
{
    uint8_t sum = 0;
    unsigned i;
    memset(phys + a, 0, 36);
    memcpy(phys + a, "RSD PTR ", 8);
    phys[a + 9] = (uint8_t)oem;
    phys[a + 15] = (uint8_t)rev;
    put32(a + 16, 0xe0000);
    if (rev >= 2) {
        put32(a + 20, 36);
        put64(a + 24, 0xe1000);
    }
    for (i = 0; i < 20; i++)
        sum += phys[a + i];
    phys[a + 8] = (uint8_t)-sum;
    if (rev >= 2) {
        for (sum = 0, i = 0; i < 36; i++)
            sum += phys[a + i];
        phys[a + 32] = (uint8_t)-sum;
    }
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
    tag_begin(14, 8 + 20); put_rsdp(tag + 8, 0, 'O'); tag_next(28);
    tag_begin(0, 8); tag_next(8);
    put32(0x8000, (uint32_t)(tag - 0x8000));
}

/* Rebuild build_v2's info with extra tags in place of the end tag. */
static void v2_end(void)
{
    tag_begin(0, 8); tag_next(8);
    put32(0x8000, (uint32_t)(tag - 0x8000));
}
static void v2_reopen(void)
{
    tag = 0x8000 + phys[0x8000] + (phys[0x8001] << 8) - 8;   /* over the end tag */
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
    assert_int_equal(bi.rsdp_tag, 14);
    assert_memory_equal(bi.rsdp, "RSD PTR ", 8);
    assert_int_equal(bi.mem_upper_kib, 1000);
    assert_int_equal(bi.efi_systab, 0);
    assert_false(bi.mmap_from_efi);
}

/* Tag 15 (new RSDP) wins over tag 14 (old), whichever comes first. */
static void test_v2_acpi_new_before_old(void **state)
{
    (void)state;
    struct boot_info bi;
    build_v2();                                   /* has tag 14 ('O') */
    v2_reopen();
    tag_begin(15, 8 + 36); put_rsdp(tag + 8, 2, 'N'); tag_next(44);
    v2_end();
    assert_null(mbinfo_parse(MB2_BOOT_MAGIC, 0x8000, reader, &bi));
    assert_int_equal(bi.rsdp_tag, 15);
    assert_int_equal(bi.rsdp_len, 36);
    assert_int_equal(bi.rsdp[9], 'N');
    /* new first, then old: still the new one */
    memset(phys, 0, sizeof(phys));
    tag = 0x8008;
    tag_begin(15, 8 + 36); put_rsdp(tag + 8, 2, 'N'); tag_next(44);
    tag_begin(14, 8 + 20); put_rsdp(tag + 8, 0, 'O'); tag_next(28);
    tag_begin(4, 16); put32(tag + 8, 639); put32(tag + 12, 1000); tag_next(16);
    v2_end();
    assert_null(mbinfo_parse(MB2_BOOT_MAGIC, 0x8000, reader, &bi));
    assert_int_equal(bi.rsdp_tag, 15);
    assert_int_equal(bi.rsdp[9], 'N');
}

/* Malformed ACPI tags are ignored with a warning, never copied. */
static void test_v2_acpi_malformed(void **state)
{
    (void)state;
    struct boot_info bi;
    uint64_t t15;
    build_v2();
    v2_reopen();
    t15 = tag;
    capture_start();
    tag_begin(15, 8 + 36); put_rsdp(tag + 8, 2, 'N'); phys[tag + 8 + 30] ^= 1; tag_next(44); /* ext checksum */
    v2_end();
    assert_null(mbinfo_parse(MB2_BOOT_MAGIC, 0x8000, reader, &bi));
    assert_int_equal(bi.rsdp_tag, 14);               /* the good old one stays */
    assert_true(log_has("ACPI new RSDP tag is malformed"));
    /* truncated: a v2 RSDP in a tag with room for 20 bytes only */
    tag = t15;
    tag_begin(15, 8 + 20); put_rsdp(tag + 8, 2, 'N'); tag_next(28);
    v2_end();
    assert_null(mbinfo_parse(MB2_BOOT_MAGIC, 0x8000, reader, &bi));
    assert_int_equal(bi.rsdp_tag, 14);
    /* bad signature / short old tag: nothing at all */
    build_v2();
    {
        uint64_t a;
        for (a = 0x8008; a < 0x8200; a += 8)
            if (!memcmp(phys + a + 8, "RSD PTR ", 8))
                break;
        phys[a + 8] = 'X';
    }
    assert_null(mbinfo_parse(MB2_BOOT_MAGIC, 0x8000, reader, &bi));
    assert_int_equal(bi.rsdp_len, 0);
    assert_int_equal(bi.rsdp_tag, 0);
}

/* An EFI memory map descriptor (UEFI 2.10 EFI_MEMORY_DESCRIPTOR) of `dsize` bytes. */
static void put_efi_desc(uint64_t a, uint32_t type, uint64_t start, uint64_t pages, uint64_t attr)
{
    put32(a, type);
    put64(a + 8, start);
    put64(a + 16, 0);
    put64(a + 24, pages);
    put64(a + 32, attr);
}

static void build_v2_efi(uint32_t dsize, bool bs_active)
{
    static const struct { uint32_t type; uint64_t start, pages; } d[] = {
        { EFI_BS_CODE, 0, 0xa0 },                 /* 0-640K */
        { EFI_CONVENTIONAL, 0x100000, 0x100 },    /* 1M-2M */
        { EFI_LOADER_DATA, 0x200000, 0x100 },     /* 2M-3M, merged with the above */
        { EFI_BS_DATA, 0x300000, 0x100 },         /* 3M-4M */
        { EFI_RT_DATA, 0x400000, 0x10 },          /* runtime: reserved */
        { EFI_ACPI_RECLAIM, 0x410000, 0x10 },
        { EFI_ACPI_NVS, 0x420000, 0x10 },
        { EFI_CONVENTIONAL, 0x430000, 0x3bd0 },   /* to 64M */
        { EFI_MMIO, 0xffc00000, 0x400 },
    };
    unsigned i, n = sizeof(d) / sizeof(d[0]);
    build_v2();                                   /* tag 6 says 0-640K and 1M-128M */
    v2_reopen();
    tag_begin(12, 16); put64(tag + 8, 0x7000); tag_next(16);
    tag_begin(17, 16 + n * dsize); put32(tag + 8, dsize); put32(tag + 12, 1);
    for (i = 0; i < n; i++)
        put_efi_desc(tag + 16 + i * dsize, d[i].type, d[i].start, d[i].pages,
                     d[i].type == EFI_RT_DATA || d[i].type == EFI_MMIO ? EFI_MEMORY_RUNTIME : 0);
    tag_next(16 + n * dsize);
    if (bs_active) {
        tag_begin(18, 8); tag_next(8);
    }
    v2_end();
}

static void test_v2_efi_mmap(void **state)
{
    (void)state;
    struct boot_info bi;
    build_v2_efi(48, false);
    assert_null(mbinfo_parse(MB2_BOOT_MAGIC, 0x8000, reader, &bi));
    assert_int_equal(bi.efi_systab, 0x7000);
    assert_true(bi.efi_systab64);
    assert_true(bi.mmap_from_efi);
    assert_int_equal(bi.efi_desc_size, 48);
    assert_int_equal(bi.efi_desc_version, 1);
    assert_int_equal(bi.efi_mmap_len, 9 * 48);
    /* EFI map wins over tag 6; 1M-4M merged (conventional, loader, boot services) */
    assert_int_equal(bi.nmmap, 7);
    assert_int_equal(bi.mmap[0].base, 0);
    assert_int_equal(bi.mmap[0].type, MEM_AVAILABLE);
    assert_int_equal(bi.mmap[1].base, 0x100000);
    assert_int_equal(bi.mmap[1].len, 0x300000);
    assert_int_equal(bi.mmap[1].type, MEM_AVAILABLE);
    assert_int_equal(bi.mmap[2].type, MEM_RESERVED);          /* runtime data */
    assert_int_equal(bi.mmap[3].type, MEM_ACPI);
    assert_int_equal(bi.mmap[4].type, MEM_NVS);
    assert_int_equal(bi.mmap[5].base + bi.mmap[5].len, 0x4000000);
    assert_int_equal(bi.mmap[6].base, 0xffc00000);
    assert_int_equal(bi.mmap[6].type, MEM_RESERVED);
    assert_int_equal(efi_to_mem_type(EFI_BS_DATA, true), MEM_RESERVED);
    assert_int_equal(efi_to_mem_type(EFI_UNUSABLE, false), MEM_BAD);
    assert_int_equal(efi_to_mem_type(99, false), MEM_RESERVED);
    /* the raw map is kept for the guest, descriptor 4 is the runtime one */
    {
        uint64_t attr;
        memcpy(&attr, bi.efi_mmap + 4 * 48 + 32, 8);
        assert_int_equal(attr, EFI_MEMORY_RUNTIME);
    }
    /* 40-byte descriptors (the UEFI minimum) parse the same */
    build_v2_efi(40, false);
    assert_null(mbinfo_parse(MB2_BOOT_MAGIC, 0x8000, reader, &bi));
    assert_int_equal(bi.nmmap, 7);
    /* boot services still running: their memory is not keel's to take */
    build_v2_efi(48, true);
    assert_null(mbinfo_parse(MB2_BOOT_MAGIC, 0x8000, reader, &bi));
    assert_true(bi.efi_bs_active);
    assert_int_equal(bi.mmap[0].type, MEM_RESERVED);
    assert_int_equal(bi.mmap[1].len, 0x200000);               /* 1M-3M only */
}

static void test_v2_efi_malformed(void **state)
{
    (void)state;
    struct boot_info bi;
    uint64_t t17;
    /* descriptor size not a multiple of 8 / below 40: the tag is ignored, tag 6 used */
    build_v2_efi(44, false);
    capture_start();
    assert_null(mbinfo_parse(MB2_BOOT_MAGIC, 0x8000, reader, &bi));
    assert_false(bi.mmap_from_efi);
    assert_int_equal(bi.efi_mmap_len, 0);
    assert_int_equal(bi.nmmap, 2);
    assert_true(log_has("bad descriptor size 44"));
    build_v2_efi(32, false);
    assert_null(mbinfo_parse(MB2_BOOT_MAGIC, 0x8000, reader, &bi));
    assert_false(bi.mmap_from_efi);
    /* a wrapping and an unaligned descriptor are skipped, the rest kept */
    build_v2_efi(48, false);
    for (t17 = 0x8008; t17 < 0x9000; t17 += 8)
        if (phys[t17] == 17 && phys[t17 + 8] == 48)
            break;
    put64(t17 + 16 + 7 * 48 + 24, 1ull << 60);                /* pages wrap */
    put64(t17 + 16 + 8 * 48 + 8, 0xffc00010);                 /* unaligned */
    capture_start();
    assert_null(mbinfo_parse(MB2_BOOT_MAGIC, 0x8000, reader, &bi));
    assert_int_equal(bi.nmmap, 5);
    assert_true(log_has("ignored 2 malformed descriptor"));
    /* truncated: the EFI tag claims more than the info holds */
    build_v2_efi(48, false);
    put32(t17 + 4, 0x10000);
    assert_non_null(strstr(mbinfo_parse(MB2_BOOT_MAGIC, 0x8000, reader, &bi), "runs past the end"));
    /* a partial last descriptor is dropped; too-short tags 12/17 are ignored */
    build_v2_efi(48, false);
    put32(t17 + 4, 16 + 8 * 48 + 20);
    put32(t17 + 424, 0);                                      /* end tag after it */
    put32(t17 + 428, 8);
    assert_null(mbinfo_parse(MB2_BOOT_MAGIC, 0x8000, reader, &bi));
    assert_int_equal(bi.efi_mmap_len, 8 * 48);
    memset(phys, 0, sizeof(phys));
    tag = 0x8008;
    tag_begin(4, 16); put32(tag + 8, 639); put32(tag + 12, 1000); tag_next(16);
    tag_begin(12, 12); tag_next(12);
    tag_begin(17, 12); tag_next(12);
    tag_begin(11, 8); tag_next(8);
    v2_end();
    capture_start();
    assert_null(mbinfo_parse(MB2_BOOT_MAGIC, 0x8000, reader, &bi));
    assert_int_equal(bi.efi_systab, 0);
    assert_false(bi.mmap_from_efi);
    assert_true(log_has("EFI64 system table tag too short"));
    assert_true(log_has("EFI memory map tag too short"));
    assert_true(log_has("EFI32 system table tag too short"));
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

/* Found by the mbinfo fuzzer: a v1 mmap entry size of 0xfffffffc must not
 * wrap the step to 0 (an endless loop); a v2 string tag without a NUL must
 * not be read past; a range wrapping past 2^64 is clamped; an overlap that
 * trims a range re-sorts the map, and RAM above a reserved range inside it
 * is kept. */
static void test_fuzz_regressions(void **state)
{
    (void)state;
    struct boot_info bi;
    unsigned i;
    build_v1(0x40);
    put32(0x4000, 0xfffffffc);
    capture_start();
    assert_null(mbinfo_parse(MB1_BOOT_MAGIC, 0x1000, reader, &bi));       /* steps past the map: done */
    assert_int_equal(bi.nmmap, 1);
    /* v2: the command line tag is the info's last bytes, no NUL, no end tag */
    memset(phys, 0, sizeof(phys));
    memset(phys + sizeof(phys) - 16, 'x', 16);
    put32(sizeof(phys) - 24, 16 + 8 + 0);          /* total_size: header + one tag of 16 */
    put32(sizeof(phys) - 16, 1);
    put32(sizeof(phys) - 12, 16);
    memcpy(phys + sizeof(phys) - 8, "abcdefgh", 8);
    assert_non_null(strstr(mbinfo_parse(MB2_BOOT_MAGIC, sizeof(phys) - 24, reader, &bi), "no memory map"));
    assert_string_equal(bi.cmdline, "abcdefgh");           /* 8 bytes, nothing read beyond the tag */
    /* wrapping and nested ranges (v1) */
    build_v1(0x40);
    {
        static const uint64_t e[4][3] = { { 0x100000, 0x1000000, 1 }, { 0x200000, 0x100000, 2 },
                                          { 0xfffffffffff00000ull, 0x200000, 2 }, { 0, 0x9fc00, 1 } };
        for (i = 0; i < 4; i++) {
            put32(0x4000 + i * 24, 20);
            put64(0x4004 + i * 24, e[i][0]);
            put64(0x400c + i * 24, e[i][1]);
            put32(0x4014 + i * 24, (uint32_t)e[i][2]);
        }
    }
    assert_null(mbinfo_parse(MB1_BOOT_MAGIC, 0x1000, reader, &bi));
    assert_int_equal(bi.nmmap, 5);
    for (i = 1; i < bi.nmmap; i++)
        assert_true(bi.mmap[i - 1].base + bi.mmap[i - 1].len <= bi.mmap[i].base);
    assert_int_equal(bi.mmap[1].base, 0x100000);
    assert_int_equal(bi.mmap[1].len, 0x100000);
    assert_int_equal(bi.mmap[2].type, MEM_RESERVED);
    assert_int_equal(bi.mmap[3].base, 0x300000);                          /* RAM above the hole kept */
    assert_int_equal(bi.mmap[3].len, 0xe00000);
    assert_int_equal(bi.mmap[4].base + bi.mmap[4].len, ~0ull);            /* clamped */
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
    region_budget(&b, 250 << 10, 40 << 10, 4, 0x140000000ull);
    assert_int_equal(b.cpus, 4);
    assert_int_equal(b.per_cpu, 4 * KEEL_REGION_PER_CPU);
    assert_int_equal(b.margin, KEEL_REGION_MARGIN);
    assert_int_equal(b.npt_tables, (1 + 1 + 5 + 2) * 0x1000);   /* PML4, PDPT, 5 PDs, 2 edge PTs */
    assert_int_equal(b.shared, 40 << 10);
    assert_true(b.total >= b.image + b.shared + b.per_cpu + b.keel_tables + b.npt_tables + b.margin);
    assert_int_equal(b.total % 0x10000, 0);
    assert_true(b.total <= (4u << 20));
    region_budget(&b1, 250 << 10, 40 << 10, 1, 0x140000000ull);
    region_budget(&b8, 250 << 10, 40 << 10, 8, 0x140000000ull);
    assert_int_equal(b8.total - b1.total, 7 * KEEL_REGION_PER_CPU);
    region_budget(&b1, 250 << 10, 1, 0, 0x10000000);                /* 256 MiB: maps still cover 4 GiB */
    assert_int_equal(b1.cpus, 1);
    assert_int_equal(b1.npt_tables, (1 + 1 + 4 + 2) * 0x1000);
    assert_int_equal(b1.shared, 0x1000);                           /* whole pages */
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

/* Under EFI keel's region avoids boot-services memory (configuration tables
 * the guest reads live there), though the guest gets it as RAM. */
static void test_place_avoids_efi_boot_services(void **state)
{
    (void)state;
    struct boot_info bi;
    struct placement pl;
    uint32_t bs = EFI_BS_DATA, conv = EFI_CONVENTIONAL;
    uint64_t s1 = 0x100000, p1 = (0xe000000 - 0x100000) >> 12, s2 = 0xe000000, p2 = 0x1fe0;
    qemu_map(&bi);
    bi.efi_desc_size = 48;
    bi.efi_mmap_len = 96;
    memcpy(bi.efi_mmap, &conv, 4); memcpy(bi.efi_mmap + 8, &s1, 8); memcpy(bi.efi_mmap + 24, &p1, 8);
    memcpy(bi.efi_mmap + 48, &bs, 4); memcpy(bi.efi_mmap + 56, &s2, 8); memcpy(bi.efi_mmap + 72, &p2, 8);
    assert_null(place_keel(&bi, 16 << 20, 0x100000, 0x200000, &pl));
    assert_true(pl.region_end <= 0xe000000);
    assert_int_equal(pl.region_base, 0xd000000);
    /* boot services still running: the map already reserves them, nothing extra */
    bi.efi_bs_active = true;
    assert_null(place_keel(&bi, 16 << 20, 0x100000, 0x200000, &pl));
    assert_int_equal(pl.region_end, 0xffe0000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v1_full),          cmocka_unit_test(test_v1_no_mmap_uses_bounds),
        cmocka_unit_test(test_v1_no_memory_at_all), cmocka_unit_test(test_bad_magic_and_unreadable),
        cmocka_unit_test(test_v1_malformed_mmap), cmocka_unit_test(test_validate_modules),
        cmocka_unit_test(test_v2_full),          cmocka_unit_test(test_v2_malformed),
        cmocka_unit_test(test_v2_acpi_new_before_old), cmocka_unit_test(test_v2_acpi_malformed),
        cmocka_unit_test(test_v2_efi_mmap),      cmocka_unit_test(test_v2_efi_malformed),
        cmocka_unit_test(test_fuzz_regressions),
        cmocka_unit_test(test_place_top_of_ram), cmocka_unit_test(test_place_avoids_modules),
        cmocka_unit_test(test_place_too_little_ram), cmocka_unit_test(test_place_avoids_efi_boot_services), cmocka_unit_test(test_place_ignores_ram_above_4g),
        cmocka_unit_test(test_region_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
