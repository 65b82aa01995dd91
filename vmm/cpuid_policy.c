/* The guest CPU policy: guest = host & profile & ~never (+ emulated), closed
 * under the feature dependencies, and the guest's CPUID leaves precomputed
 * from it so that the exit path only indexes arrays. docs/cpuid.md. */
#include "vmm/cpuid.h"
#include "vmm/profile.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/format.h"

#define XSAVE_LEGACY_SIZE 576u      /* 512-byte legacy area + 64-byte header */

/* Leaf 0x80000001 EDX bits that mirror leaf 1 EDX on AMD (APM Vol. 3,
 * CPUID Fn8000_0001_EDX): FPU..APIC, MTRR..PSE36, MMX, FXSR. Intel
 * reserves them (0), so they are copied from the guest's leaf 1 on AMD only. */
#define AMD_COMMON_1D 0x0183F3FFu

static const char *const reg_names[4] = { "EAX", "EBX", "ECX", "EDX" };

static uint32_t *reg_ptr(struct cpuid_regs *r, unsigned reg)
{
    switch (reg) {
    case R_EAX: return &r->eax;
    case R_EBX: return &r->ebx;
    case R_ECX: return &r->ecx;
    default: return &r->edx;
    }
}

void policy_cpuid(const struct cpu_policy *p, uint32_t leaf, uint32_t subleaf,
                  struct cpuid_regs *out)
{
    policy_cpuid_lookup(p, leaf, subleaf, out);
}

uint32_t policy_xsave_size(const struct cpu_policy *p, uint64_t xcr0)
{
    uint64_t m = xcr0 & p->xcr0_mask & 0xfffffffcull;
    uint32_t end = XSAVE_LEGACY_SIZE;
    while (m) {
        unsigned i = (unsigned)__builtin_ctzll(m);
        uint32_t e = p->xsave_off[i] + p->xsave_size[i];
        m &= m - 1;
        if (e > end)
            end = e;
    }
    return end;
}

uint32_t policy_xsave_size_compacted(const struct cpu_policy *p, uint64_t xcr0_xss)
{
    uint64_t m = xcr0_xss & (p->xcr0_mask | p->xss_mask) & 0xfffffffcull;
    uint32_t size = XSAVE_LEGACY_SIZE;
    while (m) {
        unsigned i = (unsigned)__builtin_ctzll(m);
        m &= m - 1;
        if ((p->xsave_align64 >> i) & 1)   /* SDM Vol. 1 13.4.3 */
            size = (size + 63) & ~63u;
        size += p->xsave_size[i];
    }
    return size;
}

/* XSETBV #GP(0) rules (SDM Vol. 1 13.3, Vol. 2B XSETBV): x87 always set,
 * nothing outside what this guest may enable (which is within what the host
 * supports), AVX needs SSE, BNDREGS and BNDCSR together, the three AVX-512
 * components together and with AVX, the two AMX components together. The
 * one check for both vendors: vmm/cpuid_exit.c calls it before the
 * vendor's set_state(VS_XCR0) commits. */
bool policy_xcr0_valid(const struct cpu_policy *p, uint64_t x)
{
    if (!(x & XCR0_X87) || (x & ~p->xcr0_mask))
        return false;
    if (!(x & XCR0_BNDREGS) != !(x & XCR0_BNDCSR))
        return false;
    if ((x & XCR0_AVX) && !(x & XCR0_SSE))
        return false;
    if ((x & XCR0_AVX512) && ((x & XCR0_AVX512) != XCR0_AVX512 || !(x & XCR0_AVX)))
        return false;
    if ((x & XCR0_AMX) && (x & XCR0_AMX) != XCR0_AMX)
        return false;
    return true;
}

