/* The ACPI MADT (ACPI 6.5 section 5.2.12): which CPUs the machine has, and
 * the rewrite that hides from the guest the CPUs keel could not start.
 * Pure functions on a buffer: the same code runs on the firmware's table,
 * on a guest copy of it, and in the host unit tests. */
#ifndef KEEL_VMM_MADT_H
#define KEEL_VMM_MADT_H
#include <stdint.h>
#include <stdbool.h>
#include "vmm/smp_limits.h"

#define MADT_HEADER_LEN 44          /* SDT header (36) + local APIC address + flags */
#define MADT_TYPE_LAPIC 0           /* Processor Local APIC, 8 bytes (5.2.12.2) */
#define MADT_TYPE_X2APIC 9          /* Processor Local x2APIC, 16 bytes (5.2.12.12) */
#define MADT_CPU_ENABLED 0x1        /* Local APIC flags (table 5.23) */
#define MADT_CPU_ONLINE_CAPABLE 0x2

struct madt_cpu {
    uint32_t apic_id;
    uint32_t uid;                   /* ACPI processor UID */
    uint8_t type;                   /* MADT_TYPE_LAPIC / MADT_TYPE_X2APIC */
    bool enabled;                   /* usable now (else online-capable: the OS may start it later) */
};

struct madt_info {
    uint32_t lapic_addr;            /* the MADT's 32-bit local APIC address */
    unsigned ncpus;                 /* CPUs listed (enabled or online-capable), at most KEEL_MAX_CPUS */
    unsigned over_limit;            /* further CPUs past KEEL_MAX_CPUS, not in cpus[] */
    unsigned disabled;              /* entries with neither flag: not CPUs the OS may use */
    struct madt_cpu cpus[KEEL_MAX_CPUS];
};

/* Parse the MADT at [madt, madt+len). Returns NULL, or a message naming
 * what is malformed (short header, entry shorter than its type needs or
 * running past the table, duplicate APIC ID); `out` is then partial. The
 * checksum is the caller's business (keel checks it when finding tables). */
const char *madt_parse(const uint8_t *madt, uint32_t len, struct madt_info *out);

/* Hide every CPU for which keep(apic_id) is false: clear its Enabled and
 * Online Capable flags, so an OS skips the entry (5.2.12.2: "If zero, this
 * processor is unusable"), then fix the table checksum. Entry sizes and
 * order are unchanged, so the table stays where it is. Returns how many
 * entries were hidden. The table must have passed madt_parse. */
unsigned madt_hide_cpus(uint8_t *madt, uint32_t len, bool (*keep)(uint32_t apic_id, void *ctx), void *ctx);

#endif
