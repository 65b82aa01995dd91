/* libFuzzer target for the multiboot info parser (boot/mbinfo.c), the
 * placement over its result, and the EFI memory-map carve-out: random
 * bytes as a Multiboot2 info (first byte selects v1/v2; the input is the
 * block at physical 0x8000 of a fake 1 MiB memory, reads outside it fail).
 * Checks: no crash or out-of-bounds read (ASan), the map sorted and
 * non-overlapping, the RSDP copy checksummed, the kept EFI map whole
 * descriptors, the carved map never larger than its bound.
 *   make build/fuzz/mbinfo && build/fuzz/mbinfo -runs=200000 */
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "boot/mbinfo.h"
#include "boot/placement.h"
#include "vmm/efi_map.h"
#include "lib/log.h"

#define INFO_AT 0x8000u
static uint8_t *mem;
static size_t mem_len;

static const void *reader(uint64_t addr, size_t len)
{
    if (addr < INFO_AT || addr + len < addr || addr + len > INFO_AT + mem_len)
        return NULL;
    return mem + (addr - INFO_AT);
}

static void sink(const char *s, unsigned long n) { (void)s, (void)n; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct boot_info bi;
    static uint8_t carved[BOOT_EFI_MMAP_MAX + 2 * 4096];
    struct placement pl;
    unsigned i;
    uint32_t magic;
    if (size < 1)
        return 0;
    console_reset_sinks();
    console_add_sink(sink);
    magic = data[0] & 1 ? MB1_BOOT_MAGIC : MB2_BOOT_MAGIC;
    mem_len = size - 1;
    mem = malloc(mem_len ? mem_len : 1);
    memcpy(mem, data + 1, mem_len);
    if (!mbinfo_parse(magic, INFO_AT, reader, &bi)) {
        for (i = 1; i < bi.nmmap; i++)
            if (bi.mmap[i - 1].base > bi.mmap[i].base)
                abort();
        if (bi.rsdp_len) {
            uint8_t s = 0;
            for (i = 0; i < 20; i++)
                s += bi.rsdp[i];
            if (s || memcmp(bi.rsdp, "RSD PTR ", 8))
                abort();
        }
        if (bi.efi_mmap_len && (bi.efi_desc_size < EFI_DESC_MIN || bi.efi_mmap_len % bi.efi_desc_size ||
                                bi.efi_mmap_len > sizeof(bi.efi_mmap)))
            abort();
        (void)mbinfo_validate(&bi);
        (void)place_keel(&bi, 16u << 20, 0x100000, 0x200000, &pl);
        if (bi.efi_mmap_len) {
            size_t max = efi_map_carved_max(bi.efi_mmap_len, bi.efi_desc_size, 1);
            size_t n = efi_map_carve(bi.efi_mmap, bi.efi_mmap_len, bi.efi_desc_size, 0x1000000, 0x2000000,
                                     carved, max);
            if (n > max || n % bi.efi_desc_size)
                abort();
        }
    }
    free(mem);
    return 0;
}
