/* Unit tests: guest_load() with Multiboot2 kernels (vmm/multiboot2_guest.c):
 * header and tag checks, ELF and address-tag loading, the boot information
 * (command line, modules, memory map, ACPI and EFI tags with keel's region
 * carved out of the EFI map). Kernels are synthetic images built here. */
#include "loader_test_env.h"
#include "vmm/multiboot2_guest.h"

static uint8_t img[64 * 1024];
static size_t hlen;   /* header bytes written so far (at offset HOFF) */
#define HOFF 0x200u

static void hdr_begin(void)
{
    memset(img + HOFF, 0, 0x200);
    put32(img + HOFF, MB2_HEADER_MAGIC);
    put32(img + HOFF + 4, 0);
    hlen = 16;
}
static void hdr_tag(uint16_t type, uint16_t flags, const uint32_t *body, unsigned nwords)
{
    uint8_t *t = img + HOFF + hlen;
    unsigned i;
    put16(t, type);
    put16(t + 2, flags);
    put32(t + 4, 8 + nwords * 4);
    for (i = 0; i < nwords; i++)
        put32(t + 8 + i * 4, body[i]);
    hlen += (8 + nwords * 4 + 7) & ~7u;
}
static void hdr_end(void)
{
    hdr_tag(0, 0, NULL, 0);
    put32(img + HOFF + 8, (uint32_t)hlen);
    put32(img + HOFF + 12, (uint32_t)(0u - MB2_HEADER_MAGIC - hlen));
}

/* An ELF32 with one segment at paddr: 0x1000 file bytes of 0xc3, 0x2000 memsz. */
static size_t elf32(uint64_t paddr)
{
    uint8_t *ph = img + 0x40;
    memset(img, 0, sizeof(img));
    memcpy(img, "\177ELF", 4);
    img[4] = 1;
    img[5] = 1;
    put16(img + 16, 2);
    put16(img + 18, 3);
    put32(img + 24, (uint32_t)paddr + 0x10);
    put32(img + 28, 0x40);
    put16(img + 42, 32);
    put16(img + 44, 1);
    put32(ph, 1);
    put32(ph + 4, 0x1000);
    put32(ph + 8, (uint32_t)paddr);
    put32(ph + 12, (uint32_t)paddr);
    put32(ph + 16, 0x1000);
    put32(ph + 20, 0x2000);
    memset(img + 0x1000, 0xc3, 0x1000);
    return 0x2000;
}

/* The first info tag of `type` at or after tag address `from`, or 0. */
static uint64_t info_tag(uint64_t info, uint32_t type, uint64_t from)
{
    uint64_t p = from ? from + ((rd32m(from + 4) + 7) & ~7u) : info + 8, end = info + rd32m(info);
    while (p + 8 <= end) {
        if (rd32m(p) == type)
            return p;
        if (rd32m(p) == 0)
            return 0;
        p += (rd32m(p + 4) + 7) & ~7u;
    }
    return 0;
}

static void rsdp_v2(void)
{
    uint8_t s = 0;
    unsigned i;
    memset(bi.rsdp, 0, 36);
    memcpy(bi.rsdp, "RSD PTR ", 8);
    bi.rsdp[15] = 2;
    for (i = 0; i < 20; i++)
        s += bi.rsdp[i];
    bi.rsdp[8] = (uint8_t)-s;
    bi.rsdp_len = 36;
}

/* EFI: three descriptors, the middle one holding keel's region. */
static void efi_map(void)
{
    static const struct { uint32_t type; uint64_t start, pages, attr; } d[3] = {
        { EFI_BS_CODE, 0, 0x9f, 0xf },
        { EFI_CONVENTIONAL, MIB, (T_RAM - MIB) >> 12, 0xf },
        { EFI_RT_DATA, 0xfffc0000ull, 0x40, 0xf | EFI_MEMORY_RUNTIME },
    };
    unsigned i;
    bi.efi_systab = 0xf9ec018;
    bi.efi_systab64 = true;
    bi.efi_desc_size = 48;
    bi.efi_desc_version = 1;
    bi.efi_mmap_len = 3 * 48;
    memset(bi.efi_mmap, 0, sizeof(bi.efi_mmap));
    for (i = 0; i < 3; i++) {
        put32(bi.efi_mmap + i * 48, d[i].type);
        put64(bi.efi_mmap + i * 48 + 8, d[i].start);
        put64(bi.efi_mmap + i * 48 + 24, d[i].pages);
        put64(bi.efi_mmap + i * 48 + 32, d[i].attr);
    }
}

