/* Policy invariants shared by the CPUID unit tests and the CPUID fuzzer.
 * cpuid_check() returns NULL if p is consistent with host and the wanted
 * set (profile + cpuid=+ - cpuid=-), else a static description. */
#ifndef KEEL_TESTS_CPUID_CHECK_H
#define KEEL_TESTS_CPUID_CHECK_H
#include <stdio.h>
#include "vmm/cpuid.h"
#include "vmm/profile.h"

static uint32_t chk_reg(const struct cpuid_regs *r, unsigned reg)
{
    return reg == R_EAX ? r->eax : reg == R_EBX ? r->ebx : reg == R_ECX ? r->ecx : r->edx;
}

static char chk_msg[256];

static const char *chk_fail(const char *what, unsigned f)
{
    snprintf(chk_msg, sizeof(chk_msg), "%s: %s", what, f < FEAT_COUNT ? feat_table[f].name : "-");
    return chk_msg;
}

static const char *cpuid_check(const struct cpu_policy *p, const struct cpuid_snapshot *host,
                               const uint64_t *want)
{
    uint64_t hf[FEAT_WORDS];
    struct cpuid_regs r, h0, he0;
    unsigned f, i;

    cpuid_host_features(host, hf);
    cpuid_snapshot_get(host, 0, 0, &h0);
    cpuid_snapshot_get(host, CPUID_EXT_BASE, 0, &he0);

    for (f = 1; f < FEAT_COUNT; f++) {
        const struct feat_info *fi = &feat_table[f];
        bool has = policy_has(p, (enum cpu_feature)f);
        if (has && fi->cls == FC_NEVER)
            return chk_fail("never feature present", f);
        if (has && fi->cls == FC_PASS && !feat_test(hf, f))
            return chk_fail("guest has what the host lacks", f);
        if (has && fi->cls == FC_PASS && want && !feat_test(want, f))
            return chk_fail("guest has what the profile does not want", f);
        if (has && fi->dep != FEAT_NONE && !policy_has(p, (enum cpu_feature)fi->dep))
            return chk_fail("closure broken", f);
        if (has != (p->why[f] == WHY_GUEST))
            return chk_fail("why[] disagrees", f);
        /* The guest's CPUID bit is exactly the policy bit (leaves in range). */
        if (fi->leaf < CPUID_EXT_BASE ? fi->leaf > p->max_basic : fi->leaf > p->max_ext) {
            if (has)
                return chk_fail("feature beyond the guest's max leaf", f);
            continue;
        }
        policy_cpuid(p, fi->leaf, fi->sub, &r);
        if (((chk_reg(&r, fi->reg) >> fi->bit) & 1) != has)
            return chk_fail("CPUID bit disagrees with policy", f);
    }
    for (i = 0; i < feat_extra_deps_count; i++)
        if (policy_has(p, feat_extra_deps[i].feat) && !policy_has(p, feat_extra_deps[i].dep))
            return chk_fail("closure (extra dep) broken", feat_extra_deps[i].feat);

    /* Leaf ranges. */
    policy_cpuid(p, 0, 0, &r);
    if (r.eax != p->max_basic || r.eax >= CPUID_BASIC_SLOTS || (h0.eax >= 1 && r.eax > h0.eax))
        return "max basic leaf";
    if (r.ebx != h0.ebx || r.ecx != h0.ecx || r.edx != h0.edx)
        return "vendor string";
    policy_cpuid(p, CPUID_EXT_BASE, 0, &r);
    if (r.eax != p->max_ext || r.eax < CPUID_EXT_BASE || r.eax >= CPUID_EXT_BASE + CPUID_EXT_SLOTS)
        return "max extended leaf";
    if (he0.eax >= CPUID_EXT_BASE && he0.eax - CPUID_EXT_BASE < 0x10000 && r.eax > he0.eax)
        return "max extended leaf above host";
    policy_cpuid(p, CPUID_HV_BASE, 0, &r);
    if (r.eax != CPUID_HV_MAX || r.ebx != 0x6c65654b || r.ecx != 0x6c65654b || r.edx != 0x6c65654b)
        return "hypervisor leaf";
    policy_cpuid(p, CPUID_HV_BASE + 1, 0, &r);
    if (r.eax | r.ebx | r.ecx | r.edx)
        return "0x40000001 not zero";
    policy_cpuid(p, 0x8000000A, 0, &r);
    if (p->max_ext >= 0x8000000A && (r.eax | r.ebx | r.ecx | r.edx))
        return "0x8000000A (SVM) not zero";
    policy_cpuid(p, 1, 0, &r);
    if (r.ecx & (1u << 27))
        return "static OSXSAVE set";

    /* XSAVE state. */
    if (!policy_has(p, FEAT_XSAVE)) {
        if (p->xcr0_mask || p->xss_mask)
            return "xcr0/xss mask without XSAVE";
        for (i = 0; i < 64 && p->max_basic >= 0xD; i++) {
            policy_cpuid(p, 0xD, i, &r);
            if (r.eax | r.ebx | r.ecx | r.edx)
                return "leaf 0xD without XSAVE";
        }
    } else {
        uint64_t x = p->xcr0_mask;
        if ((x & 3) != 3 && policy_has(p, FEAT_SSE))
            return "xcr0 mask lacks x87/SSE";
        if (!!(x & 4) != policy_has(p, FEAT_AVX))
            return "xcr0 AVX bit vs AVX";
        if (((x & 0xe0) == 0xe0) != policy_has(p, FEAT_AVX512F) || ((x & 0xe0) && (x & 0xe0) != 0xe0))
            return "xcr0 AVX-512 bits vs AVX512F";
        if (!!(x & 0x200) != policy_has(p, FEAT_PKU))
            return "xcr0 PKRU vs PKU";
        if (!policy_xcr0_valid(p, x) || policy_xcr0_valid(p, 0) || policy_xcr0_valid(p, x | (1ull << 63)))
            return "xcr0 validity";
        if (p->xss_mask & ~(3ull << 11))
            return "xss mask beyond CET";
        policy_cpuid(p, 0xD, 0, &r);
        if (r.eax != (uint32_t)x || r.edx != (uint32_t)(x >> 32) || r.ecx != policy_xsave_size(p, x) ||
            r.ecx < 576 || r.ebx != 576)
            return "leaf 0xD.0";
        policy_cpuid(p, 0xD, 1, &r);
        if (r.ecx != (uint32_t)p->xss_mask || r.edx != (uint32_t)(p->xss_mask >> 32))
            return "leaf 0xD.1";
        for (i = 2; i < 64; i++) {
            policy_cpuid(p, 0xD, i, &r);
            if (!(((x | p->xss_mask) >> i) & 1) && (r.eax | r.ebx | r.ecx | r.edx))
                return "leaf 0xD.i for a hidden component";
        }
    }
    for (f = 1; f < FEAT_COUNT; f++)
        if (feat_table[f].cls == FC_NEVER && p->why[f] != WHY_NEVER)
            return chk_fail("never feature with another why", f);
    return NULL;
}

#endif