void cpuid_apply_dyn(const struct cpu_policy *p, unsigned k, uint32_t subleaf,
                     const struct cpuid_dyn_state *d, struct cpuid_regs *r)
{
    switch (k) {
    case DYN_LEAF1:
        r->ebx = (r->ebx & 0x00ffffffu) | (d->apic_id << 24);
        if ((d->cr4 & CR4_OSXSAVE) && policy_has(p, FEAT_XSAVE))
            r->ecx |= 1u << 27;
        break;
    case DYN_LEAF7:
        if (subleaf == 0 && (d->cr4 & CR4_PKE) && policy_has(p, FEAT_PKU))
            r->ecx |= 1u << 4;
        break;
    case DYN_TOPO:
        r->edx = d->apic_id;
        break;
    case DYN_XSAVE:
        if (subleaf == 0)
            r->ebx = policy_xsave_size(p, d->xcr0);
        else if (subleaf == 1)
            r->ebx = policy_xsave_size_compacted(p, d->xcr0 | (d->xss & p->xss_mask));
        break;
    default:
        break;
    }
}

void policy_cpuid_dynamic(const struct cpu_policy *p, uint32_t leaf, uint32_t subleaf,
                          const struct cpuid_dyn_state *d, struct cpuid_regs *out)
{
    unsigned k = policy_cpuid_lookup(p, leaf, subleaf, out);
    if (k != DYN_NONE)
        cpuid_apply_dyn(p, k, subleaf, d, out);
}

/* ---- policy_init ---------------------------------------------------------- */

static enum cpu_vendor vendor_of(const struct cpuid_regs *l0)
{
    if (l0->ebx == 0x756e6547 && l0->edx == 0x49656e69 && l0->ecx == 0x6c65746e)
        return VENDOR_INTEL;    /* "GenuineIntel" */
    if (l0->ebx == 0x68747541 && l0->edx == 0x69746e65 && l0->ecx == 0x444d4163)
        return VENDOR_AMD;      /* "AuthenticAMD" */
    if (l0->ebx == 0x6f677948 && l0->edx == 0x6e65476e && l0->ecx == 0x656e6975)
        return VENDOR_AMD;      /* "HygonGenuine": AMD's CPUID semantics */
    return VENDOR_OTHER;
}

static void log_feat(const char *what, enum cpu_feature f, const char *why, enum cpu_feature dep)
{
    const struct feat_info *fi = &feat_table[f];
    char n[32], d[32];
    feat_lname(f, n, sizeof(n));
    if (dep != FEAT_NONE)
        klog("cpuid: %s %s (CPUID leaf 0x%X subleaf %u %s bit %u): %s %s", what, n, fi->leaf,
             fi->sub, reg_names[fi->reg & 3], fi->bit, why, feat_lname(dep, d, sizeof(d)));
    else
        klog("cpuid: %s %s (CPUID leaf 0x%X subleaf %u %s bit %u): %s", what, n, fi->leaf,
             fi->sub, reg_names[fi->reg & 3], fi->bit, why);
}

static void log_valid_features(void)
{
    char line[120], name[32];
    unsigned f, n = 0;
    klog("cpuid: valid feature names (cpuid=+name,-name):");
    for (f = 1; f < FEAT_COUNT; f++) {
        feat_lname((enum cpu_feature)f, name, sizeof(name));
        if (n && n + strlen(name) + 2 > 96) {
            klog("cpuid:  %s", line);
            n = 0;
        }
        n += (unsigned)ksnprintf(line + n, sizeof(line) - n, " %s", name);
    }
    if (n)
        klog("cpuid:  %s", line);
}

