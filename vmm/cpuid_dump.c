/* cpuid.dump: host vs guest for every leaf, then the feature verdicts. */
#include "vmm/cpuid.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/format.h"

static void dump_line(const char *tag, uint32_t leaf, uint32_t sub, const struct cpuid_regs *h,
                      const struct cpuid_regs *g)
{
    char hs[40], gs[40];
    bool diff;
    if (h)
        ksnprintf(hs, sizeof(hs), "%08X %08X %08X %08X", h->eax, h->ebx, h->ecx, h->edx);
    else
        kstrlcpy(hs, "-------- -------- -------- --------", sizeof(hs));
    ksnprintf(gs, sizeof(gs), "%08X %08X %08X %08X", g->eax, g->ebx, g->ecx, g->edx);
    diff = !h || memcmp(h, g, sizeof(*g)) != 0;
    klog("cpuid.dump %08X.%02X %s | %s | %s%s", leaf, sub, hs, gs, tag, diff ? " *" : "");
}

static const char *const why_names[] = {
    [WHY_GUEST] = "guest",
    [WHY_HOST_LACKS] = "host lacks",
    [WHY_NEVER] = "never",
    [WHY_PROFILE] = "not in profile",
    [WHY_OVERRIDE] = "cpuid=-",
    [WHY_DEP] = "missing dependency",
    [WHY_ABSENT] = "absent (optional)",
    [WHY_PMU] = "pmu=off",
};

void policy_dump(const struct cpu_policy *p, const struct cpuid_snapshot *host)
{
    static const char *const vendors[] = { "other", "Intel", "AMD" };
    struct cpuid_regs g, h;
    unsigned i, s, w;
    uint32_t leaf;

    klog("cpuid.dump profile=%s vendor=%s vcpus=%u max leaf 0x%X/0x%X maxphyaddr=%u",
         p->profile ? p->profile : "?", vendors[p->vendor % 3], p->nr_vcpus, p->max_basic,
         p->max_ext, p->maxphyaddr);
    klog("cpuid.dump xcr0_mask=0x%llX xss_mask=0x%llX arch_capabilities=0x%llX (host 0x%llX)",
         (unsigned long long)p->xcr0_mask, (unsigned long long)p->xss_mask,
         (unsigned long long)p->arch_capabilities, (unsigned long long)host->arch_caps);
    klog("cpuid.dump leaf.sl    host: EAX      EBX      ECX      EDX      | guest: EAX     EBX      ECX      EDX      (* differs)");

    /* Every host leaf, with what the guest reads for it. */
    for (i = 0; i < host->n; i++) {
        const struct cpuid_snap_entry *e = &host->e[i];
        policy_cpuid(p, e->leaf, e->sub, &g);
        dump_line("", e->leaf, e->sub, &e->r, &g);
    }
    /* Guest leaves the host snapshot does not have (synthesised subleaves, 0x40000000). */
    for (leaf = 0; leaf <= p->max_ext; leaf = leaf == p->max_basic ? CPUID_EXT_BASE : leaf + 1) {
        const struct cpuid_slot *sl =
            leaf < CPUID_EXT_BASE ? &p->basic[leaf] : &p->ext[leaf - CPUID_EXT_BASE];
        for (s = 0; s < (sl->nsub ? sl->nsub : 1u); s++)
            if (!cpuid_snapshot_get(host, leaf, s, &h)) {
                policy_cpuid(p, leaf, s, &g);
                dump_line("guest only", leaf, s, NULL, &g);
            }
    }
    policy_cpuid(p, CPUID_HV_BASE, 0, &g);
    dump_line("keel", CPUID_HV_BASE, 0, NULL, &g);

    /* Feature verdicts: what the guest has, what a required feature the host
     * lacks, and why each host feature is hidden (WHY_ABSENT is not listed). */
    for (w = WHY_GUEST; w <= WHY_PMU; w++) {
        char line[120], name[32];
        unsigned n = 0;
        bool first = true;
        if (w == WHY_ABSENT)
            continue;
        for (i = 1; i < FEAT_COUNT; i++) {
            if (p->why[i] != w || (w != WHY_GUEST && !feat_test(p->host_feat, i) && w != WHY_HOST_LACKS))
                continue;
            if (w == WHY_GUEST && !policy_has(p, (enum cpu_feature)i))
                continue;
            feat_lname((enum cpu_feature)i, name, sizeof(name));
            if (n && n + strlen(name) + 2 > 90) {
                klog("cpuid.dump %-18s:%s", first ? why_names[w] : "", line);
                first = false;
                n = 0;
            }
            n += (unsigned)ksnprintf(line + n, sizeof(line) - n, " %s", name);
        }
        if (n)
            klog("cpuid.dump %-18s:%s", first ? why_names[w] : "", line);
    }
}
