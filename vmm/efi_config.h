/* The EFI configuration table a guest reads (UEFI 2.10 sections 4.3, 4.6):
 * its ACPI entries name keel's copy of the RSDP, as the Multiboot2 ACPI
 * tags, Linux's acpi_rsdp_addr and the BIOS-area view do (vmm/guest_acpi.c).
 * Pure: the system table is read through a callback, the change is made in
 * a copy of the array's pages. */
#ifndef KEEL_VMM_EFI_CONFIG_H
#define KEEL_VMM_EFI_CONFIG_H
#include <stdint.h>

/* EFI_ACPI_20_TABLE_GUID and ACPI_TABLE_GUID (1.0), in memory order
 * (Data1-3 little-endian; UEFI 2.10 section 4.6). */
extern const uint8_t efi_acpi20_guid[16];
extern const uint8_t efi_acpi10_guid[16];

#define EFI_SYSTAB64_LEN 120u       /* EFI_SYSTEM_TABLE, 64-bit: through ConfigurationTable */
#define EFI_CONFIG_ENTRY_LEN 24u    /* EFI_CONFIGURATION_TABLE: GUID + VendorTable pointer */
#define EFI_CONFIG_MAX_ENTRIES 1024u
#define EFI_CONFIG_VIEW_PAGES 2u    /* the array may span at most this many 4 KiB pages */

/* Where a validated configuration table array lies. */
struct efi_config_view {
    uint64_t table;         /* the array (physical) */
    uint64_t entries;       /* NumberOfTableEntries */
    uint64_t page;          /* its first 4 KiB page */
    unsigned npages;        /* pages it spans, 1..EFI_CONFIG_VIEW_PAGES */
    unsigned nacpi;         /* ACPI 1.0 / 2.0 entries in it */
};

/* Reads len bytes at physical pa, or NULL where keel cannot read them. */
typedef const uint8_t *(*efi_read_fn)(void *ctx, uint64_t pa, uint64_t len);

/* Validate the 64-bit EFI system table at systab before anything is
 * written: 8-byte aligned and readable, signature "IBI SYST", HeaderSize at
 * least 120, 1..1024 entries, the array 8-byte aligned, readable, outside
 * [avoid_base, avoid_end) (keel's region), at most EFI_CONFIG_VIEW_PAGES
 * pages, with at least one ACPI entry. NULL and *v filled, or what is wrong
 * (a phrase for "the system table at X ..."). */
const char *efi_config_check(uint64_t systab, efi_read_fn read, void *ctx, uint64_t avoid_base, uint64_t avoid_end,
                             struct efi_config_view *v);

/* buf holds a copy of the v->npages pages at v->page: set the VendorTable
 * of every ACPI 1.0 / 2.0 entry in it to rsdp; every other byte stays.
 * Returns the entries changed. */
unsigned efi_config_retarget(const struct efi_config_view *v, uint8_t *buf, uint64_t rsdp);

#endif
