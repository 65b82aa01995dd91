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
    uint64_t rsdp_phys;                  /* 0 if unknown */
    uint8_t rsdp[36];                    /* copy of the RSDP (v2 tags), rsdp_len bytes */
    unsigned rsdp_len;
    uint64_t info_phys, info_end;        /* where the loader's info block lives */
};

#endif
