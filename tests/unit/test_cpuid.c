/* CPUID policy unit tests: table-driven over every recorded dump in
 * tests/unit/data/cpuid (run from the repo root) and every profile. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>

#include "vmm/vcpu.h"
#include "vmm/arch_hooks.h"
#include "vmm/msr.h"
#include "vmm/cpuid.h"
#include "vmm/profile.h"
#include "lib/log.h"
#include "cpuid_check.h"

#define DUMP_DIR "tests/unit/data/cpuid"

#include "log_capture.h"

#define assert_log(s)                                                              \
    do {                                                                           \
        if (!log_has(s)) {                                                         \
            print_error("log lacks \"%s\"; log:\n%s\n", s, logbuf);                \
            fail();                                                                \
        }                                                                          \
    } while (0)

/* ---- fake arch hooks (own copy: it records advances, injections and the XSS read) --------------------- */
static struct {
    uint64_t state[VS_COUNT];
    unsigned advanced, injected;
    uint8_t vector;
    uint64_t xss;
    enum msr_verdict xss_verdict;
    unsigned msr_reads;
} fk;
void vcpu_complete_insn(struct vcpu *v)
{
    (void)v;
    fk.advanced++;
}
void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
    (void)v, (void)has_error, (void)error;
    fk.injected++;
    fk.vector = vector;
}
uint64_t vcpu_get_state(struct vcpu *v, enum vcpu_state s)
{
    (void)v;
    return fk.state[s];
}
bool vcpu_set_state(struct vcpu *v, enum vcpu_state s, uint64_t val)
{
    (void)v;
    fk.state[s] = val;
    return true;
}
enum msr_verdict msr_peek(struct vcpu *v, uint32_t index, uint64_t *value)
{
    (void)v;
    fk.msr_reads++;
    assert_int_equal(index, 0xda0);
    *value = fk.xss;
    return fk.xss_verdict;
}

/* ---- dumps ----------------------------------------------------------------------- */
#define MAX_DUMPS 32
static struct dump {
    char name[300];
    struct cpuid_snapshot s;
} dumps[MAX_DUMPS];
static unsigned ndumps;
static struct cpu_policy pol, pol2;

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    long n;
    char *buf;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n)
        n = 0;
    buf[n] = 0;
    fclose(f);
    return buf;
}

static int load_dumps(void **state)
{
    DIR *d = opendir(DUMP_DIR);
    struct dirent *de;
    (void)state;
    console_reset_sinks();
    console_add_sink(log_sink);
    if (!d)
        return -1;
    while ((de = readdir(d)) && ndumps < MAX_DUMPS) {
        char path[512], *text;
        size_t l = strlen(de->d_name);
        if (l < 4 || strcmp(de->d_name + l - 4, ".txt"))
            continue;
        snprintf(path, sizeof(path), "%s/%s", DUMP_DIR, de->d_name);
        text = read_file(path);
        if (!text)
            return -1;
        snprintf(dumps[ndumps].name, sizeof(dumps[ndumps].name), "%s", de->d_name);
        if (!cpuid_snapshot_parse(text, &dumps[ndumps].s)) {
            fprintf(stderr, "cannot parse %s\n", path);
            return -1;
        }
        free(text);
        ndumps++;
    }
    closedir(d);
    return 0;
}

static const struct dump *find_dump(const char *part)
{
    unsigned i;
    for (i = 0; i < ndumps; i++)
        if (strstr(dumps[i].name, part))
            return &dumps[i];
    fail_msg("no dump matching %s", part);
    return NULL;
}

static bool host_has(const struct cpuid_snapshot *s, enum cpu_feature f)
{
    uint64_t hf[FEAT_WORDS];
    cpuid_host_features(s, hf);
    return feat_test(hf, f);
}

static void want_of(const char *profile, const char *ovr, uint64_t *want)
{
    const struct cpu_profile *pr = profile_find(profile);
    unsigned i;
    assert_non_null(pr);
    profile_features(pr, want);
    /* overrides handled by the callers that use them */
    (void)ovr;
    (void)i;
}

static void init_ok(const struct dump *d, const char *profile, const char *ovr, unsigned n)
{
    uint64_t want[FEAT_WORDS];
    const char *err;
    assert_int_equal(policy_init(&pol, &d->s, profile, ovr, n), 0);
    want_of(profile, ovr, want);
    err = cpuid_check(&pol, &d->s, ovr ? NULL : want);
    if (err)
        fail_msg("%s profile %s: %s", d->name, profile, err);
}

/* ---- tests ------------------------------------------------------------------------- */

static void test_dumps_parse(void **state)
{
    unsigned i;
    (void)state;
    assert_true(ndumps >= 6);
    for (i = 0; i < ndumps; i++) {
        struct cpuid_regs r;
        const struct dump *d = &dumps[i];
        assert_true(d->s.n > 10);
        assert_true(cpuid_snapshot_get(&d->s, 1, 0, &r));
        assert_true(policy_init(&pol, &d->s, "host", NULL, 1) == 0);
        if (!strncmp(d->name, "GenuineIntel", 12))
            assert_int_equal(pol.vendor, VENDOR_INTEL);
        else if (!strncmp(d->name, "AuthenticAMD", 12))
            assert_int_equal(pol.vendor, VENDOR_AMD);
        assert_true(pol.maxphyaddr >= 36 && pol.maxphyaddr <= 52);
    }
}

static void test_every_dump_every_profile(void **state)
{
    unsigned i, j;
    (void)state;
    for (i = 0; i < ndumps; i++)
        for (j = 0; j < cpu_profile_count; j++) {
            init_ok(&dumps[i], cpu_profiles[j].name, NULL, 1);
            init_ok(&dumps[i], cpu_profiles[j].name, NULL, 4);
        }
}

static const enum cpu_feature avx_class[] = {
    FEAT_XSAVE, FEAT_AVX, FEAT_AVX2, FEAT_FMA, FEAT_F16C, FEAT_AVX512F, FEAT_AVX512BW,
    FEAT_AVX512VL, FEAT_AVX512DQ, FEAT_AVX512CD, FEAT_AVX_VNNI, FEAT_VAES, FEAT_VPCLMULQDQ,
    FEAT_SHSTK, FEAT_IBT, FEAT_PKU, FEAT_XSAVES, FEAT_XSAVEC, FEAT_XSAVEOPT, FEAT_AMX_TILE,
};