/* Parse "+a,-b,c" into plus/minus sets. False on an unknown name. */
static bool parse_overrides(const char *s, uint64_t *plus, uint64_t *minus)
{
    while (s && *s) {
        const char *e;
        bool add = true;
        enum cpu_feature f;
        while (*s == ',' || *s == ' ')
            s++;
        if (!*s)
            break;
        if (*s == '+' || *s == '-')
            add = *s++ == '+';
        for (e = s; *e && *e != ',' && *e != ' '; e++)
            ;
        f = feat_by_name(s, (unsigned)(e - s));
        if (f == FEAT_NONE) {
            char bad[32];
            unsigned l = (unsigned)(e - s) < sizeof(bad) - 1 ? (unsigned)(e - s) : sizeof(bad) - 1;
            memcpy(bad, s, l);
            bad[l] = 0;
            klog("cpuid: unknown feature \"%s\" in cpuid=%s", bad, e == s ? " (empty name)" : "");
            log_valid_features();
            return false;
        }
        if (add) {
            feat_set(plus, f);
            feat_clear(minus, f);
        } else {
            feat_set(minus, f);
            feat_clear(plus, f);
        }
        s = e;
    }
    return true;
}

/* Host facts that gate features beyond their CPUID bit: XSAVE-managed state
 * is only usable if the host enables its XSAVE component. */
static void host_adjust(const struct cpuid_snapshot *host, uint64_t *hf, uint64_t *hxcr0,
                        uint64_t *hxss)
{
    struct cpuid_regs l0, d0, d1;
    unsigned i;
    cpuid_snapshot_get(host, 0, 0, &l0);
    cpuid_snapshot_get(host, 0xD, 0, &d0);
    cpuid_snapshot_get(host, 0xD, 1, &d1);
    *hxcr0 = *hxss = 0;
    if (l0.eax >= 0xD && feat_test(hf, FEAT_XSAVE)) {
        *hxcr0 = ((uint64_t)d0.edx << 32) | d0.eax;
        *hxss = ((uint64_t)d1.edx << 32) | d1.ecx;
    }
    /* A component whose leaf 0xD.i is implausible is treated as absent
     * (sizes are summed at exit time: keep them bounded). */
    for (i = 2; i < CPUID_XSAVE_COMPONENTS; i++) {
        struct cpuid_regs c;
        bool sup = (*hxss >> i) & 1;
        if (!(((*hxcr0 | *hxss) >> i) & 1))
            continue;
        cpuid_snapshot_get(host, 0xD, i, &c);
        if (c.eax == 0 || c.eax > 0x10000 ||
            (!sup && (c.ebx < XSAVE_LEGACY_SIZE || c.ebx > 0x40000))) {
            *hxcr0 &= ~(1ull << i);
            *hxss &= ~(1ull << i);
        }
    }
    if ((*hxcr0 & (XCR0_X87 | XCR0_SSE)) != (XCR0_X87 | XCR0_SSE))
        feat_clear(hf, FEAT_XSAVE);
    if (!(*hxcr0 & XCR0_AVX))
        feat_clear(hf, FEAT_AVX);
    if ((*hxcr0 & XCR0_AVX512) != XCR0_AVX512)
        feat_clear(hf, FEAT_AVX512F);
    if (!(*hxcr0 & XCR0_PKRU))
        feat_clear(hf, FEAT_PKU);
    if ((*hxss & (XSS_CET_U | XSS_CET_S)) != (XSS_CET_U | XSS_CET_S))
        feat_clear(hf, FEAT_SHSTK);
    if (!(*hxss & XSS_CET_U))
        feat_clear(hf, FEAT_IBT);
}

/* Drop f if it is on and its prerequisite dep is off; true if it dropped. */
static bool drop_unmet(struct cpu_policy *p, unsigned f, unsigned dep, bool log)
{
    if (!feat_test(p->feat, f) || dep == FEAT_NONE || feat_test(p->feat, dep))
        return false;
    feat_clear(p->feat, f);
    p->why[f] = WHY_DEP;
    if (log)
        log_feat("dropped", (enum cpu_feature)f, "needs", (enum cpu_feature)dep);
    return true;
}

/* Remove every feature whose prerequisite is missing, transitively: the
 * feature table's one dependency per feature, then the extra ones. */
