/* Unit tests: guest_load() with a synthetic Linux bzImage (setup header
 * per the x86 boot protocol) and an initrd. */
#include "loader_test_env.h"
#include "vmm/linux_guest.h"

#define PM_SIZE 0x10000u
#define SETUP_SECTS 4u
#define IMG_SIZE ((SETUP_SECTS + 1) * 512 + PM_SIZE)

static uint8_t bz[IMG_SIZE];
static uint8_t rd[0x5000];

static void mk_bzimage(uint16_t version)
{
    uint8_t *h = bz;
    unsigned i;
    memset(bz, 0, sizeof(bz));
    h[LH_SETUP_SECTS] = SETUP_SECTS;
    put32(h + LH_SYSSIZE, PM_SIZE / 16);
    put16(h + LH_BOOT_FLAG, 0xAA55);
    h[LH_JUMP] = 0xeb;
    h[LH_JUMP + 1] = 0x6a;                 /* header ends at 0x26c */
    memcpy(h + LH_HEADER, "HdrS", 4);
    put16(h + LH_VERSION, version);
    h[LH_LOADFLAGS] = LF_LOADED_HIGH;
    put32(h + LH_CODE32_START, 0x100000);
    put32(h + LH_INITRD_ADDR_MAX, 0x7fffffff);
    put32(h + LH_KERNEL_ALIGNMENT, 0x200000);
    h[LH_RELOCATABLE] = 1;
    h[LH_MIN_ALIGNMENT] = 21;
    put32(h + LH_CMDLINE_SIZE, 0x7ff);
    put64(h + LH_PREF_ADDRESS, 0x1000000);
    put32(h + LH_INIT_SIZE, 0x400000);
    h[0x26c] = 0x99;                       /* past the header: must not be copied */
    for (i = 0; i < PM_SIZE; i++)
        bz[(SETUP_SECTS + 1) * 512 + i] = (uint8_t)(i * 7 + 1);
    for (i = 0; i < sizeof(rd); i++)
        rd[i] = (uint8_t)(i ^ 0x5a);
}

/* bzImage where GRUB left it, initrd right where the kernel loads. */
static void add_linux(const char *cmdline)
{
    add_module(2 * MIB, bz, sizeof(bz), cmdline);
    add_module(16 * MIB, rd, sizeof(rd), "initrd.gz");
}

static void test_linux_basic(void **state)
{
    uint64_t zp, rdi;
    unsigned i;
    (void)state;
    mk_bzimage(0x020f);
    add_linux("vmlinuz console=ttyS0 quiet");
    assert_true(guest_load(&bi, &gl, &ge));
    assert_string_equal(ge.kind, "linux");
    assert_int_equal(ge.rip, 0x1000000);
    assert_int_equal(ge.rsi, LINUX_ZERO_PAGE);
    assert_int_equal(ge.rbx, 0);
    assert_int_equal(ge.rdi, 0);
    assert_int_equal(ge.rbp, 0);
    zp = ge.rsi;
    /* protected-mode kernel at pref_address */
    assert_memory_equal(fake_mem + 0x1000000, bz + 5 * 512, PM_SIZE);
    /* setup header copied, fields set */
    assert_memory_equal(fake_mem + zp + LH_HEADER, "HdrS", 4);
    assert_int_equal(fake_mem[zp + LH_SETUP_SECTS], SETUP_SECTS);
    assert_int_equal(rd32m(zp + LH_INIT_SIZE), 0x400000);
    assert_int_equal(fake_mem[zp + 0x26c], 0);
    assert_int_equal(fake_mem[zp + LH_TYPE_OF_LOADER], 0xff);
    assert_int_equal(fake_mem[zp + LH_LOADFLAGS], LF_LOADED_HIGH | LF_CAN_USE_HEAP);
    assert_int_equal(rd32m(zp + LH_CODE32_START), 0x1000000);
    assert_int_equal(rd32m(zp + LH_HEAP_END_PTR) & 0xffff, LINUX_HEAP_END);
    assert_string_equal((char *)fake_mem + rd32m(zp + LH_CMD_LINE_PTR), "vmlinuz console=ttyS0 quiet");
    assert_int_equal(rd32m(zp + ZP_EXT_CMD_LINE_PTR), 0);
    assert_int_equal(rd64m(zp + ZP_ACPI_RSDP_ADDR), T_RSDP);
    assert_int_equal(rd32m(zp + ZP_ALT_MEM_K), (T_KEEL_BASE - MIB) >> 10);
    assert_int_equal(fake_mem[zp], 0);       /* screen_info: no video */
    /* initrd: page-aligned, as high as possible below keel's region */
    rdi = rd32m(zp + LH_RAMDISK_IMAGE);
    assert_int_equal(rd32m(zp + LH_RAMDISK_SIZE), sizeof(rd));
    assert_int_equal(rdi, (T_KEEL_BASE - sizeof(rd)) & ~0xfffull);
    assert_memory_equal(fake_mem + rdi, rd, sizeof(rd));
    assert_int_equal(rd32m(zp + ZP_EXT_RAMDISK_IMAGE), 0);
    /* e820 = the map, keel's region reserved */
    assert_int_equal(fake_mem[zp + ZP_E820_ENTRIES], 6);
    for (i = 0; i < 6; i++) {
        uint64_t e = zp + ZP_E820_TABLE + i * 20;
        assert_int_equal(rd64m(e), gl.map[i].base);
        assert_int_equal(rd64m(e + 8), gl.map[i].len);
        assert_int_equal(rd32m(e + 16), gl.map[i].type);
    }
    assert_int_equal(rd64m(zp + ZP_E820_TABLE + 4 * 20), T_KEEL_BASE);
    assert_int_equal(rd32m(zp + ZP_E820_TABLE + 4 * 20 + 16), MEM_RESERVED);
    assert_true(log_has("guest: linux bzImage (protocol 2.15) at [0x1000000, 0x1400000)"));
}

