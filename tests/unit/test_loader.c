/* Unit tests: guest_load() with multiboot v1 kernels (ELF32, ELF64, a.out
 * kludge) and the shared loader machinery (staging, placement, messages).
 * Kernels are synthetic images built here. */
#include "loader_test_env.h"
#include "vmm/multiboot_guest.h"

struct tseg {
    uint64_t vaddr, paddr, filesz, memsz;
    uint8_t fill;
};

static uint8_t img[64 * 1024];

static void mb_header(uint8_t *p, uint32_t flags)
{
    put32(p, MB1_HEADER_MAGIC);
    put32(p + 4, flags);
    put32(p + 8, (uint32_t)(0u - MB1_HEADER_MAGIC - flags));
}

/* ELF with n PT_LOAD segments: file data of segment i at 0x1000 * (i + 1). */
static size_t mk_elf(bool is64, const struct tseg *s, unsigned n, uint64_t entry)
{
    size_t size = 0x1000;
    unsigned i;
    memset(img, 0, sizeof(img));
    memcpy(img, "\177ELF", 4);
    img[4] = is64 ? 2 : 1;
    img[5] = 1;
    img[6] = 1;
    put16(img + 16, 2);
    put16(img + 18, is64 ? 62 : 3);
    if (is64) {
        put64(img + 24, entry);
        put64(img + 32, 64);
        put16(img + 52, 64);
        put16(img + 54, 56);
        put16(img + 56, (uint16_t)n);
    } else {
        put32(img + 24, (uint32_t)entry);
        put32(img + 28, 64);
        put16(img + 40, 52);
        put16(img + 42, 32);
        put16(img + 44, (uint16_t)n);
    }
    for (i = 0; i < n; i++) {
        uint8_t *ph = img + 64 + i * (is64 ? 56 : 32);
        uint64_t off = 0x1000 * (i + 1);
        put32(ph, 1);
        if (is64) {
            put64(ph + 8, off);
            put64(ph + 16, s[i].vaddr);
            put64(ph + 24, s[i].paddr);
            put64(ph + 32, s[i].filesz);
            put64(ph + 40, s[i].memsz);
        } else {
            put32(ph + 4, (uint32_t)off);
            put32(ph + 8, (uint32_t)s[i].vaddr);
            put32(ph + 12, (uint32_t)s[i].paddr);
            put32(ph + 16, (uint32_t)s[i].filesz);
            put32(ph + 20, (uint32_t)s[i].memsz);
        }
        memset(img + off, s[i].fill, s[i].filesz);
        if (off + s[i].filesz > size)
            size = off + s[i].filesz;
    }
    mb_header(img + 0x400, 0x3);
    return size;
}

static size_t simple_elf32(uint64_t paddr)
{
    struct tseg s[2] = { { paddr, paddr, 0x1000, 0x3000, 0xc3 },
                         { paddr + 0x4000, paddr + 0x4000, 0x800, 0x800, 0x5a } };
    return mk_elf(false, s, 2, paddr + 0x10);
}

/* ---- detection, no guest ---------------------------------------------------------- */

static void test_no_guest(void **state)
{
    (void)state;
    assert_false(guest_present(&bi));
    assert_false(guest_present(NULL));
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("keel: no guest given\n"));
}

static void test_neither(void **state)
{
    (void)state;
    memset(img, 0x90, 0x3000);
    add_module(2 * MIB, img, 0x3000, "junk.bin a b");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("module 0 (\"junk.bin a b\") is neither a multiboot kernel nor a Linux bzImage"));
}

static void test_empty_module(void **state)
{
    (void)state;
    add_module(2 * MIB, img, 0, "empty");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("is empty"));
    assert_int_equal(guest_detect(NULL, 0), GUEST_FMT_NONE);
}

/* ---- ELF32 --------------------------------------------------------------------------- */

