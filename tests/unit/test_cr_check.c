/* Unit tests: the vendor-neutral MOV to CR0/CR4 #GP rules (vmm/cr_check.c)
 * and the one XCR0 check (policy_xcr0_valid), which both vendors use before
 * their set_state commits. SDM Vol. 2B MOV CR / XSETBV, Vol. 3A 2.5. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "vmm/cr_check.h"
#include "vmm/cpuid.h"
#include "arch/x86/x86_defs.h"

static struct cpu_policy pol;

static void give(enum cpu_feature f) { pol.feat[f / 64] |= 1ull << (f % 64); }

/* A long-mode capable guest with the usual CR4 features, no VMX/SMX. */
static int setup(void **state)
{
    (void)state;
    memset(&pol, 0, sizeof(pol));
    pol.vendor = VENDOR_INTEL;
    give(FEAT_VME); give(FEAT_DE); give(FEAT_PSE); give(FEAT_TSC); give(FEAT_PAE); give(FEAT_MCE);
    give(FEAT_PGE); give(FEAT_FXSR); give(FEAT_SSE); give(FEAT_PCID); give(FEAT_XSAVE);
    give(FEAT_FSGSBASE); give(FEAT_SMEP); give(FEAT_SMAP);
    return 0;
}

/* 64-bit paging, PAE, WP, CR3 page-aligned. */
static const struct cr_state lm = { CR0_PE | CR0_PG | CR0_WP | CR0_NE | CR0_ET, 0x1000,
                                    CR4_PAE | CR4_PGE | CR4_OSFXSR, EFER_LME | EFER_LMA | EFER_SCE, true };
/* 32-bit protected mode, paging off. */
static const struct cr_state pm = { CR0_PE | CR0_ET, 0, 0, 0, false };

static void test_cr4_allowed_follows_policy(void **state)
{
    uint64_t a = cr4_allowed(&pol);
    (void)state;
    assert_true(a & CR4_OSXSAVE);
    assert_true(a & CR4_PCE);
    assert_false(a & CR4_VMXE);          /* VMX is never offered */
    assert_false(a & CR4_SMXE);
    assert_false(a & CR4_LA57);          /* not given */
    assert_false(a & CR4_PKE);
    assert_false(a & CR4_CET);
    assert_false(a & BIT64(15));         /* reserved */
    assert_false(a & ~0x1ffffffull);     /* 63:25 reserved */
    memset(&pol, 0, sizeof(pol));
    assert_int_equal(cr4_allowed(&pol), CR4_PCE);
    give(FEAT_IBT);                      /* CET exists with SHSTK or IBT */
    assert_true(cr4_allowed(&pol) & CR4_CET);
}

static void test_cr4_reserved_gp(void **state)
{
    (void)state;
    assert_true(cr4_write_ok(&pol, &lm, lm.cr4 | CR4_OSXSAVE));
    assert_false(cr4_write_ok(&pol, &lm, lm.cr4 | CR4_VMXE));
    assert_false(cr4_write_ok(&pol, &lm, lm.cr4 | CR4_PKE));
    assert_false(cr4_write_ok(&pol, &lm, lm.cr4 | BIT64(15)));
    assert_false(cr4_write_ok(&pol, &lm, lm.cr4 | BIT64(32)));
    give(FEAT_PKU);
    assert_true(cr4_write_ok(&pol, &lm, lm.cr4 | CR4_PKE));
}

static void test_cr4_long_mode_rules(void **state)
{
    struct cr_state s = lm;
    (void)state;
    assert_false(cr4_write_ok(&pol, &lm, lm.cr4 & ~CR4_PAE));   /* PAE off in IA-32e mode */
    assert_true(cr4_write_ok(&pol, &pm, 0));                    /* fine outside it */
    give(FEAT_LA57);
    assert_false(cr4_write_ok(&pol, &lm, lm.cr4 | CR4_LA57));   /* no 5-level switch in IA-32e mode */
    assert_true(cr4_write_ok(&pol, &pm, CR4_PAE | CR4_LA57));
    /* PCIDE 0 -> 1: IA-32e mode and CR3[11:0] = 0 only (SDM 4.10.1). */
    assert_true(cr4_write_ok(&pol, &lm, lm.cr4 | CR4_PCIDE));
    assert_false(cr4_write_ok(&pol, &pm, CR4_PCIDE));
    s.cr3 = 0x1005;
    assert_false(cr4_write_ok(&pol, &s, lm.cr4 | CR4_PCIDE));
    s.cr4 |= CR4_PCIDE;                                          /* already on: PCID bits in CR3 fine */
    assert_true(cr4_write_ok(&pol, &s, s.cr4));
}