static void closure(struct cpu_policy *p, bool log)
{
    bool changed = true;
    unsigned f, i;
    while (changed) {
        changed = false;
        for (f = 1; f < FEAT_COUNT; f++)
            changed |= drop_unmet(p, f, feat_table[f].dep, log);
        for (i = 0; i < feat_extra_deps_count; i++)
            changed |= drop_unmet(p, feat_extra_deps[i].feat, feat_extra_deps[i].dep, log);
    }
}

static struct cpuid_regs *slot_alloc(struct cpu_policy *p, struct cpuid_slot *s, unsigned nsub,
                                     unsigned kind, unsigned dyn)
{
    if (p->nregs + nsub > CPUID_POLICY_REGS)   /* cannot happen with the clamps below */
        nsub = CPUID_POLICY_REGS - p->nregs;
    s->first = p->nregs;
    s->nsub = (uint8_t)nsub;
    s->kind = (uint8_t)kind;
    s->dyn = (uint8_t)dyn;
    p->nregs = (uint8_t)(p->nregs + nsub);
    memset(&p->regs[s->first], 0, nsub * sizeof(struct cpuid_regs));
    return &p->regs[s->first];
}

/* The guest register that holds feature f, or NULL if the guest has no such leaf. */
static uint32_t *guest_reg(struct cpu_policy *p, const struct feat_info *fi)
{
    const struct cpuid_slot *s;
    if (fi->leaf <= p->max_basic)
        s = &p->basic[fi->leaf];
    else if (fi->leaf >= CPUID_EXT_BASE && fi->leaf <= p->max_ext)
        s = &p->ext[fi->leaf - CPUID_EXT_BASE];
    else
        return NULL;
    if (fi->sub >= s->nsub || (s->kind == SLOT_FLAT && fi->sub))
        return NULL;
    return reg_ptr(&p->regs[s->first + fi->sub], fi->reg);
}

static unsigned log2_ceil(unsigned n)
{
    unsigned s = 0;
    while ((1u << s) < n)
        s++;
    return s;
}

static void build_topology(struct cpuid_regs *r, unsigned n)
{
    /* SDM Vol. 2 CPUID leaf 0BH/1FH: level 0 SMT (1 thread per core), level 1
     * core (n cores); EDX (x2APIC ID) is filled per vCPU at exit time. */
    r[0] = (struct cpuid_regs){ 0, 1, (1u << 8) | 0, 0 };
    r[1] = (struct cpuid_regs){ log2_ceil(n), n, (2u << 8) | 1, 0 };
}

static void build_xsave(struct cpu_policy *p, const struct cpuid_snapshot *host, struct cpuid_slot *s)
{
    uint64_t all = p->xcr0_mask | p->xss_mask;
    unsigned nsub = 2, i;
    struct cpuid_regs *r, h;
    for (i = 2; i < CPUID_XSAVE_COMPONENTS; i++)
        if ((all >> i) & 1)
            nsub = i + 1;
    r = slot_alloc(p, s, nsub, SLOT_INDEXED, DYN_XSAVE);
    for (i = 2; i < nsub; i++) {
        if (!((all >> i) & 1))
            continue;
        cpuid_snapshot_get(host, 0xD, i, &h);
        p->xsave_size[i] = h.eax;
        p->xsave_off[i] = (p->xss_mask >> i) & 1 ? 0 : h.ebx;
        if ((h.ecx >> 1) & 1)
            p->xsave_align64 |= 1u << i;
        /* ECX bit 0 supervisor, bit 1 aligned; bit 2 (XFD) cleared: XFD is hidden. */
        r[i] = (struct cpuid_regs){ h.eax, p->xsave_off[i], h.ecx & 3, 0 };
    }
    r[0].eax = (uint32_t)p->xcr0_mask;
    r[0].edx = (uint32_t)(p->xcr0_mask >> 32);
    r[0].ecx = policy_xsave_size(p, p->xcr0_mask);
    r[0].ebx = policy_xsave_size(p, XCR0_X87);           /* XCR0 at reset; dynamic */
    r[1].ebx = policy_xsave_size_compacted(p, XCR0_X87); /* dynamic */
    r[1].ecx = (uint32_t)p->xss_mask;
    r[1].edx = (uint32_t)(p->xss_mask >> 32);
}