static void test_linux_initrd_addr_max(void **state)
{
    uint64_t rdi;
    (void)state;
    mk_bzimage(0x020f);
    put32(bz + LH_INITRD_ADDR_MAX, 0x00ffffff);   /* below the kernel at 16 MiB */
    add_linux("vmlinuz");
    assert_true(guest_load(&bi, &gl, &ge));
    rdi = rd32m(ge.rsi + LH_RAMDISK_IMAGE);
    assert_true(rdi + sizeof(rd) <= 0x1000000);
    assert_int_equal(rdi, (0x1000000 - sizeof(rd)) & ~0xfffull);
    assert_int_equal(rdi & 0xfff, 0);
    assert_memory_equal(fake_mem + rdi, rd, sizeof(rd));
}

/* initrd_addr_max just above the kernel's end: the initrd goes below the kernel. */
static void test_linux_initrd_skips_kernel(void **state)
{
    uint64_t rdi;
    (void)state;
    mk_bzimage(0x020f);
    put32(bz + LH_INITRD_ADDR_MAX, 0x1400fff);
    add_linux("vmlinuz");
    assert_true(guest_load(&bi, &gl, &ge));
    rdi = rd32m(ge.rsi + LH_RAMDISK_IMAGE);
    assert_int_equal(rdi, (0x1000000 - sizeof(rd)) & ~0xfffull);
    assert_memory_equal(fake_mem + rdi, rd, sizeof(rd));
}

static void test_linux_initrd_no_room(void **state)
{
    (void)state;
    mk_bzimage(0x020f);
    put32(bz + LH_INITRD_ADDR_MAX, 0x100fff);    /* only 4 KiB above 1 MiB */
    add_linux("vmlinuz");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("linux guest: the initrd (20 KiB) does not fit in free RAM below 0x101000"));
}

static void test_linux_old_protocol(void **state)
{
    (void)state;
    mk_bzimage(0x0209);
    add_linux("vmlinuz");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("linux guest: boot protocol 2.09 is too old (keel needs 2.10 or later)"));
}

/* 2.10 .. 2.13: no acpi_rsdp_addr field. */
static void test_linux_protocol_210(void **state)
{
    (void)state;
    mk_bzimage(0x020a);
    bz[LH_SETUP_SECTS] = 0;                      /* 0 means 4 */
    add_linux("vmlinuz");
    assert_true(guest_load(&bi, &gl, &ge));
    assert_int_equal(rd64m(ge.rsi + ZP_ACPI_RSDP_ADDR), 0);
    assert_memory_equal(fake_mem + 0x1000000, bz + 5 * 512, PM_SIZE);
}