static void test_cet_needs_wp(void **state)
{
    struct cr_state s = lm;
    (void)state;
    give(FEAT_SHSTK);
    assert_true(cr4_write_ok(&pol, &lm, lm.cr4 | CR4_CET));
    s.cr0 &= ~CR0_WP;
    assert_false(cr4_write_ok(&pol, &s, s.cr4 | CR4_CET));
    s = lm;
    s.cr4 |= CR4_CET;
    assert_false(cr0_write_ok(&pol, &s, s.cr0 & ~CR0_WP));
    assert_true(cr0_write_ok(&pol, &lm, lm.cr0 & ~CR0_WP));
}

static void test_cr0_rules(void **state)
{
    struct cr_state s = pm;
    (void)state;
    assert_true(cr0_write_ok(&pol, &lm, lm.cr0 & ~CR0_NE));     /* the bit keel owns on VMX: allowed */
    assert_false(cr0_write_ok(&pol, &pm, pm.cr0 | BIT64(32)));  /* 63:32 reserved */
    assert_false(cr0_write_ok(&pol, &pm, CR0_PG));              /* PG without PE */
    assert_false(cr0_write_ok(&pol, &pm, CR0_PE | CR0_NW));     /* NW without CD */
    assert_true(cr0_write_ok(&pol, &pm, CR0_PE | CR0_NW | CR0_CD));
    assert_true(cr0_write_ok(&pol, &pm, CR0_PE | CR0_PG));      /* 32-bit paging */
    s.efer = EFER_LME;                                           /* IA-32e mode needs PAE */
    assert_false(cr0_write_ok(&pol, &s, CR0_PE | CR0_PG));
    s.cr4 = CR4_PAE;
    assert_true(cr0_write_ok(&pol, &s, CR0_PE | CR0_PG));
    assert_false(cr0_write_ok(&pol, &lm, lm.cr0 & ~CR0_PG));    /* paging off from 64-bit code */
    s = lm;
    s.cs_l = false;                                              /* compatibility mode: allowed */
    assert_true(cr0_write_ok(&pol, &s, s.cr0 & ~CR0_PG));
}

static void test_xcr0_one_check(void **state)
{
    (void)state;
    pol.xcr0_mask = XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_BNDREGS | XCR0_BNDCSR | XCR0_AVX512 | XCR0_AMX;
    assert_true(policy_xcr0_valid(&pol, XCR0_X87));
    assert_false(policy_xcr0_valid(&pol, XCR0_SSE));                             /* x87 always */
    assert_false(policy_xcr0_valid(&pol, XCR0_X87 | XCR0_AVX));                  /* AVX needs SSE */
    assert_false(policy_xcr0_valid(&pol, XCR0_X87 | XCR0_BNDREGS));              /* BND pair */
    assert_false(policy_xcr0_valid(&pol, XCR0_X87 | XCR0_BNDCSR));
    assert_true(policy_xcr0_valid(&pol, XCR0_X87 | XCR0_BNDREGS | XCR0_BNDCSR));
    assert_false(policy_xcr0_valid(&pol, XCR0_X87 | XCR0_SSE | XCR0_AVX | BIT64(5)));   /* AVX-512: all 3 */
    assert_true(policy_xcr0_valid(&pol, XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_AVX512));
    assert_false(policy_xcr0_valid(&pol, XCR0_X87 | BIT64(17)));                 /* AMX pair */
    assert_true(policy_xcr0_valid(&pol, XCR0_X87 | XCR0_AMX));
    assert_false(policy_xcr0_valid(&pol, XCR0_X87 | XCR0_PKRU));                 /* not in the mask */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_cr4_allowed_follows_policy, setup),
        cmocka_unit_test_setup(test_cr4_reserved_gp, setup),
        cmocka_unit_test_setup(test_cr4_long_mode_rules, setup),
        cmocka_unit_test_setup(test_cet_needs_wp, setup),
        cmocka_unit_test_setup(test_cr0_rules, setup),
        cmocka_unit_test_setup(test_xcr0_one_check, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
