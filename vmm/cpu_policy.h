/* Guest CPU capabilities: host capabilities AND a named guest profile.
 * The single source of truth for "does the guest have feature X".
 * Implemented in vmm/cpuid*.c (owned by the CPUID policy). */
#ifndef KEEL_VMM_CPU_POLICY_H
#define KEEL_VMM_CPU_POLICY_H
#include <stdint.h>
#include <stdbool.h>

enum cpu_vendor { VENDOR_OTHER = 0, VENDOR_INTEL, VENDOR_AMD };
enum cpuid_reg { R_EAX, R_EBX, R_ECX, R_EDX };

enum cpu_feature {
    FEAT_NONE = 0,
#define FEAT(name, leaf, sub, reg, bit, cls, dep) FEAT_##name,
#include "vmm/cpu_features.def"
#undef FEAT
    FEAT_COUNT
};

#define FEAT_WORDS ((FEAT_COUNT + 63) / 64)

struct cpu_policy {
    enum cpu_vendor vendor;
    uint64_t feat[FEAT_WORDS];      /* guest caps, one bit per enum cpu_feature */
    uint8_t maxphyaddr;             /* CPUID 0x80000008 EAX[7:0] */
    uint64_t xcr0_mask;             /* XCR0 bits the guest may set */
    uint64_t xss_mask;              /* IA32_XSS bits the guest may set */
    uint64_t arch_capabilities;     /* guest IA32_ARCH_CAPABILITIES value */
    /* The CPUID policy adds its own fields (guest leaf tables, profile...) below. */
};

static inline bool policy_has(const struct cpu_policy *p, enum cpu_feature f)
{
    return (p->feat[f / 64] >> (f % 64)) & 1;
}

#endif
