/* Unit tests: the guest PMU policy (pmu=off|passthrough) against the
 * recorded CPUID dumps: the CPUID bits the guest sees and the MSR rows that
 * exist and are intercepted, for real CPUs (Intel leaf 0xA, AMD legacy, core
 * and PerfMonV2 counters) and for the emulators (no PMU to pass through). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include <string.h>
#include "vmm/cpuid.h"
#include "vmm/msr.h"
#include "fake_arch.h"
#include "log_capture.h"

#define DUMP_DIR "tests/unit/data/cpuid/"

static struct cpuid_snapshot snap;
static struct cpu_policy pol;
static struct fake_vcpu fv;
static struct msr_vcpu_state st;
static struct msr_config cfg;
#define V (&fv.v)

static void load(const char *file, bool host_pmu)
{
    char path[256], *buf;
    FILE *f;
    long n;
    snprintf(path, sizeof path, DUMP_DIR "%s", file);
    f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = 0;
    fclose(f);
    assert_true(cpuid_snapshot_parse(buf, &snap));
    free(buf);
    snap.host_pmu = host_pmu;     /* what keel's boot probe would find */
}

static void boot(const char *file, bool host_pmu, enum pmu_mode mode)
{
    load(file, host_pmu);
    capture_start();
    assert_int_equal(policy_init_pmu(&pol, &snap, "host", NULL, 1, mode), 0);
    memset(&cfg, 0, sizeof cfg);
    cfg.filter.default_allow = true;
    fake_host_reset();
    fake_vcpu_init(&fv);
    fv.v.policy = &pol;
    assert_int_equal(msr_vcpu_init(V, &st, &cfg), 0);
}

static struct cpuid_regs leaf(uint32_t l)
{
    struct cpuid_regs r;
    policy_cpuid(&pol, l, 0, &r);
    return r;
}

static struct cpuid_regs host_leaf(uint32_t l)
{
    struct cpuid_regs r;
    cpuid_snapshot_get(&snap, l, 0, &r);
    return r;
}

static void no_pmu_cpuid(void)
{
    struct cpuid_regs a = leaf(0xA), e = leaf(0x80000022);
    assert_int_equal(pol.pmu, PMU_OFF);
    assert_int_equal(a.eax | a.ebx | a.ecx | a.edx, 0);
    if (pol.max_ext >= 0x80000022)        /* beyond: Intel answers with the top basic leaf */
        assert_int_equal(e.eax | e.ebx | e.ecx | e.edx, 0);
    assert_false(leaf(1).ecx & (1u << 15));             /* PDCM */
    assert_false(leaf(0x80000001).ecx & (1u << 23));    /* PerfCtrExtCore */
    assert_false(policy_has(&pol, FEAT_PERFMON_V2));
}

static void exists_icpt(uint32_t idx, bool exists, unsigned icpt)
{
    if (msr_exists(V, idx) != exists || (exists && msr_expected_intercept(V, idx) != icpt))
        fail_msg("MSR 0x%x: exists %d intercept %u, want %d %u", idx, msr_exists(V, idx),
                 msr_expected_intercept(V, idx), exists, icpt);
}

static const uint32_t intel_pmu_msrs[] = { 0xc1, 0xc8, 0x186, 0x18d, 0x309, 0x30c, 0x38d, 0x38e, 0x38f, 0x390, 0x4c1 };
static const uint32_t amd_ext_msrs[] = { 0xc0010200, 0xc001020b, 0xc0000300, 0xc0000303 };

/* pmu=off, every dump: no PMU in CPUID; AMD legacy counters emulated as
 * zero (intercepted both ways), everything else absent. */
