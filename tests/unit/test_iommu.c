/* Unit tests: DMAR / IVRS parsing (good tables as QEMU and real firmware
 * write them, malformed and truncated ones rejected with a message), the
 * identity-domain page tables for both IOMMU formats, and the guest's ACPI
 * copy (tables dropped and replaced, checksums). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "vmm/iommu_acpi.h"
#include "vmm/iommu_pt.h"
#include "vmm/acpi_copy.h"
#include "lib/palloc.h"
#include "lib/bytes.h"

#define MIB (1ull << 20)
static char err[200];
static struct iommu_acpi ia;

/* ---- table builders ------------------------------------------------------ */

static uint8_t tb[4096];
static uint32_t tlen;

static void hdr(const char *sig)
{
    memset(tb, 0, sizeof(tb));
    memcpy(tb, sig, 4);
    tlen = 48;
}
static uint8_t *put(uint32_t n)
{
    uint8_t *p = tb + tlen;
    tlen += n;
    return p;
}
static void fin(void)
{
    wr32(tb + 4, tlen);
    tb[9] = 0;
    tb[9] = (uint8_t)-acpi_checksum(tb, tlen);
}

/* DRHD: flags, segment, base, then `nscope` PCI endpoint scopes 00:dev.0. */
static void drhd(uint8_t flags, uint64_t base, unsigned nscope)
{
    uint8_t *d = put(16);
    unsigned i;
    wr16(d, 0);
    wr16(d + 2, (uint16_t)(16 + 8 * nscope));
    d[4] = flags;
    wr64(d + 8, base);
    for (i = 0; i < nscope; i++) {
        uint8_t *s = put(8);
        s[0] = 1;              /* PCI endpoint */
        s[1] = 8;
        s[5] = 0;              /* start bus */
        s[6] = (uint8_t)(2 + i);
    }
}
static void rmrr(uint64_t base, uint64_t limit)
{
    uint8_t *d = put(24 + 8);
    wr16(d, 1);
    wr16(d + 2, 32);
    wr64(d + 8, base);
    wr64(d + 16, limit);
    d[24] = 1, d[25] = 8, d[30] = 0x1d;
}

static void dmar_qemu(void)
{
    hdr("DMAR");
    tb[36] = 38;           /* 39-bit host address width */
    tb[37] = 1;            /* INTR_REMAP */
    drhd(1, 0xfed90000, 0);
    fin();
}

static void test_dmar_qemu(void **s)
{
    (void)s;
    dmar_qemu();
    assert_null(dmar_parse(tb, tlen, &ia, err, sizeof(err)));
    assert_int_equal(ia.kind, IOMMU_KIND_VTD);
    assert_int_equal(ia.haw, 39);
    assert_int_equal(ia.nunits, 1);
    assert_int_equal(ia.unit[0].mmio_base, 0xfed90000);
    assert_int_equal(ia.unit[0].mmio_size, 0x1000);
    assert_true(ia.unit[0].include_all);
}

static void test_dmar_scopes_rmrr(void **s)
{
    (void)s;
    hdr("DMAR");
    tb[36] = 45;
    drhd(0, 0xfed91000, 2);            /* graphics unit with two devices */
    rmrr(0x7c000000, 0x7c7fffff);
    drhd(1, 0xfed90000, 0);
    fin();
    assert_null(dmar_parse(tb, tlen, &ia, err, sizeof(err)));
    assert_int_equal(ia.nunits, 2);
    assert_int_equal(ia.unit[0].nscopes, 2);
    assert_false(ia.unit[0].include_all);
    assert_true(ia.unit[1].include_all);
    assert_int_equal(ia.nresv, 1);
    assert_int_equal(ia.resv[0].base, 0x7c000000);
    assert_int_equal(ia.resv[0].end, 0x7c800000);
}