static void test_linux_not_relocatable_taken(void **state)
{
    (void)state;
    mk_bzimage(0x020f);
    bz[LH_RELOCATABLE] = 0;
    put64(bz + LH_PREF_ADDRESS, T_KEEL_BASE - 0x200000);  /* init_size runs into keel */
    add_linux("vmlinuz");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("linux guest: the kernel is not relocatable and RAM at its load address "
                        "[0x7600000, 0x7a00000) is not free"));
}

static void test_linux_relocated(void **state)
{
    (void)state;
    mk_bzimage(0x020f);
    put64(bz + LH_PREF_ADDRESS, T_KEEL_BASE - 0x200000);
    add_linux("vmlinuz");
    assert_true(guest_load(&bi, &gl, &ge));
    assert_int_equal(ge.rip, 0x200000);          /* first 2 MiB-aligned free RAM */
    assert_memory_equal(fake_mem + 0x200000, bz + 5 * 512, PM_SIZE);
    assert_int_equal(rd32m(ge.rsi + LH_CODE32_START), 0x200000);
}

/* kernel_alignment first, then min_alignment, a bad kernel_alignment means 2 MiB. */
static void test_linux_min_alignment(void **state)
{
    (void)state;
    mk_bzimage(0x020f);
    put64(bz + LH_PREF_ADDRESS, 0);              /* 0: the default, 1 MiB */
    put32(bz + LH_KERNEL_ALIGNMENT, 0x4000000);  /* 64 MiB */
    put32(bz + LH_INIT_SIZE, 0x1000000);
    bz[LH_MIN_ALIGNMENT] = 20;
    /* RAM starts at 1 MiB + 4 KiB: 1 MiB is not free */
    gl.map[3].base = MIB + 0x1000;
    gl.map[3].len = T_KEEL_BASE - MIB - 0x1000;
    add_linux("vmlinuz");
    assert_true(guest_load(&bi, &gl, &ge));
    assert_int_equal(ge.rip, 0x4000000);
    /* 88 MiB: no 64 MiB-aligned room below 120 MiB; 1 MiB-aligned at 2 MiB */
    bi.nmods = 0;
    put32(bz + LH_INIT_SIZE, 0x5800000);
    add_linux("vmlinuz");
    assert_true(guest_load(&bi, &gl, &ge));
    assert_int_equal(ge.rip, 0x200000);
    /* not a power of two: 2 MiB */
    bi.nmods = 0;
    put32(bz + LH_INIT_SIZE, 0x1000000);
    put32(bz + LH_KERNEL_ALIGNMENT, 0x3000000);
    bz[LH_MIN_ALIGNMENT] = 0;
    add_linux("vmlinuz");
    assert_true(guest_load(&bi, &gl, &ge));
    assert_int_equal(ge.rip, 0x200000);
}

static void test_linux_too_large(void **state)
{
    (void)state;
    mk_bzimage(0x020f);
    put32(bz + LH_INIT_SIZE, 200 * MIB);
    add_linux("vmlinuz");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("linux guest: the kernel needs 204800 KiB of free RAM (init_size) below "
                        "0x8000000, aligned to 0x200000: too large for the RAM left"));
}

/* No initrd (root on a disk, memory testers): ramdisk_image = ramdisk_size = 0. */
static void test_linux_no_initrd(void **state)
{
    uint64_t zp;
    (void)state;
    mk_bzimage(0x020f);
    add_module(2 * MIB, bz, sizeof(bz), "vmlinuz root=/dev/sda1");
    assert_true(guest_load(&bi, &gl, &ge));
    zp = ge.rsi;
    assert_memory_equal(fake_mem + 0x1000000, bz + 5 * 512, PM_SIZE);
    assert_int_equal(rd32m(zp + LH_RAMDISK_IMAGE), 0);
    assert_int_equal(rd32m(zp + LH_RAMDISK_SIZE), 0);
    assert_string_equal((char *)fake_mem + rd32m(zp + LH_CMD_LINE_PTR), "vmlinuz root=/dev/sda1");
    assert_true(log_has("guest: linux bzImage (protocol 2.15) at [0x1000000, 0x1400000), no initrd"));
}