static void test_elf32_basic(void **state)
{
    size_t n = simple_elf32(4 * MIB);
    uint32_t info, i;
    (void)state;
    memset(fake_mem + 4 * MIB, 0xee, 0x6000);   /* stale bytes where bss goes */
    add_module(2 * MIB, img, n, "kernel.elf arg1 arg2");
    assert_true(guest_load(&bi, &gl, &ge));
    assert_string_equal(ge.kind, "multiboot");
    assert_int_equal(ge.rip, 4 * MIB + 0x10);
    assert_int_equal(ge.rax, 0x2BADB002);
    info = (uint32_t)ge.rbx;
    assert_int_equal(info, MB1_INFO_LOW);
    /* segments: file bytes, zeroed bss */
    assert_int_equal(fake_mem[4 * MIB], 0xc3);
    assert_int_equal(fake_mem[4 * MIB + 0xfff], 0xc3);
    assert_int_equal(fake_mem[4 * MIB + 0x1000], 0);
    assert_int_equal(fake_mem[4 * MIB + 0x2fff], 0);
    assert_int_equal(fake_mem[4 * MIB + 0x3000], 0xee);  /* gap untouched */
    assert_int_equal(fake_mem[4 * MIB + 0x4000], 0x5a);
    /* info */
    assert_int_equal(rd32m(info), MB1_INFO_MEMORY | MB1_INFO_CMDLINE | MB1_INFO_MODS |
                                      MB1_INFO_MMAP | MB1_INFO_LOADER_NAME);
    assert_int_equal(rd32m(info + 4), 0x9fc00 >> 10);
    assert_int_equal(rd32m(info + 8), (T_KEEL_BASE - MIB) >> 10);
    assert_string_equal((char *)fake_mem + rd32m(info + 16), "kernel.elf arg1 arg2");
    assert_int_equal(rd32m(info + 20), 0);
    assert_string_equal((char *)fake_mem + rd32m(info + 64), "keel");
    /* mmap: the six ranges, keel's region reserved, nothing available in it */
    assert_int_equal(rd32m(info + 44), 6 * 24);
    for (i = 0; i < 6; i++) {
        uint32_t e = rd32m(info + 48) + i * 24;
        uint64_t b = rd64m(e + 4), l = rd64m(e + 12);
        assert_int_equal(rd32m(e), 20);
        assert_int_equal(b, gl.map[i].base);
        assert_int_equal(l, gl.map[i].len);
        if (rd32m(e + 20) == MEM_AVAILABLE)
            assert_true(b + l <= T_KEEL_BASE || b >= T_KEEL_END);
    }
    assert_true(log_has("guest: multiboot ELF32 kernel at [0x400000, 0x404800), entry 0x400010"));
}

/* keel's region not carved by the caller: the loader does it. */
static void test_map_carving(void **state)
{
    size_t n = simple_elf32(4 * MIB);
    uint32_t info, e;
    (void)state;
    gl.map[3].len = T_RAM - MIB;        /* one available range over keel's region */
    gl.map[4] = gl.map[5];
    gl.nmap = 5;
    add_module(2 * MIB, img, n, "k");
    assert_true(guest_load(&bi, &gl, &ge));
    info = (uint32_t)ge.rbx;
    assert_int_equal(rd32m(info + 8), (T_KEEL_BASE - MIB) >> 10);
    assert_int_equal(rd32m(info + 44), 6 * 24);
    e = rd32m(info + 48) + 4 * 24;
    assert_int_equal(rd64m(e + 4), T_KEEL_BASE);
    assert_int_equal(rd64m(e + 12), T_KEEL_END - T_KEEL_BASE);
    assert_int_equal(rd32m(e + 20), MEM_RESERVED);
}

/* Unsorted input map is sorted; RAM above keel's region is also available. */
static void test_map_unsorted_split(void **state)
{
    size_t n = simple_elf32(4 * MIB);
    (void)state;
    gl.keel_base = 64 * MIB;
    gl.keel_end = 72 * MIB;
    memset(gl.map, 0, sizeof(gl.map));
    map_set(&gl, 0, 32 * MIB, T_RAM - 32 * MIB, MEM_AVAILABLE);
    map_set(&gl, 1, 0, 0x9fc00, MEM_AVAILABLE);
    map_set(&gl, 2, MIB, 31 * MIB, MEM_AVAILABLE);   /* adjacent: contiguous for mem_upper */
    map_set(&gl, 3, 0xe0000, 0, MEM_RESERVED);       /* empty: dropped */
    gl.nmap = 4;
    add_module(2 * MIB, img, n, "k");
    assert_true(guest_load(&bi, &gl, &ge));
    assert_int_equal(rd32m((uint32_t)ge.rbx + 8), (63 * MIB) >> 10);
    assert_int_equal(rd32m((uint32_t)ge.rbx + 44), 5 * 24);
}

