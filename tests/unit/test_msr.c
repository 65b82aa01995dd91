/* Unit tests for the MSR engine (vmm/msr*.c) against the fake vendor hooks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fake_arch.h"
#include "vmm/msr_impl.h"
#include "vmm/exit_handlers.h"
#include "lib/log.h"

static struct fake_vcpu fv;
static struct msr_vcpu_state st;
static struct cpu_policy pol;
static struct msr_config cfg;
#define V (&fv.v)

#include "log_capture.h"

/* ---- setup ---- */
static void feat(enum cpu_feature f) { pol.feat[f / 64] |= 1ull << (f % 64); }
static void nofeat(enum cpu_feature f) { pol.feat[f / 64] &= ~(1ull << (f % 64)); }

static void base_policy(enum cpu_vendor vnd)
{
    memset(&pol, 0, sizeof(pol));
    pol.vendor = vnd;
    pol.maxphyaddr = 40;
    pol.xss_mask = (1ull << 11) | (1ull << 12);
    pol.arch_capabilities = 0x2b;
    feat(FEAT_TSC), feat(FEAT_MSR), feat(FEAT_APIC), feat(FEAT_SEP), feat(FEAT_MTRR), feat(FEAT_PAT);
    feat(FEAT_SYSCALL), feat(FEAT_LM), feat(FEAT_NX), feat(FEAT_RDTSCP);
}

static void boot(void)
{
    fake_vcpu_init(&fv);
    fv.v.policy = &pol;
    assert_int_equal(msr_vcpu_init(V, &st, &cfg), 0);
}

static int setup_intel(void **state)
{
    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    cfg.filter.default_allow = true;
    base_policy(VENDOR_INTEL);
    fake_host_reset();
    fake_tsc = 1000000;
    log_reset();
    boot();
    return 0;
}

static int setup_amd(void **state)
{
    setup_intel(state);
    base_policy(VENDOR_AMD);
    boot();
    return 0;
}

static uint64_t rd(uint32_t i)
{
    uint64_t x = 0xdeadbeefdeadbeefull;
    assert_int_equal(msr_read(V, i, &x), MSR_OK);
    return x;
}

static void rd_gp(uint32_t i)
{
    uint64_t x = 0x5a5a5a5a5a5a5a5aull;
    assert_int_equal(msr_read(V, i, &x), MSR_GP);
    assert_true(x == 0x5a5a5a5a5a5a5a5aull);   /* a faulting read leaves RAX/RDX alone */
}

static void wr_ok(uint32_t i, uint64_t val) { assert_int_equal(msr_write(V, i, val), MSR_OK); }

static void rw(uint32_t i, uint64_t val)
{
    wr_ok(i, val);
    assert_true(rd(i) == val);
}

/* A rejected write changes nothing: virtual values, vendor state, host MSRs. */
static struct msr_vcpu_state snap_st;
static uint64_t snap_state[VS_COUNT];
static void wr_gp(uint32_t i, uint64_t val)
{
    uint64_t h1 = 0, h2 = 0;
    bool hh = fake_host_msr_get(i, &h1);
    memcpy(&snap_st, &st, sizeof(st));
    memcpy(snap_state, fv.state, sizeof(snap_state));
    assert_int_equal(msr_write(V, i, val), MSR_GP);
    assert_memory_equal(snap_st.val, st.val, sizeof(st.val));
    assert_true(snap_st.spec_ctrl_forced == st.spec_ctrl_forced);
    assert_int_equal(snap_st.held_virtual, st.held_virtual);
    assert_memory_equal(snap_state, fv.state, sizeof(snap_state));
    if (hh) {
        assert_true(fake_host_msr_get(i, &h2));
        assert_true(h1 == h2);
    }
}

static uint64_t held(uint32_t i) { return 1ull << msr_row_id(msr_lookup(i)); }

static void absent(uint32_t i)
{
    assert_false(msr_exists(V, i));
    rd_gp(i);
    wr_gp(i, 0);
    assert_int_equal(msr_expected_intercept(V, i), MSR_ACC_RW);
}

/* Every bit in mask must #GP when set on top of base. */
static void each_bit_gp(uint32_t i, uint64_t base, uint64_t mask)
{
    unsigned b;
    for (b = 0; b < 64; b++)
        if (mask & (1ull << b))
            wr_gp(i, base | (1ull << b));
}

/* ---- table shape ---- */

static void test_table_sorted(void **state)
{
    size_t i;
    (void)state;
    assert_true(msr_table_size() > 30);
    for (i = 0; i < msr_table_size(); i++) {
        const struct msr_desc *d = msr_table_row(i);
        assert_non_null(d->read);
        assert_non_null(d->write);
        assert_non_null(d->name);
        assert_true(d->count >= 1);
        assert_true(d->slot + (d->slot ? d->count : 0) <= MSLOT_COUNT);
        assert_true(d->host == 'a' || d->host == 'b' || d->host == 'c' || d->host == '-');
        if (i)
            assert_true(msr_table_row(i - 1)->first + msr_table_row(i - 1)->count <= d->first);
        assert_ptr_equal(msr_lookup(d->first), d);
        assert_ptr_equal(msr_lookup(d->first + d->count - 1), d);
        assert_int_equal(msr_row_id(d), i);
        assert_int_equal(msr_desc_first(d), d->first);
        assert_int_equal(msr_desc_count(d), d->count);
        assert_string_equal(msr_desc_name(d), d->name);
        assert_int_equal(msr_desc_icpt(d), d->icpt);
        assert_int_equal(msr_desc_host_class(d), d->host);
    }
    assert_null(msr_table_row(msr_table_size()));
    assert_null(msr_lookup(0));
    assert_null(msr_lookup(0x11));
    assert_null(msr_lookup(0xffffffff));
    assert_null(msr_lookup(0x40000100));
}

/* ---- TSC ---- */

static void test_tsc(void **state)
{
    (void)state;
    feat(FEAT_TSC_ADJUST);
    msr_policy_changed(V);
    fv.state[VS_TSC_OFFSET] = 50;
    assert_true(rd(MSR_TSC) == 1000050);
    wr_ok(MSR_TSC, 5000000);
    assert_true(fv.state[VS_TSC_OFFSET] == 4000000);
    assert_true(rd(MSR_TSC) == 5000000);
    /* SDM 18.17.3: the TSC write added 3999950 to TSC_ADJUST too. */
    assert_true(rd(MSR_TSC_ADJUST) == 3999950);
    rw(MSR_TSC_ADJUST, 100);
    assert_true(fv.state[VS_TSC_OFFSET] == 4000000 - 3999850);
    assert_true(rd(MSR_TSC) == 1000000 + 150);
    fv.no_state[VS_TSC_OFFSET] = true;
    wr_gp(MSR_TSC, 1);
    wr_gp(MSR_TSC_ADJUST, 7);
    nofeat(FEAT_TSC_ADJUST);
    msr_policy_changed(V);
    absent(MSR_TSC_ADJUST);
    nofeat(FEAT_TSC);
    msr_policy_changed(V);
    absent(MSR_TSC);
}

static void test_tsc_no_adjust(void **state)
{
    (void)state;
    wr_ok(MSR_TSC, 0);
    assert_true(st.val[MSLOT_TSC_ADJUST] == 0);
    assert_int_equal(msr_expected_intercept(V, MSR_TSC), MSR_ACC_W);
}

/* ---- APIC_BASE ---- */

static void test_apic_base(void **state)
{
    uint64_t hw;
    (void)state;
    fake_host_msr_define(MSR_APIC_BASE, 0xfee00900);
    assert_true(rd(MSR_APIC_BASE) == 0xfee00900ull);
    rw(MSR_APIC_BASE, 0xfed00900ull);
    assert_true(fake_host_msr_get(MSR_APIC_BASE, &hw) && hw == 0xfed00900ull);
    /* BSP is read-only: writing 0 keeps 1. */
    wr_ok(MSR_APIC_BASE, 0xfee00800ull);
    assert_true(rd(MSR_APIC_BASE) == 0xfee00900ull);
    each_bit_gp(MSR_APIC_BASE, 0xfee00800ull, 0xffull | (1ull << 9));
    each_bit_gp(MSR_APIC_BASE, 0xfee00800ull, ~((1ull << 40) - 1));
    /* No x2APIC in the guest: EXTD reserved. */
    wr_gp(MSR_APIC_BASE, 0xfee00c00ull);
    feat(FEAT_X2APIC);
    msr_policy_changed(V);
    wr_gp(MSR_APIC_BASE, 0xfee00400ull);            /* EN=0 EXTD=1: invalid */
    wr_ok(MSR_APIC_BASE, 0xfee00c00ull);            /* xAPIC -> x2APIC */
    assert_true(rd(MSR_APIC_BASE) == 0xfee00d00ull);
    wr_gp(MSR_APIC_BASE, 0xfee00800ull);            /* x2APIC -> xAPIC: #GP */
    wr_ok(MSR_APIC_BASE, 0xfee00000ull);            /* x2APIC -> disabled */
    wr_gp(MSR_APIC_BASE, 0xfee00c00ull);            /* disabled -> x2APIC: #GP */
    wr_ok(MSR_APIC_BASE, 0xfee00800ull);            /* disabled -> xAPIC */
    nofeat(FEAT_APIC);
    msr_policy_changed(V);
    absent(MSR_APIC_BASE);
}

/* Several vCPUs: x2APIC ICR writes exit and go to keel's SMP code (INIT and
 * STARTUP stay virtual); reads and the other x2APIC registers stay passed
 * through. One vCPU: the ICR is passed through too. */