/* A module 1 that is there but empty is refused, not silently dropped. */
static void test_linux_empty_initrd(void **state)
{
    (void)state;
    mk_bzimage(0x020f);
    add_module(2 * MIB, bz, sizeof(bz), "vmlinuz");
    add_module(16 * MIB, rd, 0, "initrd.gz");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("keel: linux guest: module 1 (the initrd) is empty"));
}

static void test_linux_cmdline_too_long(void **state)
{
    (void)state;
    mk_bzimage(0x020f);
    put32(bz + LH_CMDLINE_SIZE, 10);
    add_linux("vmlinuz console=ttyS0");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("linux guest: command line too long (21 bytes, the kernel takes 10)"));
}

static void test_linux_corrupt(void **state)
{
    (void)state;
    /* truncated: syssize says more than the file has */
    mk_bzimage(0x020f);
    put32(bz + LH_SYSSIZE, PM_SIZE / 16 + 2);
    add_linux("vmlinuz");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("linux guest: corrupt bzImage: truncated"));
    /* setup sectors past the end of the file */
    bi.nmods = 0;
    mk_bzimage(0x020f);
    bz[LH_SETUP_SECTS] = 200;
    add_linux("vmlinuz");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("truncated (68096 bytes, setup 102912"));
    /* no boot flag */
    bi.nmods = 0;
    mk_bzimage(0x020f);
    put16(bz + LH_BOOT_FLAG, 0);
    add_linux("vmlinuz");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("corrupt bzImage: no 0xAA55 boot flag"));
    /* too short for the header */
    bi.nmods = 0;
    mk_bzimage(0x020f);
    add_module(2 * MIB, bz, 0x240, "vmlinuz");
    add_module(16 * MIB, rd, sizeof(rd), "initrd");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("corrupt bzImage: truncated setup header"));
    /* zImage */
    bi.nmods = 0;
    mk_bzimage(0x020f);
    bz[LH_LOADFLAGS] = 0;
    add_linux("vmlinuz");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("not a bzImage (zImage loaded low is not supported)"));
}

static void test_linux_extra_modules(void **state)
{
    (void)state;
    mk_bzimage(0x020f);
    add_linux("vmlinuz");
    add_module(30 * MIB, rd, 0x100, "extra");
    assert_true(guest_load(&bi, &gl, &ge));
    assert_true(log_has("linux guest: modules after the initrd are ignored (1)"));
}

/* Low memory taken (no RAM below 1 MiB): zero page and command line go elsewhere. */
static void test_linux_no_low_memory(void **state)
{
    uint64_t zp;
    (void)state;
    mk_bzimage(0x020f);
    gl.map[0].type = MEM_RESERVED;
    add_linux("vmlinuz root=/dev/ram0");
    assert_true(guest_load(&bi, &gl, &ge));
    zp = ge.rsi;
    assert_true(zp >= MIB);
    assert_int_equal(zp & 0xfff, 0);
    assert_string_equal((char *)fake_mem + rd32m(zp + LH_CMD_LINE_PTR), "vmlinuz root=/dev/ram0");
    assert_int_equal(rd32m(zp + LH_CMD_LINE_PTR), zp + 0x1000);
}

/* The header's jump byte says the header is longer than 4 KiB: clamped. */
static void test_linux_long_header_jump(void **state)
{
    (void)state;
    mk_bzimage(0x020f);
    bz[LH_JUMP + 1] = 0xff;
    add_linux("vmlinuz");
    assert_true(guest_load(&bi, &gl, &ge));
    assert_int_equal(fake_mem[ge.rsi + 0x26c], 0x99);
}

#define T(f) cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)
int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_linux_basic),
        T(test_linux_initrd_addr_max),
        T(test_linux_initrd_skips_kernel),
        T(test_linux_initrd_no_room),
        T(test_linux_old_protocol),
        T(test_linux_protocol_210),
        T(test_linux_not_relocatable_taken),
        T(test_linux_relocated),
        T(test_linux_min_alignment),
        T(test_linux_too_large),
        T(test_linux_no_initrd),
        T(test_linux_empty_initrd),
        T(test_linux_cmdline_too_long),
        T(test_linux_corrupt),
        T(test_linux_extra_modules),
        T(test_linux_no_low_memory),
        T(test_linux_long_header_jump),
    };
    return cmocka_run_group_tests_name("linux_loader", tests, NULL, NULL);
}