static void test_modules_staged_over_kernel(void **state)
{
    static uint8_t m1[0x1800], m2[100];
    size_t n = simple_elf32(4 * MIB);
    uint32_t info, mods;
    (void)state;
    memset(m1, 0x11, sizeof(m1));
    memset(m2, 0x22, sizeof(m2));
    add_module(2 * MIB, img, n, "kernel.elf -v");
    add_module(4 * MIB, m1, sizeof(m1), "env.txt first");     /* where the kernel loads */
    add_module(4 * MIB + 0x4000, m2, sizeof(m2), "second");  /* under segment 1 */
    assert_true(guest_load(&bi, &gl, &ge));
    info = (uint32_t)ge.rbx;
    assert_int_equal(rd32m(info + 20), 2);
    mods = rd32m(info + 24);
    /* page-aligned after the kernel's end (0x404800), contents intact */
    assert_int_equal(rd32m(mods), 4 * MIB + 0x5000);
    assert_int_equal(rd32m(mods + 4), 4 * MIB + 0x5000 + sizeof(m1));
    assert_memory_equal(fake_mem + rd32m(mods), m1, sizeof(m1));
    assert_string_equal((char *)fake_mem + rd32m(mods + 8), "env.txt first");
    assert_int_equal(rd32m(mods + 16), 4 * MIB + 0x7000);
    assert_memory_equal(fake_mem + rd32m(mods + 16), m2, sizeof(m2));
    assert_string_equal((char *)fake_mem + rd32m(mods + 24), "second");
    assert_int_equal(fake_mem[4 * MIB], 0xc3);
    assert_int_equal(fake_mem[4 * MIB + 0x4000], 0x5a);
}

/* An empty module still gets an entry (start == end). */
static void test_empty_passed_module(void **state)
{
    size_t n = simple_elf32(4 * MIB);
    uint32_t mods;
    (void)state;
    add_module(2 * MIB, img, n, "k");
    add_module(3 * MIB, img, 0, "empty");
    assert_true(guest_load(&bi, &gl, &ge));
    mods = rd32m((uint32_t)ge.rbx + 24);
    assert_int_equal(rd32m(mods), rd32m(mods + 4));
}

/* A module destination that overlaps a later module's staged copy is moved past it. */
static void test_module_avoids_staged_copy(void **state)
{
    static uint8_t m1[0x2000], m2[0x3000];
    struct tseg s = { 0, 0, 0x100, 0x100, 0x77 };
    size_t n;
    uint32_t mods;
    (void)state;
    /* Kernel right below the staging area: module 1 would go at its start. */
    s.vaddr = s.paddr = T_SCRATCH_BASE - 0x1000;
    gl.scratch_base = T_SCRATCH_BASE;
    n = mk_elf(false, &s, 1, s.paddr);
    memset(m1, 0x31, sizeof(m1));
    memset(m2, 0x32, sizeof(m2));
    add_module(2 * MIB, img, n, "k");
    add_module(3 * MIB, m1, sizeof(m1), "one");
    add_module(5 * MIB, m2, sizeof(m2), "two");
    /* the kernel segment must not be over the staging area: it is not */
    assert_true(guest_load(&bi, &gl, &ge));
    mods = rd32m((uint32_t)ge.rbx + 24);
    assert_memory_equal(fake_mem + rd32m(mods), m1, sizeof(m1));
    assert_memory_equal(fake_mem + rd32m(mods + 16), m2, sizeof(m2));
    /* module 1 skipped staged module 2 at [scratch+0x2000, +0x5000) */
    assert_true(rd32m(mods) >= T_SCRATCH_BASE + 0x5000 || rd32m(mods) + sizeof(m1) <= T_SCRATCH_BASE + 0x2000);
}

/* The kernel covers 0x9000: the info goes after the modules. */
static void test_info_fallback(void **state)
{
    struct tseg s = { 0x8000, 0x8000, 0x2000, 0x2000, 0x44 };
    size_t n = mk_elf(false, &s, 1, 0x8000);
    static uint8_t m1[0x100];
    uint32_t info;
    (void)state;
    add_module(2 * MIB, img, n, "low");
    add_module(3 * MIB, m1, sizeof(m1), "m");
    assert_true(guest_load(&bi, &gl, &ge));
    info = (uint32_t)ge.rbx;
    assert_int_equal(info, 0xb000);    /* module 1 at 0xa000, info next page */
    assert_string_equal((char *)fake_mem + rd32m(info + 16), "low");
}