static uint64_t icr_seen;
static bool icr_result;
static bool fake_icr_write(struct vcpu *v, uint64_t val)
{
    (void)v;
    icr_seen = val;
    return icr_result;
}

static void test_x2apic_icr_smp(void **state)
{
    (void)state;
    feat(FEAT_X2APIC);
    boot();
    assert_int_equal(msr_expected_intercept(V, 0x830), 0);
    assert_int_equal(msr_expected_intercept(V, 0x80b), 0);
    cfg.x2apic_icr_write = fake_icr_write;
    boot();
    assert_int_equal(msr_expected_intercept(V, 0x830), MSR_ACC_W);
    assert_int_equal(msr_expected_intercept(V, 0x80b), 0);     /* EOI: never exits */
    assert_int_equal(msr_expected_intercept(V, 0x831), 0);
    icr_result = true;
    wr_ok(0x830, (1ull << 32) | 0x4500);
    assert_true(icr_seen == ((1ull << 32) | 0x4500));
    icr_result = false;
    wr_gp(0x830, 0x1ull << 20);
    cfg.x2apic_icr_write = NULL;
}

static void test_apic_base_host_faults(void **state)
{
    (void)state;
    /* The host accessor faults (no such host MSR in the fake): #GP, nothing committed. */
    assert_true(rd(MSR_APIC_BASE) == (0xfee00000ull | APIC_BASE_EN | APIC_BASE_BSP));
    wr_gp(MSR_APIC_BASE, 0xfed00800ull);
}

/* ---- FEATURE_CONTROL, VMX caps, PV range ---- */

static void test_feature_control_intel(void **state)
{
    uint32_t i;
    (void)state;
    assert_true(rd(MSR_FEATURE_CONTROL) == 1);
    wr_gp(MSR_FEATURE_CONTROL, 1);
    wr_gp(MSR_FEATURE_CONTROL, 5);
    for (i = MSR_VMX_BASIC; i <= MSR_VMX_LAST; i++)
        absent(i);
    /* Even a policy claiming VMX gets #GP from the handlers. */
    feat(FEAT_VMX);
    msr_policy_changed(V);
    for (i = MSR_VMX_BASIC; i <= MSR_VMX_LAST; i++) {
        assert_true(msr_exists(V, i));
        rd_gp(i);
        wr_gp(i, 0);
    }
    for (i = MSR_PV_FIRST; i < MSR_PV_FIRST + MSR_PV_COUNT; i++) {
        assert_false(msr_exists(V, i));
        rd_gp(i);
        wr_gp(i, 0);
    }
}

static void test_intel_only_absent_on_amd(void **state)
{
    uint32_t i;
    (void)state;
    feat(FEAT_VMX), feat(FEAT_FLUSH_L1D);
    msr_policy_changed(V);
    absent(MSR_FEATURE_CONTROL);
    absent(MSR_MISC_ENABLE);
    absent(MSR_FLUSH_CMD);
    for (i = MSR_VMX_BASIC; i <= MSR_VMX_LAST; i++)
        absent(i);
    cfg.virt_mitigation = true;
    msr_policy_changed(V);
    absent(MSR_VIRTUAL_ENUMERATION);
    absent(MSR_VIRTUAL_MITIGATION_ENUM);
    absent(MSR_VIRTUAL_MITIGATION_CTRL);
}

static void test_amd_only_absent_on_intel(void **state)
{
    (void)state;
    feat(FEAT_SVM);
    msr_policy_changed(V);
    absent(MSR_VM_CR);
    absent(MSR_HWCR);
    absent(MSR_SYSCFG);
    absent(MSR_VM_HSAVE_PA);
}

static void test_amd_msrs(void **state)
{
    (void)state;
    assert_true(rd(MSR_VM_CR) == (VM_CR_LOCK | VM_CR_SVMDIS));
    wr_gp(MSR_VM_CR, 0);
    wr_gp(MSR_VM_CR, VM_CR_LOCK | VM_CR_SVMDIS);
    absent(MSR_VM_HSAVE_PA);
    assert_true(rd(MSR_HWCR) == HWCR_TSCFREQSEL);
    rw(MSR_HWCR, HWCR_TSCFREQSEL | HWCR_MCSTATUSWREN);
    wr_gp(MSR_HWCR, HWCR_MCSTATUSWREN);             /* TscFreqSel is read-only */
    each_bit_gp(MSR_HWCR, HWCR_TSCFREQSEL, ~(HWCR_TSCFREQSEL | HWCR_MCSTATUSWREN));
    assert_true(rd(MSR_SYSCFG) == 0);
    rw(MSR_SYSCFG, 0);
    each_bit_gp(MSR_SYSCFG, 0, ~0ull);
}

/* ---- speculation controls ---- */

static void test_spec_ctrl_intel(void **state)
{
    struct {
        enum cpu_feature f;
        uint64_t bits;
    } const m[] = {
        { FEAT_SPEC_CTRL, SPEC_CTRL_IBRS }, { FEAT_STIBP, SPEC_CTRL_STIBP }, { FEAT_SSBD, SPEC_CTRL_SSBD },
        { FEAT_IPRED_CTRL, SPEC_CTRL_IPRED_DIS_U | SPEC_CTRL_IPRED_DIS_S },
        { FEAT_RRSBA_CTRL, SPEC_CTRL_RRSBA_DIS_U | SPEC_CTRL_RRSBA_DIS_S }, { FEAT_PSFD, SPEC_CTRL_PSFD },
        { FEAT_DDPD_U, SPEC_CTRL_DDPD_U }, { FEAT_BHI_CTRL, SPEC_CTRL_BHI_DIS_S },
    };
    uint64_t all = 0;
    unsigned k;
    (void)state;
    absent(MSR_SPEC_CTRL);
    absent(MSR_PRED_CMD);
    feat(FEAT_SPEC_CTRL);
    msr_policy_changed(V);
    for (k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
        /* Only the bit's own feature enables it. */
        if (m[k].f != FEAT_SPEC_CTRL)
            each_bit_gp(MSR_SPEC_CTRL, 0, m[k].bits);
        feat(m[k].f);
        msr_policy_changed(V);
        rw(MSR_SPEC_CTRL, m[k].bits);
        all |= m[k].bits;
    }
    rw(MSR_SPEC_CTRL, all);
    each_bit_gp(MSR_SPEC_CTRL, all, ~all);
    assert_true(rd(MSR_SPEC_CTRL) == all);
    assert_int_equal(msr_expected_intercept(V, MSR_SPEC_CTRL), MSR_ACC_RW);
    /* STIBP alone makes the MSR exist. */
    memset(pol.feat, 0, sizeof(pol.feat));
    feat(FEAT_STIBP);
    msr_policy_changed(V);
    assert_true(msr_exists(V, MSR_SPEC_CTRL));
    wr_gp(MSR_SPEC_CTRL, SPEC_CTRL_IBRS);
}

static void test_spec_ctrl_amd(void **state)
{
    (void)state;
    /* Intel enumerations do not count on an AMD guest. */
    feat(FEAT_SPEC_CTRL), feat(FEAT_STIBP), feat(FEAT_SSBD), feat(FEAT_BHI_CTRL), feat(FEAT_PSFD);
    msr_policy_changed(V);
    absent(MSR_SPEC_CTRL);
    absent(MSR_PRED_CMD);
    feat(FEAT_AMD_IBRS);
    msr_policy_changed(V);
    rw(MSR_SPEC_CTRL, SPEC_CTRL_IBRS);
    each_bit_gp(MSR_SPEC_CTRL, 0, ~SPEC_CTRL_IBRS);
    feat(FEAT_AMD_STIBP), feat(FEAT_AMD_SSBD), feat(FEAT_AMD_PSFD);
    msr_policy_changed(V);
    rw(MSR_SPEC_CTRL, SPEC_CTRL_IBRS | SPEC_CTRL_STIBP | SPEC_CTRL_SSBD | SPEC_CTRL_PSFD);
    wr_gp(MSR_SPEC_CTRL, SPEC_CTRL_BHI_DIS_S);
    wr_gp(MSR_SPEC_CTRL, SPEC_CTRL_IPRED_DIS_S);
    /* PRED_CMD on AMD needs AMD_IBPB. */
    absent(MSR_PRED_CMD);
    feat(FEAT_AMD_IBPB);
    msr_policy_changed(V);
    assert_true(msr_exists(V, MSR_PRED_CMD));
    memset(pol.feat, 0, sizeof(pol.feat));
    feat(FEAT_AMD_SSBD);
    msr_policy_changed(V);
    assert_true(msr_exists(V, MSR_SPEC_CTRL));
}

static void test_pred_flush_cmd(void **state)
{
    uint64_t hw;
    (void)state;
    feat(FEAT_SPEC_CTRL);
    msr_policy_changed(V);
    fake_host_msr_define(MSR_PRED_CMD, 0);
    rd_gp(MSR_PRED_CMD);
    wr_ok(MSR_PRED_CMD, PRED_CMD_IBPB);
    assert_int_equal(fake_last_wrmsr_index, MSR_PRED_CMD);
    assert_true(fake_host_msr_get(MSR_PRED_CMD, &hw) && hw == 1);
    wr_ok(MSR_PRED_CMD, 0);
    each_bit_gp(MSR_PRED_CMD, 0, ~PRED_CMD_IBPB);
    assert_int_equal(msr_expected_intercept(V, MSR_PRED_CMD), MSR_ACC_RW);

    absent(MSR_FLUSH_CMD);
    feat(FEAT_FLUSH_L1D);
    msr_policy_changed(V);
    rd_gp(MSR_FLUSH_CMD);
    wr_gp(MSR_FLUSH_CMD, FLUSH_CMD_L1D);             /* host accessor faults */
    fake_host_msr_define(MSR_FLUSH_CMD, 0);
    wr_ok(MSR_FLUSH_CMD, FLUSH_CMD_L1D);
    each_bit_gp(MSR_FLUSH_CMD, 0, ~FLUSH_CMD_L1D);
}