static void build_leaves(struct cpu_policy *p, const struct cpuid_snapshot *host)
{
    struct cpuid_regs h, *r;
    unsigned n = p->nr_vcpus, leaf, i, nsub;
    unsigned n8 = n > 255 ? 255 : n;
    uint32_t e;

    for (leaf = 0; leaf <= p->max_basic; leaf++) {
        struct cpuid_slot *s = &p->basic[leaf];
        cpuid_snapshot_get(host, leaf, 0, &h);
        switch (leaf) {
        case 0:
            r = slot_alloc(p, s, 1, SLOT_FLAT, DYN_NONE);
            *r = h;
            r->eax = p->max_basic;
            break;
        case 1:
            /* EBX: brand index and CLFLUSH size kept; [23:16] logical
             * processor count; [31:24] APIC ID is per vCPU (dynamic). */
            r = slot_alloc(p, s, 1, SLOT_FLAT, DYN_LEAF1);
            *r = h;
            r->ebx = (h.ebx & 0xffff) | (n8 << 16);
            break;
        case 2:
        case 0x15:
        case 0x16:
            /* cache descriptors, TSC/crystal ratio, nominal frequencies: facts about
             * the CPU the guest really runs on (keel does not scale the TSC). */
            r = slot_alloc(p, s, 1, SLOT_FLAT, DYN_NONE);
            *r = h;
            break;
        case 4:
            for (nsub = 0; nsub < 8; nsub++) {
                cpuid_snapshot_get(host, 4, nsub, &h);
                if ((h.eax & 0x1f) == 0)
                    break;
            }
            r = slot_alloc(p, s, nsub, SLOT_INDEXED, DYN_NONE);
            for (i = 0; i < nsub; i++) {
                cpuid_snapshot_get(host, 4, i, &r[i]);
                /* EAX[31:26] cores per package - 1, [25:14] threads sharing - 1:
                 * n single-threaded cores sharing the caches from L3 up. */
                e = (r[i].eax & 0x3fff) | ((n - 1 > 63 ? 63 : n - 1) << 26);
                if (((r[i].eax >> 5) & 7) >= 3)
                    e |= (n - 1 > 0xfff ? 0xfff : n - 1) << 14;
                r[i].eax = e;
            }
            break;
        case 7:
            nsub = (h.eax > 2 ? 2 : h.eax) + 1;
            r = slot_alloc(p, s, nsub, SLOT_INDEXED, DYN_LEAF7);
            r[0].eax = nsub - 1;   /* EBX/ECX/EDX and 7.1/7.2 are feature words */
            break;
        case 0xB:
        case 0x1F:
            r = slot_alloc(p, s, 2, SLOT_TOPO, DYN_TOPO);
            build_topology(r, n);
            break;
        case 0xA:
            /* Architectural PMU (SDM Vol. 3B 20.2.1): the host's leaf with
             * pmu=passthrough, else all zero ("no PMU"). */
            r = slot_alloc(p, s, 1, SLOT_FLAT, DYN_NONE);
            if (p->pmu == PMU_PASSTHROUGH && p->vendor == VENDOR_INTEL)
                *r = h;
            break;
        case 0xD:
            if (policy_has(p, FEAT_XSAVE))
                build_xsave(p, host, s);
            else
                slot_alloc(p, s, 1, SLOT_FLAT, DYN_NONE);
            break;
        default:
            /* Everything else reads 0: thermal/power (6, except ARAT),
             * RDT (0xF, 0x10), SGX (0x12), PT (0x14), hybrid (0x1A), AMX
             * (0x1D, 0x1E), ... keel virtualises none of it. */
            slot_alloc(p, s, 1, SLOT_FLAT, DYN_NONE);
        }
    }

    for (leaf = CPUID_EXT_BASE; leaf <= p->max_ext; leaf++) {
        struct cpuid_slot *s = &p->ext[leaf - CPUID_EXT_BASE];
        cpuid_snapshot_get(host, leaf, 0, &h);
        r = slot_alloc(p, s, 1, SLOT_FLAT, DYN_NONE);
        switch (leaf) {
        case 0x80000000:
            *r = h;
            r->eax = p->max_ext;
            break;
        case 0x80000001: /* EAX signature, EBX brand/package type; ECX/EDX feature words */
        case 0x80000002: /* brand string, kept */
        case 0x80000003:
        case 0x80000004:
        case 0x80000005: /* L1 cache/TLB */
        case 0x80000006: /* L2/L3 cache */
        case 0x80000019: /* 1 GiB TLB */
        case 0x8000001A: /* performance hints */
            *r = h;
            break;
        case 0x80000022:
            /* AMD extended PMU: EAX is a feature word (PerfMonV2 only);
             * EBX NumPerfCtrCore/NumPerfCtrNB, ECX UMC mask: the host's
             * with pmu=passthrough, else 0. */
            if (p->pmu == PMU_PASSTHROUGH)
                *r = h;
            break;
        case 0x80000008:
            /* EAX address sizes kept; EBX feature word; ECX (AMD): NC = n - 1,
             * ApicIdSize 0 (legacy: derive from NC); EDX (INVLPGB/RDPRU) 0. */
            r->eax = h.eax;
            r->ecx = p->vendor == VENDOR_AMD ? n8 - 1 : 0;
            break;
        default:
            /* 0x80000007 (only INVTSC, a feature word), 0x8000000A (SVM is
             * hidden), 0x8000001B-1E (IBS, LWP, TOPOEXT), 0x8000001F (SEV),
             * 0x80000020 (PQoS), 0x80000021 (feature word only): 0. */
            break;
        }
    }

    /* Feature words: exactly the guest's feature bits. */
    for (i = 1; i < FEAT_COUNT; i++) {
        uint32_t *w = guest_reg(p, &feat_table[i]);
        if (w)
            *w = 0;
    }
    for (i = 1; i < FEAT_COUNT; i++) {
        uint32_t *w = guest_reg(p, &feat_table[i]);
        if (w && policy_has(p, (enum cpu_feature)i))
            *w |= 1u << feat_table[i].bit;
    }
    if (n > 1)
        p->regs[p->basic[1].first].edx |= 1u << 28;   /* HTT: EBX[23:16] is valid */
    if (p->vendor == VENDOR_AMD && p->max_ext >= 0x80000001)
        p->regs[p->ext[1].first].edx |= p->regs[p->basic[1].first].edx & AMD_COMMON_1D;

    /* 0x40000000: max hypervisor leaf and "KeelKeelKeel". */
    p->hv = (struct cpuid_regs){ CPUID_HV_MAX, 0x6c65654b, 0x6c65654b, 0x6c65654b };
}