static void test_dmar_malformed(void **s)
{
    (void)s;
    /* Truncated: the header says more than there is. */
    dmar_qemu();
    assert_non_null(dmar_parse(tb, tlen - 4, &ia, err, sizeof(err)));
    assert_non_null(strstr(err, "header length"));
    assert_int_equal(ia.kind, IOMMU_KIND_NONE);
    /* A structure running past the table's end. */
    dmar_qemu();
    wr16(tb + 48 + 2, 64);
    assert_non_null(dmar_parse(tb, tlen, &ia, err, sizeof(err)));
    assert_non_null(strstr(err, "has length 64"));
    /* A zero-length structure (would loop forever). */
    dmar_qemu();
    wr16(tb + 48 + 2, 0);
    assert_non_null(dmar_parse(tb, tlen, &ia, err, sizeof(err)));
    /* Unaligned register base. */
    hdr("DMAR");
    tb[36] = 38;
    drhd(1, 0xfed90010, 0);
    fin();
    assert_non_null(dmar_parse(tb, tlen, &ia, err, sizeof(err)));
    assert_non_null(strstr(err, "not a 4 KiB"));
    /* A device scope of a bad length. */
    hdr("DMAR");
    tb[36] = 38;
    drhd(0, 0xfed90000, 1);
    tb[48 + 16 + 1] = 7;
    fin();
    assert_non_null(dmar_parse(tb, tlen, &ia, err, sizeof(err)));
    assert_non_null(strstr(err, "device scope of length 7"));
    /* A DRHD covering nothing; no DRHD at all; bad RMRR. */
    hdr("DMAR");
    tb[36] = 38;
    drhd(0, 0xfed90000, 0);
    fin();
    assert_non_null(dmar_parse(tb, tlen, &ia, err, sizeof(err)));
    hdr("DMAR");
    tb[36] = 38;
    rmrr(0x1000, 0x1fff);
    fin();
    assert_non_null(dmar_parse(tb, tlen, &ia, err, sizeof(err)));
    assert_non_null(strstr(err, "no remapping hardware unit"));
    hdr("DMAR");
    tb[36] = 38;
    drhd(1, 0xfed90000, 0);
    rmrr(0x2000, 0x1fff);
    fin();
    assert_non_null(dmar_parse(tb, tlen, &ia, err, sizeof(err)));
    assert_non_null(strstr(err, "RMRR"));
    /* Shorter than the fixed header. */
    assert_non_null(dmar_parse(tb, 40, &ia, err, sizeof(err)));
}

/* IVHD: type, base, then raw device entries. */
static void ivhd(uint8_t type, uint64_t base, const uint8_t *ent, uint32_t n)
{
    uint32_t first = type == 0x10 ? 24 : 40;
    uint8_t *d = put(first + n);
    d[0] = type;
    d[1] = 0xb0;
    wr16(d + 2, (uint16_t)(first + n));
    wr16(d + 4, 0x0010);          /* the IOMMU is 00:02.0 */
    wr64(d + 8, base);
    if (type != 0x10)
        wr64(d + 24, 0x29ull);
    memcpy(d + first, ent, n);
}

static const uint8_t qemu_ent[] = { 0x03, 0x00, 0x00, 0x00, 0x04, 0xff, 0xff, 0x00 };   /* range 0..ffff */

static void test_ivrs_types(void **s)
{
    static const uint8_t ent[] = {
        0x02, 0x08, 0x00, 0x00,                             /* select 00:01.0 */
        0x48, 0x00, 0x00, 0xd7, 0x21, 0x00, 0xa0, 0x01,     /* special: IOAPIC 0x21 = a0:00.0 */
        0xf0, 0x60, 0x00, 0x40, 'A', 'M', 'D', 'I', '0', '0', '4', '0',
        0, 0, 0, 0, 0, 0, 0, 0, 0x02, 2, 'A', 'B',          /* ACPI HID device, UID "AB" */
    };
    (void)s;
    hdr("IVRS");
    wr32(tb + 36, 0x00203041);
    ivhd(0x10, 0xfeb80000, qemu_ent, sizeof(qemu_ent));
    fin();
    assert_null(ivrs_parse(tb, tlen, &ia, err, sizeof(err)));
    assert_int_equal(ia.kind, IOMMU_KIND_AMDVI);
    assert_int_equal(ia.nunits, 1);
    assert_int_equal(ia.unit[0].mmio_base, 0xfeb80000);
    assert_int_equal(ia.unit[0].devid, 0x10);
    assert_int_equal(ia.unit[0].max_devid, 0xffff);
    /* Both 10h and 40h for the same IOMMU: only the 40h one is used. */
    hdr("IVRS");
    ivhd(0x10, 0xfeb80000, qemu_ent, sizeof(qemu_ent));
    ivhd(0x40, 0xfeb80000, ent, sizeof(ent));
    fin();
    assert_null(ivrs_parse(tb, tlen, &ia, err, sizeof(err)));
    assert_int_equal(ia.nunits, 1);
    assert_int_equal(ia.unit[0].type, 0x40);
    assert_int_equal(ia.unit[0].efr, 0x29);
    assert_int_equal(ia.unit[0].nscopes, 3);
    assert_int_equal(ia.unit[0].max_devid, 0xa000);
    assert_false(ia.unit[0].include_all);
    /* Type 11h alone, with an IVMD. */
    hdr("IVRS");
    ivhd(0x11, 0xfeb80000, qemu_ent, sizeof(qemu_ent));
    {
        uint8_t *m = put(32);
        m[0] = 0x20;
        wr16(m + 2, 32);
        wr64(m + 16, 0x9d000);
        wr64(m + 24, 0x3000);
    }
    fin();
    assert_null(ivrs_parse(tb, tlen, &ia, err, sizeof(err)));
    assert_int_equal(ia.unit[0].type, 0x11);
    assert_int_equal(ia.nresv, 1);
    assert_int_equal(ia.resv[0].end, 0xa0000);
}