/* ---- ELF64 ------------------------------------------------------------------------------- */

static void test_elf64_high_vaddr(void **state)
{
    struct tseg s[1] = { { 0xffffffff80400000ull, 0x400000, 0x1000, 0x2000, 0x48 } };
    size_t n = mk_elf(true, s, 1, 0xffffffff80400020ull);
    (void)state;
    add_module(2 * MIB, img, n, "k64.elf");
    assert_true(guest_load(&bi, &gl, &ge));
    assert_int_equal(ge.rip, 0x400020);
    assert_int_equal(fake_mem[0x400000], 0x48);
    assert_int_equal(fake_mem[0x401000], 0);
    assert_true(log_has("multiboot ELF64 kernel"));
}

static void test_elf64_entry_above_4g(void **state)
{
    struct tseg s[1] = { { 0x400000, 0x400000, 0x1000, 0x1000, 1 } };
    size_t n = mk_elf(true, s, 1, 0x100000000ull);
    (void)state;
    add_module(2 * MIB, img, n, "k");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("entry point 0x100000000 is above 4 GiB"));
}

static void test_segment_above_4g(void **state)
{
    struct tseg s[1] = { { 0x400000, 0xfffff000ull, 0x1000, 0x2000, 1 } };
    size_t n = mk_elf(true, s, 1, 0x400000);
    (void)state;
    add_module(2 * MIB, img, n, "k");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("segment 0 [0xfffff000, 0x100001000) is above 4 GiB"));
}

/* ---- a.out kludge ------------------------------------------------------------------------- */

static size_t mk_aout(uint32_t load, uint32_t load_end, uint32_t bss_end, uint32_t entry, size_t size)
{
    memset(img, 0, sizeof(img));
    memset(img + 0x60, 0xab, size - 0x60);
    mb_header(img + 0x40, (1u << 16) | 3);
    put32(img + 0x40 + 12, load + 0x40);
    put32(img + 0x40 + 16, load);
    put32(img + 0x40 + 20, load_end);
    put32(img + 0x40 + 24, bss_end);
    put32(img + 0x40 + 28, entry);
    return size;
}

static void test_aout_basic(void **state)
{
    size_t n = mk_aout(0x100000, 0, 0x100000 + 0x3000, 0x100060, 0x2000);
    (void)state;
    memset(fake_mem + MIB, 0xee, 0x4000);
    add_module(2 * MIB, img, n, "aout");
    assert_true(guest_load(&bi, &gl, &ge));
    assert_int_equal(ge.rip, 0x100060);
    assert_int_equal(rd32m(MIB + 0x40), MB1_HEADER_MAGIC);
    assert_int_equal(fake_mem[MIB + 0x1fff], 0xab);
    assert_int_equal(fake_mem[MIB + 0x2000], 0);
    assert_int_equal(fake_mem[MIB + 0x2fff], 0);
    assert_int_equal(fake_mem[MIB + 0x3000], 0xee);
    assert_true(log_has("multiboot a.out kludge kernel at [0x100000, 0x103000)"));
}

static void test_aout_load_end(void **state)
{
    size_t n = mk_aout(0x100000, 0x101000, 0, 0x100060, 0x2000);
    (void)state;
    memset(fake_mem + MIB, 0xee, 0x4000);
    add_module(2 * MIB, img, n, "aout");
    assert_true(guest_load(&bi, &gl, &ge));
    assert_int_equal(fake_mem[MIB + 0xfff], 0xab);
    assert_int_equal(fake_mem[MIB + 0x1000], 0xee);
}

