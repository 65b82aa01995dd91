/* The feature table generated from vmm/cpu_features.def, name lookup and
 * the host capability set. */
#include "vmm/cpuid.h"
#include "lib/string.h"

const struct feat_info feat_table[FEAT_COUNT] = {
    [FEAT_NONE] = { "NONE", 0, 0, 0, 0, FC_NEVER, FEAT_NONE },
#define FEAT(name, leaf, sub, reg, bit, cls, dep) \
    [FEAT_##name] = { #name, leaf, sub, reg, bit, cls, FEAT_##dep },
#include "vmm/cpu_features.def"
#undef FEAT
};

/* Features with a second prerequisite. VAES/VPCLMULQDQ are the VEX/EVEX forms
 * of AES/PCLMULQDQ (SDM Vol. 2); CET state lives in XSAVES-managed
 * supervisor components, so a guest kernel without XSAVES cannot switch it. */
const struct feat_dep feat_extra_deps[] = {
    { FEAT_AVX, FEAT_SSE },   /* XCR0.AVX requires XCR0.SSE (SDM Vol. 1 13.3) */
    { FEAT_VAES, FEAT_AES },
    { FEAT_VPCLMULQDQ, FEAT_PCLMULQDQ },
    { FEAT_SHSTK, FEAT_XSAVES },
    { FEAT_IBT, FEAT_XSAVES },
    { FEAT_AMX_INT8, FEAT_XFD },
    { FEAT_AVX512_4VNNIW, FEAT_AVX512BW },
};
const unsigned feat_extra_deps_count = sizeof(feat_extra_deps) / sizeof(feat_extra_deps[0]);

static char canon(char c)
{
    if (c >= 'a' && c <= 'z')
        return (char)(c - 'a' + 'A');
    if (c == '.' || c == '-')
        return '_';
    return c;
}

enum cpu_feature feat_by_name(const char *name, unsigned len)
{
    unsigned f, i;
    for (f = 1; f < FEAT_COUNT; f++) {
        const char *n = feat_table[f].name;
        for (i = 0; i < len && n[i] && canon(name[i]) == n[i]; i++)
            ;
        if (i == len && n[i] == 0)
            return (enum cpu_feature)f;
    }
    return FEAT_NONE;
}

const char *feat_lname(enum cpu_feature f, char *buf, unsigned size)
{
    const char *n = (unsigned)f < FEAT_COUNT ? feat_table[f].name : "?";
    unsigned i;
    for (i = 0; n[i] && i + 1 < size; i++)
        buf[i] = (n[i] >= 'A' && n[i] <= 'Z') ? (char)(n[i] - 'A' + 'a') : n[i];
    if (size)
        buf[i] = 0;
    return buf;
}

static uint32_t reg_of(const struct cpuid_regs *r, unsigned reg)
{
    switch (reg) {
    case R_EAX: return r->eax;
    case R_EBX: return r->ebx;
    case R_ECX: return r->ecx;
    default: return r->edx;
    }
}

void cpuid_host_features(const struct cpuid_snapshot *host, uint64_t feat[FEAT_WORDS])
{
    struct cpuid_regs r0, e0, l7, l;
    unsigned f;
    cpuid_snapshot_get(host, 0, 0, &r0);
    cpuid_snapshot_get(host, CPUID_EXT_BASE, 0, &e0);
    cpuid_snapshot_get(host, 7, 0, &l7);
    memset(feat, 0, FEAT_WORDS * sizeof(uint64_t));
    for (f = 1; f < FEAT_COUNT; f++) {
        const struct feat_info *fi = &feat_table[f];
        if (fi->leaf >= CPUID_EXT_BASE) {
            if (e0.eax < fi->leaf || e0.eax - CPUID_EXT_BASE > 0xffff)
                continue;
        } else if (r0.eax < fi->leaf)
            continue;
        if (fi->leaf == 7 && fi->sub > l7.eax)
            continue;
        cpuid_snapshot_get(host, fi->leaf, fi->sub, &l);
        if ((reg_of(&l, fi->reg) >> fi->bit) & 1)
            feat_set(feat, f);
    }
    /* Intel reports CPUID.80000001H:EDX[11] (SYSCALL) only when CPUID runs in
     * 64-bit mode (SDM Vol. 2, CPUID); dumps taken by 32-bit tools show 0.
     * Every Intel CPU with LM has SYSCALL in 64-bit mode, where keel runs. */
    if (r0.ebx == 0x756e6547 && feat_test(feat, FEAT_LM))
        feat_set(feat, FEAT_SYSCALL);
}
