/* Unit tests: the x2APIC MSRs (0x800-0x8ff) in THE MSR table. They exist
 * only with CPUID x2APIC, are passed through (the LAPIC is the guest's),
 * the ICR has its own row, and the handlers used under a forced intercept
 * pass the hardware's verdict on. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fake_arch.h"
#include "vmm/msr_impl.h"

static struct fake_vcpu fv;
static struct msr_vcpu_state st;
static struct cpu_policy pol;
static struct msr_config cfg;
#define V (&fv.v)

static void boot(bool x2apic)
{
    memset(&pol, 0, sizeof(pol));
    memset(&cfg, 0, sizeof(cfg));
    cfg.filter.default_allow = true;
    pol.vendor = VENDOR_INTEL;
    pol.maxphyaddr = 40;
    pol.feat[FEAT_APIC / 64] |= 1ull << (FEAT_APIC % 64);
    if (x2apic)
        pol.feat[FEAT_X2APIC / 64] |= 1ull << (FEAT_X2APIC % 64);
    fake_host_reset();
    fake_vcpu_init(&fv);
    fv.v.policy = &pol;
    assert_int_equal(msr_vcpu_init(V, &st, &cfg), 0);
}

static bool bit(const uint8_t *map, uint32_t i) { return (map[i / 8] >> (i % 8)) & 1; }

static void test_absent_without_x2apic(void **state)
{
    uint64_t x = 0x1234;
    (void)state;
    boot(false);
    for (uint32_t i = MSR_X2APIC_FIRST; i <= MSR_X2APIC_LAST; i += 0x11) {
        assert_false(msr_exists(V, i));
        assert_int_equal(msr_expected_intercept(V, i), MSR_ACC_RW);
        assert_true(bit(fv.last_mi.read[0], i) && bit(fv.last_mi.write[0], i));
    }
    assert_int_equal(msr_read(V, 0x802, &x), MSR_GP);
    assert_int_equal(x, 0x1234);
    assert_int_equal(msr_write(V, 0x808, 0), MSR_GP);
    assert_int_equal(fake_wrmsr_calls, 0);      /* never reached the hardware */
}

static void test_passed_through(void **state)
{
    (void)state;
    boot(true);
    for (uint32_t i = MSR_X2APIC_FIRST; i <= MSR_X2APIC_LAST; i++) {
        assert_true(msr_exists(V, i));
        assert_int_equal(msr_expected_intercept(V, i), 0);
        assert_false(bit(fv.last_mi.read[0], i));
        assert_false(bit(fv.last_mi.write[0], i));
        assert_int_equal(msr_desc_host_class(msr_lookup(i)), MSR_HOST_GUEST);
    }
    /* The neighbours keep their own rows. */
    assert_true(msr_lookup(MSR_X2APIC_LAST + 1) == NULL || msr_lookup(MSR_X2APIC_LAST + 1) != msr_lookup(MSR_X2APIC_LAST));
}

static void test_icr_row(void **state)
{
    const struct msr_desc *icr, *below, *above;
    (void)state;
    boot(true);
    icr = msr_lookup(MSR_X2APIC_ICR);
    below = msr_lookup(MSR_X2APIC_ICR - 1);
    above = msr_lookup(MSR_X2APIC_ICR + 1);
    assert_non_null(icr);
    assert_int_equal(msr_desc_first(icr), 0x830);
    assert_int_equal(msr_desc_count(icr), 1);
    assert_string_equal(msr_desc_name(icr), "X2APIC_ICR");
    assert_true(below != icr && above != icr);
    assert_int_equal(msr_desc_first(below), 0x800);
    assert_int_equal(msr_desc_first(above), 0x831);
    assert_int_equal(msr_desc_first(above) + msr_desc_count(above) - 1, 0x8ff);
}

/* Under an intercept (filter, or a vendor that always exits) the handlers
 * ask the hardware, which faults as the SDM says. */
static void test_handlers_use_hardware(void **state)
{
    uint64_t x = 0;
    (void)state;
    boot(true);
    fake_host_msr_define(0x802, 7);         /* ID */
    fake_host_msr_define(0x808, 0);         /* TPR */
    assert_int_equal(msr_read(V, 0x802, &x), MSR_OK);
    assert_int_equal(x, 7);
    assert_int_equal(msr_write(V, 0x808, 0x20), MSR_OK);
    assert_int_equal(fake_last_wrmsr_index, 0x808);
    assert_int_equal(fake_last_wrmsr_value, 0x20);
    x = 0x55;
    assert_int_equal(msr_read(V, 0x80b, &x), MSR_GP);   /* EOI: the host faults, so does the guest */
    assert_int_equal(x, 0x55);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_absent_without_x2apic),
        cmocka_unit_test(test_passed_through),
        cmocka_unit_test(test_icr_row),
        cmocka_unit_test(test_handlers_use_hardware),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