static void test_pmu_off_all_dumps(void **state)
{
    static const char *const dumps[] = {
        "GenuineIntel0050654_SkylakeX_CPUID.txt", "GenuineIntel00806F8_SapphireRapids_05_CPUID.txt",
        "GenuineIntel0090672_AlderLake_02_CPUID.txt", "GenuineIntel_Bochs27_corei7_skylake_x_CPUID.txt",
        "AuthenticAMD0A00F11_K19_Milan_02_CPUID.txt", "AuthenticAMD0A10F11_K19_Genoa_01_CPUID.txt",
        "AuthenticAMD0B00F21_K20_Turin_01_CPUID.txt", "AuthenticAMD_Bochs27_ryzen_CPUID.txt",
        "AuthenticAMD_QEMU72_TCG_EPYC_CPUID.txt", "AuthenticAMD_QEMU72_TCG_max_CPUID.txt",
    };
    (void)state;
    for (unsigned i = 0; i < sizeof dumps / sizeof dumps[0]; i++) {
        bool amd = !strncmp(dumps[i], "AuthenticAMD", 12);
        uint64_t v = 7;
        unsigned w0;
        boot(dumps[i], !strstr(dumps[i], "Bochs") && !strstr(dumps[i], "QEMU"), PMU_OFF);
        w0 = fake_wrmsr_calls;
        no_pmu_cpuid();
        assert_false(log_has("pmu: passthrough"));
        for (unsigned k = 0; k < sizeof intel_pmu_msrs / sizeof intel_pmu_msrs[0]; k++)
            exists_icpt(intel_pmu_msrs[k], false, 0);
        exists_icpt(0x345, false, 0);
        for (unsigned k = 0; k < sizeof amd_ext_msrs / sizeof amd_ext_msrs[0]; k++)
            exists_icpt(amd_ext_msrs[k], false, 0);
        for (uint32_t k = 0xc0010000; k <= 0xc0010007; k++) {
            exists_icpt(k, amd, MSR_ACC_RW);
            if (!amd)
                continue;
            assert_int_equal(msr_write(V, k, 0x430076), MSR_OK);    /* dropped */
            assert_int_equal(msr_read(V, k, &v), MSR_OK);
            assert_int_equal(v, 0);
        }
        assert_int_equal(fake_wrmsr_calls, w0);                     /* nothing reached the host */
    }
}

/* Intel, pmu=passthrough: leaf 0xA is the host's, PDCM too; the counters
 * and global controls pass through; PERF_CAPABILITIES reads pass, writes exit. */
static void test_pmu_passthrough_intel(void **state)
{
    static const struct { const char *file; unsigned version, gp, fixed; } c[] = {
        { "GenuineIntel0050654_SkylakeX_CPUID.txt", 4, 4, 3 },
        { "GenuineIntel00806F8_SapphireRapids_05_CPUID.txt", 5, 8, 4 },
        { "GenuineIntel0090672_AlderLake_02_CPUID.txt", 5, 8, 4 },
    };
    (void)state;
    for (unsigned i = 0; i < sizeof c / sizeof c[0]; i++) {
        struct cpuid_regs a, h;
        boot(c[i].file, true, PMU_PASSTHROUGH);
        assert_int_equal(pol.pmu, PMU_PASSTHROUGH);
        assert_int_equal(pol.pmu_version, c[i].version);
        assert_int_equal(pol.pmu_gp_counters, c[i].gp);
        assert_int_equal(pol.pmu_fixed_counters, c[i].fixed);
        assert_true(log_has("pmu: passthrough: the guest owns the host's counters"));
        a = leaf(0xA);
        h = host_leaf(0xA);
        assert_memory_equal(&a, &h, sizeof a);
        assert_int_equal(!!(leaf(1).ecx & (1u << 15)), !!(host_leaf(1).ecx & (1u << 15)));
        for (unsigned k = 0; k < sizeof intel_pmu_msrs / sizeof intel_pmu_msrs[0]; k++)
            exists_icpt(intel_pmu_msrs[k], true, 0);
        if (host_leaf(1).ecx & (1u << 15))
            exists_icpt(0x345, true, MSR_ACC_W);
        for (uint32_t k = 0xc0010000; k <= 0xc0010007; k++)
            exists_icpt(k, false, 0);
    }
}

