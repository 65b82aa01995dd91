/* Unit tests: the VMRUN consistency checks name the failing check. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "arch/x86/svm/svm_check.h"
#include "log_capture.h"

static struct vmcb good;
static const struct svm_host_caps caps = { 48, true, false };
static const struct svm_host_caps caps_flush = { 48, true, true };
static const struct svm_host_caps caps_no_lm = { 36, false, false };

static void make_good(void)
{
    memset(&good, 0, sizeof(good));
    good.save.efer = 1ull << 12;
    good.save.cr0 = 0x11;
    good.save.dr6 = 0xffff0ff0;
    good.save.dr7 = 0x400;
    good.control.intercept_misc2 = 1;
    good.control.guest_asid = 1;
    good.control.msrpm_base_pa = 0x100000;
    good.control.iopm_base_pa = 0x200000;
}

struct check_case {
    const char *want;
    void (*breakit)(struct vmcb *);
};

static void no_svme(struct vmcb *v) { v->save.efer = 0; }
static void nw_without_cd(struct vmcb *v) { v->save.cr0 |= 1ull << 29; }
static void cr0_high(struct vmcb *v) { v->save.cr0 |= 1ull << 40; }
static void cr4_reserved(struct vmcb *v) { v->save.cr4 = 1ull << 40; }
static void dr6_high(struct vmcb *v) { v->save.dr6 |= 1ull << 33; }
static void dr7_high(struct vmcb *v) { v->save.dr7 |= 1ull << 33; }
static void efer_reserved(struct vmcb *v) { v->save.efer |= 1ull << 20; }
static void lme_no_pae(struct vmcb *v) { v->save.efer |= 1 << 8; v->save.cr0 |= 1ull << 31; }
static void lme_pg_no_pe(struct vmcb *v) { v->save.efer |= 1 << 8; v->save.cr0 = 1ull << 31; v->save.cr4 = 1 << 5; }
static void l_and_d(struct vmcb *v)
{
    v->save.efer |= 1 << 8; v->save.cr0 |= 1ull << 31; v->save.cr4 = 1 << 5; v->save.cs.attrib = 0x600;
}
static void no_vmrun_intercept(struct vmcb *v) { v->control.intercept_misc2 = 0; }
static void msrpm_too_high(struct vmcb *v) { v->control.msrpm_base_pa = 1ull << 52; }
static void iopm_too_high(struct vmcb *v) { v->control.iopm_base_pa = (1ull << 48) - 0x1000; }
static void asid_zero(struct vmcb *v) { v->control.guest_asid = 0; }
static void bad_event(struct vmcb *v) { v->control.event_inj = (1u << 31) | (1u << 8); }
static void bad_event_type7(struct vmcb *v) { v->control.event_inj = (1u << 31) | (7u << 8) | 14; }
static void exception_nmi_vector(struct vmcb *v) { v->control.event_inj = (1u << 31) | (3u << 8) | 2; }
static void exception_vector_32(struct vmcb *v) { v->control.event_inj = (1u << 31) | (3u << 8) | 32; }
static void long_cr3_high(struct vmcb *v)
{
    v->save.efer |= 1 << 8; v->save.cr0 |= 1ull << 31; v->save.cr4 = 1 << 5; v->save.cr3 = 1ull << 50;
}
static void tlb_control_reserved(struct vmcb *v) { v->control.tlb_control = 2; }
static void tlb_flush_asid_unsupported(struct vmcb *v) { v->control.tlb_control = 3; }

static void test_checks(void **state)
{
    (void)state;
    static const struct check_case cases[] = {
        { "EFER.SVME is zero", no_svme },         { "CR0.CD is zero and CR0.NW is set", nw_without_cd },
        { "CR0[63:32]", cr0_high },               { "CR4 has reserved bits", cr4_reserved },
        { "DR6[63:32]", dr6_high },               { "DR7[63:32]", dr7_high },
        { "EFER has reserved bits", efer_reserved }, { "CR4.PAE is zero", lme_no_pae },
        { "CR0.PE is zero", lme_pg_no_pe },       { "CS.L and CS.D", l_and_d },
        { "VMRUN intercept", no_vmrun_intercept }, { "MSRPM_BASE_PA", msrpm_too_high },
        { "IOPM_BASE_PA", iopm_too_high },        { "ASID is zero", asid_zero },
        { "illegal event type", bad_event },      { "illegal event type", bad_event_type7 },
        { "not an exception", exception_nmi_vector }, { "not an exception", exception_vector_32 },
        { "CR3 MBZ", long_cr3_high },             { "TLB_CONTROL", tlb_control_reserved },
        { "TLB_CONTROL", tlb_flush_asid_unsupported },
    };
    size_t i;
    make_good();
    assert_null(svm_check_vmcb(&good, &caps));
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct vmcb v;
        const char *why;
        make_good();
        v = good;
        cases[i].breakit(&v);
        why = svm_check_vmcb(&v, &caps);
        if (!why || !strstr(why, cases[i].want))
            fail_msg("case %zu: expected '%s', got '%s'", i, cases[i].want, why ? why : "(pass)");
    }
}

/* Present and absent host capabilities change the verdict. */
static void test_checks_host_caps(void **state)
{
    struct vmcb v;
    const char *why;
    (void)state;
    make_good();
    v = good;
    v.save.efer |= 1 << 8;                      /* LME, paging off: fine with long mode */
    assert_null(svm_check_vmcb(&v, &caps));
    why = svm_check_vmcb(&v, &caps_no_lm);
    assert_non_null(why);
    assert_non_null(strstr(why, "does not support long mode"));
    v = good;
    v.control.tlb_control = 3;
    assert_null(svm_check_vmcb(&v, &caps_flush));
    v.control.tlb_control = 7;
    assert_null(svm_check_vmcb(&v, &caps_flush));
    /* CR3 just below MAXPHYADDR is legal in long mode; beyond a 36-bit host it is not. */
    v = good;
    v.save.efer |= 1 << 8; v.save.cr0 |= 1ull << 31; v.save.cr4 = 1 << 5; v.save.cr3 = (1ull << 40) - 0x1000;
    v.save.cs.attrib = 0x200;
    assert_null(svm_check_vmcb(&v, &caps));
    v.save.efer = (1ull << 12);                 /* no LME: CR3 check is long mode only */
    assert_null(svm_check_vmcb(&v, &caps_no_lm));
    /* Legal event injections pass. */
    v = good;
    v.control.event_inj = (1u << 31) | (3u << 8) | 14 | (1u << 11);
    assert_null(svm_check_vmcb(&v, &caps));
    v.control.event_inj = (1u << 31) | (2u << 8) | 2;
    assert_null(svm_check_vmcb(&v, &caps));
}

static void test_explain(void **state)
{
    (void)state;
    make_good();
    capture_start();
    assert_int_equal(svm_explain_vmcb(&good, &caps), 0);
    assert_false(log_has("VMRUN consistency check"));
    good.save.efer = 0;
    assert_int_equal(svm_explain_vmcb(&good, &caps), 1);
    assert_true(log_has("VMRUN consistency check: EFER.SVME is zero"));
}

static void test_dump_names_fields(void **state)
{
    (void)state;
    make_good();
    good.control.exitcode = (uint64_t)-1;
    good.save.efer = 0;
    capture_start();
    svm_dump_vmcb(&good);
    assert_true(log_has("VMCB control: exitcode 0xffffffffffffffff"));
    assert_true(log_has("cr0 0000000000000011"));
    assert_true(log_has("tr    sel"));
    assert_true(log_has("int_state 0x0"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checks),
        cmocka_unit_test(test_checks_host_caps),
        cmocka_unit_test(test_explain),
        cmocka_unit_test(test_dump_names_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
