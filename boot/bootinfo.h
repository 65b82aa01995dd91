/* What keel learned from its boot loader (Multiboot v1 or v2), parsed and
 * validated into a fixed-size, loader-neutral record (boot/mbinfo.c). */
#ifndef KEEL_BOOT_BOOTINFO_H
#define KEEL_BOOT_BOOTINFO_H
#include <stdint.h>
#include <stdbool.h>

#define MB1_BOOT_MAGIC 0x2BADB002u
#define MB2_BOOT_MAGIC 0x36D76289u

/* E820 / multiboot memory types. */
enum mem_type { MEM_AVAILABLE = 1, MEM_RESERVED = 2, MEM_ACPI = 3, MEM_NVS = 4, MEM_BAD = 5 };

struct mem_range {
    uint64_t base, len;
    uint32_t type;
};

#define BOOT_MAX_MMAP 64
#define BOOT_MAX_MODS 16
#define BOOT_CMDLINE_MAX 1024
#define BOOT_MODSTR_MAX 512
/* The EFI memory map (multiboot2 tag 17) is kept verbatim for the guest:
 * enough for a few hundred descriptors (OVMF hands over about 100). */
#define BOOT_EFI_MMAP_MAX 16384

/* UEFI 2.10 section 7.2, EFI_MEMORY_TYPE; EFI_MEMORY_DESCRIPTOR is 40
 * bytes, firmware may use a larger stride (descriptor_size). */
enum efi_mem_type {
    EFI_RESERVED = 0, EFI_LOADER_CODE = 1, EFI_LOADER_DATA = 2, EFI_BS_CODE = 3, EFI_BS_DATA = 4,
    EFI_RT_CODE = 5, EFI_RT_DATA = 6, EFI_CONVENTIONAL = 7, EFI_UNUSABLE = 8, EFI_ACPI_RECLAIM = 9,
    EFI_ACPI_NVS = 10, EFI_MMIO = 11, EFI_MMIO_PORT = 12, EFI_PAL_CODE = 13, EFI_PERSISTENT = 14,
    EFI_UNACCEPTED = 15,
};
#define EFI_DESC_MIN 40u
#define EFI_MEMORY_RUNTIME (1ull << 63)

struct boot_module {
    uint64_t start, end;                 /* physical [start, end) */
    char cmdline[BOOT_MODSTR_MAX];       /* the module string, verbatim */
};

struct boot_info {
    int mb_version;                      /* 1 or 2 */
    char cmdline[BOOT_CMDLINE_MAX];      /* keel's own command line */
    char loader_name[64];
    bool has_mem_bounds;
    uint32_t mem_lower_kib, mem_upper_kib;
    struct mem_range mmap[BOOT_MAX_MMAP];  /* sorted by base, non-overlapping */
    unsigned nmmap;
    struct boot_module mods[BOOT_MAX_MODS];
    unsigned nmods;
    /* ACPI RSDP: where it lives in firmware memory (0 if unknown; set after
     * parsing by acpi_locate_rsdp(), read through acpi_rsdp()), and the
     * boot loader's checksum-verified copy (multiboot2 tag 15, new, wins
     * over tag 14, old, in any order), rsdp_len bytes, rsdp_tag 0 if none. */
    uint64_t rsdp_phys;
    uint8_t rsdp[36];
    unsigned rsdp_len;
    unsigned rsdp_tag;
    const char *rsdp_source;             /* for the report: where rsdp_phys came from */
    /* EFI (multiboot2 tags 11/12, 17, 18): the system table's physical
     * address (0: not booted through EFI), whether it is the 64-bit table,
     * whether boot services were left running (tag 18), and the EFI memory
     * map verbatim (efi_mmap_len bytes of efi_desc_size-byte descriptors). */
    uint64_t efi_systab;
    bool efi_systab64;
    bool efi_bs_active;
    bool mmap_from_efi;                  /* mmap[] was built from the EFI map */
    uint32_t efi_desc_size, efi_desc_version, efi_mmap_len;
    uint8_t efi_mmap[BOOT_EFI_MMAP_MAX];
    uint64_t info_phys, info_end;        /* where the loader's info block lives */
};

/* Under EFI, boot-services code and data are free RAM once
 * ExitBootServices() ran, but configuration tables the OS still reads (ESRT,
 * HOB list, memory-attribute and debug tables, TPM event log, ...) live there
 * (UEFI 2.10 section 4.6), so keel's placement and the guest loaders keep off
 * it where they can. The next such descriptor at or after *off that overlaps
 * [base, end): its range in [*s, *e), *off moved past it. False when there is
 * none, or boot services still run (then the memory map reserves them). */
static inline bool efi_bs_overlap(const struct boot_info *bi, uint32_t *off, uint64_t base, uint64_t end,
                                  uint64_t *s, uint64_t *e)
{
    uint32_t ds = bi ? bi->efi_desc_size : 0;
    if (!ds || bi->efi_bs_active)
        return false;
    for (; *off + ds <= bi->efi_mmap_len; *off += ds) {
        const uint8_t *d = bi->efi_mmap + *off;
        uint32_t type = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
        uint64_t start = 0, pages = 0;
        unsigned k;
        for (k = 0; k < 8; k++) {
            start |= (uint64_t)d[8 + k] << (8 * k);
            pages |= (uint64_t)d[24 + k] << (8 * k);
        }
        if ((type != EFI_BS_CODE && type != EFI_BS_DATA) || pages >= (1ull << 52))
            continue;
        if (base < start + (pages << 12) && start < end) {
            *s = start;
            *e = start + (pages << 12);
            *off += ds;
            return true;
        }
    }
    return false;
}

#endif