static void test_aout_bad(void **state)
{
    (void)state;
    /* load_end beyond the file */
    add_module(2 * MIB, img, mk_aout(0x100000, 0x110000, 0, 0x100060, 0x2000), "a");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("kernel truncated: the a.out kludge loads file bytes [0x0, 0x10000) of 8192"));
    /* load_end below load_addr */
    bi.nmods = 0;
    add_module(2 * MIB, img, mk_aout(0x100000, 0xff000, 0, 0x100060, 0x2000), "a");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("load_end_addr 0xff000 < load_addr 0x100000"));
    /* bss_end below the loaded end */
    bi.nmods = 0;
    add_module(2 * MIB, img, mk_aout(0x100000, 0x101000, 0x100800, 0x100060, 0x2000), "a");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("bss_end_addr 0x100800 below the loaded end 0x101000"));
    /* header_addr before load_addr */
    bi.nmods = 0;
    mk_aout(0x100000, 0, 0, 0x100060, 0x2000);
    put32(img + 0x40 + 12, 0xf0000);
    add_module(2 * MIB, img, 0x2000, "a");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("bad a.out kludge header: header_addr 0xf0000"));
    /* header too close to the end of the file */
    bi.nmods = 0;
    mk_aout(0x100000, 0, 0, 0x100060, 0x2000);
    add_module(2 * MIB, img, 0x50, "a");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("a.out kludge header at 0x40 is truncated"));
}

/* ---- bad input -------------------------------------------------------------------------------- */

static void test_bad_checksum(void **state)
{
    size_t n = simple_elf32(4 * MIB);
    (void)state;
    put32(img + 0x408, 0x12345678);
    add_module(2 * MIB, img, n, "k");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("multiboot header has a bad checksum"));
}

static void test_unsupported_flags(void **state)
{
    size_t n = simple_elf32(4 * MIB);
    (void)state;
    mb_header(img + 0x400, 0x3 | (1u << 5));
    add_module(2 * MIB, img, n, "k");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("unsupported multiboot features (flags 0x23)"));
}

static void test_truncated_elf_phdrs(void **state)
{
    (void)state;
    simple_elf32(4 * MIB);
    put32(img + 28, 0x7f0);              /* e_phoff near the end of a 0x800-byte file */
    add_module(2 * MIB, img, 0x800, "k");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("kernel truncated: program headers [0x7f0, 0x830) beyond the file's 2048 bytes"));
}

static void test_truncated_elf_segment(void **state)
{
    size_t n = simple_elf32(4 * MIB);
    (void)state;
    add_module(2 * MIB, img, n - 0x100, "k");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("kernel truncated: segment 1 needs file bytes [0x2000, 0x2800) of 9984"));
}

static void test_truncated_elf_header(void **state)
{
    (void)state;
    simple_elf32(4 * MIB);
    mb_header(img + 0x20, 3);            /* a header inside the tiny file */
    add_module(2 * MIB, img, 48, "k");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("48 bytes is too short for an ELF header"));
    bi.nmods = 0;
    mk_elf(true, NULL, 0, 0);
    mb_header(img + 0x20, 3);
    add_module(2 * MIB, img, 60, "k");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("60 bytes is too short for an ELF64 header"));
}

static void test_bad_elf_headers(void **state)
{
    size_t n;
    (void)state;
    /* not ELF */
    n = simple_elf32(4 * MIB);
    img[0] = 'X';
    add_module(2 * MIB, img, n, "k");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("is not ELF and its multiboot header has no a.out kludge"));
    /* class */
    bi.nmods = 0;
    n = simple_elf32(4 * MIB);
    img[4] = 3;
    add_module(2 * MIB, img, n, "k");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("bad ELF class 3"));
    /* endianness */
    bi.nmods = 0;
    n = simple_elf32(4 * MIB);
    img[5] = 2;
    add_module(2 * MIB, img, n, "k");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("not little-endian"));
    /* machine */
    bi.nmods = 0;
    n = simple_elf32(4 * MIB);
    put16(img + 18, 40);
    add_module(2 * MIB, img, n, "k");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("ELF32 kernel for machine 40, not x86"));
    /* no program headers */
    bi.nmods = 0;
    n = simple_elf32(4 * MIB);
    put16(img + 44, 0);
    add_module(2 * MIB, img, n, "k");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("has no program headers"));
    /* bad phentsize */
    bi.nmods = 0;
    n = simple_elf32(4 * MIB);
    put16(img + 42, 16);
    add_module(2 * MIB, img, n, "k");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("bad ELF program header size 16"));
    /* filesz > memsz */
    bi.nmods = 0;
    n = simple_elf32(4 * MIB);
    put32(img + 64 + 20, 0x10);
    add_module(2 * MIB, img, n, "k");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("bad program header 0: p_filesz 0x1000 > p_memsz 0x10"));
    /* no PT_LOAD */
    bi.nmods = 0;
    n = simple_elf32(4 * MIB);
    put32(img + 64, 4);
    put32(img + 96, 6);
    add_module(2 * MIB, img, n, "k");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("has no loadable segments"));
}

