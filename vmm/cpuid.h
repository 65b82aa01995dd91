/* The CPUID policy: host snapshot, guest policy, hot-path lookup and the
 * CPUID/XSETBV exit handlers. docs/cpuid.md explains the model. */
#ifndef KEEL_VMM_CPUID_H
#define KEEL_VMM_CPUID_H
#include <stdint.h>
#include <stdbool.h>
#include "vmm/cpu_policy.h"
#include "arch/x86/x86_defs.h"

/* ---- host snapshot ------------------------------------------------------ */

#define CPUID_SNAP_MAX 256
#define CPUID_SNAP_HAS_SL 1u   /* print "[SL nn]" (the leaf has subleaves) */

struct cpuid_snap_entry {
    uint32_t leaf;
    uint8_t sub;
    uint8_t flags;             /* CPUID_SNAP_HAS_SL */
    struct cpuid_regs r;
};

/* The host's leaves and subleaves that matter, in the order read (or
 * parsed), plus host MSR facts that only the caller can read. */
struct cpuid_snapshot {
    unsigned n;
    struct cpuid_snap_entry e[CPUID_SNAP_MAX];
    uint64_t arch_caps;        /* host IA32_ARCH_CAPABILITIES (0 if absent) */
    /* The host's first event-select MSR (AMD PerfEvtSel0, Intel
     * IA32_PERFEVTSEL0) kept a written value: a real PMU. CPUID cannot say:
     * AMD's legacy counters have no bit, and Bochs advertises an Intel PMU
     * (leaf 0xA) whose MSRs fault. */
    bool host_pmu;
};

#ifndef KEEL_HOSTED
/* Read the host's CPUID leaves (and IA32_ARCH_CAPABILITIES when CPUID says
 * it exists). Boot-time only. */
void cpuid_snapshot_host(struct cpuid_snapshot *s);
#endif
/* Parse an AIDA64-style dump ("CPUID 0000000D: a-b-c-d [SL 01] ..."), plus
 * keel's own "MSR 0000010A: hi-lo" and "PMU host: yes|no" lines (host_pmu
 * stays false without one); other lines are skipped, a "keel: " prefix is
 * accepted. False if a CPUID line
 * is malformed, the snapshot overflows or leaf 0 is missing. */
bool cpuid_snapshot_parse(const char *text, struct cpuid_snapshot *s);
/* klog every entry as "CPUID 00000001: xxxxxxxx-xxxxxxxx-xxxxxxxx-xxxxxxxx". */
void cpuid_snapshot_print(const struct cpuid_snapshot *s);
/* The registers of leaf.sub; false (and zeros) if not in the snapshot. */
bool cpuid_snapshot_get(const struct cpuid_snapshot *s, uint32_t leaf, uint32_t sub,
                        struct cpuid_regs *out);
/* Add or replace an entry (tests, fuzzer). False if full. */
bool cpuid_snapshot_set(struct cpuid_snapshot *s, uint32_t leaf, uint32_t sub, bool has_sl,
                        const struct cpuid_regs *r);

/* ---- feature table ------------------------------------------------------ */

struct feat_info {
    const char *name;          /* upper case as in cpu_features.def */
    uint32_t leaf;
    uint8_t sub, reg, bit, cls;   /* reg: enum cpuid_reg, cls: enum feat_class */
    uint16_t dep;              /* enum cpu_feature, FEAT_NONE if none */
};
extern const struct feat_info feat_table[FEAT_COUNT];   /* [FEAT_NONE] is a dummy */
/* Second prerequisites (a feature needs both its dep and this). */
struct feat_dep { uint16_t feat, dep; };
extern const struct feat_dep feat_extra_deps[];
extern const unsigned feat_extra_deps_count;

/* Lookup by name, case-insensitive ('.' and '-' match '_'); FEAT_NONE if unknown. */
enum cpu_feature feat_by_name(const char *name, unsigned len);
/* Lower-case name into buf (returns buf). */
const char *feat_lname(enum cpu_feature f, char *buf, unsigned size);
static inline bool feat_test(const uint64_t *set, unsigned f) { return (set[f / 64] >> (f % 64)) & 1; }
static inline void feat_set(uint64_t *set, unsigned f) { set[f / 64] |= 1ull << (f % 64); }
static inline void feat_clear(uint64_t *set, unsigned f) { set[f / 64] &= ~(1ull << (f % 64)); }
/* Host capability per the feature table (leaf within the host's range). */
void cpuid_host_features(const struct cpuid_snapshot *host, uint64_t feat[FEAT_WORDS]);

/* ---- policy --------------------------------------------------------------- */

/* IA32_ARCH_CAPABILITIES bits passed through to the guest (host & mask):
 * "not affected" / "mitigation present" facts that need no MSR keel lacks.
 * docs/cpuid.md lists them. */