/* AMD, pmu=passthrough on real CPUs: the legacy counters pass through; the
 * core counters and PerfMonV2 follow the host's CPUID bits. */
static void test_pmu_passthrough_amd(void **state)
{
    static const char *const dumps[] = { "AuthenticAMD0A00F11_K19_Milan_02_CPUID.txt",
                                         "AuthenticAMD0A10F11_K19_Genoa_01_CPUID.txt",
                                         "AuthenticAMD0B00F21_K20_Turin_01_CPUID.txt" };
    (void)state;
    for (unsigned i = 0; i < sizeof dumps / sizeof dumps[0]; i++) {
        struct cpuid_regs e, he;
        bool core, v2;
        uint64_t v;
        boot(dumps[i], true, PMU_PASSTHROUGH);
        assert_int_equal(pol.pmu, PMU_PASSTHROUGH);
        core = host_leaf(0x80000001).ecx & (1u << 23);
        v2 = host_leaf(0x80000022).eax & 1;
        assert_true(core);                                   /* every recorded Zen part has them */
        assert_int_equal(!!(leaf(0x80000001).ecx & (1u << 23)), core);
        e = leaf(0x80000022);
        he = host_leaf(0x80000022);
        assert_int_equal(e.eax, he.eax & 1);                 /* PerfMonV2 only: no LBR stack */
        assert_int_equal(e.ebx, he.ebx);
        assert_int_equal(leaf(0xA).eax, 0);
        for (uint32_t k = 0xc0010000; k <= 0xc0010007; k++)
            exists_icpt(k, true, 0);
        exists_icpt(0xc0010200, true, 0);
        exists_icpt(0xc001020b, true, 0);
        exists_icpt(0xc0000300, v2, 0);
        exists_icpt(0xc0000303, v2, 0);
        for (unsigned k = 0; k < sizeof intel_pmu_msrs / sizeof intel_pmu_msrs[0]; k++)
            exists_icpt(intel_pmu_msrs[k], false, 0);
        /* A filter-forced intercept reaches the host counter. */
        fake_host_msr_define(0xc0010004, 0x1234);
        assert_int_equal(msr_read(V, 0xc0010004, &v), MSR_OK);
        assert_int_equal(v, 0x1234);
        assert_int_equal(msr_write(V, 0xc0010004, 0x55), MSR_OK);
        assert_true(fake_host_msr_get(0xc0010004, &v) && v == 0x55);
    }
    /* Milan has no PerfMonV2, Genoa and Turin do. */
    boot(dumps[0], true, PMU_PASSTHROUGH);
    assert_false(policy_has(&pol, FEAT_PERFMON_V2));
    boot(dumps[1], true, PMU_PASSTHROUGH);
    assert_true(policy_has(&pol, FEAT_PERFMON_V2));
}

/* The emulators have no PMU: passthrough says so and gives pmu=off. */
static void test_pmu_passthrough_no_host_pmu(void **state)
{
    static const char *const dumps[] = {
        "GenuineIntel_Bochs27_corei7_skylake_x_CPUID.txt", "AuthenticAMD_Bochs27_ryzen_CPUID.txt",
        "AuthenticAMD_QEMU72_TCG_EPYC_CPUID.txt", "AuthenticAMD_QEMU72_TCG_max_CPUID.txt",
    };
    (void)state;
    for (unsigned i = 0; i < sizeof dumps / sizeof dumps[0]; i++) {
        boot(dumps[i], false, PMU_PASSTHROUGH);
        if (!log_has("pmu: passthrough: the host has no PMU to pass through"))
            fail_msg("%s: %s", dumps[i], logbuf);
        no_pmu_cpuid();
        exists_icpt(0xc0010000, !strncmp(dumps[i], "AuthenticAMD", 12), MSR_ACC_RW);
        exists_icpt(0xc1, false, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pmu_off_all_dumps),
        cmocka_unit_test(test_pmu_passthrough_intel),
        cmocka_unit_test(test_pmu_passthrough_amd),
        cmocka_unit_test(test_pmu_passthrough_no_host_pmu),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