static void test_too_many_segments(void **state)
{
    struct tseg s[1] = { { 4 * MIB, 4 * MIB, 0x10, 0x10, 1 } };
    size_t n = mk_elf(true, s, 1, 4 * MIB);
    unsigned i;
    (void)state;
    put16(img + 56, 40);
    for (i = 1; i < 40; i++) {
        memcpy(img + 64 + i * 56, img + 64, 56);
        put64(img + 64 + i * 56 + 24, 4 * MIB + i * 0x1000);
    }
    mb_header(img + 0xc00, 3);   /* past the program headers */
    add_module(2 * MIB, img, n, "k");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("more than 32 loadable segments"));
}

static void test_segment_over_keel(void **state)
{
    size_t n = simple_elf32(T_KEEL_BASE + 0x1000);
    (void)state;
    add_module(2 * MIB, img, n, "k");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("keel: multiboot guest: segment 0 [0x7801000, 0x7804000) overlaps keel's region [0x7800000, 0x8000000)"));
}

static void test_segment_outside_ram(void **state)
{
    size_t n = simple_elf32(200 * MIB);
    (void)state;
    add_module(2 * MIB, img, n, "k");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("segment 0 [0xc800000, 0xc803000) is outside guest RAM"));
    /* in the legacy hole below 1 MiB */
    bi.nmods = 0;
    n = simple_elf32(0xa0000);
    add_module(2 * MIB, img, n, "k");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("segment 0 [0xa0000, 0xa3000) is outside guest RAM"));
}

static void test_segment_over_staging(void **state)
{
    size_t n = simple_elf32(T_SCRATCH_BASE);
    (void)state;
    add_module(2 * MIB, img, n, "k");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("segment 0 [0x6000000, 0x6003000) overlaps the staged boot modules"));
}

/* guest_phys_ptr refuses what the map says is RAM (keel's view is stricter). */
static void test_guest_phys_ptr_refuses(void **state)
{
    size_t n = simple_elf32(4 * MIB);
    (void)state;
    add_module(2 * MIB, img, n, "k");
    map_set(&gl, 3, MIB, 300 * MIB, MEM_AVAILABLE);  /* map claims RAM beyond fake memory */
    gl.keel_base = gl.keel_end = 0;
    gl.map[4].type = MEM_AVAILABLE;
    n = simple_elf32(200 * MIB);
    bi.nmods = 0;
    add_module(2 * MIB, img, n, "k");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("segment 0 [0xc800000, 0xc803000) is outside guest RAM"));
}

static void test_staging_errors(void **state)
{
    static uint8_t m1[0x3000];
    size_t n = simple_elf32(4 * MIB);
    (void)state;
    /* too small */
    gl.scratch_end = gl.scratch_base + 0x1000;
    add_module(2 * MIB, img, n, "k");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("the boot modules do not fit in the staging area [0x6000000, 0x6001000)"));
    /* staging would overwrite a later module */
    env_layout();
    bi.nmods = 0;
    add_module(2 * MIB, img, n, "k");
    add_module(T_SCRATCH_BASE + 0x1000, m1, sizeof(m1), "m");
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("staging module 0 at [0x6000000, 0x6002800) would overwrite module 1"));
    /* module outside RAM */
    bi.nmods = 0;
    add_module(2 * MIB, img, n, "k");
    bi.mods[0].start = 200 * MIB;
    bi.mods[0].end = 200 * MIB + n;
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("module 0 [0xc800000, 0xc802800) is not in guest RAM"));
    /* bad range */
    bi.mods[0].end = 0;
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("module 0 has a bad range"));
    /* staging area not RAM */
    bi.mods[0].start = 2 * MIB;
    bi.mods[0].end = 2 * MIB + n;
    gl.scratch_base = 300 * MIB;
    gl.scratch_end = 310 * MIB;
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("the staging area [0x12c00000, 0x12c02800) is not guest RAM"));
}

