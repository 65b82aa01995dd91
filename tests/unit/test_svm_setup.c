/* Unit tests for the SVM backend's set-up decisions (arch/x86/svm/svm_setup.c)
 * against recorded CPUID 0x8000000A.EDX values (tests/unit/data/cpuid:
 * Bochs 2.7 ryzen 0x44f with NRIPS, QEMU 7.2 TCG max 0x10010001 and EPYC
 * 0x1 without, AMD Milan 0x119b9cff), and the order of GIF, VMLOAD, VMRUN
 * and VMSAVE in the assembled world switch (arch/x86/svm/svm_entry.S). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "arch/x86/svm/svm_setup.h"
#include "arch/x86/svm/vmcb.h"

#define EDX_BOCHS_RYZEN 0x0000044fu
#define EDX_QEMU_MAX 0x10010001u
#define EDX_QEMU_EPYC 0x00000001u
#define EDX_MILAN 0x119b9cffu

static void test_caps(void **state)
{
    struct svm_caps c;
    (void)state;
    svm_caps_from_cpuid(EDX_BOCHS_RYZEN, &c);
    assert_true(c.npt && c.nrips && c.lbrv);
    assert_false(c.vgif);
    svm_caps_from_cpuid(EDX_QEMU_MAX, &c);
    assert_true(c.npt && c.vgif);
    assert_false(c.nrips || c.lbrv);
    svm_caps_from_cpuid(EDX_QEMU_EPYC, &c);
    assert_true(c.npt);
    assert_false(c.nrips || c.vgif || c.vls);
    svm_caps_from_cpuid(EDX_MILAN, &c);
    assert_true(c.npt && c.nrips && c.lbrv && c.vls && c.vgif);
}

/* Every SVM instruction exits (and so becomes #UD in vmm/), INVLPGA included. */
static void test_intercepts(void **state)
{
    uint32_t m1, m2;
    (void)state;
    svm_intercept_words(false, &m1, &m2);
    assert_true(m1 & SVM_INTERCEPT1_INVLPGA);
    assert_int_equal(SVM_INTERCEPT1_INVLPGA, 1u << 26);     /* APM Table B-1, offset 0Ch */
    assert_true(m1 & SVM_INTERCEPT1_CPUID);
    assert_true(m1 & SVM_INTERCEPT1_MSR);
    assert_true(m1 & SVM_INTERCEPT1_SHUTDOWN);
    assert_int_equal(m2 & 0x7f, 0x7f);  /* VMRUN VMMCALL VMLOAD VMSAVE STGI CLGI SKINIT */
    assert_false(m2 & SVM_INTERCEPT2_RDTSCP);
    /* Interrupts, NMIs, HLT stay the guest's. */
    assert_false(m1 & ((1u << 0) | (1u << 1) | (1u << 24)));
    svm_intercept_words(true, &m1, &m2);
    assert_true(m2 & SVM_INTERCEPT2_RDTSCP);
}

static void test_exception_event(void **state)
{
    (void)state;
    /* #GP(0x18) in protected mode: vector 13, type 3, EV, V, error code. */
    assert_int_equal(svm_exception_event(13, true, 0x18, true), 0x18ull << 32 | SVM_EVT_VALID | SVM_EVT_ERR_VALID | 3u << 8 | 13);
    /* In real mode the error code is not pushed. */
    assert_int_equal(svm_exception_event(13, true, 0x18, false), SVM_EVT_VALID | 3u << 8 | 13);
    assert_int_equal(svm_exception_event(6, false, 0, true), SVM_EVT_VALID | 3u << 8 | 6);
}

static void test_reinject_soft(void **state)
{
    struct svm_event_plan p;
    uint64_t int80 = SVM_EVT_VALID | (uint64_t)SVM_EVT_TYPE_SOFT_INT << 8 | 0x80;
    uint64_t int3 = SVM_EVT_VALID | (uint64_t)SVM_EVT_TYPE_EXCEPTION << 8 | 3;
    uint64_t into = SVM_EVT_VALID | (uint64_t)SVM_EVT_TYPE_EXCEPTION << 8 | 4;
    (void)state;
    assert_int_equal(svm_soft_event_len(int80), 2);
    assert_int_equal(svm_soft_event_len(int3), 1);
    assert_int_equal(svm_soft_event_len(into), 1);
    /* NRIPS (Bochs ryzen, real CPUs): RIP stays on the INT, next_rip after it. */
    svm_plan_event(int80, true, true, 0x1000, 2, &p);
    assert_int_equal(p.event_inj, int80);
    assert_int_equal(p.rip, 0x1000);
    assert_true(p.set_next_rip);
    assert_int_equal(p.next_rip, 0x1002);
    svm_plan_event(int3, true, true, 0x2000, 1, &p);
    assert_true(p.set_next_rip);
    assert_int_equal(p.next_rip, 0x2001);
    /* No NRIPS (QEMU TCG): the CPU pushes RIP, so RIP moves past the INT. */
    svm_plan_event(int80, true, false, 0x1000, 2, &p);
    assert_false(p.set_next_rip);
    assert_int_equal(p.rip, 0x1002);
    svm_plan_event(into, false, false, 0x3000, 1, &p);
    assert_int_equal(p.rip, 0x3001);
}