static void test_arch_capabilities(void **state)
{
    (void)state;
    absent(MSR_ARCH_CAPABILITIES);
    feat(FEAT_ARCH_CAPABILITIES);
    msr_policy_changed(V);
    assert_true(rd(MSR_ARCH_CAPABILITIES) == 0x2b);
    wr_gp(MSR_ARCH_CAPABILITIES, 0x2b);
    wr_gp(MSR_ARCH_CAPABILITIES, 0);
    cfg.virt_mitigation = true;
    msr_policy_changed(V);
    assert_true(rd(MSR_ARCH_CAPABILITIES) == (0x2bull | ARCH_CAP_VIRTUAL_ENUM));
}

static void test_virtual_mitigation(void **state)
{
    (void)state;
    absent(MSR_VIRTUAL_ENUMERATION);
    absent(MSR_VIRTUAL_MITIGATION_CTRL);
    cfg.virt_mitigation = true;
    cfg.host_has_spec_ctrl = true;
    cfg.host_spec_ctrl_supported = 0x5ff;
    feat(FEAT_SPEC_CTRL);
    fake_host_msr_define(MSR_SPEC_CTRL, 0);
    boot();
    assert_true(rd(MSR_VIRTUAL_ENUMERATION) == VIRT_ENUM_MITIGATION_CTRL_SUPPORT);
    wr_gp(MSR_VIRTUAL_ENUMERATION, 1);
    assert_true(rd(MSR_VIRTUAL_MITIGATION_ENUM) == 3);
    wr_gp(MSR_VIRTUAL_MITIGATION_ENUM, 3);
    assert_true(rd(MSR_VIRTUAL_MITIGATION_CTRL) == 0);
    each_bit_gp(MSR_VIRTUAL_MITIGATION_CTRL, 0, ~3ull);
    rw(MSR_SPEC_CTRL, SPEC_CTRL_IBRS);
    rw(MSR_VIRTUAL_MITIGATION_CTRL, MITI_CTRL_BHB_CLEAR_SEQ_S_USED);
    assert_true(st.spec_ctrl_forced == SPEC_CTRL_BHI_DIS_S);
    /* The guest still reads its own value ... */
    assert_true(rd(MSR_SPEC_CTRL) == SPEC_CTRL_IBRS);
    /* ... while hardware runs the guest with BHI_DIS_S forced on. */
    msr_before_entry(V);
    assert_true(fake_last_wrmsr_value == (SPEC_CTRL_IBRS | SPEC_CTRL_BHI_DIS_S));
    assert_true(msr_guest_spec_ctrl_hw(V) == (SPEC_CTRL_IBRS | SPEC_CTRL_BHI_DIS_S));
    rw(MSR_VIRTUAL_MITIGATION_CTRL, MITI_CTRL_RETPOLINE_S_USED | MITI_CTRL_BHB_CLEAR_SEQ_S_USED);
    assert_true(st.spec_ctrl_forced == (SPEC_CTRL_BHI_DIS_S | SPEC_CTRL_RRSBA_DIS_S));
    rw(MSR_VIRTUAL_MITIGATION_CTRL, 0);
    assert_true(st.spec_ctrl_forced == 0);
    /* The host cannot do BHI_DIS_S: ENUM says so and CTRL refuses the bit. */
    cfg.host_spec_ctrl_supported = SPEC_CTRL_RRSBA_DIS_S;
    assert_true(rd(MSR_VIRTUAL_MITIGATION_ENUM) == MITI_ENUM_RETPOLINE_S_SUPPORT);
    wr_gp(MSR_VIRTUAL_MITIGATION_CTRL, MITI_CTRL_BHB_CLEAR_SEQ_S_USED);
    cfg.host_has_spec_ctrl = false;
    assert_true(rd(MSR_VIRTUAL_MITIGATION_ENUM) == 0);
}

/* ---- MISC_ENABLE ---- */

static void test_misc_enable(void **state)
{
    uint64_t def = MISC_ENABLE_FAST_STRING | MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL;
    (void)state;
    assert_true(rd(MSR_MISC_ENABLE) == def);
    rw(MSR_MISC_ENABLE, def & ~MISC_ENABLE_FAST_STRING);
    rw(MSR_MISC_ENABLE, def | MISC_ENABLE_TCC);
    rw(MSR_MISC_ENABLE, def);
    /* Read-only documented bits: may be written back unchanged, not flipped. */
    each_bit_gp(MSR_MISC_ENABLE, 0, MISC_ENABLE_BTS_UNAVAIL);
    each_bit_gp(MSR_MISC_ENABLE, def, MISC_ENABLE_PERF_AVAIL | MISC_ENABLE_EIST | MISC_ENABLE_MWAIT |
                                          MISC_ENABLE_LIMIT_CPUID | MISC_ENABLE_XTPR_DISABLE |
                                          MISC_ENABLE_XD_DISABLE);
    /* Linux clears LIMIT_CPUID/XD_DISABLE only if set: writing them as 0 is fine. */
    each_bit_gp(MSR_MISC_ENABLE, def,
                ~(MISC_ENABLE_FAST_STRING | MISC_ENABLE_TCC | MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL));
    assert_int_equal(msr_expected_intercept(V, MSR_MISC_ENABLE), MSR_ACC_RW);
}

/* ---- PAT and MTRRs ---- */

static void test_pat(void **state)
{
    static const uint8_t good[] = { 0, 1, 4, 5, 6, 7 };
    static const uint8_t bad[] = { 2, 3, 8, 0x10, 0x80, 0xff };
    unsigned b, k;
    (void)state;
    fv.state[VS_PAT] = 0x0007040600070406ull;
    assert_true(rd(MSR_PAT) == 0x0007040600070406ull);
    for (b = 0; b < 8; b++) {
        for (k = 0; k < sizeof(good); k++)
            rw(MSR_PAT, (uint64_t)good[k] << (8 * b));
        for (k = 0; k < sizeof(bad); k++)
            wr_gp(MSR_PAT, (uint64_t)bad[k] << (8 * b));
    }
    rw(MSR_PAT, 0x0706050401000706ull);
    assert_true(fv.state[VS_PAT] == 0x0706050401000706ull);
    assert_int_equal(msr_expected_intercept(V, MSR_PAT), MSR_ACC_RW);
    /* The vendor has no place for it (vcpu_set_state false): kept virtual. */
    fv.no_state[VS_PAT] = true;
    rw(MSR_PAT, 0x0606060606060606ull);
    assert_true(fv.state[VS_PAT] == 0x0706050401000706ull);
    assert_true(st.held_virtual & held(MSR_PAT));
    wr_gp(MSR_PAT, 2);
    fv.no_state[VS_PAT] = false;
    rw(MSR_PAT, 0x0007040600070406ull);
    assert_false(st.held_virtual & held(MSR_PAT));
    nofeat(FEAT_PAT);
    msr_policy_changed(V);
    absent(MSR_PAT);
}

static void test_mtrr(void **state)
{
    unsigned n, b;
    (void)state;
    assert_true(rd(MSR_MTRRCAP) == (8 | MTRRCAP_FIX | MTRRCAP_WC));
    wr_gp(MSR_MTRRCAP, 0x508);
    assert_true(rd(MSR_MTRR_DEF_TYPE) == 0x806);
    rw(MSR_MTRR_DEF_TYPE, 0);
    rw(MSR_MTRR_DEF_TYPE, 0xc06);
    rw(MSR_MTRR_DEF_TYPE, 0x801);
    wr_gp(MSR_MTRR_DEF_TYPE, 0x802);
    wr_gp(MSR_MTRR_DEF_TYPE, 0x807);
    each_bit_gp(MSR_MTRR_DEF_TYPE, 0x806, ~0xcffull);
    for (n = 0; n < 16; n += 2) {
        uint32_t base = MSR_MTRR_PHYSBASE0 + n, mask = base + 1;
        rw(base, 0x80000006ull);
        rw(base, 0xfffffff000ull | 4);      /* maxphyaddr 40 */
        wr_gp(base, 0x80000002ull);
        wr_gp(base, 0x80000007ull);
        each_bit_gp(base, 0x6, 0xf00ull | ~((1ull << 40) - 1));
        rw(mask, 0xfff0000800ull);
        each_bit_gp(mask, 0x800, 0x7ffull | ~((1ull << 40) - 1));
    }
    {
        static const uint32_t fixed[] = { 0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b,
                                          0x26c, 0x26d, 0x26e, 0x26f };
        for (n = 0; n < sizeof(fixed) / sizeof(fixed[0]); n++) {
            rw(fixed[n], 0x0606060605050404ull);
            for (b = 0; b < 8; b++) {
                wr_gp(fixed[n], 2ull << (8 * b));
                wr_gp(fixed[n], 7ull << (8 * b));
            }
        }
    }
    absent(0x251);
    absent(0x210);
    nofeat(FEAT_MTRR);
    msr_policy_changed(V);
    absent(MSR_MTRRCAP);
    absent(MSR_MTRR_DEF_TYPE);
    absent(0x200);
    absent(0x26f);
}