static void test_ivrs_malformed(void **s)
{
    static const uint8_t trunc8[] = { 0x02, 0x08, 0x00, 0x00, 0x42, 0x00, 0x01, 0x00 };   /* 8-byte entry cut */
    static const uint8_t open_range[] = { 0x03, 0x00, 0x00, 0x00 };
    static const uint8_t reserved[] = { 0x80, 0x00, 0x00, 0x00 };
    (void)s;
    hdr("IVRS");
    ivhd(0x10, 0xfeb80000, trunc8, sizeof(trunc8));
    fin();
    assert_non_null(ivrs_parse(tb, tlen, &ia, err, sizeof(err)));
    assert_non_null(strstr(err, "truncated"));
    assert_int_equal(ia.kind, IOMMU_KIND_NONE);
    hdr("IVRS");
    ivhd(0x10, 0xfeb80000, open_range, sizeof(open_range));
    fin();
    assert_non_null(ivrs_parse(tb, tlen, &ia, err, sizeof(err)));
    assert_non_null(strstr(err, "without an end"));
    hdr("IVRS");
    ivhd(0x10, 0xfeb80000, reserved, sizeof(reserved));
    fin();
    assert_non_null(ivrs_parse(tb, tlen, &ia, err, sizeof(err)));
    assert_non_null(strstr(err, "reserved device entry"));
    /* Unaligned base, a block running past the end, no IVHD at all. */
    hdr("IVRS");
    ivhd(0x10, 0xfeb81000, qemu_ent, sizeof(qemu_ent));
    fin();
    assert_non_null(ivrs_parse(tb, tlen, &ia, err, sizeof(err)));
    assert_non_null(strstr(err, "16 KiB"));
    hdr("IVRS");
    ivhd(0x10, 0xfeb80000, qemu_ent, sizeof(qemu_ent));
    wr16(tb + 48 + 2, 200);
    fin();
    assert_non_null(ivrs_parse(tb, tlen, &ia, err, sizeof(err)));
    hdr("IVRS");
    fin();
    assert_non_null(ivrs_parse(tb, tlen, &ia, err, sizeof(err)));
    assert_non_null(strstr(err, "no IOMMU definition block"));
    hdr("IVRS");
    ivhd(0x40, 0xfeb80000, qemu_ent, 0);
    wr16(tb + 48 + 2, 24);            /* a 40h block cut to the 10h size */
    tlen = 48 + 24;
    fin();
    assert_non_null(ivrs_parse(tb, tlen, &ia, err, sizeof(err)));
    assert_non_null(strstr(err, "needs 40"));
}

/* ---- identity-domain page tables ------------------------------------------ */

static uint8_t *mem;
static int pt_setup(void **state)
{
    (void)state;
    mem = aligned_alloc(4096, 8 * MIB);
    palloc_set_view(mem);
    palloc_init(0x40000000ull, 8 * MIB, 0);
    return 0;
}
static int pt_teardown(void **state)
{
    (void)state;
    palloc_set_view(NULL);
    free(mem);
    return 0;
}