static void test_reinject_hard(void **state)
{
    struct svm_event_plan p;
    uint64_t pf = SVM_EVT_VALID | SVM_EVT_ERR_VALID | (uint64_t)SVM_EVT_TYPE_EXCEPTION << 8 | 14 | 2ull << 32;
    uint64_t nmi = SVM_EVT_VALID | (uint64_t)SVM_EVT_TYPE_NMI << 8 | 2;
    uint64_t intr = SVM_EVT_VALID | 0x30;
    (void)state;
    /* A fault or an external event goes in unchanged, RIP untouched. */
    svm_plan_event(pf, true, true, 0x4000, svm_soft_event_len(pf), &p);
    assert_int_equal(p.event_inj, pf);
    assert_int_equal(p.rip, 0x4000);
    assert_false(p.set_next_rip);
    svm_plan_event(nmi, true, false, 0x4000, svm_soft_event_len(nmi), &p);
    assert_int_equal(p.event_inj, nmi);
    svm_plan_event(intr, false, true, 0x4000, svm_soft_event_len(intr), &p);
    assert_int_equal(p.event_inj, intr);
    assert_false(p.set_next_rip);
    /* Real mode: the error code is dropped. */
    svm_plan_event(pf, false, true, 0x4000, 0, &p);
    assert_int_equal(p.event_inj, SVM_EVT_VALID | (uint64_t)SVM_EVT_TYPE_EXCEPTION << 8 | 14);
    /* Reserved bits 30:12 never reach EVENTINJ. */
    svm_plan_event(pf | 0x7fff000ull, true, true, 0x4000, 0, &p);
    assert_int_equal(p.event_inj, pf);
}

static void test_nmi_reflect(void **state)
{
    (void)state;
    assert_true(svm_nmi_injectable(0, 0));
    assert_false(svm_nmi_injectable(SVM_EVT_VALID | 13, 0));   /* something queued already */
    assert_false(svm_nmi_injectable(0, 1));                     /* STI / MOV SS shadow */
    assert_true(svm_nmi_injectable(13, 2));                     /* V clear: not queued */
}

/* The assembled world switch: CLGI before the guest's VMLOAD, then VMRUN,
 * VMSAVE, keel's VMLOAD, and STGI only after that (APM 15.17). */
extern const uint8_t svm_vmrun[], svm_vmrun_end[];

static long find(const uint8_t *p, long n, uint8_t op, long from)
{
    for (long i = from; i + 2 < n; i++)
        if (p[i] == 0x0f && p[i + 1] == 0x01 && p[i + 2] == op)
            return i;
    return -1;
}

static void test_gif_order(void **state)
{
    const uint8_t *p = svm_vmrun;
    long n = svm_vmrun_end - svm_vmrun;
    long clgi, load1, run, save, load2, stgi;
    (void)state;
    assert_true(n > 0 && n < 512);
    clgi = find(p, n, 0xdd, 0);
    load1 = find(p, n, 0xda, 0);
    run = find(p, n, 0xd8, 0);
    save = find(p, n, 0xdb, 0);
    load2 = load1 >= 0 ? find(p, n, 0xda, load1 + 3) : -1;
    stgi = find(p, n, 0xdc, 0);
    assert_true(clgi >= 0 && load1 >= 0 && run >= 0 && save >= 0 && load2 >= 0 && stgi >= 0);
    assert_true(clgi < load1);
    assert_true(load1 < run && run < save && save < load2);
    assert_true(load2 < stgi);
    /* Exactly one of each GIF instruction, two VMLOADs. */
    assert_int_equal(find(p, n, 0xdd, clgi + 3), -1);
    assert_int_equal(find(p, n, 0xdc, stgi + 3), -1);
    assert_int_equal(find(p, n, 0xda, load2 + 3), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_intercepts),
        cmocka_unit_test(test_exception_event),
        cmocka_unit_test(test_reinject_soft),
        cmocka_unit_test(test_reinject_hard),
        cmocka_unit_test(test_nmi_reflect),
        cmocka_unit_test(test_gif_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