#define ARCH_CAPS_GUEST_MASK                                                     \
    ((1ull << 0) | (1ull << 1) | (1ull << 2) | (1ull << 4) | (1ull << 5) |         \
     (1ull << 6) | (1ull << 8) | (1ull << 13) | (1ull << 14) | (1ull << 15) |      \
     (1ull << 17) | (1ull << 19) | (1ull << 20) | (1ull << 24) | (1ull << 26) |    \
     (1ull << 27) | (1ull << 28))

/* Build the guest policy: guest = host & profile & ~never (+ emulated), with
 * overrides "+name,-name" applied to the profile, then the dependency closure.
 * profile NULL/"" = "host"; overrides may be NULL. nr_vcpus 0 counts as 1.
 * Returns 0, or -1 on an unknown profile or feature name (a klog line says
 * which and lists the valid names); on -1 *p holds the "host" policy without
 * overrides, so the caller may use it as the fallback. */
int policy_init(struct cpu_policy *p, const struct cpuid_snapshot *host, const char *profile,
                const char *overrides, unsigned nr_vcpus);
/* The same with a guest PMU policy (policy_init: PMU_OFF). PMU_PASSTHROUGH
 * on a host without a PMU says so and falls back to PMU_OFF. */
int policy_init_pmu(struct cpu_policy *p, const struct cpuid_snapshot *host, const char *profile,
                    const char *overrides, unsigned nr_vcpus, enum pmu_mode pmu);

/* Hot path: the guest's static view of leaf.subleaf (no state-dependent
 * bits). Returns the enum cpuid_dyn_kind the exit handler must apply. */
static inline unsigned policy_cpuid_lookup(const struct cpu_policy *p, uint32_t leaf,
                                           uint32_t sub, struct cpuid_regs *out)
{
    const struct cpuid_slot *s;
    if (leaf <= p->max_basic)
        s = &p->basic[leaf];
    else if (leaf - CPUID_EXT_BASE <= p->max_ext - CPUID_EXT_BASE)
        s = &p->ext[leaf - CPUID_EXT_BASE];
    else if (leaf - CPUID_HV_BASE < 0x10000000u) {
        /* 0x40000000-0x4FFFFFFF: the hypervisor range, keel's signature then zeros. */
        if (leaf == CPUID_HV_BASE)
            *out = p->hv;
        else
            *out = (struct cpuid_regs){ 0, 0, 0, 0 };
        return DYN_NONE;
    } else if (p->vendor == VENDOR_INTEL)
        s = &p->basic[p->max_basic];   /* SDM: highest basic leaf's data */
    else {
        *out = (struct cpuid_regs){ 0, 0, 0, 0 };   /* AMD: reserved leaves read 0 */
        return DYN_NONE;
    }
    if (s->kind == SLOT_FLAT)
        sub = 0;
    else if (sub >= s->nsub) {
        *out = (struct cpuid_regs){ 0, 0, s->kind == SLOT_TOPO ? (sub & 0xff) : 0, 0 };
        return s->kind == SLOT_TOPO ? DYN_TOPO : DYN_NONE;
    }
    *out = p->regs[s->first + sub];
    return s->dyn;
}

void policy_cpuid(const struct cpu_policy *p, uint32_t leaf, uint32_t subleaf,
                  struct cpuid_regs *out);

/* Guest state the dynamic bits depend on. */
struct cpuid_dyn_state {
    uint32_t apic_id;
    uint64_t cr4, xcr0, xss;
};
/* policy_cpuid plus the state-dependent bits. */
void policy_cpuid_dynamic(const struct cpu_policy *p, uint32_t leaf, uint32_t subleaf,
                          const struct cpuid_dyn_state *d, struct cpuid_regs *out);
/* Patch r for dyn kind k (used by policy_cpuid_dynamic and handle_cpuid). */
void cpuid_apply_dyn(const struct cpu_policy *p, unsigned k, uint32_t subleaf,
                     const struct cpuid_dyn_state *d, struct cpuid_regs *r);
/* XSAVE area sizes for the guest: standard format for xcr0, compacted
 * format for xcr0|xss (bits outside the guest masks are ignored). */
uint32_t policy_xsave_size(const struct cpu_policy *p, uint64_t xcr0);
uint32_t policy_xsave_size_compacted(const struct cpu_policy *p, uint64_t xcr0_xss);
/* The XSETBV rules (SDM Vol. 1 13.3, Vol. 2 XSETBV) for XCR0 against the policy. */
bool policy_xcr0_valid(const struct cpu_policy *p, uint64_t xcr0);

/* cpuid.dump: host vs guest, every leaf, one klog line each. */
void policy_dump(const struct cpu_policy *p, const struct cpuid_snapshot *host);

/* ---- exit handlers (vmm/cpuid_exit.c) ------------------------------------- */
struct vcpu;
void handle_cpuid(struct vcpu *v);
/* Fill v->cpuid_fast from v->policy (after it is set, before the run). */
void cpuid_fast_init(struct vcpu *v);
void handle_xsetbv(struct vcpu *v);

#endif
