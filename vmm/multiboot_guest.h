/* Multiboot v1 guest loader: constants and the layout keel builds
 * (docs/loaders.md). */
#ifndef KEEL_VMM_MULTIBOOT_GUEST_H
#define KEEL_VMM_MULTIBOOT_GUEST_H
#include <stdint.h>
#include "vmm/loader_mem.h"

#define MB1_HEADER_MAGIC 0x1BADB002u

/* multiboot_info.flags bits keel sets */
#define MB1_INFO_MEMORY (1u << 0)
#define MB1_INFO_CMDLINE (1u << 2)
#define MB1_INFO_MODS (1u << 3)
#define MB1_INFO_MMAP (1u << 6)
#define MB1_INFO_LOADER_NAME (1u << 9)

/* The info block: struct multiboot_info (0x80 bytes reserved, zeroed),
 * then the mmap entries (24 bytes each), the module list (16 bytes each),
 * the strings (kernel command line, module strings, "keel"). Placed at
 * MB1_INFO_LOW when that RAM is free (it is unless the kernel loads
 * there), else page-aligned after the last module. */
#define MB1_INFO_LOW 0x9000ull
#define MB1_INFO_LOW_LIMIT 0x80000ull
#define MB1_INFO_SIZE 0x80u
#define MB1_LOADER_NAME "keel"

/* mem_lower (KiB of RAM from 0, at most 640) and mem_upper (KiB of
 * contiguous RAM from 1 MiB up to the first hole or reserved range, keel's
 * region included) from the loader's guest map. */
void multiboot_mem_bounds(const struct loader_ctx *c, uint32_t *lower_kib, uint32_t *upper_kib);

/* Shared with the Multiboot2 loader (vmm/multiboot2_guest.c). */
#define MB_SEG_MAX 32
struct mb_seg {
    uint64_t paddr, filesz, memsz, offset;
};
/* Loadable segments of an ELF32/ELF64 kernel by p_paddr (entry translated
 * to physical when it is a virtual address inside a segment). Returns the
 * number of segments, 0 on error (message printed). */
unsigned mb_parse_elf(const uint8_t *img, uint64_t size, struct mb_seg *segs, uint64_t *entry,
                      const char **kind);
/* The one segment an address header (v1 a.out kludge, v2 address tag)
 * describes; hoff is the header's file offset, header_addr its address. */
bool mb_parse_addresses(uint64_t size, uint64_t hoff, uint32_t header_addr, uint32_t load_addr,
                        uint32_t load_end, uint32_t bss_end, struct mb_seg *s);
/* The boot information of one Multiboot version, placed at or after
 * `after`; mods_start[i] is where module i was put. */
typedef bool (*mb_info_fn)(struct loader_ctx *c, uint64_t after, const uint64_t *mods_start,
                           uint64_t *info);
/* A kernel as its header and image describe it. */
struct mb_kernel {
    struct mb_seg segs[MB_SEG_MAX];
    unsigned nseg;
    uint64_t entry;
    const char *kind;       /* "ELF32", "a.out kludge", "address tag" ... for the report */
};
/* One Multiboot version: where its header is, what the header says about
 * the kernel (checks it, fills *k; false with a message), and its boot
 * information. */
struct mb_version {
    const char *name;       /* "multiboot", "multiboot2": message prefix and entry->kind */
    const uint8_t *(*find_header)(const uint8_t *img, uint64_t size, uint64_t *offset);
    bool (*parse)(const struct loader_ctx *c, const uint8_t *img, uint64_t size, const uint8_t *hdr,
                  uint64_t hoff, struct mb_kernel *k);
    mb_info_fn build_info;
    uint32_t magic;         /* EAX at entry */
};
/* Where mb_load put things, for the loader's report line. */
struct mb_placed {
    uint64_t kbase, kend, info;
};
/* Both versions' loader: find and parse the header, check every
 * destination and copy the kernel's segments, the modules page-aligned
 * after it (like GRUB), then the boot information; the entry state is
 * EIP = the entry point, EAX = magic, EBX = the information (Multiboot
 * 3.2, Multiboot2 3.3). */
bool mb_load(struct loader_ctx *c, const struct mb_version *ver, struct guest_entry *entry, struct mb_kernel *k,
             struct mb_placed *at);

/* The Multiboot v1 format loader, called by guest_load (vmm/loader.c)
 * after staging: fills *entry, prints its own messages. */
bool multiboot_guest_load(struct loader_ctx *c, struct guest_entry *entry);
/* The Multiboot v1 header in the first 8 KiB, or NULL. Sets *offset. */
const uint8_t *multiboot_find_header(const uint8_t *img, uint64_t size, uint64_t *offset);

#endif
