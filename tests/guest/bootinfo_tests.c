/* The boot information keel hands a Multiboot2 guest (word:
 * boot-info=bios|efi): the protocol, the memory map with keel's region
 * reserved, the ACPI tags (checksummed RSDP copies whose XSDT/RSDT is a
 * real table in firmware memory), and the EFI tags exactly when keel was
 * booted through EFI (the system table signature read where the tag points,
 * keel's region reserved in the EFI memory map, runtime regions kept). */
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
        check(pa < 0x100000000ull && !memcmp((const void *)(uint32_t)pa, "IBI SYST", 8), "boot-info-efi-systab",
              "system table at 0x%llx", (unsigned long long)pa);
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