static void test_profile_v2(void **state)
{
    unsigned i, j;
    (void)state;
    for (i = 0; i < ndumps; i++) {
        struct cpuid_regs r;
        struct cpuid_dyn_state d = { 0, CR4_OSXSAVE | CR4_PKE, 7, 0 };
        log_reset();
        init_ok(&dumps[i], "x86-64-v2", NULL, 1);
        if (log_has("dropped"))   /* every recorded CPU is a full x86-64-v2 */
            fail_msg("%s: %s", dumps[i].name, logbuf);
        assert_true(policy_has(&pol, FEAT_SSE4_2));
        assert_true(policy_has(&pol, FEAT_POPCNT));
        assert_true(policy_has(&pol, FEAT_CX16));
        assert_true(policy_has(&pol, FEAT_LAHF_LM));
        assert_true(policy_has(&pol, FEAT_SSSE3));
        for (j = 0; j < sizeof(avx_class) / sizeof(avx_class[0]); j++)
            assert_false(policy_has(&pol, avx_class[j]));
        assert_false(policy_has(&pol, FEAT_BMI1));
        assert_false(policy_has(&pol, FEAT_MOVBE));
        assert_false(policy_has(&pol, FEAT_AES));
        assert_int_equal(pol.xcr0_mask, 0);
        policy_cpuid(&pol, 1, 0, &r);
        assert_true(r.ecx & (1u << 20));    /* SSE4.2 */
        assert_false(r.ecx & (1u << 28));   /* AVX */
        /* OSXSAVE stays clear even if CR4 claims it. */
        policy_cpuid_dynamic(&pol, 1, 0, &d, &r);
        assert_false(r.ecx & (1u << 27));
        policy_cpuid_dynamic(&pol, 7, 0, &d, &r);
        assert_false(r.ecx & (1u << 4));
        assert_int_equal(r.ebx & ((1u << 5) | (1u << 16)), 0);
    }
}

static void test_profile_v1_minimal(void **state)
{
    unsigned i;
    (void)state;
    for (i = 0; i < ndumps; i++) {
        init_ok(&dumps[i], "x86-64-v1", NULL, 1);
        assert_true(policy_has(&pol, FEAT_SSE2));
        assert_true(policy_has(&pol, FEAT_LM));
        assert_false(policy_has(&pol, FEAT_SSE3));
        assert_false(policy_has(&pol, FEAT_POPCNT));
        assert_int_equal(policy_has(&pol, FEAT_X2APIC), host_has(&dumps[i].s, FEAT_X2APIC));
        log_reset();
        init_ok(&dumps[i], "minimal", NULL, 1);
        if (log_has("dropped"))
            fail_msg("%s: %s", dumps[i].name, logbuf);
        assert_true(policy_has(&pol, FEAT_SYSCALL));
        assert_true(policy_has(&pol, FEAT_SSE2));
        assert_true(policy_has(&pol, FEAT_HYPERVISOR));
        assert_false(policy_has(&pol, FEAT_X2APIC));
        assert_false(policy_has(&pol, FEAT_SPEC_CTRL));
        assert_false(policy_has(&pol, FEAT_ARCH_CAPABILITIES));
        assert_int_equal(pol.arch_capabilities, 0);
    }
}

static void test_profile_v3_v4(void **state)
{
    unsigned i;
    (void)state;
    for (i = 0; i < ndumps; i++) {
        const struct dump *d = &dumps[i];
        bool avx512 = host_has(&d->s, FEAT_AVX512F);
        log_reset();
        init_ok(d, "x86-64-v3", NULL, 1);
        if (log_has("dropped"))
            fail_msg("%s: %s", d->name, logbuf);
        assert_true(policy_has(&pol, FEAT_AVX2));
        assert_true(policy_has(&pol, FEAT_FMA));
        assert_true(policy_has(&pol, FEAT_BMI2));
        assert_true(policy_has(&pol, FEAT_ABM));
        assert_false(policy_has(&pol, FEAT_AVX512F));
        assert_false(policy_has(&pol, FEAT_SHSTK));
        assert_int_equal(pol.xcr0_mask, 7);
        log_reset();
        init_ok(d, "x86-64-v4", NULL, 1);
        assert_int_equal(policy_has(&pol, FEAT_AVX512F), avx512);
        assert_int_equal(policy_has(&pol, FEAT_AVX512VL), avx512);
        if (avx512) {
            assert_int_equal(pol.xcr0_mask, 0xe7);
            if (log_has("dropped avx512"))
                fail_msg("%s: %s", d->name, logbuf);
        } else {
            assert_int_equal(pol.xcr0_mask, 7);
            assert_int_equal(pol.why[FEAT_AVX512F], WHY_HOST_LACKS);
            assert_log("cpuid: dropped avx512f (CPUID leaf 0x7 subleaf 0 EBX bit 16): the host "
                       "lacks it (profile x86-64-v4)");
            assert_log("cpuid: dropped avx512vl (CPUID leaf 0x7 subleaf 0 EBX bit 31)");
        }
    }
}

static void test_profile_host(void **state)
{
    unsigned i, f;
    (void)state;
    for (i = 0; i < ndumps; i++) {
        const struct dump *d = &dumps[i];
        struct cpuid_regs r, h;
        log_reset();
        init_ok(d, "host", NULL, 1);
        assert_false(log_has("host lacks"));
        for (f = 1; f < FEAT_COUNT; f++) {
            /* host profile: every passthrough-able host feature unless a prerequisite is gone */
            if (feat_table[f].cls == FC_PASS && feat_test(pol.host_feat, f) && pol.why[f] != WHY_DEP)
                assert_true(policy_has(&pol, (enum cpu_feature)f));
            if (feat_table[f].cls == FC_PASS && !feat_test(pol.host_feat, f))
                assert_int_equal(pol.why[f], WHY_ABSENT);
        }
        assert_false(policy_has(&pol, FEAT_VMX));
        assert_false(policy_has(&pol, FEAT_SVM));
        assert_false(policy_has(&pol, FEAT_MONITOR));
        assert_true(policy_has(&pol, FEAT_HYPERVISOR));
        policy_cpuid(&pol, 1, 0, &r);
        assert_true(r.ecx & (1u << 31));
        assert_false(r.ecx & ((1u << 5) | (1u << 3)));
        /* brand string kept */
        for (f = 0x80000002; f <= 0x80000004; f++) {
            cpuid_snapshot_get(&d->s, f, 0, &h);
            policy_cpuid(&pol, f, 0, &r);
            assert_memory_equal(&r, &h, sizeof(r));
        }
        policy_cpuid(&pol, 0x80000001, 0, &r);
        assert_false(r.ecx & (1u << 2));
        if (pol.vendor == VENDOR_AMD) {
            struct cpuid_regs l1;
            policy_cpuid(&pol, 1, 0, &l1);
            assert_int_equal(r.edx & 0x0183F3FF, l1.edx & 0x0183F3FF);
            assert_true(pol.max_ext >= 0x80000008);
        } else
            assert_int_equal(r.edx & 0x0183F3FF, 0);
        /* guest leaf 1 signature kept */
        cpuid_snapshot_get(&d->s, 1, 0, &h);
        policy_cpuid(&pol, 1, 0, &r);
        assert_int_equal(r.eax, h.eax);
        assert_int_equal(r.ebx & 0xffff, h.ebx & 0xffff);
    }
}