static void test_module_no_room(void **state)
{
    static uint8_t m1[0x3000];
    size_t n = simple_elf32(4 * MIB);
    (void)state;
    add_module(2 * MIB, img, n, "k");
    add_module(3 * MIB, m1, sizeof(m1), "m");
    bi.mods[1].end = bi.mods[1].start + 0x3000;
    gl.map[3].len = 4 * MIB + 0x6000 - MIB;   /* RAM ends right after the kernel */
    gl.map[4].base = 4 * MIB + 0x6000;
    gl.scratch_base = 0x20000;
    gl.scratch_end = 0x90000;
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("no room for module 1 (12288 bytes) below 4 GiB"));
}

static void test_info_no_room(void **state)
{
    struct tseg s = { 0, 0x1000, 0x9e000, 0x9e000, 0x44 };
    size_t n;
    (void)state;
    static uint8_t big[0xa0000];
    s.vaddr = s.paddr;
    n = mk_elf(false, &s, 0, 0);
    (void)n;
    /* kernel fills low memory and all RAM above 1 MiB (one big segment) */
    memset(big, 0, sizeof(big));
    memcpy(big, img, 0x1000);
    {
        uint8_t *ph = big + 64;
        put16(big + 44, 2);
        put32(ph, 1);
        put32(ph + 4, 0x1000);
        put32(ph + 8, 0x1000);
        put32(ph + 12, 0x1000);
        put32(ph + 16, 0x1000);
        put32(ph + 20, 0x9ec00);
        ph += 32;
        put32(ph, 1);
        put32(ph + 4, 0x1000);
        put32(ph + 8, (uint32_t)MIB);
        put32(ph + 12, (uint32_t)MIB);
        put32(ph + 16, 0x1000);
        put32(ph + 20, (uint32_t)(T_SCRATCH_BASE - MIB));
    }
    add_module(T_SCRATCH_BASE + 0x100000, big, 0x2000, "k");
    gl.scratch_base = T_SCRATCH_BASE + 0x200000;
    assert_true(gl.map[0].len == 0x9fc00);
    gl.map[0].base = 0x1000;
    gl.map[0].len = 0x9fc00 - 0x1000;
    gl.map[3].len = T_SCRATCH_BASE - MIB;   /* staging and sources outside the map */
    assert_false(guest_load(&bi, &gl, &ge));
    assert_true(log_has("no room for the multiboot info"));
}

static void test_detect(void **state)
{
    uint8_t buf[0x300];
    (void)state;
    memset(buf, 0, sizeof(buf));
    assert_int_equal(guest_detect(buf, sizeof(buf)), GUEST_FMT_UNKNOWN);
    memcpy(buf + 0x202, "HdrS", 4);
    assert_int_equal(guest_detect(buf, sizeof(buf)), GUEST_FMT_LINUX);
    memset(buf, 0, sizeof(buf));
    mb_header(buf + 8, 0);
    assert_int_equal(guest_detect(buf, sizeof(buf)), GUEST_FMT_MULTIBOOT);
    put32(buf + 16, 1);
    assert_int_equal(guest_detect(buf, sizeof(buf)), GUEST_FMT_MULTIBOOT);
    assert_null(multiboot_find_header(buf, sizeof(buf), &(uint64_t){ 0 }));
}

#define T(f) cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)
int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_no_guest),
        T(test_neither),
        T(test_empty_module),
        T(test_detect),
        T(test_elf32_basic),
        T(test_map_carving),
        T(test_map_unsorted_split),
        T(test_modules_staged_over_kernel),
        T(test_empty_passed_module),
        T(test_module_avoids_staged_copy),
        T(test_info_fallback),
        T(test_elf64_high_vaddr),
        T(test_elf64_entry_above_4g),
        T(test_segment_above_4g),
        T(test_aout_basic),
        T(test_aout_load_end),
        T(test_aout_bad),
        T(test_bad_checksum),
        T(test_unsupported_flags),
        T(test_truncated_elf_phdrs),
        T(test_truncated_elf_segment),
        T(test_truncated_elf_header),
        T(test_bad_elf_headers),
        T(test_too_many_segments),
        T(test_segment_over_keel),
        T(test_segment_outside_ram),
        T(test_segment_over_staging),
        T(test_guest_phys_ptr_refuses),
        T(test_staging_errors),
        T(test_module_no_room),
        T(test_info_no_room),
    };
    return cmocka_run_group_tests_name("loader", tests, NULL, NULL);
}