static void test_maxphyaddr_clamp(void **state)
{
    (void)state;
    pol.maxphyaddr = 0;     /* unknown: 36 bits */
    rw(MSR_MTRR_PHYSBASE0, 0xff0000006ull);
    wr_gp(MSR_MTRR_PHYSBASE0, 0x1000000006ull);
    pol.maxphyaddr = 60;    /* clamped to 52 */
    rw(MSR_MTRR_PHYSBASE0, 0xffffffffff000ull | 6);
    wr_gp(MSR_MTRR_PHYSBASE0, 1ull << 52 | 6);
    pol.maxphyaddr = 20;    /* clamped to 32 */
    rw(MSR_MTRR_PHYSBASE0, 0xfffff006ull);
    wr_gp(MSR_MTRR_PHYSBASE0, 0x100000006ull);
}

/* ---- DEBUGCTL ---- */

static void test_debugctl(void **state)
{
    (void)state;
    rw(MSR_DEBUGCTL, DEBUGCTL_BTF);
    assert_true(fv.state[VS_DEBUGCTL] == DEBUGCTL_BTF);
    rw(MSR_DEBUGCTL, 0);
    each_bit_gp(MSR_DEBUGCTL, 0, ~DEBUGCTL_BTF);
    /* SVM without LBR virtualization: no place for DebugCtl, kept virtual. */
    fv.no_state[VS_DEBUGCTL] = true;
    rw(MSR_DEBUGCTL, DEBUGCTL_BTF);
    assert_true(fv.state[VS_DEBUGCTL] == 0);
    each_bit_gp(MSR_DEBUGCTL, DEBUGCTL_BTF, ~DEBUGCTL_BTF);
    rw(MSR_DEBUGCTL, 0);
}

/* ---- EFER ---- */

static void test_efer(void **state)
{
    (void)state;
    rw(MSR_EFER, EFER_SCE);
    rw(MSR_EFER, EFER_SCE | EFER_LME | EFER_NXE);
    assert_true(fv.state[VS_EFER] == (EFER_SCE | EFER_LME | EFER_NXE));
    wr_gp(MSR_EFER, EFER_SVME);
    each_bit_gp(MSR_EFER, 0, ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE));
    /* LMA is read-only: the written bit is ignored. */
    wr_ok(MSR_EFER, EFER_LME | EFER_LMA);
    assert_true(rd(MSR_EFER) == EFER_LME);
    fv.state[VS_EFER] = EFER_LME | EFER_LMA;
    fv.state[VS_CR0] = CR0_PG | 1;
    wr_ok(MSR_EFER, EFER_LME | EFER_SCE);
    assert_true(rd(MSR_EFER) == (EFER_LME | EFER_LMA | EFER_SCE));
    /* Toggling LME with paging on. */
    wr_gp(MSR_EFER, EFER_SCE);
    nofeat(FEAT_NX);
    msr_policy_changed(V);
    wr_gp(MSR_EFER, EFER_LME | EFER_NXE);
    fv.state[VS_CR0] = 0;
    fv.state[VS_EFER] = 0;
    nofeat(FEAT_LM);
    msr_policy_changed(V);
    wr_gp(MSR_EFER, EFER_LME);
    rw(MSR_EFER, EFER_SCE);
    fv.no_state[VS_EFER] = true;
    rw(MSR_EFER, 0);
    assert_true(fv.state[VS_EFER] == EFER_SCE);
    nofeat(FEAT_SYSCALL);
    msr_policy_changed(V);
    absent(MSR_EFER);
    feat(FEAT_NX);
    msr_policy_changed(V);
    assert_true(msr_exists(V, MSR_EFER));
}

static void test_peek(void **state)
{
    struct msr_filter f;
    char err[64];
    uint64_t x = 9, r, w;
    (void)state;
    assert_true(msr_filter_parse("deny:rw:0x2ff", NULL, &f, err, sizeof(err)));
    msr_set_filter(V, &f);
    assert_int_equal(msr_peek(V, MSR_MTRR_DEF_TYPE, &x), MSR_OK);
    assert_true(x == 0x806);
    msr_get_counts(V, MSR_MTRR_DEF_TYPE, &r, &w);
    assert_true(r == 0 && w == 0);
    assert_true(st.filter_denials == 0);
    x = 9;
    assert_int_equal(msr_peek(V, MSR_XSS, &x), MSR_GP);      /* absent */
    assert_int_equal(msr_peek(V, 0x1234, &x), MSR_GP);       /* unknown */
    assert_true(x == 9);
}

static void test_efer_amd(void **state)
{
    (void)state;
    rw(MSR_EFER, EFER_SCE | EFER_LME | EFER_NXE);
    wr_gp(MSR_EFER, EFER_SVME);
    each_bit_gp(MSR_EFER, 0, BIT64(13) | BIT64(14) | BIT64(15) | BIT64(21));
}

/* ---- syscall/sysenter/segment bases: pass-through, handlers via vcpu state ---- */

static void test_passthrough_msrs(void **state)
{
    static const struct {
        uint32_t index;
        enum vcpu_state vs;
        bool canon;
    } m[] = {
        { MSR_SYSENTER_ESP, VS_SYSENTER_ESP, true }, { MSR_SYSENTER_EIP, VS_SYSENTER_EIP, true },
        { MSR_STAR, VS_STAR, false },                { MSR_LSTAR, VS_LSTAR, true },
        { MSR_CSTAR, VS_CSTAR, true },               { MSR_SFMASK, VS_SFMASK, false },
        { MSR_FS_BASE, VS_FS_BASE, true },           { MSR_GS_BASE, VS_GS_BASE, true },
        { MSR_KERNEL_GS_BASE, VS_KERNEL_GS_BASE, true },
    };
    unsigned k;
    (void)state;
    for (k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
        rw(m[k].index, 0xffff800012345678ull);
        assert_true(fv.state[m[k].vs] == 0xffff800012345678ull);
        rw(m[k].index, 0x00007fffffffffffull);
        if (m[k].canon) {
            wr_gp(m[k].index, 0x0000800000000000ull);
            wr_gp(m[k].index, 0xfff0000000000000ull);
        } else {
            rw(m[k].index, 0x0000800000000000ull);
        }
        fv.state[m[k].vs] = 42;
        assert_true(rd(m[k].index) == 42);
        assert_int_equal(msr_expected_intercept(V, m[k].index), m[k].index == MSR_CSTAR ? MSR_ACC_RW : 0);
    }
    /* SYSENTER_CS keeps bits 31:0 (the VMCS/VMCB field is 32 bits). */
    wr_ok(MSR_SYSENTER_CS, 0x1234500000010ull);
    assert_true(rd(MSR_SYSENTER_CS) == 0x10);
    fv.no_state[VS_LSTAR] = true;
    rw(MSR_LSTAR, 0x1000);
    assert_true(st.held_virtual & held(MSR_LSTAR));
    wr_gp(MSR_LSTAR, 0x0000800000000000ull);
    nofeat(FEAT_LM);
    msr_policy_changed(V);
    absent(MSR_LSTAR);
    absent(MSR_KERNEL_GS_BASE);
    assert_true(msr_exists(V, MSR_STAR));      /* SYSCALL alone */
    nofeat(FEAT_SEP);
    msr_policy_changed(V);
    absent(MSR_SYSENTER_CS);
}

/* ---- TSC_AUX / XSS ---- */

static void test_tsc_aux(void **state)
{
    (void)state;
    rw(MSR_TSC_AUX, 0xffffffff);
    each_bit_gp(MSR_TSC_AUX, 0, ~0xffffffffull);
    nofeat(FEAT_RDTSCP);
    msr_policy_changed(V);
    absent(MSR_TSC_AUX);
    feat(FEAT_RDPID);
    msr_policy_changed(V);
    rw(MSR_TSC_AUX, 7);
    assert_int_equal(msr_expected_intercept(V, MSR_TSC_AUX), MSR_ACC_W);
}

static void test_tsc_aux_amd(void **state)
{
    (void)state;
    /* AMD ignores bits 63:32: the documented mask. */
    wr_ok(MSR_TSC_AUX, 0x1234567800000009ull);
    assert_true(rd(MSR_TSC_AUX) == 9);
}

static void test_xss(void **state)
{
    uint64_t hw;
    (void)state;
    absent(MSR_XSS);
    feat(FEAT_XSAVES);
    msr_policy_changed(V);
    assert_true(rd(MSR_XSS) == 0);
    wr_gp(MSR_XSS, 1ull << 11);     /* host accessor faults */
    fake_host_msr_define(MSR_XSS, 1ull << 12);
    boot();                         /* a present XSS starts at 0 in hardware too */
    assert_true(fake_host_msr_get(MSR_XSS, &hw) && hw == 0);
    rw(MSR_XSS, 1ull << 11);
    rw(MSR_XSS, (1ull << 11) | (1ull << 12));
    assert_true(fake_host_msr_get(MSR_XSS, &hw) && hw == ((1ull << 11) | (1ull << 12)));
    each_bit_gp(MSR_XSS, 0, ~pol.xss_mask);
}

/* ---- CET ---- */

static void test_cet_absent(void **state)
{
    uint32_t i;
    (void)state;
    for (i = 0x6a0; i <= 0x6a8; i++)
        if (i != 0x6a1 && i != 0x6a3)
            absent(i);
    feat(FEAT_IBT);
    msr_policy_changed(V);
    assert_true(msr_exists(V, MSR_U_CET));
    assert_true(msr_exists(V, MSR_S_CET));
    absent(MSR_PL0_SSP);
    absent(MSR_PL3_SSP);
    absent(MSR_INT_SSP_TAB);
}