static void test_xsave_sizes(void **state)
{
    const struct dump *d;
    struct cpuid_regs r;
    (void)state;
    /* Genoa (Windows: XCR0 = 0xE7, XSS = CET_U): 0xD.0 EBX 0x980, 0xD.1 EBX 0x990. */
    d = find_dump("Genoa");
    init_ok(d, "host", NULL, 1);
    assert_int_equal(pol.xcr0_mask, 0x2e7);
    assert_int_equal(pol.xss_mask, 0x1800);
    assert_int_equal(policy_xsave_size(&pol, 0xe7), 0x980);
    assert_int_equal(policy_xsave_size_compacted(&pol, 0xe7 | 0x800), 0x990);
    assert_int_equal(policy_xsave_size(&pol, 0x2e7), 0x988);
    policy_cpuid(&pol, 0xD, 0, &r);
    assert_int_equal(r.ecx, 0x988);
    policy_cpuid(&pol, 0xD, 11, &r);
    assert_int_equal(r.eax, 0x10);
    assert_int_equal(r.ecx, 1);
    /* Milan: XCR0 = 7, no XSS: both 0x340. */
    d = find_dump("Milan");
    init_ok(d, "host", NULL, 1);
    assert_int_equal(pol.xcr0_mask, 0x207);
    assert_int_equal(policy_xsave_size(&pol, 7), 0x340);
    assert_int_equal(policy_xsave_size_compacted(&pol, 7), 0x340);
    /* Skylake-X: AVX-512 without MPX (hidden): compacted 0xE7 = 2432. */
    d = find_dump("SkylakeX");
    init_ok(d, "host", NULL, 1);
    assert_int_equal(pol.xcr0_mask, 0xe7);
    assert_int_equal(policy_xsave_size_compacted(&pol, 0xe7), 2432);
    assert_int_equal(policy_xsave_size(&pol, 0xe7), 0xa80);
    policy_cpuid(&pol, 0xD, 3, &r);   /* MPX BNDREGS hidden */
    assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
    /* Sapphire Rapids: AMX hidden, so the max size ends at PKRU. */
    d = find_dump("SapphireRapids");
    init_ok(d, "host", NULL, 1);
    assert_int_equal(pol.xcr0_mask, 0x2e7);
    assert_int_equal(pol.xss_mask, 0x1800);
    policy_cpuid(&pol, 0xD, 0, &r);
    assert_int_equal(r.ecx, 0xa88);
    policy_cpuid(&pol, 0xD, 18, &r);
    assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
    /* Alder Lake (Windows XCR0 0xE7, XSS PT|CET_U): without PT, 2432 + 16. */
    d = find_dump("AlderLake");
    init_ok(d, "host", NULL, 1);
    assert_int_equal(policy_xsave_size_compacted(&pol, 0xe7 | 0x800), 2448);
    /* x86-64-v3 everywhere: x87|SSE|AVX = 832 in both formats. */
    init_ok(d, "x86-64-v3", NULL, 1);
    assert_int_equal(policy_xsave_size(&pol, 7), 832);
    assert_int_equal(policy_xsave_size_compacted(&pol, 7 | 0x800), 832);
    policy_cpuid(&pol, 0xD, 0, &r);
    assert_int_equal(r.eax, 7);
    assert_int_equal(r.ecx, 832);
    assert_int_equal(r.ebx, 576);
}

static void test_closure(void **state)
{
    const struct dump *d = find_dump("SapphireRapids");
    unsigned j;
    (void)state;
    log_reset();
    init_ok(d, "host", "-xsave", 1);
    for (j = 0; j < sizeof(avx_class) / sizeof(avx_class[0]); j++)
        assert_false(policy_has(&pol, avx_class[j]));
    assert_int_equal(pol.why[FEAT_XSAVE], WHY_OVERRIDE);
    assert_int_equal(pol.why[FEAT_AVX2], WHY_DEP);
    assert_int_equal(pol.xcr0_mask, 0);
    assert_log("cpuid: dropped avx (CPUID leaf 0x1 subleaf 0 ECX bit 28): needs xsave");
    assert_log("cpuid: dropped avx2 (CPUID leaf 0x7 subleaf 0 EBX bit 5): needs avx");
    assert_log("needs avx512f");
    assert_true(policy_has(&pol, FEAT_SSE4_2));

    init_ok(d, "host", "-pcid", 1);
    assert_false(policy_has(&pol, FEAT_INVPCID));
    assert_true(policy_has(&pol, FEAT_FSGSBASE));

    init_ok(d, "host", "-sse2", 1);
    assert_false(policy_has(&pol, FEAT_SSE3));
    assert_false(policy_has(&pol, FEAT_SSE4_2));
    assert_false(policy_has(&pol, FEAT_AES));
    assert_false(policy_has(&pol, FEAT_VAES));   /* via the extra dep on AES */
    assert_false(policy_has(&pol, FEAT_SHA));
    assert_true(policy_has(&pol, FEAT_AVX2));    /* AVX hangs off XSAVE, not SSE2 */

    init_ok(d, "host", "-xsaves", 1);
    assert_false(policy_has(&pol, FEAT_SHSTK));
    assert_false(policy_has(&pol, FEAT_IBT));
    assert_int_equal(pol.xss_mask, 0);

    init_ok(d, "host", "-aes", 1);
    assert_false(policy_has(&pol, FEAT_VAES));
    assert_true(policy_has(&pol, FEAT_VPCLMULQDQ));
    /* AMX needs XFD which is never exposed: AMX_BF16 etc. drop by closure. */
    init_ok(d, "host", NULL, 1);
    assert_false(policy_has(&pol, FEAT_AMX_BF16));
    assert_int_equal(pol.why[FEAT_AMX_TILE], WHY_NEVER);
    assert_true(policy_has(&pol, FEAT_SHSTK));
    assert_true(policy_has(&pol, FEAT_IBT));
}

