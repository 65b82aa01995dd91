/* libFuzzer target for the CPUID policy: random host leaves (or a random
 * AIDA64 text dump) + profile + overrides + vCPU count. Checks: no crash,
 * guest ⊆ (host ∪ emulated) ∩ (profile + cpuid=+), cpuid=- honoured,
 * never-features absent, dependency closure holds, guest CPUID bits equal
 * the policy bits, XSAVE masks/sizes sane, XSETBV accepts only subsets of
 * the mask; the exit handlers run against a fake vCPU.
 *   make build/fuzz/cpuid && build/fuzz/cpuid -runs=200000 */
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "vmm/vcpu.h"
#include "vmm/arch_hooks.h"
#include "vmm/msr.h"
#include "vmm/cpuid.h"
#include "vmm/profile.h"
#include "lib/log.h"
#include "cpuid_check.h"

/* ---- fake vCPU hooks ---- */
static uint64_t fstate[VS_COUNT];
static unsigned fadv, finj;
void vcpu_complete_insn(struct vcpu *v) { (void)v; fadv++; }
void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
    (void)v, (void)vector, (void)has_error, (void)error;
    finj++;
}
uint64_t vcpu_get_state(struct vcpu *v, enum vcpu_state s) { (void)v; return fstate[s]; }
bool vcpu_set_state(struct vcpu *v, enum vcpu_state s, uint64_t val)
{
    (void)v;
    fstate[s] = val;
    return true;
}
enum msr_verdict msr_peek(struct vcpu *v, uint32_t index, uint64_t *value)
{
    (void)v, (void)index;
    *value = fstate[VS_COUNT - 1];
    return MSR_OK;
}

static void sink(const char *s, unsigned long n) { (void)s, (void)n; }

struct in {
    const uint8_t *d;
    size_t n;
};
static uint8_t u8(struct in *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->d++;
}
static uint32_t u32(struct in *in)
{
    uint32_t v = u8(in);
    v |= (uint32_t)u8(in) << 8;
    v |= (uint32_t)u8(in) << 16;
    return v | (uint32_t)u8(in) << 24;
}
static uint64_t u64(struct in *in) { uint64_t lo = u32(in); return lo | (uint64_t)u32(in) << 32; }

static void put(struct cpuid_snapshot *s, struct in *in, uint32_t leaf, uint32_t sub, bool sl)
{
    struct cpuid_regs r = { u32(in), u32(in), u32(in), u32(in) };
    cpuid_snapshot_set(s, leaf, sub, sl, &r);
}

static void die(const char *what, const char *profile, const char *ovr)
{
    fprintf(stderr, "cpuid_fuzz: %s (profile %s, cpuid=%s)\n", what, profile, ovr);
    abort();
}