static void test_cet_ctl(void **state)
{
    static const uint32_t ctl[] = { MSR_U_CET, MSR_S_CET };
    unsigned k;
    (void)state;
    fake_host_msr_define(MSR_U_CET, 0);
    feat(FEAT_SHSTK);
    msr_policy_changed(V);
    for (k = 0; k < 2; k++) {
        uint32_t i = ctl[k];
        rw(i, CET_SH_STK_EN | CET_WR_SHSTK_EN);
        each_bit_gp(i, 0, CET_IBT_BITS);     /* no IBT */
        each_bit_gp(i, 0, CET_RESERVED);
    }
    nofeat(FEAT_SHSTK);
    feat(FEAT_IBT);
    msr_policy_changed(V);
    for (k = 0; k < 2; k++) {
        uint32_t i = ctl[k];
        rw(i, CET_ENDBR_EN | CET_LEG_IW_EN | CET_NO_TRACK_EN | CET_SUPPRESS_DIS | 0x00007ffffffff000ull);
        rw(i, CET_SUPPRESS);
        rw(i, CET_WAIT_ENDBR | 0xffff800000000000ull);
        wr_gp(i, CET_SUPPRESS | CET_WAIT_ENDBR);
        wr_gp(i, 0x0000800000000000ull);     /* non-canonical bitmap base */
        each_bit_gp(i, 0, CET_SHSTK_BITS | CET_RESERVED);
    }
    assert_int_equal(msr_expected_intercept(V, MSR_U_CET), MSR_ACC_W);
    assert_int_equal(msr_expected_intercept(V, MSR_S_CET), MSR_ACC_RW);
}

static void test_s_cet_vendor_state(void **state)
{
    (void)state;
    feat(FEAT_SHSTK);
    msr_policy_changed(V);
    rw(MSR_S_CET, CET_SH_STK_EN);
    assert_true(fv.state[VS_S_CET] == CET_SH_STK_EN);
    assert_int_equal(st.held_virtual & held(MSR_S_CET), 0);
    /* The vendor has no place for S_CET: kept virtual. */
    fv.no_state[VS_S_CET] = true;
    rw(MSR_S_CET, CET_SH_STK_EN | CET_WR_SHSTK_EN);
    assert_true(fv.state[VS_S_CET] == CET_SH_STK_EN);
    assert_true(st.held_virtual & held(MSR_S_CET));
    fv.no_state[VS_S_CET] = false;
    rw(MSR_S_CET, 0);
    assert_int_equal(st.held_virtual & held(MSR_S_CET), 0);
    /* INT_SSP_TAB: canonical, no alignment requirement. */
    rw(MSR_INT_SSP_TAB, 0xffff800000000001ull);
    assert_true(fv.state[VS_INT_SSP_TAB] == 0xffff800000000001ull);
    wr_gp(MSR_INT_SSP_TAB, 0x0000800000000000ull);
    fv.no_state[VS_INT_SSP_TAB] = true;
    rw(MSR_INT_SSP_TAB, 0x1000);
    assert_true(st.held_virtual & held(MSR_INT_SSP_TAB));
}

static void test_pl_ssp(void **state)
{
    uint32_t i;
    (void)state;
    feat(FEAT_SHSTK);
    msr_policy_changed(V);
    for (i = MSR_PL0_SSP; i <= MSR_PL3_SSP; i++) {
        rd_gp(i);                       /* host accessor faults */
        wr_gp(i, 0x1000);
        fake_host_msr_define(i, 0);
        rw(i, 0x7ffffffff000ull);
        rw(i, 0xffff800000000004ull);
        wr_gp(i, 0x1001);
        wr_gp(i, 0x1002);
        wr_gp(i, 0x1003);
        wr_gp(i, 0x0000800000000000ull);
        wr_gp(i, 0x8000000000000000ull);
    }
}

/* ---- unknown MSRs ---- */

static void test_unknown_gp(void **state)
{
    uint64_t r, w;
    (void)state;
    rd_gp(0x12345);
    wr_gp(0x12345, 1);
    rd_gp(0x40000100);
    assert_true(st.unknown_reads == 2 && st.unknown_writes == 1);
    msr_get_counts(V, 0x12345, &r, &w);
    assert_true(r == 0 && w == 0);
    assert_int_equal(msr_expected_intercept(V, 0x1234), MSR_ACC_RW);
    assert_true(fv.last_mi.read[0][0x1234 / 8] & (1u << (0x1234 % 8)));
}

static void test_unknown_ignore_log(void **state)
{
    uint64_t x = 77;
    uint32_t k;
    (void)state;
    console_reset_sinks();
    console_add_sink(log_sink);
    msr_set_unknown_policy(V, MSR_UNKNOWN_IGNORE);
    assert_int_equal(msr_read(V, 0x1234, &x), MSR_OK);
    assert_true(x == 0);
    wr_ok(0x1234, 5);
    assert_int_equal(loglen, 0);
    msr_set_unknown_policy(V, MSR_UNKNOWN_LOG);
    rd(0x1234);
    rd(0x1234);
    wr_ok(0x1234, 1);
    assert_int_equal(log_count("unknown MSR 0x1234"), 1);
    for (k = 0; k < 40; k++)
        rd(0x7000 + k);
    assert_int_equal(log_count("unknown MSR 0x7"), MSR_UNKNOWN_LOG_MAX - 1);
    assert_int_equal(log_count("no longer logging"), 1);
    rd(0x9999);
    assert_int_equal(log_count("no longer logging"), 1);
    /* Never passed to hardware. */
    assert_int_equal(fake_rdmsr_calls + fake_wrmsr_calls, 0);
    console_reset_sinks();
}

/* ---- filter grammar ---- */

static void test_filter_parse(void **state)
{
    struct msr_filter f;
    char err[128];
    (void)state;
    assert_true(msr_filter_parse("deny:rw:0x10-0x1f,allow:r:0xc0000080", "deny", &f, err, sizeof(err)));
    assert_int_equal(f.count, 2);
    assert_false(f.default_allow);
    assert_false(f.r[0].allow);
    assert_int_equal(f.r[0].access, MSR_ACC_RW);
    assert_int_equal(f.r[0].first, 0x10);
    assert_int_equal(f.r[0].last, 0x1f);
    assert_true(f.r[1].allow);
    assert_int_equal(f.r[1].access, MSR_ACC_R);
    assert_int_equal(f.r[1].first, 0xc0000080u);
    assert_int_equal(f.r[1].last, 0xc0000080u);
    assert_true(msr_filter_parse("allow:w:16-31,deny:wr:0xffffffff", NULL, &f, err, sizeof(err)));
    assert_true(f.default_allow);
    assert_int_equal(f.r[0].access, MSR_ACC_W);
    assert_int_equal(f.r[0].first, 16);
    assert_int_equal(f.r[1].access, MSR_ACC_RW);
    assert_true(msr_filter_parse("", "allow", &f, err, sizeof(err)));
    assert_int_equal(f.count, 0);
    assert_true(msr_filter_parse(NULL, "", &f, err, sizeof(err)));
    assert_true(f.default_allow);

    {
        static const struct {
            const char *spec, *def, *msg;
        } bad[] = {
            { "block:rw:0x10", 0, "bad action (allow|deny) 'block'" },
            { "deny:x:0x10", 0, "bad access (r|w|rw) 'x'" },
            { "deny::0x10", 0, "bad access (r|w|rw) ''" },
            { "deny:rw:0xzz", 0, "bad MSR index '0xzz'" },
            { "deny:rw:0x10-", 0, "bad MSR index ''" },
            { "deny:rw:0x10-0x1g", 0, "bad MSR index '0x1g'" },
            { "deny:rw:0x100000000", 0, "bad MSR index '0x100000000'" },
            { "deny:rw:0x20-0x10", 0, "range ends before it starts '0x20-0x10'" },
            { "deny:rw", 0, "expected action:access:index[-index], got 'deny:rw'" },
            { "deny:rw:1:2", 0, "too many ':' in range 'deny:rw:1:2'" },
            { "deny:rw:1,,allow:r:2", 0, "empty range at ',allow:r:2'" },
            { "deny:rw:1,", 0, "empty range at ''" },
            { "deny:rw:1", "maybe", "msr.filter.default: bad value 'maybe' (allow|deny)" },
        };
        unsigned k;
        for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
            err[0] = 0;
            assert_false(msr_filter_parse(bad[k].spec, bad[k].def, &f, err, sizeof(err)));
            if (!strstr(err, bad[k].msg))
                fail_msg("spec '%s': got '%s', want '%s'", bad[k].spec, err, bad[k].msg);
        }
    }
    {
        char spec[512];
        size_t n = 0;
        unsigned k;
        for (k = 0; k < 17; k++)
            n += (size_t)snprintf(spec + n, sizeof(spec) - n, "%sdeny:r:%u", k ? "," : "", k);
        assert_false(msr_filter_parse(spec, NULL, &f, err, sizeof(err)));
        assert_non_null(strstr(err, "too many ranges (max 16) at 'deny:r:16'"));
        spec[strlen(spec) - strlen(",deny:r:16")] = 0;
        assert_true(msr_filter_parse(spec, NULL, &f, err, sizeof(err)));
        assert_int_equal(f.count, 16);
    }
    /* No error buffer: still fails cleanly. */
    assert_false(msr_filter_parse("nope", NULL, &f, NULL, 0));
    assert_false(msr_filter_parse("x", "nope", &f, NULL, 0));
}

