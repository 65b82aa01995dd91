/* The guest's ACPI tables: a copy of the firmware's root tables (RSDP,
 * XSDT, RSDT) that keel builds in guest memory, listing every firmware
 * table except those a hook drops (DMAR/IVRS when keel owns the IOMMU)
 * and pointing at a hook's rewritten copy where one replaces a table
 * (e.g. a MADT rewrite). Tables nobody hooks stay where the firmware put
 * them. Checksums of everything written are fixed (ACPI 6.x 5.2.5.3,
 * 5.2.6). Pure: firmware memory is read through a callback, the output is
 * a buffer, so it runs hosted in the unit tests. */
#ifndef KEEL_VMM_ACPI_COPY_H
#define KEEL_VMM_ACPI_COPY_H
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

enum acpi_verdict { ACPI_KEEP, ACPI_DROP, ACPI_REPLACE };

/* Called once per distinct firmware table with the hook's signature. `in`
 * is the table (in_len bytes, checksum verified). For ACPI_REPLACE the
 * hook writes its table (header included) to out (at most out_max bytes)
 * and sets *out_len; the builder fixes its length field and checksum. */
typedef enum acpi_verdict (*acpi_hook_fn)(const uint8_t *in, uint32_t in_len, uint8_t *out, uint32_t out_max,
                                          uint32_t *out_len, void *arg);

struct acpi_hook {
    char sig[4];
    acpi_hook_fn fn;
    void *arg;
};

/* A hook that drops its table. */
enum acpi_verdict acpi_hook_drop(const uint8_t *in, uint32_t in_len, uint8_t *out, uint32_t out_max,
                                 uint32_t *out_len, void *arg);

/* Firmware memory [pa, pa+len) readable by keel, or NULL. */
typedef const uint8_t *(*acpi_read_fn)(void *ctx, uint64_t pa, uint64_t len);

struct acpi_copy_in {
    uint64_t rsdp_pa;                 /* the firmware's RSDP */
    /* Or its bytes (20, or 36 for revision >= 2) where it is not in
     * addressable memory, e.g. a multiboot2 ACPI tag's copy; else NULL. */
    const uint8_t *rsdp;
    acpi_read_fn read;
    void *ctx;
    const struct acpi_hook *hooks;
    unsigned nhooks;
};

struct acpi_copy_out {
    uint64_t rsdp, xsdt, rsdt;        /* guest-physical addresses in the copy (0: none) */
    uint64_t used;                    /* bytes of the buffer used */
    unsigned kept, dropped, replaced; /* distinct firmware tables */
};

#define ACPI_COPY_MAX_TABLES 64

/* Build the copy in buf (buf_size bytes, at guest-physical buf_gpa, below
 * 4 GiB so the RSDT can point into it). NULL or a message. */
const char *acpi_copy_build(const struct acpi_copy_in *in, uint8_t *buf, uint64_t buf_gpa, uint64_t buf_size,
                            struct acpi_copy_out *out);

/* Point an RSDP copy (20 bytes, or 36 for revision >= 2) at other root
 * tables and fix both its checksums. */
void acpi_rsdp_retarget(uint8_t *rsdp, uint32_t rsdt, uint64_t xsdt);

uint8_t acpi_checksum(const uint8_t *p, uint64_t len);

#endif
