/* Named guest CPU profiles. The x86-64-vN profiles are the psABI
 * micro-architecture levels (x86-64 psABI 1.0, section 3.1.1) on top of a
 * "platform" set: what a 64-bit kernel needs or uses to be safe (paging,
 * APIC, SYSCALL, speculation controls...), none of it user-visible ISA beyond
 * the level. A level's system companions (XSAVEOPT... with XSAVE) come with it.
 * "host" = every passthrough-able feature; "minimal" = the least a 64-bit
 * kernel boots with, for testing. Guest = host & profile: see cpuid_policy.c. */
#include "vmm/profile.h"
#include "vmm/cpuid.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/format.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const uint16_t minimal_feats[] = {
    FEAT_FPU, FEAT_TSC, FEAT_MSR, FEAT_PAE, FEAT_CX8, FEAT_APIC, FEAT_PGE, FEAT_CMOV, FEAT_PAT,
    FEAT_MMX, FEAT_FXSR, FEAT_SSE, FEAT_SSE2, FEAT_SYSCALL, FEAT_NX, FEAT_LM,
};

/* x86-64-v1 = baseline ISA (CMOV CX8 FPU FXSR MMX SYSCALL SSE SSE2, all in
 * minimal, required) + the platform set (optional: vendor-specific, used
 * when the host has it, no message when it does not). */
static const uint16_t v1_opt[] = {
    FEAT_VME, FEAT_DE, FEAT_PSE, FEAT_MCE, FEAT_SEP, FEAT_MTRR, FEAT_MCA, FEAT_PSE36, FEAT_CLFLUSH,
    FEAT_SS, FEAT_PDPE1GB, FEAT_RDTSCP, FEAT_X2APIC, FEAT_TSC_DEADLINE, FEAT_ARAT, FEAT_INVTSC,
    FEAT_TSC_ADJUST, FEAT_PCID, FEAT_INVPCID, FEAT_SMEP, FEAT_SMAP, FEAT_UMIP,
    FEAT_FDP_EXCPTN_ONLY, FEAT_NO_FPU_SEL,
    /* speculation controls and "not affected" bits: a guest must be able to mitigate */
    FEAT_SPEC_CTRL, FEAT_STIBP, FEAT_FLUSH_L1D, FEAT_ARCH_CAPABILITIES, FEAT_SSBD, FEAT_MD_CLEAR,
    FEAT_RTM_ALWAYS_ABORT, FEAT_PSFD, FEAT_IPRED_CTRL, FEAT_RRSBA_CTRL, FEAT_DDPD_U, FEAT_BHI_CTRL,
    FEAT_MCDT_NO, FEAT_AMD_IBPB, FEAT_AMD_IBRS, FEAT_AMD_STIBP, FEAT_AMD_IBRS_ALWAYS_ON,
    FEAT_AMD_STIBP_ALWAYS_ON, FEAT_AMD_IBRS_FAST, FEAT_AMD_IBRS_SAME_MODE, FEAT_AMD_SSBD,
    FEAT_AMD_SSB_NO, FEAT_AMD_PSFD, FEAT_AMD_BTC_NO, FEAT_AMD_IBPB_RET,
    FEAT_NO_NESTED_DATA_BP, FEAT_LFENCE_RDTSC, FEAT_NULL_SEL_CLR_BASE, FEAT_NO_SMM_CTL_MSR,
};

static const uint16_t v2_feats[] = {
    FEAT_CX16, FEAT_LAHF_LM, FEAT_POPCNT, FEAT_SSE3, FEAT_SSE4_1, FEAT_SSE4_2, FEAT_SSSE3,
};

static const uint16_t v3_feats[] = {
    FEAT_AVX, FEAT_AVX2, FEAT_BMI1, FEAT_BMI2, FEAT_F16C, FEAT_FMA, FEAT_ABM, FEAT_MOVBE,
    FEAT_XSAVE,
};
static const uint16_t v3_opt[] = { FEAT_XSAVEOPT, FEAT_XSAVEC, FEAT_XGETBV1, FEAT_XSAVES };

static const uint16_t v4_feats[] = {
    FEAT_AVX512F, FEAT_AVX512BW, FEAT_AVX512CD, FEAT_AVX512DQ, FEAT_AVX512VL,
};