static void test_unknown_parse(void **state)
{
    enum msr_unknown_policy p = MSR_UNKNOWN_LOG;
    (void)state;
    assert_true(msr_unknown_parse("gp", &p) && p == MSR_UNKNOWN_GP);
    assert_true(msr_unknown_parse("ignore", &p) && p == MSR_UNKNOWN_IGNORE);
    assert_true(msr_unknown_parse("log", &p) && p == MSR_UNKNOWN_LOG);
    assert_false(msr_unknown_parse("LOG", &p));
    assert_false(msr_unknown_parse("", &p));
    assert_false(msr_unknown_parse(NULL, &p));
    assert_int_equal(p, MSR_UNKNOWN_LOG);
}

static void test_filter_precedence(void **state)
{
    struct msr_filter f;
    char err[128];
    (void)state;
    assert_true(msr_filter_parse("allow:r:0x10,deny:rw:0x0-0xfff,allow:w:0x10", NULL, &f, err, sizeof(err)));
    assert_true(msr_filter_allows(&f, 0x10, MSR_ACC_R));     /* first range */
    assert_false(msr_filter_allows(&f, 0x10, MSR_ACC_W));    /* second wins over third */
    assert_false(msr_filter_allows(&f, 0xfff, MSR_ACC_R));
    assert_true(msr_filter_allows(&f, 0x1000, MSR_ACC_R));   /* default */
    f.default_allow = false;
    assert_false(msr_filter_allows(&f, 0x1000, MSR_ACC_W));
}

static void test_filter_applied(void **state)
{
    struct msr_filter f;
    char err[128];
    uint64_t r, w;
    unsigned calls;
    (void)state;
    console_reset_sinks();
    console_add_sink(log_sink);
    assert_true(msr_filter_parse("allow:r:0x10,deny:rw:0x10-0x1f,deny:w:0x201,deny:r:0xc0000102,deny:rw:0x1234",
                                 NULL, &f, err, sizeof(err)));
    calls = fv.mi_calls;
    msr_set_filter(V, &f);
    assert_int_equal(fv.mi_calls, calls + 1);
    rd(MSR_TSC);                            /* allowed read */
    wr_gp(MSR_TSC, 0);                      /* denied write */
    rd_gp(MSR_APIC_BASE);
    assert_true(st.filter_denials == 2);
    msr_get_counts(V, MSR_TSC, &r, &w);
    assert_true(r == 1 && w == 1);
    /* The filter splits the MTRR variable-range row. */
    assert_true(st.row_flags[msr_row_id(msr_lookup(0x200))] & MSR_RF_MIXED);
    rw(0x200, 6);
    wr_gp(0x201, 0x800);
    rd(0x201);
    rw(0x203, 0x800);
    /* A pass-through MSR denied for reads is now read-intercepted. */
    assert_int_equal(msr_expected_intercept(V, MSR_KERNEL_GS_BASE), MSR_ACC_R);
    assert_true(fv.last_mi.read[1][0x102 / 8] & (1u << (0x102 % 8)));
    assert_false(fv.last_mi.write[1][0x102 / 8] & (1u << (0x102 % 8)));
    rd_gp(MSR_KERNEL_GS_BASE);
    wr_ok(MSR_KERNEL_GS_BASE, 0);
    assert_int_equal(msr_expected_intercept(V, 0x201), MSR_ACC_RW);
    /* Unknown MSRs are filtered too (ignore policy does not override a deny). */
    msr_set_unknown_policy(V, MSR_UNKNOWN_IGNORE);
    rd_gp(0x1234);
    rd(0x1235);
    assert_true(st.filter_denials == 5);
    assert_int_equal(log_count("filter denied"), 5);
    /* Rate limit: 8, then powers of two. */
    for (r = 0; r < 100; r++)
        rd_gp(0x1234);
    assert_int_equal(log_count("filter denied"), 8 + 3);  /* #16, #32, #64 */
    console_reset_sinks();
}

static void test_filter_default_deny(void **state)
{
    struct msr_filter f;
    char err[64];
    uint32_t r, b;
    (void)state;
    assert_true(msr_filter_parse("allow:rw:0xc0000100-0xc0000102", "deny", &f, err, sizeof(err)));
    msr_set_filter(V, &f);
    rd_gp(MSR_EFER);
    rd_gp(MSR_TSC);
    rw(MSR_FS_BASE, 0x1000);
    for (r = 0; r < MSR_RANGE_COUNT; r++)
        for (b = 0; b < MSR_RANGE_SIZE; b++) {
            uint32_t i = msr_range_base[r] + b;
            bool open = i >= MSR_FS_BASE && i <= MSR_KERNEL_GS_BASE;
            assert_int_equal(!!(fv.last_mi.read[r][b / 8] & (1u << (b % 8))), !open);
            assert_int_equal(!!(fv.last_mi.write[r][b / 8] & (1u << (b % 8))), !open);
        }
}

/* ---- bitmaps ---- */

static bool bit(const uint8_t *m, uint32_t n) { return (m[n / 8] >> (n % 8)) & 1; }

static void check_bitmap_matches_table(void)
{
    uint32_t r, b;
    for (r = 0; r < MSR_RANGE_COUNT; r++)
        for (b = 0; b < MSR_RANGE_SIZE; b++) {
            unsigned e = msr_expected_intercept(V, msr_range_base[r] + b);
            assert_int_equal(bit(fv.last_mi.read[r], b), !!(e & MSR_ACC_R));
            assert_int_equal(bit(fv.last_mi.write[r], b), !!(e & MSR_ACC_W));
        }
}

static void test_bitmap_spot_checks(void **state)
{
    (void)state;
    check_bitmap_matches_table();
    /* KERNEL_GS_BASE passed through both ways. */
    assert_false(bit(fv.last_mi.read[1], 0x102));
    assert_false(bit(fv.last_mi.write[1], 0x102));
    /* EFER and PAT intercepted both ways, TSC writes only. */
    assert_true(bit(fv.last_mi.read[1], 0x80) && bit(fv.last_mi.write[1], 0x80));
    assert_true(!bit(fv.last_mi.read[0], 0x10) && bit(fv.last_mi.write[0], 0x10));
    assert_true(bit(fv.last_mi.read[0], 0x277) && bit(fv.last_mi.write[0], 0x277));
    /* Absent MSRs (XSS without XSAVES) and unknown ones exit. */
    assert_true(bit(fv.last_mi.read[0], 0xda0) && bit(fv.last_mi.write[0], 0xda0));
    assert_true(bit(fv.last_mi.read[0], 0x11) && bit(fv.last_mi.write[0], 0x11));
    assert_true(bit(fv.last_mi.read[2], 0x114) && bit(fv.last_mi.write[2], 0x114));
    /* Caps change at run time regenerates this vCPU's bitmaps. */
    feat(FEAT_XSAVES);
    msr_policy_changed(V);
    assert_true(!bit(fv.last_mi.read[0], 0xda0) && bit(fv.last_mi.write[0], 0xda0));
    check_bitmap_matches_table();
}

static void test_bitmap_amd(void **state)
{
    (void)state;
    check_bitmap_matches_table();
    assert_true(bit(fv.last_mi.read[2], 0x114) && bit(fv.last_mi.write[2], 0x114));
    assert_true(bit(fv.last_mi.read[2], 0x15));
}

static void test_encode_vmx(void **state)
{
    static struct msr_intercepts mi;
    static uint8_t out[4096];
    (void)state;
    memset(&mi, 0, sizeof(mi));
    mi.read[0][0x10 / 8] |= 1u << (0x10 % 8);           /* read 0x10 */
    mi.write[1][0x82 / 8] |= 1u << (0x82 % 8);          /* write 0xc0000082 */
    mi.read[1][0x1fff / 8] |= 0x80;                     /* read 0xc0001fff */
    mi.write[0][0x1fff / 8] |= 0x80;                    /* write 0x1fff */
    mi.read[2][0] = 0xff;                               /* range 2: not expressible */
    msr_encode_vmx_bitmap(&mi, out);
    assert_int_equal(out[2], 0x01);
    assert_int_equal(out[3072 + 0x10], 0x04);
    assert_int_equal(out[2047], 0x80);
    assert_int_equal(out[3071], 0x80);
    {
        unsigned n, set = 0;
        for (n = 0; n < 4096; n++)
            set += (unsigned)__builtin_popcount(out[n]);
        assert_int_equal(set, 4);
    }
}