static void test_overrides(void **state)
{
    const struct dump *spr = find_dump("SapphireRapids"), *milan = find_dump("Milan");
    struct cpuid_regs r;
    (void)state;
    assert_int_equal(policy_init(&pol, &spr->s, "x86-64-v3", "+avx512f,+avx512bw", 1), 0);
    assert_null(cpuid_check(&pol, &spr->s, NULL));
    assert_true(policy_has(&pol, FEAT_AVX512F));
    assert_true(policy_has(&pol, FEAT_AVX512BW));
    assert_false(policy_has(&pol, FEAT_AVX512VL));
    assert_int_equal(pol.xcr0_mask, 0xe7);

    log_reset();
    assert_int_equal(policy_init(&pol, &spr->s, "x86-64-v2", "+avx512f", 1), 0);
    assert_false(policy_has(&pol, FEAT_AVX512F));
    assert_int_equal(pol.why[FEAT_AVX512F], WHY_DEP);
    assert_log("cpuid: dropped avx512f (CPUID leaf 0x7 subleaf 0 EBX bit 16): needs avx2");

    log_reset();
    assert_int_equal(policy_init(&pol, &milan->s, "host", "+avx512f", 1), 0);
    assert_log("cpuid: dropped avx512f (CPUID leaf 0x7 subleaf 0 EBX bit 16): the host lacks it "
               "(profile host, cpuid=+)");

    log_reset();
    assert_int_equal(policy_init(&pol, &spr->s, "host", "+vmx", 1), 0);
    assert_false(policy_has(&pol, FEAT_VMX));
    assert_log("cpuid: cpuid=+vmx ignored: keel never exposes it");

    assert_int_equal(policy_init(&pol, &spr->s, "host", "-hypervisor", 1), 0);
    assert_null(cpuid_check(&pol, &spr->s, NULL));
    policy_cpuid(&pol, 1, 0, &r);
    assert_false(r.ecx & (1u << 31));
    assert_int_equal(pol.why[FEAT_HYPERVISOR], WHY_OVERRIDE);

    /* Case, spaces, '.', '+' default, later token wins. */
    assert_int_equal(policy_init(&pol, &spr->s, "x86-64-v1", " SSE4.2 ,sse4_1, ssse3,sse3,-popcnt,+popcnt,-cx16", 1), 0);
    assert_true(policy_has(&pol, FEAT_SSE4_2));
    assert_true(policy_has(&pol, FEAT_POPCNT));
    assert_false(policy_has(&pol, FEAT_CX16));
    assert_int_equal(pol.why[FEAT_CX16], WHY_OVERRIDE);
    assert_int_equal(pol.why[FEAT_AVX], WHY_PROFILE);
    assert_int_equal(policy_init(&pol, &spr->s, "x86-64-v2", "-cx16,", 1), 0);
    assert_int_equal(pol.why[FEAT_CX16], WHY_OVERRIDE);

    /* -arch_capabilities: no MSR value either. */
    pol2 = pol;
    {
        struct cpuid_snapshot *s = malloc(sizeof(*s));
        *s = spr->s;
        s->arch_caps = ~0ull;
        assert_int_equal(policy_init(&pol, s, "host", NULL, 1), 0);
        assert_int_equal(pol.arch_capabilities, ARCH_CAPS_GUEST_MASK);
        assert_int_equal(policy_init(&pol, s, "host", "-arch_capabilities", 1), 0);
        assert_int_equal(pol.arch_capabilities, 0);
        s->arch_caps = 0x0c000e3ebull;   /* a real SPR value */
        assert_int_equal(policy_init(&pol, s, "x86-64-v2", NULL, 1), 0);
        assert_int_equal(pol.arch_capabilities, 0x0c000e3ebull & ARCH_CAPS_GUEST_MASK);
        assert_false(pol.arch_capabilities & (1ull << 3));   /* SKIP_L1DFL_VMENTRY: no nesting */
        assert_false(pol.arch_capabilities & (1ull << 7));   /* TSX_CTRL: MSR not provided */
        free(s);
    }
}

static void test_errors(void **state)
{
    const struct dump *d = find_dump("Genoa");
    uint64_t hostwant[FEAT_WORDS];
    (void)state;
    profile_features(profile_find("host"), hostwant);

    log_reset();
    assert_int_equal(policy_init(&pol, &d->s, "x86-64-v5", NULL, 1), -1);
    assert_log("cpuid: unknown profile \"x86-64-v5\"; falling back to \"host\"");
    assert_log("cpuid: valid profiles: host x86-64-v1 x86-64-v2 x86-64-v3 x86-64-v4 minimal");
    assert_string_equal(pol.profile, "host");
    assert_null(cpuid_check(&pol, &d->s, hostwant));

    log_reset();
    assert_int_equal(policy_init(&pol, &d->s, "x86-64-v2", "+avx2,+frobnicate", 1), -1);
    assert_log("cpuid: unknown feature \"frobnicate\" in cpuid=");
    assert_log("cpuid: valid feature names (cpuid=+name,-name):");
    assert_log(" sse4_2 ");
    assert_log(" lahf_lm ");
    assert_log("falling back to \"host\"");
    assert_string_equal(pol.profile, "host");
    assert_true(policy_has(&pol, FEAT_AVX2));   /* the host policy, not v2 */

    log_reset();
    assert_int_equal(policy_init(&pol, &d->s, "host", "+", 1), -1);
    assert_log("unknown feature \"\" in cpuid= (empty name)");

    /* NULL / empty profile = host; NULL overrides fine. */
    assert_int_equal(policy_init(&pol, &d->s, NULL, NULL, 0), 0);
    assert_string_equal(pol.profile, "host");
    assert_int_equal(pol.nr_vcpus, 1);
    assert_int_equal(policy_init(&pol, &d->s, "", "", 1), 0);
    assert_int_equal(policy_init(&pol, &d->s, "host", ",,", 1), 0);
}