static void check_domain(enum iommu_pt_format fmt, int levels)
{
    /* 256 MiB guest: keel's region and one IOMMU register page are holes. */
    const struct iommu_hole holes[] = { { 0xee00000, 0xffe0000 }, { 0xfed90000, 0xfed91000 } };
    struct iommu_pt pt = { .fmt = fmt, .levels = levels, .large = true };
    uint64_t pa = 0;
    bool w = false;
    palloc_init(0x40000000ull, 8 * MIB, 0);
    assert_null(iommu_pt_build(&pt, 0x100000000ull, holes, 2));
    assert_true(iommu_pt_translate(&pt, 0x1234, &pa, &w));
    assert_int_equal(pa, 0x1234);
    assert_true(w);
    assert_true(iommu_pt_translate(&pt, 0x7654321, &pa, &w));
    assert_int_equal(pa, 0x7654321);
    assert_true(iommu_pt_translate(&pt, 0xedfffff, &pa, &w));       /* last guest byte below keel */
    assert_false(iommu_pt_translate(&pt, 0xee00000, &pa, &w));      /* keel's region */
    assert_false(iommu_pt_translate(&pt, 0xf000000, &pa, &w));
    assert_false(iommu_pt_translate(&pt, 0xffdffff, &pa, &w));
    assert_true(iommu_pt_translate(&pt, 0xffe0000, &pa, &w));       /* after it: ACPI, the guest's */
    assert_false(iommu_pt_translate(&pt, 0xfed90008, &pa, &w));     /* the IOMMU's registers */
    assert_true(iommu_pt_translate(&pt, 0xfed91000, &pa, &w));
    assert_int_equal(pa, 0xfed91000);
    assert_true(iommu_pt_translate(&pt, 0xfee00000, &pa, &w));      /* MMIO below 4 GiB */
    assert_false(iommu_pt_translate(&pt, 0x100000000ull, &pa, &w)); /* above the map */
    /* 2 MiB leaves where no hole is: 4 GiB needs 1 (+1) + 4 tables, each
     * block a hole touches one more (AMD-Vi: marked blocks too). */
    if (fmt == IOMMU_PT_VTD)
        assert_true(pt.pages <= 1 + (levels == 4) + 4 + 2);
    else
        assert_true(pt.pages <= 1 + (levels == 4) + 4 + 10);
}

static void test_pt_vtd(void **s)
{
    (void)s;
    check_domain(IOMMU_PT_VTD, 3);
    check_domain(IOMMU_PT_VTD, 4);
}
static void test_pt_amdvi(void **s)
{
    uint64_t *root;
    (void)s;
    check_domain(IOMMU_PT_AMDVI, 4);
    /* The AMD-Vi encoding itself: PR, NextLevel 3 in the root's entry, IR/IW. */
    {
        const struct iommu_hole h = { 0, 0 };
        struct iommu_pt pt = { .fmt = IOMMU_PT_AMDVI, .levels = 4, .large = true };
        palloc_init(0x40000000ull, 8 * MIB, 0);
        assert_null(iommu_pt_build(&pt, 4 * MIB, &h, 1));
        root = palloc_ptr(pt.root);
        assert_int_equal(root[0] & 0x6000000000000e01ull, 0x6000000000000601ull);
    }
    /* A hole's entry: PR clear, NextLevel 1 (so QEMU logs the fault). */
    {
        const struct iommu_hole h = { 0x5000, 0x6000 };
        struct iommu_pt pt = { .fmt = IOMMU_PT_AMDVI, .levels = 4, .large = true };
        uint64_t *t = 0, e;
        int l;
        palloc_init(0x40000000ull, 8 * MIB, 0);
        assert_null(iommu_pt_build(&pt, 4 * MIB, &h, 1));
        t = palloc_ptr(pt.root);
        for (l = 4; l > 1; l--)
            t = palloc_ptr(t[0] & 0x000FFFFFFFFFF000ull);
        e = t[5];
        assert_int_equal(e, 0x200);
        assert_int_equal(t[4] & 0xe01, 0x001);
    }
}
static void test_pt_4k_only_and_limits(void **s)
{
    const struct iommu_hole h = { 0x3000, 0x4000 };
    struct iommu_pt pt = { .fmt = IOMMU_PT_VTD, .levels = 3, .large = false };
    uint64_t pa;
    bool w;
    (void)s;
    palloc_init(0x40000000ull, 8 * MIB, 0);
    assert_null(iommu_pt_build(&pt, 8 * MIB, &h, 1));
    assert_int_equal(pt.pages, 1 + 1 + 4);                 /* PML3, PD, 4 page tables */
    assert_false(iommu_pt_translate(&pt, 0x3fff, &pa, &w));
    assert_true(iommu_pt_translate(&pt, 0x4000, &pa, &w));
    /* 3 levels translate 512 GiB: a larger map is refused. */
    assert_non_null(iommu_pt_build(&pt, 1ull << 40, &h, 1));
    /* Out of table memory. */
    palloc_init(0x40000000ull, 2 * 4096, 0);
    assert_non_null(iommu_pt_build(&pt, 8 * MIB, &h, 1));
}