static void test_encode_svm(void **state)
{
    static struct msr_intercepts mi;
    static uint8_t out[8192];
    unsigned n, set = 0;
    (void)state;
    memset(&mi, 0, sizeof(mi));
    mi.read[0][0] |= 1;                                 /* read 0x0: byte 0 bit 0 */
    mi.write[0][0x1fff / 8] |= 0x80;                    /* write 0x1fff: byte 0x7ff bit 7 */
    mi.read[1][0x80 / 8] |= 1;                          /* read 0xc0000080 */
    mi.write[1][0x80 / 8] |= 1;                         /* write 0xc0000080 */
    mi.write[2][0x114 / 8] |= 1u << (0x114 % 8);        /* write 0xc0010114 */
    mi.read[2][0x117 / 8] |= 1u << (0x117 % 8);         /* read 0xc0010117 */
    msr_encode_svm_msrpm(&mi, out);
    assert_int_equal(out[0], 0x01);
    assert_int_equal(out[0x7ff], 0x80);
    assert_int_equal(out[0x800 + 0x80 / 4], 0x03);
    /* Same byte 0x1045: 0x114 % 4 == 0 -> write at bit 1; 0x117 % 4 == 3 -> read at bit 6. */
    assert_int_equal(out[0x1000 + 0x114 / 4], 0x42);
    for (n = 0x1800; n < 0x2000; n++)
        assert_int_equal(out[n], 0xff);
    for (n = 0; n < 0x1800; n++)
        set += (unsigned)__builtin_popcount(out[n]);
    assert_int_equal(set, 6);
    /* The engine's own bitmaps, all-intercept default, round-trip. */
    msr_encode_svm_msrpm(&st.intercepts, out);
    assert_int_equal((out[0x800 + 0x102 / 4] >> ((0x102 % 4) * 2)) & 3, 0);   /* KERNEL_GS_BASE */
    assert_int_equal((out[0x800 + 0x80 / 4] >> 0) & 3, 3);                      /* EFER */
    assert_int_equal((out[0x10 / 4] >> 0) & 3, 2);                              /* TSC: write only */
}

/* ---- the exit handlers' inline slot rows ---- */

/* RDMSR/WRMSR as the run loop hands them over: ECX, EDX:EAX in v->regs. */
static void exit_rdmsr(uint32_t i)
{
    V->regs.rcx = 0xffffffff00000000ull | i;      /* the upper half of RCX is ignored */
    handle_rdmsr(V);
}

static void exit_wrmsr(uint32_t i, uint64_t val)
{
    V->regs.rcx = i;
    V->regs.rax = 0xabcd000000000000ull | (uint32_t)val;   /* upper halves ignored */
    V->regs.rdx = 0x1234000000000000ull | (val >> 32);
    handle_wrmsr(V);
}

static void exit_wrmsr_gp(uint32_t i, uint64_t val)
{
    unsigned adv = fv.rip_advances, nexc = fv.nexc;
    memcpy(&snap_st, &st, sizeof(st));
    exit_wrmsr(i, val);
    assert_int_equal(fv.rip_advances, adv);
    assert_int_equal(fv.nexc, nexc + 1);
    assert_int_equal(fv.exc[nexc].vector, 13);
    assert_memory_equal(snap_st.val, st.val, sizeof(st.val));
}

static size_t id1_of(uint32_t i)
{
    return (size_t)(msr_lookup(i) - msr_table) + 1;
}

static void test_exit_slot_rows(void **state)
{
    (void)state;
    boot();
    assert_true(st.row_fast[id1_of(MSR_MTRR_DEF_TYPE)] & MSR_RFAST_SLOT_W);
    assert_true(st.row_fast[id1_of(MSR_MISC_ENABLE)] & MSR_RFAST_SLOT_R);
    /* RDMSR: EDX:EAX, upper halves 0, the instruction completed. */
    V->regs.rax = V->regs.rdx = ~0ull;
    exit_rdmsr(MSR_MTRR_DEF_TYPE);
    assert_true(V->regs.rax == (MTRR_DEF_TYPE_E | 6) && V->regs.rdx == 0);
    assert_int_equal(fv.rip_advances, 1);
    /* WRMSR of a valid value: stored, read back, completed. */
    exit_wrmsr(MSR_MTRR_DEF_TYPE, MTRR_DEF_TYPE_E | MTRR_DEF_TYPE_FE | 1);
    assert_int_equal(fv.rip_advances, 2);
    assert_true(rd(MSR_MTRR_DEF_TYPE) == (MTRR_DEF_TYPE_E | MTRR_DEF_TYPE_FE | 1));
    /* Types 2, 3, 7 and 8 and up, and a reserved bit: #GP, nothing changes. */
    exit_wrmsr_gp(MSR_MTRR_DEF_TYPE, 2);
    exit_wrmsr_gp(MSR_MTRR_DEF_TYPE, 3);
    exit_wrmsr_gp(MSR_MTRR_DEF_TYPE, 7);
    exit_wrmsr_gp(MSR_MTRR_DEF_TYPE, 0x8 | 6);
    exit_wrmsr_gp(MSR_MTRR_DEF_TYPE, (1ull << 12) | 6);
    exit_wrmsr_gp(MSR_MTRR_DEF_TYPE, (1ull << 63) | 6);
    exit_wrmsr(MSR_MTRR_DEF_TYPE, 0);       /* UC, disabled */
    assert_true(rd(MSR_MTRR_DEF_TYPE) == 0);
    /* MISC_ENABLE: a writable bit changes, a read-only one must not, a
     * reserved one is #GP. */
    exit_rdmsr(MSR_MISC_ENABLE);
    assert_true(V->regs.rax == (MISC_ENABLE_FAST_STRING | MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL));
    exit_wrmsr(MSR_MISC_ENABLE, MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL);
    assert_true(rd(MSR_MISC_ENABLE) == (MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL));
    exit_wrmsr_gp(MSR_MISC_ENABLE, MISC_ENABLE_PEBS_UNAVAIL);                  /* RO bit cleared */
    exit_wrmsr_gp(MSR_MISC_ENABLE, MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL | MISC_ENABLE_XD_DISABLE);
    exit_wrmsr_gp(MSR_MISC_ENABLE, MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL | (1ull << 1));
    /* Not a slot row (EFER: read, completed), not in the table (#GP): the
     * out-of-line halves. */
    assert_int_equal(fv.nexc, 9);
    fv.state[VS_EFER] = 0x500;
    exit_rdmsr(MSR_EFER);
    assert_true(V->regs.rax == 0x500 && fv.nexc == 9);
    exit_rdmsr(0x12345678);
    assert_int_equal(fv.nexc, 10);
    /* A filter denial takes the row off the inline path. */
    {
        struct msr_filter f = { .default_allow = true, .count = 1,
                                .r = { { MSR_MTRR_DEF_TYPE, MSR_MTRR_DEF_TYPE, MSR_ACC_W, false } } };
        msr_set_filter(V, &f);
    }
    assert_false(st.row_fast[id1_of(MSR_MTRR_DEF_TYPE)] & MSR_RFAST_SLOT_W);
    assert_true(st.row_fast[id1_of(MSR_MTRR_DEF_TYPE)] & MSR_RFAST_SLOT_R);
    exit_wrmsr_gp(MSR_MTRR_DEF_TYPE, 6);
}

/* ---- lazy host-state restore ---- */

/* What the run loop does after each exit: the MSR switch, then the
 * dispatch counts the exit (the fast passes are derived from that count). */
static void exit_pass(void)
{
    msr_after_exit(V);
    V->stats.count[EXIT_CPUID]++;
}

static void test_lazy_restore(void **state)
{
    static struct msr_cpu_cache cache;
    (void)state;
    cfg.host_has_spec_ctrl = true;
    cfg.host_spec_ctrl = 0;
    cfg.host_has_tsc_aux = true;
    cfg.host_tsc_aux = 3;
    cfg.cpu = &cache;
    feat(FEAT_SPEC_CTRL);
    fake_host_msr_define(MSR_SPEC_CTRL, 0);
    fake_host_msr_define(MSR_TSC_AUX, 3);
    msr_cpu_cache_prime(&cache, &cfg);
    assert_int_equal(cache.valid, 3);
    boot();
    fake_wrmsr_calls = 0;
    /* Guest values equal to keel's: nothing written. */
    msr_before_entry(V);
    exit_pass();
    assert_int_equal(fake_wrmsr_calls, 1);      /* TSC_AUX: guest 0 vs live 3 */
    msr_before_entry(V);
    exit_pass();
    msr_before_entry(V);
    assert_int_equal(fake_wrmsr_calls, 1);
    assert_true(msr_restores_skipped(V) == 7 && st.restores_performed == 1);
    /* The guest turns IBRS on: loaded before entry, keel's 0 back after exit. */
    wr_ok(MSR_SPEC_CTRL, SPEC_CTRL_IBRS);
    exit_pass();
    assert_int_equal(fake_wrmsr_calls, 1);
    msr_before_entry(V);
    assert_int_equal(fake_wrmsr_calls, 2);
    assert_true(fake_last_wrmsr_value == SPEC_CTRL_IBRS);
    exit_pass();
    assert_int_equal(fake_wrmsr_calls, 3);
    assert_true(fake_last_wrmsr_value == 0);
    /* TSC_AUX stays the guest's until msr_host_restore(). */
    msr_host_restore(V);
    assert_int_equal(fake_wrmsr_calls, 4);
    assert_true(fake_last_wrmsr_index == MSR_TSC_AUX && fake_last_wrmsr_value == 3);
    msr_host_restore(V);
    assert_int_equal(fake_wrmsr_calls, 4);
    /* A guest without the MSRs runs with keel's values: nothing to do. */
    nofeat(FEAT_SPEC_CTRL);
    nofeat(FEAT_RDTSCP);
    msr_policy_changed(V);
    msr_before_entry(V);
    exit_pass();
    assert_int_equal(fake_wrmsr_calls, 4);
    /* A host write that faults leaves the cache invalid: retried next time. */
    fake_host_reset();
    feat(FEAT_SPEC_CTRL);
    msr_policy_changed(V);
    msr_before_entry(V);
    assert_int_equal(cache.valid & 1, 0);
    fake_host_msr_define(MSR_SPEC_CTRL, 0);
    msr_before_entry(V);
    assert_int_equal(cache.valid & 1, 1);
    /* No host SPEC_CTRL/TSC_AUX: never touched. */
    cfg.host_has_spec_ctrl = false;
    cfg.host_has_tsc_aux = false;
    fake_wrmsr_calls = 0;
    msr_before_entry(V);
    exit_pass();
    msr_host_restore(V);
    assert_int_equal(fake_wrmsr_calls, 0);
    msr_cpu_cache_prime(&cache, &cfg);
    assert_int_equal(cache.valid, 0);
}

