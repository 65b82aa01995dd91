/* The boot information keel hands a Multiboot2 guest (word:
 * boot-info=bios|efi): the protocol, the memory map with keel's region
 * reserved, the ACPI tags (checksummed RSDP copies whose XSDT/RSDT is a
 * real table in firmware memory), and the EFI tags exactly when keel was
 * booted through EFI (the system table signature read where the tag points,
 * its configuration table's ACPI entries naming the tags' RSDP, keel's
 * region reserved in the EFI memory map, runtime regions kept). */
#include "guest.h"
#include "suite.h"

static bool sum_ok(const uint8_t *p, uint32_t len)
{
    uint8_t s = 0;
    for (uint32_t i = 0; i < len; i++)
        s += p[i];
    return s == 0;
}

static void t_mmap(uint32_t base, uint32_t size)
{
    const uint8_t *t = mb2_tag(6, NULL);
    uint32_t tsize, esize, off;
    bool covered = false, overlap_avail = false;
    if (!check(t != NULL, "boot-info-mmap", "memory map tag %s", t ? "present" : "missing"))
        return;
    tsize = *(const uint32_t *)(t + 4);
    esize = *(const uint32_t *)(t + 8);
    for (off = 16; esize >= 24 && off + esize <= tsize; off += esize) {
        uint64_t b, l;
        uint32_t type;
        memcpy(&b, t + off, 8);
        memcpy(&l, t + off + 8, 8);
        memcpy(&type, t + off + 16, 4);
        if (type == 2 && b <= base && base + (uint64_t)size <= b + l)
            covered = true;
        if (type == 1 && b < base + (uint64_t)size && base < b + l)
            overlap_avail = true;
    }
    check(covered && !overlap_avail, "boot-info-mmap-region-reserved",
          "keel's region [0x%08x, +0x%x): reserved %s, overlapped by available RAM %s", base, size,
          covered ? "yes" : "no", overlap_avail ? "yes" : "no");
}

static void t_acpi(void)
{
    const uint8_t *o = mb2_tag(14, NULL), *n = mb2_tag(15, NULL), *r = n ? n + 8 : o ? o + 8 : NULL;
    const char *sig;
    uint32_t sdt = 0;
    if (!check(r != NULL, "boot-info-acpi-tags", "ACPI old tag %s, new tag %s", o ? "yes" : "no", n ? "yes" : "no"))
        return;
    check(!memcmp(r, "RSD PTR ", 8) && sum_ok(r, 20) && (!n || sum_ok(n + 8, 36)), "boot-info-acpi-rsdp",
          "RSDP copy revision %u, checksums %s", r[15], sum_ok(r, 20) ? "ok" : "bad");
    if (n) {
        uint64_t x;
        memcpy(&x, n + 8 + 24, 8);
        sdt = x < 0x100000000ull ? (uint32_t)x : 0;
        sig = "XSDT";
    } else {
        memcpy(&sdt, r + 16, 4);
        sig = "RSDT";
    }
    check(sdt && !memcmp((const void *)sdt, sig, 4) && sum_ok((const uint8_t *)sdt, *(const uint32_t *)(sdt + 4)),
          "boot-info-acpi-sdt", "%s at 0x%08x %s", sig, sdt, sdt && !memcmp((const void *)sdt, sig, 4) ? "found" : "missing");
}

/* The EFI configuration table's ACPI entries (UEFI 2.10 section 4.6) name
 * the RSDP the Multiboot2 ACPI tag carries (keel's copy), and the tables it
 * lists have no DMAR or IVRS: a guest reading only the EFI table sees what
 * a guest reading the tags sees. */