static void test_mb2_elf_bios(void **state)
{
    size_t n;
    uint64_t info, t, mm;
    uint32_t i, nent, found = 0;
    (void)state;
    n = elf32(4 * MIB);
    hdr_begin();
    hdr_end();
    add_module(2 * MIB, img, n, "k.elf a b");
    add_module(3 * MIB, "MODULE", 6, "m.bin x");
    rsdp_v2();
    bi.rsdp_len = 20;                      /* a revision-0 world: old tag only */
    assert_int_equal(guest_detect(img, n), GUEST_FMT_MULTIBOOT2);
    assert_true(guest_load(&bi, &gl, &ge));
    assert_string_equal(ge.kind, "multiboot2");
    assert_int_equal(ge.rax, 0x36D76289);
    assert_int_equal(ge.rip, 4 * MIB + 0x10);
    assert_int_equal(fake_mem[4 * MIB], 0xc3);
    assert_int_equal(fake_mem[4 * MIB + 0x1fff], 0);
    info = ge.rbx;
    assert_int_equal(info, MB2_INFO_LOW);
    assert_int_equal(info & 7, 0);
    t = info_tag(info, 1, 0);
    assert_string_equal((char *)fake_mem + t + 8, "k.elf a b");
    t = info_tag(info, 2, 0);
    assert_string_equal((char *)fake_mem + t + 8, "keel");
    t = info_tag(info, 3, 0);
    assert_true(t);
    assert_int_equal(rd32m(t + 12) - rd32m(t + 8), 6);
    assert_memory_equal(fake_mem + rd32m(t + 8), "MODULE", 6);
    assert_int_equal(rd32m(t + 8) & 0xfff, 0);
    assert_string_equal((char *)fake_mem + t + 16, "m.bin x");
    assert_int_equal(info_tag(info, 3, t), 0);
    t = info_tag(info, 4, 0);
    assert_int_equal(rd32m(t + 12), (T_KEEL_BASE - MIB) >> 10);
    mm = info_tag(info, 6, 0);
    assert_int_equal(rd32m(mm + 8), 24);
    nent = (rd32m(mm + 4) - 16) / 24;
    assert_int_equal(nent, 6);
    for (i = 0; i < nent; i++)
        if (rd64m(mm + 16 + i * 24) == T_KEEL_BASE && rd32m(mm + 16 + i * 24 + 16) == MEM_RESERVED)
            found++;
    assert_int_equal(found, 1);
    t = info_tag(info, 14, 0);
    assert_true(t);
    assert_memory_equal(fake_mem + t + 8, "RSD PTR ", 8);
    assert_int_equal(info_tag(info, 15, 0), 0);
    assert_int_equal(info_tag(info, 12, 0), 0);
    assert_int_equal(info_tag(info, 17, 0), 0);
    assert_true(log_has("ACPI tags old, EFI tags no"));
}

static void test_mb2_efi(void **state)
{
    size_t n;
    uint64_t info, t;
    uint32_t i, nd, reserved_keel = 0, runtime = 0;
    (void)state;
    n = elf32(4 * MIB);
    hdr_begin();
    {
        static const uint32_t want[] = { 12, 15, 17 };
        hdr_tag(MB2_HDR_TAG_INFO_REQ, 0, want, 3);   /* required: keel has them all */
    }
    hdr_end();
    add_module(2 * MIB, img, n, "k.elf");
    rsdp_v2();
    efi_map();
    assert_true(guest_load(&bi, &gl, &ge));
    info = ge.rbx;
    t = info_tag(info, 15, 0);
    assert_true(t);
    assert_memory_equal(fake_mem + t + 8, bi.rsdp, 36);
    assert_true(info_tag(info, 14, 0));
    t = info_tag(info, 12, 0);
    assert_int_equal(rd64m(t + 8), 0xf9ec018);
    t = info_tag(info, 17, 0);
    assert_int_equal(rd32m(t + 8), 48);
    assert_int_equal(rd32m(t + 12), 1);
    nd = (rd32m(t + 4) - 16) / 48;
    assert_int_equal(nd, 4);                         /* conventional split: below keel, keel (to RAM end) */
    for (i = 0; i < nd; i++) {
        uint64_t d = t + 16 + i * 48;
        if (rd32m(d) == EFI_RESERVED && rd64m(d + 8) == T_KEEL_BASE &&
            rd64m(d + 24) == (T_KEEL_END - T_KEEL_BASE) >> 12)
            reserved_keel++;
        if (rd64m(d + 32) >> 63)
            runtime++;
    }
    assert_int_equal(reserved_keel, 1);
    assert_int_equal(runtime, 1);
    assert_int_equal(rd32m(info) & 7, 0);
    assert_int_equal(rd32m(info_tag(info, 17, 0) + ((rd32m(info_tag(info, 17, 0) + 4) + 7) & ~7u)), 0);
    assert_true(log_has("ACPI tags old+new, EFI tags yes"));
}