static void test_hot_path(void **state)
{
    const struct dump *intel = find_dump("SapphireRapids"), *amd = find_dump("Genoa");
    struct cpuid_regs r, top;
    (void)state;
    init_ok(intel, "host", NULL, 1);
    assert_int_equal(pol.max_basic, 0x1f);        /* host 0x20 clamped */
    assert_int_equal(pol.max_ext, 0x80000008);
    policy_cpuid(&pol, 0x1f, 1, &top);
    policy_cpuid(&pol, 0x20, 1, &r);              /* Intel: highest basic leaf's data */
    assert_memory_equal(&r, &top, sizeof(r));
    policy_cpuid(&pol, 0x80000009, 1, &r);
    assert_memory_equal(&r, &top, sizeof(r));
    policy_cpuid(&pol, 0x12345678, 1, &r);
    assert_memory_equal(&r, &top, sizeof(r));
    policy_cpuid(&pol, 0x40000000, 0, &r);
    assert_int_equal(r.eax, 0x40000001);
    assert_memory_equal(&r.ebx, "Keel", 4);
    assert_memory_equal(&r.ecx, "Keel", 4);
    assert_memory_equal(&r.edx, "Keel", 4);
    policy_cpuid(&pol, 0x40000100, 0, &r);
    assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
    policy_cpuid(&pol, 7, 3, &r);                 /* beyond 7.0 EAX */
    assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
    policy_cpuid(&pol, 7, 0, &r);
    assert_int_equal(r.eax, 2);
    policy_cpuid(&pol, 0xB, 7, &r);               /* topology beyond: ECX = level number */
    assert_int_equal(r.ecx, 7);
    assert_int_equal(r.eax | r.ebx | r.edx, 0);
    policy_cpuid(&pol, 1, 0x1234, &top);          /* flat leaves ignore ECX */
    policy_cpuid(&pol, 1, 0, &r);
    assert_memory_equal(&r, &top, sizeof(r));
    policy_cpuid(&pol, 4, 0, &r);                 /* L1D kept */
    assert_int_equal(r.eax & 0x1f, 1);
    assert_int_equal(r.eax >> 14, 0);
    policy_cpuid(&pol, 4, 4, &r);                 /* beyond the last cache */
    assert_int_equal(r.eax, 0);
    policy_cpuid(&pol, 0x14, 0, &r);              /* PT hidden */
    assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
    policy_cpuid(&pol, 6, 0, &r);                 /* only ARAT */
    assert_int_equal(r.eax, 4);
    assert_int_equal(r.ebx | r.ecx | r.edx, 0);
    policy_cpuid(&pol, 0x15, 0, &r);              /* TSC ratio kept */
    assert_int_equal(r.ebx, 0xd8);

    init_ok(amd, "host", NULL, 1);
    assert_int_equal(pol.max_basic, 0x10);
    assert_int_equal(pol.max_ext, 0x80000022);
    policy_cpuid(&pol, 0x11, 0, &r);              /* AMD: zeros */
    assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
    policy_cpuid(&pol, 0x80000022, 0, &r);
    assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
    policy_cpuid(&pol, 0x8000001F, 0, &r);        /* SEV hidden */
    assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
    policy_cpuid(&pol, 0x80000008, 0, &r);
    assert_int_equal(r.eax, 0x3934);
    assert_int_equal(r.ecx, 0);                   /* one core */
    assert_int_equal(r.edx, 0);
    policy_cpuid(&pol, 0x80000021, 0, &r);
    assert_int_equal(r.eax, (1u << 0) | (1u << 2) | (1u << 6) | (1u << 9));
    policy_cpuid(&pol, 0x80000007, 0, &r);
    assert_int_equal(r.edx, 1u << 8);
    assert_int_equal(r.ebx, 0);
}

static void test_topology(void **state)
{
    const struct dump *intel = find_dump("AlderLake"), *amd = find_dump("Turin");
    struct cpuid_regs r;
    struct cpuid_dyn_state d = { 3, 0, 1, 0 };
    (void)state;
    init_ok(intel, "host", NULL, 1);
    policy_cpuid(&pol, 1, 0, &r);
    assert_int_equal((r.ebx >> 16) & 0xff, 1);
    assert_false(r.edx & (1u << 28));            /* HTT */
    policy_cpuid(&pol, 0xB, 0, &r);
    assert_int_equal(r.eax, 0);
    assert_int_equal(r.ebx, 1);
    assert_int_equal(r.ecx, 0x100);
    policy_cpuid(&pol, 0xB, 1, &r);
    assert_int_equal(r.eax, 0);
    assert_int_equal(r.ebx, 1);
    assert_int_equal(r.ecx, 0x201);
    policy_cpuid(&pol, 0x1F, 1, &r);
    assert_int_equal(r.ecx, 0x201);
    policy_cpuid(&pol, 0x1A, 0, &r);              /* hybrid leaf hidden */
    assert_int_equal(r.eax, 0);
    policy_cpuid(&pol, 4, 3, &r);                 /* L3: shared by 1 */
    assert_int_equal(r.eax >> 14, 0);
    policy_cpuid_dynamic(&pol, 0xB, 1, &d, &r);
    assert_int_equal(r.edx, 3);
    policy_cpuid_dynamic(&pol, 0x1F, 9, &d, &r);
    assert_int_equal(r.edx, 3);
    assert_int_equal(r.ecx, 9);

    init_ok(intel, "host", NULL, 6);
    policy_cpuid(&pol, 1, 0, &r);
    assert_int_equal((r.ebx >> 16) & 0xff, 6);
    assert_true(r.edx & (1u << 28));
    policy_cpuid(&pol, 0xB, 1, &r);
    assert_int_equal(r.eax, 3);
    assert_int_equal(r.ebx, 6);
    policy_cpuid(&pol, 4, 3, &r);
    assert_int_equal(r.eax >> 26, 5);
    assert_int_equal((r.eax >> 14) & 0xfff, 5);
    policy_cpuid(&pol, 4, 0, &r);
    assert_int_equal((r.eax >> 14) & 0xfff, 0);

    init_ok(amd, "host", NULL, 4);
    policy_cpuid(&pol, 0x80000008, 0, &r);
    assert_int_equal(r.ecx, 3);
    policy_cpuid(&pol, 0x8000001E, 0, &r);        /* TOPOEXT hidden */
    assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
    policy_cpuid(&pol, 0x80000001, 0, &r);
    assert_false(r.ecx & (1u << 22));
    init_ok(amd, "host", NULL, 1000);
    policy_cpuid(&pol, 1, 0, &r);
    assert_int_equal((r.ebx >> 16) & 0xff, 255);
}

static void test_dynamic(void **state)
{
    const struct dump *d = find_dump("SapphireRapids");
    struct cpuid_regs r;
    struct cpuid_dyn_state ds = { 0x12, CR4_OSXSAVE | CR4_PKE, 0x2e7, 0x1800 };
    (void)state;
    init_ok(d, "host", NULL, 1);
    policy_cpuid_dynamic(&pol, 1, 0, &ds, &r);
    assert_true(r.ecx & (1u << 27));
    assert_int_equal(r.ebx >> 24, 0x12);
    policy_cpuid_dynamic(&pol, 7, 0, &ds, &r);
    assert_true(r.ecx & (1u << 4));
    policy_cpuid_dynamic(&pol, 7, 1, &ds, &r);
    assert_false(r.ecx & (1u << 4));
    policy_cpuid_dynamic(&pol, 0xD, 0, &ds, &r);
    assert_int_equal(r.ebx, 0xa88);
    policy_cpuid_dynamic(&pol, 0xD, 1, &ds, &r);
    /* compacted: 576 + 256 + 64 + 512 + 1024 + 8 (PKRU) + 16 (CET_U) + 24 (CET_S) */
    assert_int_equal(r.ebx, 576 + 256 + 64 + 512 + 1024 + 8 + 16 + 24);
    policy_cpuid_dynamic(&pol, 0xD, 2, &ds, &r);
    assert_int_equal(r.eax, 256);
    assert_int_equal(r.ebx, 576);
    ds.cr4 = 0;
    policy_cpuid_dynamic(&pol, 1, 0, &ds, &r);
    assert_false(r.ecx & (1u << 27));
    policy_cpuid_dynamic(&pol, 7, 0, &ds, &r);
    assert_false(r.ecx & (1u << 4));
    policy_cpuid_dynamic(&pol, 0, 0, &ds, &r);
    assert_int_equal(r.eax, 0x1f);
    /* an unknown kind leaves r alone */
    r.eax = 5;
    cpuid_apply_dyn(&pol, 99, 0, &ds, &r);
    assert_int_equal(r.eax, 5);
}