/* pmu=passthrough needs a host PMU: the snapshot's probe found an event
 * select that keeps a value (host_pmu) and, on Intel, CPUID leaf 0xA has a
 * version (EAX[7:0] > 0, SDM Vol. 3B 20.2) and says how many counters. */
static enum pmu_mode pmu_decide(struct cpu_policy *p, const struct cpuid_snapshot *host, enum pmu_mode want)
{
    struct cpuid_regs a;
    if (want != PMU_PASSTHROUGH)
        return PMU_OFF;
    cpuid_snapshot_get(host, 0xA, 0, &a);
    if (p->vendor == VENDOR_INTEL && host->host_pmu && p->max_basic >= 0xA && (a.eax & 0xff)) {
        p->pmu_version = (uint8_t)(a.eax & 0xff);
        p->pmu_gp_counters = (uint8_t)(a.eax >> 8);
        p->pmu_fixed_counters = p->pmu_version >= 2 ? (uint8_t)(a.edx & 0x1f) : 0;
        klog("pmu: passthrough: the guest owns the host's counters (architectural PMU version %u, "
             "%u general-purpose, %u fixed); cycles spent in keel are counted too",
             p->pmu_version, p->pmu_gp_counters, p->pmu_fixed_counters);
        return PMU_PASSTHROUGH;
    }
    if (p->vendor == VENDOR_AMD && host->host_pmu) {
        klog("pmu: passthrough: the guest owns the host's counters (legacy PerfEvtSel/PerfCtr0-3%s%s); "
             "cycles spent in keel are counted too",
             feat_test(p->host_feat, FEAT_PERFCTR_CORE) ? ", core counters 0-5" : "",
             feat_test(p->host_feat, FEAT_PERFMON_V2) ? ", PerfMonV2 global control" : "");
        return PMU_PASSTHROUGH;
    }
    klog("pmu: passthrough: the host has no PMU to pass through (%s); the guest gets pmu=off",
         p->vendor == VENDOR_AMD     ? "PerfEvtSel0 does not keep a value"
         : !(a.eax & 0xff)           ? "CPUID leaf 0xA reports no version"
                                     : "IA32_PERFEVTSEL0 does not keep a value");
    return PMU_OFF;
}