/* The RSDP the guest is pointed at (keel's ACPI copy) wins over the boot
 * loader's copy in the ACPI tags. */
static void test_mb2_acpi_copy_rsdp(void **state)
{
    size_t n;
    uint64_t t;
    (void)state;
    n = elf32(4 * MIB);
    hdr_begin();
    hdr_end();
    add_module(2 * MIB, img, n, "k.elf");
    rsdp_v2();
    memcpy(gl.rsdp, bi.rsdp, 36);
    gl.rsdp[9] = 'K';                                /* OEM ID: keel's copy */
    gl.rsdp_len = 36;
    assert_true(guest_load(&bi, &gl, &ge));
    t = info_tag(ge.rbx, 15, 0);
    assert_int_equal(fake_mem[t + 8 + 9], 'K');
    t = info_tag(ge.rbx, 14, 0);
    assert_int_equal(fake_mem[t + 8 + 9], 'K');
}

/* Boot-services memory: the kernel may be linked into it, but the modules
 * and the info keel places go elsewhere when they can. */
static void test_mb2_efi_avoids_boot_services(void **state)
{
    size_t n;
    uint64_t t;
    (void)state;
    n = elf32(4 * MIB);
    hdr_begin();
    hdr_end();
    add_module(2 * MIB, img, n, "k.elf");
    add_module(3 * MIB, "MODULE", 6, "m.bin");
    efi_map();
    /* [1M, 6M) boot-services data instead of conventional; 6M-128M conventional */
    put32(bi.efi_mmap + 48, EFI_BS_DATA);
    put64(bi.efi_mmap + 48 + 24, (5 * MIB) >> 12);
    put32(bi.efi_mmap + 3 * 48, EFI_CONVENTIONAL);
    put64(bi.efi_mmap + 3 * 48 + 8, 6 * MIB);
    put64(bi.efi_mmap + 3 * 48 + 24, (T_RAM - 6 * MIB) >> 12);
    bi.efi_mmap_len = 4 * 48;
    assert_true(guest_load(&bi, &gl, &ge));
    assert_int_equal(fake_mem[4 * MIB], 0xc3);          /* linked into boot-services memory: allowed */
    t = info_tag(ge.rbx, 3, 0);
    assert_int_equal(rd32m(t + 8), 6 * MIB);            /* the module skips it */
    /* boot services still running: the map says reserved, nothing to avoid here */
    bi.efi_bs_active = true;
    bi.nmods = 0;
    add_module(2 * MIB, img, n, "k.elf");
    add_module(3 * MIB, "MODULE", 6, "m.bin");
    assert_true(guest_load(&bi, &gl, &ge));
    t = info_tag(ge.rbx, 3, 0);
    assert_int_equal(rd32m(t + 8), 4 * MIB + 0x2000);
}

static void test_mb2_address_tag(void **state)
{
    (void)state;
    memset(img, 0, sizeof(img));
    hdr_begin();
    {
        /* header at file offset HOFF, loaded at 5 MiB from file offset 0 */
        const uint32_t addr[4] = { 5 * MIB + HOFF, 5 * MIB, 5 * MIB + 0x3000, 5 * MIB + 0x4000 };
        const uint32_t entry[1] = { 5 * MIB + 0x800 };
        hdr_tag(MB2_HDR_TAG_ADDRESS, 0, addr, 4);
        hdr_tag(MB2_HDR_TAG_ENTRY, 0, entry, 1);
    }
    hdr_end();
    memset(img + 0x2000, 0x77, 0x1000);
    add_module(2 * MIB, img, 0x3000, "raw.bin");
    assert_true(guest_load(&bi, &gl, &ge));
    assert_int_equal(ge.rip, 5 * MIB + 0x800);
    assert_int_equal(fake_mem[5 * MIB + 0x2fff], 0x77);
    assert_int_equal(rd32m(5 * MIB + HOFF), MB2_HEADER_MAGIC);
    assert_int_equal(fake_mem[5 * MIB + 0x3fff], 0);
    assert_true(log_has("multiboot2 address tag kernel"));
}

