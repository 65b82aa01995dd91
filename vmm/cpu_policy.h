/* Guest CPU capabilities: host capabilities AND a named guest profile.
 * The single source of truth for "does the guest have feature X".
 * Implemented in vmm/cpuid*.c (owned by the CPUID policy); docs/cpuid.md. */
#ifndef KEEL_VMM_CPU_POLICY_H
#define KEEL_VMM_CPU_POLICY_H
#include <stdint.h>
#include <stdbool.h>
#include "arch/x86/cpu.h"   /* struct cpuid_regs */

enum cpu_vendor { VENDOR_OTHER = 0, VENDOR_INTEL, VENDOR_AMD };
enum cpuid_reg { R_EAX, R_EBX, R_ECX, R_EDX };
enum feat_class { FC_PASS, FC_EMUL, FC_NEVER, FC_PMU };

/* Guest PMU policy (pmu=): off, or the host's counters passed through. */
enum pmu_mode { PMU_OFF = 0, PMU_PASSTHROUGH };

enum cpu_feature {
    FEAT_NONE = 0,
#define FEAT(name, leaf, sub, reg, bit, cls, dep) FEAT_##name,
#include "vmm/cpu_features.def"
#undef FEAT
    FEAT_COUNT
};

#define FEAT_WORDS ((FEAT_COUNT + 63) / 64)

/* Guest leaf tables, precomputed by policy_init() so that policy_cpuid() is
 * a bounds check and an array index. Basic leaves 0..CPUID_BASIC_SLOTS-1,
 * extended leaves 0x80000000..+CPUID_EXT_SLOTS-1; the guest's maximum
 * leaves are clamped to these. */
#define CPUID_BASIC_SLOTS 0x20u
#define CPUID_EXT_SLOTS 0x23u
#define CPUID_EXT_BASE 0x80000000u
#define CPUID_HV_BASE 0x40000000u
#define CPUID_HV_MAX 0x40000001u   /* 0x40000001: keel feature leaf, all zero for now */
#define CPUID_POLICY_REGS 128u
#define CPUID_XSAVE_COMPONENTS 32u  /* XCR0/XSS bits keel may ever hand out: 0..31 */

/* How a slot treats ECX. */
enum cpuid_slot_kind {
    SLOT_FLAT = 0,   /* no subleaves: ECX ignored */
    SLOT_INDEXED,    /* subleaf < nsub: that entry; beyond: all zero */
    SLOT_TOPO,       /* 0xB/0x1F: beyond nsub: ECX[7:0] = subleaf, rest 0 (+x2APIC ID) */
};

/* Which guest-state-dependent bits the exit handler patches (vmm/cpuid_exit.c). */
enum cpuid_dyn_kind {
    DYN_NONE = 0,
    DYN_LEAF1,       /* EBX[31:24] initial APIC ID, ECX[27] OSXSAVE = CR4.OSXSAVE */
    DYN_LEAF7,       /* 7.0 ECX[4] OSPKE = CR4.PKE */
    DYN_TOPO,        /* EDX = x2APIC ID */
    DYN_XSAVE,       /* 0xD.0/0xD.1 EBX = XSAVE area size for the current XCR0 / XCR0|XSS */
};

struct cpuid_slot {
    uint8_t first;   /* index into cpu_policy.regs */
    uint8_t nsub;
    uint8_t kind;    /* enum cpuid_slot_kind */
    uint8_t dyn;     /* enum cpuid_dyn_kind */
};

/* Why a feature is (not) in the guest: filled by policy_init, printed by policy_dump. */
enum feat_why {
    WHY_GUEST = 0,     /* the guest has it */
    WHY_HOST_LACKS,    /* the profile requires it (or cpuid=+), the host does not have it */
    WHY_NEVER,         /* never exposed (cpu_features.def has the reason) */
    WHY_PROFILE,       /* not in the profile */
    WHY_OVERRIDE,      /* removed by cpuid=-name */
    WHY_DEP,           /* a prerequisite is missing (dependency closure) */
    WHY_ABSENT,        /* optional for the profile and the host does not have it */
    WHY_PMU,           /* part of the PMU and the guest has none (pmu=off, or no host PMU) */
};

struct cpu_policy {
    enum cpu_vendor vendor;
    uint64_t feat[FEAT_WORDS];      /* guest caps, one bit per enum cpu_feature */
    uint8_t maxphyaddr;             /* CPUID 0x80000008 EAX[7:0] */
    uint64_t xcr0_mask;             /* XCR0 bits the guest may set */
    uint64_t xss_mask;              /* IA32_XSS bits the guest may set */
    uint64_t arch_capabilities;     /* guest IA32_ARCH_CAPABILITIES value */
    /* Guest PMU (pmu=): what the guest got, and on Intel what CPUID leaf 0xA
     * enumerates (all 0 without a PMU). The MSR table's PMU rows exist from these. */
    uint8_t pmu;                    /* enum pmu_mode */
    uint8_t pmu_version;            /* leaf 0xA EAX[7:0] */
    uint8_t pmu_gp_counters;        /* leaf 0xA EAX[15:8] */
    uint8_t pmu_fixed_counters;     /* leaf 0xA EDX[4:0] (version 2 and up) */
    /* ---- CPUID policy internals (vmm/cpuid*) ---- */
    uint32_t max_basic;             /* guest CPUID.0.EAX, < CPUID_BASIC_SLOTS */
    uint32_t max_ext;               /* guest CPUID.0x80000000.EAX */
    unsigned nr_vcpus;
    const char *profile;            /* profile name (static string) */
    uint64_t host_feat[FEAT_WORDS]; /* host caps as the policy saw them */
    uint8_t why[FEAT_COUNT];        /* enum feat_why, per feature */
    struct cpuid_slot basic[CPUID_BASIC_SLOTS];
    struct cpuid_slot ext[CPUID_EXT_SLOTS];
    struct cpuid_regs hv;           /* leaf 0x40000000 */
    uint8_t nregs;
    struct cpuid_regs regs[CPUID_POLICY_REGS];
    /* Standard-format offset/size and compacted 64-byte alignment of each
     * XSAVE component the guest may enable (from host leaf 0xD.i). */
    uint32_t xsave_off[CPUID_XSAVE_COMPONENTS];
    uint32_t xsave_size[CPUID_XSAVE_COMPONENTS];
    uint32_t xsave_align64;         /* bit i: component i is 64-byte aligned when compacted */
};

static inline bool policy_has(const struct cpu_policy *p, enum cpu_feature f)
{
    return (p->feat[f / 64] >> (f % 64)) & 1;
}

#endif