static int policy_build(struct cpu_policy *p, const struct cpuid_snapshot *host,
                        const struct cpu_profile *pr, const uint64_t *plus, const uint64_t *minus,
                        unsigned nr_vcpus, enum pmu_mode pmu)
{
    uint64_t want[FEAT_WORDS], req[FEAT_WORDS], hxcr0, hxss;
    struct cpuid_regs l0, e0, h;
    unsigned f;

    memset(p, 0, sizeof(*p));
    p->nr_vcpus = nr_vcpus ? nr_vcpus : 1;
    p->profile = pr->name;
    cpuid_snapshot_get(host, 0, 0, &l0);
    cpuid_snapshot_get(host, CPUID_EXT_BASE, 0, &e0);
    p->vendor = vendor_of(&l0);
    p->max_basic = l0.eax >= CPUID_BASIC_SLOTS ? CPUID_BASIC_SLOTS - 1 : l0.eax ? l0.eax : 1;
    if (e0.eax < CPUID_EXT_BASE || e0.eax - CPUID_EXT_BASE > 0xffff)
        p->max_ext = CPUID_EXT_BASE;
    else
        p->max_ext = e0.eax >= CPUID_EXT_BASE + CPUID_EXT_SLOTS ? CPUID_EXT_BASE + CPUID_EXT_SLOTS - 1
                                                                : e0.eax;

    cpuid_host_features(host, p->host_feat);
    host_adjust(host, p->host_feat, &hxcr0, &hxss);
    p->pmu = (uint8_t)pmu_decide(p, host, pmu);
    profile_features(pr, want);
    profile_required(pr, req);
    for (f = 0; f < FEAT_WORDS; f++)
        want[f] = (want[f] | plus[f]) & ~minus[f];

    for (f = 1; f < FEAT_COUNT; f++) {
        const struct feat_info *fi = &feat_table[f];
        if (fi->cls == FC_NEVER) {
            p->why[f] = WHY_NEVER;
            if (feat_test(plus, f)) {
                char n[32];
                klog("cpuid: cpuid=+%s ignored: keel never exposes it (see docs/cpuid.md)",
                     feat_lname((enum cpu_feature)f, n, sizeof(n)));
            }
        } else if (fi->cls == FC_PMU) {
            /* The PMU policy decides, not the profile. */
            if (p->pmu == PMU_PASSTHROUGH && feat_test(p->host_feat, f))
                feat_set(p->feat, f);
            else
                p->why[f] = WHY_PMU;
        } else if (fi->cls == FC_EMUL) {
            if (feat_test(minus, f))
                p->why[f] = WHY_OVERRIDE;
            else
                feat_set(p->feat, f);
        } else if (!feat_test(want, f)) {
            p->why[f] = feat_test(minus, f) ? WHY_OVERRIDE : WHY_PROFILE;
        } else if (!feat_test(p->host_feat, f)) {
            p->why[f] = WHY_ABSENT;
            /* Say so for what the profile requires or cpuid=+ asked for; the
             * optional (vendor-specific platform) features go silently. */
            if (feat_test(req, f) || feat_test(plus, f)) {
                p->why[f] = WHY_HOST_LACKS;
                char why[48];
                ksnprintf(why, sizeof(why), "the host lacks it (profile %s%s)", pr->name,
                          feat_test(plus, f) ? ", cpuid=+" : "");
                log_feat("dropped", (enum cpu_feature)f, why, FEAT_NONE);
            }
        } else
            feat_set(p->feat, f);
    }
    closure(p, true);

    /* XCR0/XSS components the guest may enable: its features' state, if the
     * host enables that component too (SDM Vol. 1 13.2, 13.3). */
    if (policy_has(p, FEAT_XSAVE)) {
        uint64_t m = XCR0_X87;
        if (policy_has(p, FEAT_SSE))
            m |= XCR0_SSE;
        if (policy_has(p, FEAT_AVX))
            m |= XCR0_AVX;
        if (policy_has(p, FEAT_AVX512F))
            m |= XCR0_AVX512;
        if (policy_has(p, FEAT_PKU))
            m |= XCR0_PKRU;
        p->xcr0_mask = m & hxcr0;
        m = 0;
        if (policy_has(p, FEAT_XSAVES)) {
            if (policy_has(p, FEAT_SHSTK) || policy_has(p, FEAT_IBT))
                m |= XSS_CET_U;
            if (policy_has(p, FEAT_SHSTK))
                m |= XSS_CET_S;
        }
        p->xss_mask = m & hxss;
    }

    p->arch_capabilities = policy_has(p, FEAT_ARCH_CAPABILITIES) ? host->arch_caps & ARCH_CAPS_GUEST_MASK : 0;

    /* MAXPHYADDR: 0x80000008 EAX[7:0], else 36 with PAE, else 32 (SDM Vol. 3 4.1.4). */
    cpuid_snapshot_get(host, 0x80000008, 0, &h);
    if (e0.eax >= 0x80000008 && e0.eax - CPUID_EXT_BASE <= 0xffff && (h.eax & 0xff))
        p->maxphyaddr = (uint8_t)(h.eax & 0xff);
    else
        p->maxphyaddr = feat_test(p->host_feat, FEAT_PAE) ? 36 : 32;

    build_leaves(p, host);
    return 0;
}