static void test_mb2_bad_headers(void **state)
{
    size_t n;
    (void)state;
    /* bad checksum: still detected as multiboot2, the loader says why */
    n = elf32(4 * MIB);
    hdr_begin();
    hdr_end();
    put32(img + HOFF + 12, 0x1234);
    add_module(2 * MIB, img, n, "k.elf");
    assert_int_equal(guest_detect(img, n), GUEST_FMT_MULTIBOOT2);
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("multiboot2 header has a bad checksum"));
}

static void load_expect(const char *msg)
{
    size_t n = 0x2000;
    bi.nmods = 0;
    add_module(2 * MIB, img, n, "k.elf");
    loglen = 0;
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has(msg));
}

static void test_mb2_bad_tags(void **state)
{
    (void)state;
    /* a required information tag keel cannot give (17 without EFI) */
    elf32(4 * MIB);
    hdr_begin();
    {
        static const uint32_t want[] = { 1, 17 };
        hdr_tag(MB2_HDR_TAG_INFO_REQ, 0, want, 2);
    }
    hdr_end();
    load_expect("requires boot information tag 17");
    /* ... optional: fine */
    elf32(4 * MIB);
    hdr_begin();
    {
        static const uint32_t want[] = { 1, 17 };
        hdr_tag(MB2_HDR_TAG_INFO_REQ, MB2_HDR_TAG_OPTIONAL, want, 2);
    }
    hdr_end();
    bi.nmods = 0;
    add_module(2 * MIB, img, 0x2000, "k.elf");
    assert_true(guest_load(&bi, &gl, &ge));
    /* required framebuffer, EFI boot services, unknown tag */
    elf32(4 * MIB);
    hdr_begin();
    {
        static const uint32_t fb[3] = { 1024, 768, 32 };
        hdr_tag(MB2_HDR_TAG_FRAMEBUFFER, 0, fb, 3);
    }
    hdr_end();
    load_expect("requires a framebuffer");
    elf32(4 * MIB);
    hdr_begin();
    hdr_tag(MB2_HDR_TAG_EFI_BS, 0, NULL, 0);
    hdr_end();
    load_expect("requires EFI boot services");
    elf32(4 * MIB);
    hdr_begin();
    hdr_tag(77, 0, NULL, 0);
    hdr_end();
    load_expect("unknown required tag 77");
    /* truncated tag: size beyond header_length */
    elf32(4 * MIB);
    hdr_begin();
    hdr_tag(MB2_HDR_TAG_FLAGS, 0, (const uint32_t[]){ 0 }, 1);
    hdr_end();
    put32(img + HOFF + 16 + 4, 0x400);
    load_expect("has a bad size 1024");
    /* no end tag inside header_length */
    elf32(4 * MIB);
    hdr_begin();
    hdr_tag(MB2_HDR_TAG_FLAGS, 0, (const uint32_t[]){ 0 }, 1);
    put32(img + HOFF + 8, (uint32_t)hlen);
    put32(img + HOFF + 12, (uint32_t)(0u - MB2_HEADER_MAGIC - hlen));
    load_expect("has no end tag");
    /* address tag without an entry tag; wrong architecture */
    elf32(4 * MIB);
    hdr_begin();
    hdr_tag(MB2_HDR_TAG_ADDRESS, 0, (const uint32_t[]){ 4 * MIB + HOFF, 4 * MIB, 0, 0 }, 4);
    hdr_end();
    load_expect("needs an entry address tag");
    elf32(4 * MIB);
    hdr_begin();
    put32(img + HOFF + 4, 4);              /* MIPS */
    hdr_end();
    put32(img + HOFF + 12, (uint32_t)(0u - MB2_HEADER_MAGIC - 4 - hlen));
    load_expect("architecture 4, not i386");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mb2_elf_bios, env_setup, env_teardown),
        cmocka_unit_test_setup_teardown(test_mb2_efi, env_setup, env_teardown),
        cmocka_unit_test_setup_teardown(test_mb2_acpi_copy_rsdp, env_setup, env_teardown),
        cmocka_unit_test_setup_teardown(test_mb2_efi_avoids_boot_services, env_setup, env_teardown),
        cmocka_unit_test_setup_teardown(test_mb2_address_tag, env_setup, env_teardown),
        cmocka_unit_test_setup_teardown(test_mb2_bad_headers, env_setup, env_teardown),
        cmocka_unit_test_setup_teardown(test_mb2_bad_tags, env_setup, env_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