/* ---- ACPI copy --------------------------------------------------------------- */

#define FW_BASE 0xe0000ull
static uint8_t fw[0x4000];               /* "firmware memory" at FW_BASE */
static const uint8_t *fw_read(void *ctx, uint64_t pa, uint64_t len)
{
    (void)ctx;
    if (pa < FW_BASE || pa + len > FW_BASE + sizeof(fw))
        return NULL;
    return fw + (pa - FW_BASE);
}

static void fw_table(uint32_t off, const char *sig, uint32_t len)
{
    memcpy(fw + off, sig, 4);
    wr32(fw + off + 4, len);
    fw[off + 8] = 1;
    fw[off + 9] = (uint8_t)-acpi_checksum(fw + off, len);
}

/* RSDP rev 2 at 0, XSDT at 0x100 and RSDT at 0x200 listing FACP, DMAR,
 * APIC at 0x400, 0x500, 0x600. */
static void fw_build(void)
{
    static const char *sigs[] = { "FACP", "DMAR", "APIC" };
    unsigned i;
    memset(fw, 0, sizeof(fw));
    memcpy(fw, "RSD PTR ", 8);
    fw[15] = 2;
    wr32(fw + 16, FW_BASE + 0x200);
    wr32(fw + 20, 36);
    wr64(fw + 24, FW_BASE + 0x100);
    fw[8] = (uint8_t)-acpi_checksum(fw, 20);
    fw[32] = (uint8_t)-acpi_checksum(fw, 36);
    for (i = 0; i < 3; i++) {
        wr64(fw + 0x100 + 36 + 8 * i, FW_BASE + 0x400 + 0x100 * i);
        wr32(fw + 0x200 + 36 + 4 * i, (uint32_t)(FW_BASE + 0x400 + 0x100 * i));
        fw_table(0x400 + 0x100 * i, sigs[i], 48);
    }
    fw_table(0x100, "XSDT", 36 + 24);
    fw_table(0x200, "RSDT", 36 + 12);
}

static unsigned madt_calls;
static enum acpi_verdict madt_rewrite(const uint8_t *in, uint32_t in_len, uint8_t *out, uint32_t out_max,
                                      uint32_t *out_len, void *arg)
{
    (void)arg;
    madt_calls++;
    assert_true(out_max >= in_len + 8);
    memcpy(out, in, in_len);
    memset(out + in_len, 0xab, 8);        /* "one more entry" */
    *out_len = in_len + 8;
    return ACPI_REPLACE;
}

static uint8_t cp[0x2000];
#define CP_GPA 0xffe0000ull

/* The table a root entry names, read from the copy or the firmware. */
static const uint8_t *at(uint64_t pa)
{
    if (pa >= CP_GPA && pa < CP_GPA + sizeof(cp))
        return cp + (pa - CP_GPA);
    return fw_read(NULL, pa, 36);
}

static void test_acpi_copy(void **s)
{
    const struct acpi_hook hooks[] = { { "DMAR", acpi_hook_drop, 0 }, { "IVRS", acpi_hook_drop, 0 },
                                       { "APIC", madt_rewrite, 0 } };
    struct acpi_copy_in in = { FW_BASE, NULL, fw_read, 0, hooks, 3 };
    struct acpi_copy_out out;
    const uint8_t *x, *r, *m;
    uint8_t before[sizeof(fw)];
    (void)s;
    fw_build();
    memcpy(before, fw, sizeof(fw));
    madt_calls = 0;
    assert_null(acpi_copy_build(&in, cp, CP_GPA, sizeof(cp), &out));
    assert_memory_equal(fw, before, sizeof(fw));          /* firmware tables untouched */
    assert_int_equal(out.rsdp, CP_GPA);
    assert_int_equal(out.kept, 1);
    assert_int_equal(out.dropped, 1);
    assert_int_equal(out.replaced, 1);
    assert_int_equal(madt_calls, 1);                       /* once, though listed twice */
    /* RSDP: both checksums good, pointing into the copy. */
    assert_memory_equal(cp, "RSD PTR ", 8);
    assert_int_equal(acpi_checksum(cp, 20), 0);
    assert_int_equal(acpi_checksum(cp, 36), 0);
    assert_int_equal(rd64(cp + 24), out.xsdt);
    assert_int_equal(rd32(cp + 16), out.rsdt);
    x = at(out.xsdt);
    r = at(out.rsdt);
    assert_memory_equal(x, "XSDT", 4);
    assert_int_equal(rd32(x + 4), 36 + 16);                /* FACP + APIC, no DMAR */
    assert_int_equal(acpi_checksum(x, rd32(x + 4)), 0);
    assert_int_equal(rd32(r + 4), 36 + 8);
    assert_int_equal(acpi_checksum(r, rd32(r + 4)), 0);
    assert_int_equal(rd64(x + 36), FW_BASE + 0x400);       /* FACP stays where it was */
    assert_int_equal(rd32(r + 36), FW_BASE + 0x400);
    assert_int_equal(rd64(x + 44), rd32(r + 40));          /* both name the same MADT copy */
    m = at(rd64(x + 44));
    assert_memory_equal(m, "APIC", 4);
    assert_int_equal(rd32(m + 4), 56);
    assert_int_equal(acpi_checksum(m, 56), 0);
    assert_true(out.used <= sizeof(cp));
}