int policy_init(struct cpu_policy *p, const struct cpuid_snapshot *host, const char *profile,
                const char *overrides, unsigned nr_vcpus)
{
    return policy_init_pmu(p, host, profile, overrides, nr_vcpus, PMU_OFF);
}

int policy_init_pmu(struct cpu_policy *p, const struct cpuid_snapshot *host, const char *profile,
                    const char *overrides, unsigned nr_vcpus, enum pmu_mode pmu)
{
    uint64_t plus[FEAT_WORDS] = { 0 }, minus[FEAT_WORDS] = { 0 };
    const struct cpu_profile *pr;
    const char *name = profile && *profile ? profile : "host";

    pr = profile_find(name);
    if (!pr) {
        klog("cpuid: unknown profile \"%s\"; falling back to \"host\"", name);
        profile_log_names();
    }
    if (pr && !parse_overrides(overrides, plus, minus)) {
        klog("cpuid: ignoring cpuid= and profile=%s; falling back to \"host\"", name);
        pr = NULL;
    }
    if (!pr) {
        memset(plus, 0, sizeof(plus));
        memset(minus, 0, sizeof(minus));
        policy_build(p, host, profile_find("host"), plus, minus, nr_vcpus, pmu);
        return -1;
    }
    return policy_build(p, host, pr, plus, minus, nr_vcpus, pmu);
}