static void test_snapshot_roundtrip(void **state)
{
    unsigned i, j;
    struct cpuid_snapshot *s2 = malloc(sizeof(*s2));
    struct cpuid_regs r = { 1, 2, 3, 4 };
    (void)state;
    for (i = 0; i < ndumps; i++) {
        struct cpuid_snapshot *s = malloc(sizeof(*s));
        *s = dumps[i].s;
        s->arch_caps = 0x123456789abcdefull;
        s->host_pmu = i & 1;
        log_reset();
        cpuid_snapshot_print(s);
        assert_true(log_has("keel: CPUID 00000001: "));
        assert_true(log_has(s->host_pmu ? "keel: PMU host: yes\n" : "keel: PMU host: no\n"));
        assert_true(cpuid_snapshot_parse(logbuf, s2));
        assert_int_equal(s2->n, s->n);
        assert_int_equal(s2->arch_caps, s->arch_caps);
        assert_int_equal(s2->host_pmu, s->host_pmu);
        for (j = 0; j < s->n; j++) {
            assert_int_equal(s2->e[j].leaf, s->e[j].leaf);
            assert_int_equal(s2->e[j].sub, s->e[j].sub);
            assert_memory_equal(&s2->e[j].r, &s->e[j].r, sizeof(r));
        }
        free(s);
    }
    log_reset();
    cpuid_snapshot_print(&dumps[0].s);
    assert_false(log_has("MSR 0000010A"));
    assert_true(log_has("[SL 01]"));
    assert_false(cpuid_snapshot_parse("CPUID 00000000: 0000000D-756E6547-6C65746E-4965ZZ69\n", s2));
    assert_false(cpuid_snapshot_parse("CPUID 00000000: 0000000D-756E6547\n", s2));
    assert_false(cpuid_snapshot_parse("CPUID 00000000: 0000000D-756E6547-6C65746E-49656E69 [SL xx]\n", s2));
    assert_false(cpuid_snapshot_parse("CPUID 00000001: 0000000D-756E6547-6C65746E-49656E69\n", s2));
    assert_false(cpuid_snapshot_parse("", s2));
    assert_true(cpuid_snapshot_parse("junk\r\nCPUID 00000000: 0000000d-756e6547-6c65746e-49656e69 [x]\r\n"
                                     "CPUID 00000000: 00000001-00000000-00000000-00000000\n"
                                     "MSR 0000010A: 0000000Z-00000000\n", s2));
    assert_int_equal(s2->n, 1);
    assert_int_equal(s2->e[0].r.eax, 0xd);   /* first occurrence wins */
    assert_int_equal(s2->arch_caps, 0);
    /* set: replace and overflow */
    memset(s2, 0, sizeof(*s2));
    assert_true(cpuid_snapshot_set(s2, 0, 0, false, &r));
    r.eax = 9;
    assert_true(cpuid_snapshot_set(s2, 0, 0, true, &r));
    assert_int_equal(s2->n, 1);
    assert_int_equal(s2->e[0].r.eax, 9);
    assert_false(cpuid_snapshot_set(s2, 0, 0x100, false, &r));
    for (i = 1; i < CPUID_SNAP_MAX; i++)
        assert_true(cpuid_snapshot_set(s2, i, 0, false, &r));
    assert_false(cpuid_snapshot_set(s2, 0x1000, 0, false, &r));
    {   /* a dump that overflows the snapshot fails to parse */
        char *big = malloc(80 * (CPUID_SNAP_MAX + 2)), *p = big;
        for (i = 0; i <= CPUID_SNAP_MAX; i++)
            p += sprintf(p, "CPUID %08X: 00000000-00000000-00000000-00000000\n", i);
        assert_false(cpuid_snapshot_parse(big, s2));
        free(big);
    }
    free(s2);
}

static void test_names(void **state)
{
    char buf[8];
    (void)state;
    assert_int_equal(feat_by_name("sse4.2", 6), FEAT_SSE4_2);
    assert_int_equal(feat_by_name("SSE4-2", 6), FEAT_SSE4_2);
    assert_int_equal(feat_by_name("sse4", 4), FEAT_NONE);
    assert_int_equal(feat_by_name("sse4_22", 7), FEAT_NONE);
    assert_int_equal(feat_by_name("3dnow", 5), FEAT_3DNOW);
    assert_string_equal(feat_lname(FEAT_AVX512_VPOPCNTDQ, buf, sizeof(buf)), "avx512_");
    assert_string_equal(feat_lname((enum cpu_feature)FEAT_COUNT, buf, sizeof(buf)), "?");
    feat_lname(FEAT_AVX, buf, 0);
    /* Every name is unique, every row's bit fits, no two rows share a bit. */
    for (unsigned f = 1; f < FEAT_COUNT; f++) {
        assert_int_equal(feat_by_name(feat_table[f].name, (unsigned)strlen(feat_table[f].name)), f);
        assert_true(feat_table[f].bit < 32 && feat_table[f].reg <= R_EDX);
        for (unsigned g = f + 1; g < FEAT_COUNT; g++)
            assert_false(feat_table[f].leaf == feat_table[g].leaf && feat_table[f].sub == feat_table[g].sub &&
                         feat_table[f].reg == feat_table[g].reg && feat_table[f].bit == feat_table[g].bit);
    }
    for (unsigned i = 0; i < cpu_profile_count; i++)
        assert_ptr_equal(profile_find(cpu_profiles[i].name), &cpu_profiles[i]);
    assert_null(profile_find("HOST"));
}