static struct cpuid_snapshot snap;
static struct cpu_policy pol;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t vendors[3][3] = {
        { 0x756e6547, 0x6c65746e, 0x49656e69 },   /* GenuineIntel: EBX ECX EDX */
        { 0x68747541, 0x444d4163, 0x69746e65 },   /* AuthenticAMD */
        { 0x746e6543, 0x736c7561, 0x48727561 },   /* CentaurHauls */
    };
    struct in in = { data, size };
    uint8_t mode = u8(&in);
    char ovr[512], name[40];
    const char *profile;
    uint64_t want[FEAT_WORDS], plus[FEAT_WORDS] = { 0 }, minus[FEAT_WORDS] = { 0 };
    unsigned i, ntok, nr, on = 0;
    const char *err;
    int rc;

    console_reset_sinks();
    console_add_sink(sink);

    if (mode & 1) {
        /* Text mode: the rest is an AIDA64-style dump. */
        char *text = malloc(in.n + 1);
        memcpy(text, in.d, in.n);
        text[in.n] = 0;
        rc = cpuid_snapshot_parse(text, &snap);
        free(text);
        if (!rc)
            return 0;
        profile = "host";
        ovr[0] = 0;
        nr = 1;
    } else {
        uint8_t v = u8(&in) % 3;
        uint32_t maxb = u8(&in) % 0x24, maxe = CPUID_EXT_BASE + u8(&in) % 0x2c, l, s;
        struct cpuid_regs r;
        memset(&snap, 0, sizeof(snap));
        r = (struct cpuid_regs){ maxb, vendors[v][0], vendors[v][1], vendors[v][2] };
        cpuid_snapshot_set(&snap, 0, 0, false, &r);
        for (l = 1; l <= maxb; l++) {
            unsigned ns = l == 4 ? 4 : l == 7 ? 3 : (l == 0xB || l == 0x1F) ? 2 : l == 0xD ? 20 : 1;
            for (s = 0; s < ns; s++)
                put(&snap, &in, l, s, ns > 1);
        }
        r = (struct cpuid_regs){ (mode & 2) ? maxe : u32(&in), 0, 0, 0 };
        cpuid_snapshot_set(&snap, CPUID_EXT_BASE, 0, false, &r);
        for (l = CPUID_EXT_BASE + 1; l <= maxe; l++)
            put(&snap, &in, l, 0, false);
        snap.arch_caps = u64(&in);
        i = u8(&in);
        profile = i < 250 ? cpu_profiles[i % cpu_profile_count].name : i == 250 ? "" : "bogus";
        ntok = u8(&in) % 8;
        ovr[0] = 0;
        for (i = 0; i < ntok; i++) {
            uint8_t sign = u8(&in), fi = u8(&in);
            unsigned f = 1 + fi % (FEAT_COUNT + 1);
            if (f < FEAT_COUNT)
                feat_lname((enum cpu_feature)f, name, sizeof(name));
            else
                strcpy(name, "nosuchfeature");
            on += (unsigned)snprintf(ovr + on, sizeof(ovr) - on, "%s%s%s", i ? "," : "",
                                     sign % 3 == 0 ? "-" : sign % 3 == 1 ? "+" : "", name);
            if (f < FEAT_COUNT) {
                if (sign % 3 == 0) {
                    feat_set(minus, f);
                    feat_clear(plus, f);
                } else {
                    feat_set(plus, f);
                    feat_clear(minus, f);
                }
            }
        }
        nr = u8(&in);
    }

    rc = policy_init(&pol, &snap, profile, ovr, nr);
    if (rc == 0) {
        const struct cpu_profile *pr = profile_find(*profile ? profile : "host");
        profile_features(pr, want);
        for (i = 0; i < FEAT_WORDS; i++)
            want[i] = (want[i] | plus[i]) & ~minus[i];
        for (i = 1; i < FEAT_COUNT; i++)
            if (feat_test(minus, i) && policy_has(&pol, (enum cpu_feature)i))
                die("cpuid=- feature present", profile, ovr);
    } else {
        if (strcmp(pol.profile, "host"))
            die("fallback is not host", profile, ovr);
        profile_features(profile_find("host"), want);
    }
    err = cpuid_check(&pol, &snap, want);
    if (err)
        die(err, profile, ovr);

    /* Random queries, dynamic state, XSETBV. */
    for (i = 0; i < 8 && in.n; i++) {
        struct cpuid_dyn_state ds = { u32(&in), u64(&in), u64(&in), u64(&in) };
        uint32_t leaf = u32(&in), sub = u32(&in);
        struct cpuid_regs r;
        uint64_t x = u64(&in);
        switch (u8(&in) % 4) {
        case 0: leaf &= 0x3f; break;
        case 1: leaf = CPUID_EXT_BASE | (leaf & 0x3f); break;
        case 2: leaf = CPUID_HV_BASE | (leaf & 0x1ff); break;
        default: break;
        }
        if (u8(&in) & 1)
            sub &= 0x3f;
        policy_cpuid_dynamic(&pol, leaf, sub, &ds, &r);
        if (policy_xsave_size(&pol, ds.xcr0) < 576 ||
            policy_xsave_size_compacted(&pol, ds.xcr0 | ds.xss) < 576)
            die("XSAVE size below the legacy area", profile, ovr);
        if (policy_xcr0_valid(&pol, x) && ((x & ~pol.xcr0_mask) || !(x & 1)))
            die("XSETBV accepted a value outside the mask", profile, ovr);
        {
            struct vcpu v;
            memset(&v, 0, sizeof(v));
            v.policy = &pol;
            v.regs.rax = ((uint64_t)u32(&in) << 32) | leaf;
            v.regs.rcx = sub;
            fstate[VS_CR4] = ds.cr4;
            fstate[VS_XCR0] = ds.xcr0;
            fstate[VS_CPL] = u8(&in) & 3;
            handle_cpuid(&v);
            if ((v.regs.rax | v.regs.rbx | v.regs.rcx | v.regs.rdx) >> 32)
                die("CPUID left upper register halves set", profile, ovr);
            v.regs.rax = (uint32_t)x;
            v.regs.rdx = x >> 32;
            v.regs.rcx = u8(&in) & 1;
            finj = 0;
            handle_xsetbv(&v);
            if (!finj && !policy_xcr0_valid(&pol, fstate[VS_XCR0]))
                die("XSETBV committed an invalid XCR0", profile, ovr);
        }
    }
    if (mode & 4)
        policy_dump(&pol, &snap);
    return 0;
}