static void test_acpi_copy_bad(void **s)
{
    const struct acpi_hook hooks[] = { { "DMAR", acpi_hook_drop, 0 } };
    struct acpi_copy_in in = { FW_BASE, NULL, fw_read, 0, hooks, 1 };
    struct acpi_copy_out out;
    (void)s;
    /* A bad XSDT checksum: the RSDT alone is used, the RSDP's XSDT is 0. */
    fw_build();
    fw[0x100 + 9] ^= 1;
    assert_null(acpi_copy_build(&in, cp, CP_GPA, sizeof(cp), &out));
    assert_int_equal(out.xsdt, 0);
    assert_int_equal(rd64(cp + 24), 0);
    assert_int_equal(rd32(at(out.rsdt) + 4), 36 + 8);
    /* Neither root readable; a bad RSDP; a buffer too small; above 4 GiB. */
    fw[0x200 + 9] ^= 1;
    assert_non_null(acpi_copy_build(&in, cp, CP_GPA, sizeof(cp), &out));
    fw_build();
    fw[8] ^= 1;
    assert_non_null(acpi_copy_build(&in, cp, CP_GPA, sizeof(cp), &out));
    fw_build();
    assert_non_null(acpi_copy_build(&in, cp, CP_GPA, 80, &out));
    assert_non_null(acpi_copy_build(&in, cp, 0xfffff000ull, sizeof(cp), &out));
    /* RSDP revision 0 (RSDT only). */
    fw_build();
    fw[15] = 0;
    fw[8] = 0;
    fw[8] = (uint8_t)-acpi_checksum(fw, 20);
    assert_null(acpi_copy_build(&in, cp, CP_GPA, sizeof(cp), &out));
    assert_int_equal(out.xsdt, 0);
    assert_int_equal(acpi_checksum(cp, 20), 0);
    assert_int_equal(cp[15], 0);
    /* The RSDP given as bytes (a multiboot2 tag's copy), not an address. */
    {
        uint8_t tag_copy[36];
        fw_build();
        memcpy(tag_copy, fw, 36);
        memset(fw, 0, 36);                  /* not at rsdp_pa any more */
        in.rsdp_pa = 0;
        in.rsdp = tag_copy;
        assert_null(acpi_copy_build(&in, cp, CP_GPA, sizeof(cp), &out));
        assert_int_equal(out.dropped, 1);
        assert_int_equal(acpi_checksum(cp, 36), 0);
        assert_int_equal(rd64(cp + 24), out.xsdt);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dmar_qemu),
        cmocka_unit_test(test_dmar_scopes_rmrr),
        cmocka_unit_test(test_dmar_malformed),
        cmocka_unit_test(test_ivrs_types),
        cmocka_unit_test(test_ivrs_malformed),
        cmocka_unit_test_setup_teardown(test_pt_vtd, pt_setup, pt_teardown),
        cmocka_unit_test_setup_teardown(test_pt_amdvi, pt_setup, pt_teardown),
        cmocka_unit_test_setup_teardown(test_pt_4k_only_and_limits, pt_setup, pt_teardown),
        cmocka_unit_test(test_acpi_copy),
        cmocka_unit_test(test_acpi_copy_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
