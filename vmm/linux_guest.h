/* Linux bzImage guest loader (x86 boot protocol >= 2.10, 32-bit entry):
 * setup-header and zero-page offsets used, and where keel puts things
 * (docs/loaders.md). */
#ifndef KEEL_VMM_LINUX_GUEST_H
#define KEEL_VMM_LINUX_GUEST_H
#include <stdint.h>
#include "vmm/loader_mem.h"

#define LINUX_MIN_VERSION 0x020a          /* 2.10: pref_address, init_size */

/* struct setup_header fields (offsets in the image and in the zero page) */
#define LH_SETUP_SECTS 0x1f1              /* u8, 0 means 4 */
#define LH_SYSSIZE 0x1f4                  /* u32, 16-byte paragraphs */
#define LH_VID_MODE 0x1fa                 /* u16 */
#define LH_BOOT_FLAG 0x1fe                /* u16 0xAA55 */
#define LH_JUMP 0x200                     /* EB xx: header ends at 0x202 + xx */
#define LH_HEADER 0x202                   /* "HdrS" */
#define LH_VERSION 0x206                  /* u16 */
#define LH_TYPE_OF_LOADER 0x210           /* u8 */
#define LH_LOADFLAGS 0x211                /* u8 */
#define LH_CODE32_START 0x214             /* u32 */
#define LH_RAMDISK_IMAGE 0x218            /* u32 */
#define LH_RAMDISK_SIZE 0x21c             /* u32 */
#define LH_HEAP_END_PTR 0x224             /* u16 */
#define LH_CMD_LINE_PTR 0x228             /* u32 */
#define LH_INITRD_ADDR_MAX 0x22c          /* u32: highest address of the initrd's last byte */
#define LH_KERNEL_ALIGNMENT 0x230         /* u32 */
#define LH_RELOCATABLE 0x234              /* u8 */
#define LH_MIN_ALIGNMENT 0x235            /* u8, log2 */
#define LH_CMDLINE_SIZE 0x238             /* u32: max length without the NUL */
#define LH_HW_SUBARCH 0x23c               /* u32 */
#define LH_SETUP_DATA 0x250               /* u64 */
#define LH_PREF_ADDRESS 0x258             /* u64 */
#define LH_INIT_SIZE 0x260                /* u32 */
#define LH_MIN_IMAGE 0x264                /* bytes of image needed to read all of the above */

#define LF_LOADED_HIGH 0x01
#define LF_CAN_USE_HEAP 0x80

/* zero page (struct boot_params) */
#define ZP_SIZE 0x1000
#define ZP_ACPI_RSDP_ADDR 0x070           /* u64, protocol >= 2.14 */
#define ZP_EXT_RAMDISK_IMAGE 0x0c0
#define ZP_EXT_RAMDISK_SIZE 0x0c4
#define ZP_EXT_CMD_LINE_PTR 0x0c8
/* struct efi_info (arch/x86/include/uapi/asm/bootparam.h) */
#define ZP_EFI_LOADER_SIGNATURE 0x1c0     /* u32 "EL64": 64-bit EFI firmware */
#define ZP_EFI_SYSTAB 0x1c4               /* u32 low half */
#define ZP_EFI_MEMDESC_SIZE 0x1c8         /* u32 */
#define ZP_EFI_MEMDESC_VERSION 0x1cc      /* u32 */
#define ZP_EFI_MEMMAP 0x1d0               /* u32 low half */
#define ZP_EFI_MEMMAP_SIZE 0x1d4          /* u32 bytes */
#define ZP_EFI_SYSTAB_HI 0x1d8            /* u32 */
#define ZP_EFI_MEMMAP_HI 0x1dc            /* u32 */
#define ZP_ALT_MEM_K 0x1e0                /* u32 */
#define ZP_E820_ENTRIES 0x1e8             /* u8 */
#define ZP_E820_TABLE 0x2d0               /* 20-byte entries */
#define ZP_E820_MAX 128

/* keel's placement: zero page and command line below 1 MiB when that RAM
 * is free, otherwise anywhere free below 4 GiB. */
#define LINUX_ZERO_PAGE 0x9000ull
#define LINUX_CMDLINE 0xa000ull
#define LINUX_HEAP_END 0x8e00             /* as GRUB sets it; unused by the 32-bit entry */
#define LINUX_DEFAULT_LOAD 0x100000ull
/* The EFI memory map keel hands Linux goes below 640 KiB when free: the
 * kernel's decompressor and KASLR never use memory below 1 MiB, and Linux
 * memblock-reserves the map itself (efi_memblock_x86_reserve_range). */
#define LINUX_EFI_MAP_LOW 0x10000ull
#define LINUX_EFI_MAP_LOW_LIMIT 0x9f000ull

/* The Linux boot-protocol loader, called by guest_load (vmm/loader.c)
 * after staging: fills *entry, prints its own messages. */
bool linux_guest_load(struct loader_ctx *c, struct guest_entry *entry);
/* A Linux bzImage (any boot protocol version): "HdrS" at 0x202. */
bool linux_is_bzimage(const uint8_t *img, uint64_t size);

#endif