static void test_dump_output(void **state)
{
    const struct dump *d = find_dump("SapphireRapids");
    (void)state;
    init_ok(d, "x86-64-v2", NULL, 1);
    log_reset();
    policy_dump(&pol, &d->s);
    assert_log("keel: cpuid.dump profile=x86-64-v2 vendor=Intel vcpus=1 max leaf 0x1F/0x80000008");
    assert_log("cpuid.dump 00000001.00 000806F8 00800800 7FFEFBFF BFEBFBFF | ");
    assert_log("cpuid.dump 00000020.00 ");
    assert_log("cpuid.dump 40000000.00 -------- -------- -------- -------- | 40000001 6C65654B 6C65654B 6C65654B | keel *");
    assert_log("cpuid.dump never             : ");
    assert_log(" vmx ");
    assert_log("cpuid.dump not in profile    : ");
    assert_log(" avx2 ");
    assert_log("cpuid.dump guest             : ");
    init_ok(find_dump("Milan"), "x86-64-v4", NULL, 1);
    log_reset();
    policy_dump(&pol, &find_dump("Milan")->s);
    assert_log("vendor=AMD");
    assert_log("cpuid.dump host lacks        : ");
    assert_log(" avx512f ");
    assert_log("guest only");
    log_reset();
    policy_print_profiles();
    assert_log("keel: profile x86-64-v2: ");
    assert_log("keel:   required : cx16 lahf_lm popcnt sse3 sse4_1 sse4_2 ssse3");
    assert_log("profile host: ");
    assert_log("profile minimal: ");
    assert_log("keel:   optional : xsaveopt xsavec xgetbv1 xsaves");
    assert_log("keel:   required : fpu tsc");
}

/* Vendor "other", tiny/odd hosts: no crash, invariants hold. */
static void test_odd_hosts(void **state)
{
    struct cpuid_snapshot *s = calloc(1, sizeof(*s));
    struct cpuid_regs r = { 0, 0x746e6543, 0x736c7561, 0x48727561 };   /* "CentaurHauls" */
    const char *err;
    (void)state;
    cpuid_snapshot_set(s, 0, 0, false, &r);
    assert_int_equal(policy_init(&pol, s, "host", NULL, 1), 0);
    err = cpuid_check(&pol, s, NULL);
    if (err)
        fail_msg("%s", err);
    assert_int_equal(pol.vendor, VENDOR_OTHER);
    assert_int_equal(pol.max_basic, 1);
    assert_int_equal(pol.max_ext, 0x80000000);
    assert_int_equal(pol.maxphyaddr, 32);
    policy_cpuid(&pol, 0x12345, 0, &r);   /* other vendor: zeros */
    assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
    /* Hygon counts as AMD; XSAVE bit without leaf 0xD is not XSAVE. */
    r = (struct cpuid_regs){ 0xD, 0x6f677948, 0x656e6975, 0x6e65476e };
    cpuid_snapshot_set(s, 0, 0, false, &r);
    r = (struct cpuid_regs){ 0, 0, (1u << 26) | (1u << 28), (1u << 24) | (1u << 25) | (1u << 6) };
    cpuid_snapshot_set(s, 1, 0, false, &r);
    assert_int_equal(policy_init(&pol, s, "host", NULL, 1), 0);
    assert_null(cpuid_check(&pol, s, NULL));
    assert_int_equal(pol.vendor, VENDOR_AMD);
    assert_false(policy_has(&pol, FEAT_XSAVE));
    assert_int_equal(pol.maxphyaddr, 36);
    /* With x87|SSE|AVX in 0xD.0 it is. */
    r = (struct cpuid_regs){ 7, 0x340, 0x340, 0 };
    cpuid_snapshot_set(s, 0xD, 0, true, &r);
    r = (struct cpuid_regs){ 0x100, 0x240, 0, 0 };
    cpuid_snapshot_set(s, 0xD, 2, true, &r);
    assert_int_equal(policy_init(&pol, s, "host", NULL, 1), 0);
    assert_null(cpuid_check(&pol, s, NULL));
    assert_true(policy_has(&pol, FEAT_AVX));
    assert_int_equal(pol.xcr0_mask, 7);
    /* a huge extended max leaf is treated as no extended leaves */
    r = (struct cpuid_regs){ 0x8fffffff, 0, 0, 0 };
    cpuid_snapshot_set(s, 0x80000000, 0, false, &r);
    assert_int_equal(policy_init(&pol, s, "host", NULL, 1), 0);
    assert_int_equal(pol.max_ext, 0x80000000);
    free(s);
}

/* ---- exit handlers ------------------------------------------------------------------ */

static struct vcpu vc;

static void fk_reset(const struct cpu_policy *p)
{
    memset(&fk, 0, sizeof(fk));
    memset(&vc, 0, sizeof(vc));
    vc.policy = p;
    fk.state[VS_CR4] = CR4_OSXSAVE;
}

static void test_handle_cpuid(void **state)
{
    (void)state;
    init_ok(find_dump("SapphireRapids"), "host", NULL, 1);
    fk_reset(&pol);
    vc.id = 2;
    vc.regs.rax = 0xffffffff00000001ull;   /* upper half ignored */
    vc.regs.rcx = 0xdeadbeef00000000ull;
    vc.regs.rbx = vc.regs.rdx = ~0ull;
    handle_cpuid(&vc);
    assert_int_equal(fk.advanced, 1);
    assert_int_equal(vc.regs.rax, 0x806f8);
    assert_true(vc.regs.rcx & (1u << 27));
    assert_true(vc.regs.rcx & (1u << 31));
    assert_int_equal(vc.regs.rbx >> 24, 2);
    assert_int_equal(vc.regs.rdx >> 32, 0);
    assert_int_equal(vc.regs.rbx >> 32, 0);

    vc.regs.rax = 0x40000000;
    handle_cpuid(&vc);
    assert_int_equal(vc.regs.rax, 0x40000001);
    assert_int_equal(vc.regs.rbx, 0x6c65654b);

    fk.state[VS_CR4] = CR4_PKE;
    vc.regs.rax = 7, vc.regs.rcx = 0;
    handle_cpuid(&vc);
    assert_true(vc.regs.rcx & (1u << 4));

    vc.regs.rax = 0xB, vc.regs.rcx = 1;
    handle_cpuid(&vc);
    assert_int_equal(vc.regs.rdx, 2);

    fk.state[VS_XCR0] = 7;
    fk.xss = 0x800;
    vc.regs.rax = 0xD, vc.regs.rcx = 0;
    handle_cpuid(&vc);
    assert_int_equal(vc.regs.rbx, 832);
    assert_int_equal(fk.msr_reads, 0);
    vc.regs.rax = 0xD, vc.regs.rcx = 1;
    handle_cpuid(&vc);
    assert_int_equal(vc.regs.rbx, 832 + 16);
    assert_int_equal(fk.msr_reads, 1);
    fk.xss_verdict = MSR_GP;
    vc.regs.rax = 0xD, vc.regs.rcx = 1;
    handle_cpuid(&vc);
    assert_int_equal(vc.regs.rbx, 832);
    vc.regs.rax = 0xD, vc.regs.rcx = 2;
    handle_cpuid(&vc);
    assert_int_equal(vc.regs.rax, 256);
    assert_int_equal(fk.advanced, 8);
    assert_int_equal(fk.injected, 0);

    /* a guest without XSAVES never reads IA32_XSS */
    init_ok(find_dump("SapphireRapids"), "x86-64-v3", "-xsaves", 1);
    fk_reset(&pol);
    vc.regs.rax = 0xD, vc.regs.rcx = 1;
    handle_cpuid(&vc);
    assert_int_equal(fk.msr_reads, 0);
    assert_int_equal(vc.regs.rbx, 576);
}