const struct cpu_profile cpu_profiles[] = {
    { "host", "everything safely virtualisable the host has", NULL, NULL, 0, NULL, 0, true },
    { "x86-64-v1", "psABI baseline (CMOV CX8 FPU FXSR MMX SYSCALL SSE SSE2) + platform set",
      &cpu_profiles[5], NULL, 0, v1_opt, N(v1_opt), false },
    { "x86-64-v2", "x86-64-v1 + CX16 LAHF/SAHF POPCNT SSE3 SSE4.1 SSE4.2 SSSE3",
      &cpu_profiles[1], v2_feats, N(v2_feats), NULL, 0, false },
    { "x86-64-v3", "x86-64-v2 + AVX AVX2 BMI1 BMI2 F16C FMA LZCNT MOVBE XSAVE",
      &cpu_profiles[2], v3_feats, N(v3_feats), v3_opt, N(v3_opt), false },
    { "x86-64-v4", "x86-64-v3 + AVX512F AVX512BW AVX512CD AVX512DQ AVX512VL",
      &cpu_profiles[3], v4_feats, N(v4_feats), NULL, 0, false },
    { "minimal", "the least a 64-bit kernel needs (testing)", NULL, minimal_feats,
      N(minimal_feats), NULL, 0, false },
};
const unsigned cpu_profile_count = N(cpu_profiles);

const struct cpu_profile *profile_find(const char *name)
{
    unsigned i;
    for (i = 0; i < cpu_profile_count; i++)
        if (strcmp(cpu_profiles[i].name, name) == 0)
            return &cpu_profiles[i];
    return NULL;
}

void profile_features(const struct cpu_profile *pr, uint64_t feat[FEAT_WORDS])
{
    unsigned i;
    memset(feat, 0, FEAT_WORDS * sizeof(uint64_t));
    for (; pr; pr = pr->base) {
        if (pr->all_pass)
            for (i = 1; i < FEAT_COUNT; i++)
                if (feat_table[i].cls == FC_PASS)
                    feat_set(feat, i);
        for (i = 0; i < pr->nfeats; i++)
            feat_set(feat, pr->feats[i]);
        for (i = 0; i < pr->nopt; i++)
            feat_set(feat, pr->opt[i]);
    }
}

void profile_required(const struct cpu_profile *pr, uint64_t feat[FEAT_WORDS])
{
    unsigned i;
    memset(feat, 0, FEAT_WORDS * sizeof(uint64_t));
    for (; pr; pr = pr->base)
        for (i = 0; i < pr->nfeats; i++)
            feat_set(feat, pr->feats[i]);
}

static void log_list(const char *tag, const uint16_t *list, unsigned cnt)
{
    char line[120], name[32];
    unsigned j, n = 0;
    bool first = true;
    for (j = 0; j < cnt; j++) {
        feat_lname(list[j], name, sizeof(name));
        if (n && n + strlen(name) + 2 > 90) {
            klog("  %-9s:%s", first ? tag : "", line);
            first = false;
            n = 0;
        }
        n += (unsigned)ksnprintf(line + n, sizeof(line) - n, " %s", name);
    }
    if (n)
        klog("  %-9s:%s", first ? tag : "", line);
}

void profile_log_names(void)
{
    char line[160];
    unsigned i, n = 0;
    line[0] = 0;
    for (i = 0; i < cpu_profile_count; i++)
        n += (unsigned)ksnprintf(line + n, sizeof(line) - n, " %s", cpu_profiles[i].name);
    klog("cpuid: valid profiles:%s", line);
}

void policy_print_profiles(void)
{
    unsigned i;
    for (i = 0; i < cpu_profile_count; i++) {
        const struct cpu_profile *pr = &cpu_profiles[i];
        klog("profile %s: %s%s%s", pr->name, pr->desc, pr->base ? "; on top of " : "",
             pr->base ? pr->base->name : "");
        if (pr->all_pass)
            klog("  every passthrough-able feature of the host (cpuid.dump shows them)");
        log_list("required", pr->feats, pr->nfeats);
        log_list("optional", pr->opt, pr->nopt);
    }
}