static void t_efi_acpi(uint64_t systab)
{
    static const uint8_t acpi20[16] = { 0x71, 0xe8, 0x68, 0x88, 0xf1, 0xe4, 0xd3, 0x11,
                                        0xbc, 0x22, 0x00, 0x80, 0xc7, 0x3c, 0x88, 0x81 };
    static const uint8_t acpi10[16] = { 0x30, 0x2d, 0x9d, 0xeb, 0x88, 0x2d, 0xd3, 0x11,
                                        0x9a, 0x16, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d };
    const uint8_t *st = (const uint8_t *)(uint32_t)systab, *ct, *rp, *nt = mb2_tag(15, NULL), *ot = mb2_tag(14, NULL);
    const uint8_t *tag = nt ? nt + 8 : ot ? ot + 8 : NULL;
    uint64_t cnt, tab, r20 = 0, r10 = 0, sdt;
    uint32_t len, esz, i;
    bool iommu = false;
    char sigs[160] = "";
    unsigned sl = 0;

    memcpy(&cnt, st + 104, 8);
    memcpy(&tab, st + 112, 8);
    if (!check(cnt && cnt <= 1024 && tab && tab + cnt * 24 <= 0x100000000ull, "boot-info-efi-config-table",
               "%llu entries at 0x%llx", (unsigned long long)cnt, (unsigned long long)tab))
        return;
    ct = (const uint8_t *)(uint32_t)tab;
    for (i = 0; i < cnt; i++) {
        if (!memcmp(ct + i * 24, acpi20, 16))
            memcpy(&r20, ct + i * 24 + 16, 8);
        else if (!memcmp(ct + i * 24, acpi10, 16))
            memcpy(&r10, ct + i * 24 + 16, 8);
    }
    if (!check(r20 && r20 < 0x100000000ull, "boot-info-efi-acpi20", "the ACPI 2.0 entry names 0x%llx",
               (unsigned long long)r20))
        return;
    rp = (const uint8_t *)(uint32_t)r20;
    if (!check(!memcmp(rp, "RSD PTR ", 8) && sum_ok(rp, 20) && (rp[15] < 2 || sum_ok(rp, 36)),
               "boot-info-efi-acpi20-rsdp", "no valid RSDP at 0x%llx", (unsigned long long)r20))
        return;
    check(tag && !memcmp(rp, tag, nt ? 36 : 20), "boot-info-efi-acpi20-is-tags", "the RSDP at 0x%llx %s",
          (unsigned long long)r20, tag ? "differs from the Multiboot2 ACPI tag's" : "has no ACPI tag to compare with");
    check(!r10 || r10 == r20, "boot-info-efi-acpi10", "the ACPI 1.0 entry names 0x%llx, the 2.0 entry 0x%llx",
          (unsigned long long)r10, (unsigned long long)r20);
    if (rp[15] >= 2) {
        memcpy(&sdt, rp + 24, 8);
        esz = 8;
    } else {
        uint32_t r32;
        memcpy(&r32, rp + 16, 4);
        sdt = r32;
        esz = 4;
    }
    if (!check(sdt && sdt < 0x100000000ull, "boot-info-efi-acpi-sdt", "root table at 0x%llx", (unsigned long long)sdt))
        return;
    memcpy(&len, (const uint8_t *)(uint32_t)sdt + 4, 4);
    for (uint32_t off = 36; len <= 4096 && off + esz <= len; off += esz) {
        uint64_t pa = 0;
        memcpy(&pa, (const uint8_t *)(uint32_t)sdt + off, esz);
        if (!pa || pa >= 0x100000000ull)
            continue;
        const uint8_t *e = (const uint8_t *)(uint32_t)pa;
        if (acpi_note_table(e, sigs, sizeof sigs, &sl))
            iommu = true;
    }
    info("efi: the ACPI 2.0 entry names RSDP 0x%08x (ACPI 1.0 entry 0x%08x); its root table lists %s", (uint32_t)r20,
         (uint32_t)r10, sigs);
    check(!iommu, "boot-info-efi-acpi-no-iommu-table", "the EFI-named RSDP's tables list DMAR/IVRS: %s", sigs);
}

static void t_efi(bool want, uint32_t base, uint32_t size)
{
    const uint8_t *st = mb2_tag(12, NULL), *mm = mb2_tag(17, NULL);
    if (!want) {
        check(!st && !mm && !mb2_tag(11, NULL), "boot-info-no-efi", "EFI tags: system table %s, memory map %s",
              st ? "yes" : "no", mm ? "yes" : "no");
        return;
    }
    if (!check(st && mm, "boot-info-efi-tags", "EFI64 system table tag %s, EFI memory map tag %s", st ? "yes" : "no",
               mm ? "yes" : "no"))
        return;
    {
        uint64_t pa;
        memcpy(&pa, st + 8, 8);
        if (check(pa < 0x100000000ull && !memcmp((const void *)(uint32_t)pa, "IBI SYST", 8), "boot-info-efi-systab",
                  "system table at 0x%llx", (unsigned long long)pa))
            t_efi_acpi(pa);
    }
    {
        uint32_t tsize = *(const uint32_t *)(mm + 4), dsize = *(const uint32_t *)(mm + 8), off;
        unsigned rt = 0, keel = 0, conv_over = 0, nd = 0;
        for (off = 16; dsize >= 40 && off + dsize <= tsize; off += dsize, nd++) {
            uint32_t type;
            uint64_t s, pages, attr;
            memcpy(&type, mm + off, 4);
            memcpy(&s, mm + off + 8, 8);
            memcpy(&pages, mm + off + 24, 8);
            memcpy(&attr, mm + off + 32, 8);
            if (attr >> 63)
                rt++;
            if (s < base + (uint64_t)size && base < s + (pages << 12)) {
                if (type == 0)
                    keel++;
                else
                    conv_over++;
            }
        }
        check(dsize >= 40 && keel && !conv_over && rt, "boot-info-efi-mmap",
              "%u descriptors of %u bytes: keel's region in %u reserved and %u other descriptors; %u runtime", nd,
              dsize, keel, conv_over, rt);
    }
}

void run_boot_info(const char *firmware)
{
    uint32_t base = 0, size = 0;
    bool efi = !strcmp(firmware, "efi");
    if (!check(mb2i != NULL, "boot-info-multiboot2", "booted with magic 0x%08x", mb_magic))
        return;
    if (hypercall(HC_REGION, 0, &base, &size) || !size) {
        fail("boot-info", "hypercall 4 gave no region");
        return;
    }
    t_mmap(base, size);
    t_acpi();
    t_efi(efi, base, size);
}