/* The per-vCPU fast table gives exactly what the full lookup gives, for
 * every leaf it covers (and beyond the maximum leaves), on every recorded
 * CPU; the leaves that depend on guest state or the CPU are left out. */
static void test_cpuid_fast_table(void **state)
{
    static const char *const cpus[] = { "SapphireRapids", "Genoa", "SkylakeX" };
    unsigned c, i, fast = 0;
    (void)state;
    for (c = 0; c < sizeof(cpus) / sizeof(cpus[0]); c++) {
        const struct dump *d = find_dump(cpus[c]);
        init_ok(d, "host", NULL, 1);
        for (i = 0; i < CPUID_FAST_SLOTS; i++) {
            uint32_t leaf = i < 0x20 ? i : 0x80000000u + i - 0x20;
            uint64_t a[4], b[4];
            fk_reset(&pol);
            fk.state[VS_XCR0] = 7;
            vc.regs.rax = leaf, vc.regs.rcx = 0;
            handle_cpuid(&vc);                      /* cpuid_fast all NULL: the full lookup */
            a[0] = vc.regs.rax, a[1] = vc.regs.rbx, a[2] = vc.regs.rcx, a[3] = vc.regs.rdx;
            cpuid_fast_init(&vc);
            fast += vc.cpuid_fast[i] != NULL;
            vc.regs.rax = leaf, vc.regs.rcx = 0;
            handle_cpuid(&vc);
            b[0] = vc.regs.rax, b[1] = vc.regs.rbx, b[2] = vc.regs.rcx, b[3] = vc.regs.rdx;
            assert_memory_equal(a, b, sizeof(a));
            assert_int_equal(fk.advanced, 2);
        }
        init_ok(d, "host", NULL, 1);
        fk_reset(&pol);
        cpuid_fast_init(&vc);
        assert_null(vc.cpuid_fast[1]);              /* leaf 1: APIC ID and OSXSAVE follow the vCPU */
        assert_null(vc.cpuid_fast[7]);              /* subleaves */
        assert_non_null(vc.cpuid_fast[0]);
    }
    assert_true(fast > 0);
}

static void do_xsetbv(uint64_t val, uint32_t ecx)
{
    vc.regs.rax = (uint32_t)val | 0xabcd000000000000ull;   /* upper RAX ignored */
    vc.regs.rdx = val >> 32;
    vc.regs.rcx = ecx;
    handle_xsetbv(&vc);
}

static void expect_gp(uint64_t val, uint32_t ecx)
{
    unsigned inj = fk.injected, adv = fk.advanced;
    uint64_t x = fk.state[VS_XCR0];
    do_xsetbv(val, ecx);
    assert_int_equal(fk.injected, inj + 1);
    assert_int_equal(fk.vector, 13);
    assert_int_equal(fk.advanced, adv);
    assert_int_equal(fk.state[VS_XCR0], x);
}

static void expect_ok(uint64_t val)
{
    unsigned inj = fk.injected, adv = fk.advanced;
    do_xsetbv(val, 0);
    assert_int_equal(fk.injected, inj);
    assert_int_equal(fk.advanced, adv + 1);
    assert_int_equal(fk.state[VS_XCR0], val);
}

static void test_handle_xsetbv(void **state)
{
    (void)state;
    init_ok(find_dump("SapphireRapids"), "host", NULL, 1);
    fk_reset(&pol);
    fk.state[VS_XCR0] = 1;
    expect_ok(1);
    expect_ok(3);
    expect_ok(7);
    expect_ok(0xe7);
    expect_ok(0x2e7);
    expect_ok(0x203);
    expect_gp(0, 0);              /* x87 must be set */
    expect_gp(2, 0);
    expect_gp(5, 0);              /* AVX without SSE */
    expect_gp(0x27, 0);           /* AVX-512 partial */
    expect_gp(0x67, 0);
    expect_gp(0xe3, 0);           /* AVX-512 without AVX */
    expect_gp(0x1f, 0);           /* MPX: hidden */
    expect_gp(0x60003, 0);        /* AMX: hidden */
    expect_gp(0x800 | 7, 0);      /* XSS bit in XCR0 */
    expect_gp(1ull << 32 | 7, 0);
    expect_gp(7, 1);              /* XCR1 is read-only (XGETBV only) */
    fk.state[VS_CPL] = 3;
    expect_gp(7, 0);
    fk.state[VS_CPL] = 0;
    fk.state[VS_CR4] = 0;         /* CR4.OSXSAVE clear: #UD */
    do_xsetbv(7, 0);
    assert_int_equal(fk.vector, 6);
    fk.state[VS_CR4] = CR4_OSXSAVE;

    init_ok(find_dump("SapphireRapids"), "x86-64-v3", NULL, 1);
    vc.policy = &pol;
    expect_ok(7);
    expect_gp(0xe7, 0);           /* not in the v3 mask */
    init_ok(find_dump("SapphireRapids"), "x86-64-v2", NULL, 1);
    expect_gp(1, 0);              /* no XSAVE at all */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dumps_parse),
        cmocka_unit_test(test_every_dump_every_profile),
        cmocka_unit_test(test_profile_v2),
        cmocka_unit_test(test_profile_v1_minimal),
        cmocka_unit_test(test_profile_v3_v4),
        cmocka_unit_test(test_profile_host),
        cmocka_unit_test(test_xsave_sizes),
        cmocka_unit_test(test_closure),
        cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_hot_path),
        cmocka_unit_test(test_topology),
        cmocka_unit_test(test_dynamic),
        cmocka_unit_test(test_snapshot_roundtrip),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_dump_output),
        cmocka_unit_test(test_odd_hosts),
        cmocka_unit_test(test_handle_cpuid),
        cmocka_unit_test(test_cpuid_fast_table),
        cmocka_unit_test(test_handle_xsetbv),
    };
    return cmocka_run_group_tests(tests, load_dumps, NULL);
}