static void test_default_cpu_cache(void **state)
{
    (void)state;
    cfg.host_has_spec_ctrl = true;
    fake_host_msr_define(MSR_SPEC_CTRL, 0);
    boot();
    assert_non_null(st.cpu);
    /* Fast passes are the exits counted in v->stats less the slow ones (vmm/msr.h). */
    msr_before_entry(V);
    exit_pass();
    msr_before_entry(V);
    exit_pass();
    assert_true(msr_restores_skipped(V) == 4);   /* two fast passes, SPEC_CTRL in and out */
}

/* IA32_TSC_DEADLINE: passed through; when a filter forces an intercept the
 * handlers convert between guest and physical TSC time. */
static void test_tsc_deadline(void **state)
{
    struct msr_filter f;
    char err[80];
    uint64_t hw;
    (void)state;
    rd_gp(MSR_TSC_DEADLINE);                    /* no TSC_DEADLINE in the guest's CPUID */
    feat(FEAT_TSC_DEADLINE);
    msr_policy_changed(V);
    assert_int_equal(msr_expected_intercept(V, MSR_TSC_DEADLINE), 0);
    assert_true(msr_filter_parse("allow:rw:0x6e0", "allow", &f, err, sizeof(err)));
    msr_set_filter(V, &f);
    fake_host_msr_define(MSR_TSC_DEADLINE, 0);
    fv.state[VS_TSC_OFFSET] = 100;
    wr_ok(MSR_TSC_DEADLINE, 1000);
    assert_true(fake_host_msr_get(MSR_TSC_DEADLINE, &hw) && hw == 900);
    assert_true(rd(MSR_TSC_DEADLINE) == 1000);
    wr_ok(MSR_TSC_DEADLINE, 0);                 /* 0 disarms the timer, whatever the offset */
    assert_true(fake_host_msr_get(MSR_TSC_DEADLINE, &hw) && hw == 0);
    assert_true(rd(MSR_TSC_DEADLINE) == 0);
}

/* ---- counters, dump, stats ---- */

static void test_counts_dump_stats(void **state)
{
    uint64_t r, w;
    struct msr_filter f;
    char err[64];
    (void)state;
    rd(MSR_MISC_ENABLE);
    rd(MSR_MISC_ENABLE);
    wr_ok(MSR_MISC_ENABLE, rd(MSR_MISC_ENABLE));
    rd_gp(MSR_XSS);
    msr_get_counts(V, MSR_MISC_ENABLE, &r, &w);
    assert_true(r == 3 && w == 1);
    msr_get_counts(V, MSR_XSS, &r, &w);
    assert_true(r == 1 && w == 0);
    msr_get_counts(V, 0x205, &r, &w);
    assert_true(r == 0 && w == 0);
    console_reset_sinks();
    console_add_sink(log_sink);
    assert_true(msr_filter_parse("deny:w:0x201", "allow", &f, err, sizeof(err)));
    msr_set_filter(V, &f);
    msr_dump(V);
    assert_non_null(strstr(logbuf, "keel: msr: table as applied to vcpu 0 (vendor intel"));
    assert_non_null(strstr(logbuf, "filter 0: deny:w:0x201-0x201"));
    assert_non_null(strstr(logbuf, "IA32_EFER"));
    assert_non_null(strstr(logbuf, "wr_efer"));
    assert_non_null(strstr(logbuf, "(filter splits range)"));
    assert_non_null(strstr(logbuf, "0xc0000102     1 IA32_KERNEL_GS_BASE            yes    -     b"));
    assert_non_null(strstr(logbuf, "0xc0000080     1 IA32_EFER                      yes    rw    a"));
    assert_non_null(strstr(logbuf, "0x00000000-0x0000000f rw"));
    assert_non_null(strstr(logbuf, "0x00000010-0x00000010 w"));
    assert_non_null(strstr(logbuf, "0xc0000083-0xc0000083 rw"));
    log_reset();
    msr_print_stats(V);
    assert_non_null(strstr(logbuf, "IA32_MISC_ENABLE               reads 3 writes 1"));
    assert_non_null(strstr(logbuf, "unknown MSRs: reads 0 writes 0 (policy gp)"));
    assert_non_null(strstr(logbuf, "filter denials 0"));
    assert_non_null(strstr(logbuf, "restores performed 0 skipped 0"));
    log_reset();
    msr_set_unknown_policy(V, MSR_UNKNOWN_LOG);
    msr_print_stats(V);
    assert_non_null(strstr(logbuf, "(policy log)"));
    msr_set_unknown_policy(V, MSR_UNKNOWN_IGNORE);
    pol.vendor = VENDOR_OTHER;
    log_reset();
    msr_dump(V);
    assert_non_null(strstr(logbuf, "vendor other, "));
    assert_non_null(strstr(logbuf, "unknown=ignore"));
    console_reset_sinks();
}

static void test_dump_amd(void **state)
{
    (void)state;
    console_reset_sinks();
    console_add_sink(log_sink);
    msr_dump(V);
    assert_non_null(strstr(logbuf, "(vendor amd"));
    assert_non_null(strstr(logbuf, "AMD_VM_CR"));
    console_reset_sinks();
}

static void test_filter_count_clamped(void **state)
{
    struct msr_config c2;
    (void)state;
    c2 = cfg;
    c2.filter.count = 99;
    fake_vcpu_init(&fv);
    fv.v.policy = &pol;
    msr_vcpu_init(V, &st, &c2);
    assert_int_equal(st.filter.count, MSR_FILTER_MAX);
    c2.filter.count = 100;
    msr_set_filter(V, &c2.filter);
    assert_int_equal(st.filter.count, MSR_FILTER_MAX);
}

/* One SPEC_CTRL decode for guest (policy features) and host (the host
 * features the policy saw): per vendor, from that vendor's CPUID bits only. */
static void test_spec_ctrl_bits_decode(void **state)
{
    uint64_t f[FEAT_WORDS] = { 0 };
    (void)state;
    assert_int_equal(msr_spec_ctrl_bits(VENDOR_INTEL, f), 0);
    f[FEAT_BHI_CTRL / 64] |= 1ull << (FEAT_BHI_CTRL % 64);
    f[FEAT_RRSBA_CTRL / 64] |= 1ull << (FEAT_RRSBA_CTRL % 64);
    f[FEAT_SPEC_CTRL / 64] |= 1ull << (FEAT_SPEC_CTRL % 64);
    assert_int_equal(msr_spec_ctrl_bits(VENDOR_INTEL, f),
                     SPEC_CTRL_IBRS | SPEC_CTRL_RRSBA_DIS_U | SPEC_CTRL_RRSBA_DIS_S | SPEC_CTRL_BHI_DIS_S);
    /* Intel's leaf-7 bits say nothing on AMD. */
    assert_int_equal(msr_spec_ctrl_bits(VENDOR_AMD, f), 0);
    f[FEAT_AMD_SSBD / 64] |= 1ull << (FEAT_AMD_SSBD % 64);
    f[FEAT_AMD_PSFD / 64] |= 1ull << (FEAT_AMD_PSFD % 64);
    assert_int_equal(msr_spec_ctrl_bits(VENDOR_AMD, f), SPEC_CTRL_SSBD | SPEC_CTRL_PSFD);
}

#define T(f) cmocka_unit_test_setup(f, setup_intel)
#define TA(f) cmocka_unit_test_setup(f, setup_amd)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_tsc_deadline), T(test_table_sorted), T(test_x2apic_icr_smp),
        T(test_tsc),
        T(test_tsc_no_adjust),
        T(test_apic_base),
        T(test_apic_base_host_faults),
        T(test_feature_control_intel),
        TA(test_intel_only_absent_on_amd),
        T(test_amd_only_absent_on_intel),
        TA(test_amd_msrs),
        T(test_spec_ctrl_intel),
        TA(test_spec_ctrl_amd),
        T(test_pred_flush_cmd),
        T(test_arch_capabilities),
        T(test_virtual_mitigation),
        T(test_misc_enable),
        T(test_pat),
        T(test_mtrr),
        T(test_maxphyaddr_clamp),
        T(test_debugctl),
        T(test_efer),
        TA(test_efer_amd),
        T(test_peek),
        T(test_passthrough_msrs),
        T(test_tsc_aux),
        TA(test_tsc_aux_amd),
        T(test_xss),
        T(test_cet_absent),
        T(test_cet_ctl),
        T(test_s_cet_vendor_state),
        T(test_pl_ssp),
        T(test_unknown_gp),
        T(test_unknown_ignore_log),
        T(test_filter_parse),
        T(test_unknown_parse),
        T(test_filter_precedence),
        T(test_filter_applied),
        T(test_filter_default_deny),
        T(test_bitmap_spot_checks),
        TA(test_bitmap_amd),
        T(test_encode_vmx),
        T(test_encode_svm),
        T(test_exit_slot_rows),
        T(test_lazy_restore),
        T(test_default_cpu_cache),
        T(test_counts_dump_stats),
        TA(test_dump_amd),
        cmocka_unit_test(test_spec_ctrl_bits_decode),
        T(test_filter_count_clamped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
