/* Unit tests: the SVM #VMEXIT decode (arch/x86/svm/svm_decode.h) against
 * the APM's exit codes (Vol. 2 Appendix C) and EXITINFO layouts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "arch/x86/svm/svm_decode.h"

static void test_kinds(void **state)
{
    (void)state;
    assert_int_equal(svm_exit_kind(0x72, 0), EXIT_CPUID);
    assert_int_equal(svm_exit_kind(0x7c, 0), EXIT_MSR_READ);
    assert_int_equal(svm_exit_kind(0x7c, 1), EXIT_MSR_WRITE);
    assert_int_equal(svm_exit_kind(0x7b, 0), EXIT_IO);
    assert_int_equal(svm_exit_kind(0x400, 0), EXIT_NPF);
    assert_int_equal(svm_exit_kind(0x81, 0), EXIT_HYPERCALL);
    assert_int_equal(svm_exit_kind(0x8d, 0), EXIT_XSETBV);
    assert_int_equal(svm_exit_kind(0x76, 0), EXIT_INVD);
    assert_int_equal(svm_exit_kind(0x89, 0), EXIT_WBINVD);
    assert_int_equal(svm_exit_kind(0x7f, 0), EXIT_SHUTDOWN);
    assert_int_equal(svm_exit_kind(0x63, 0), EXIT_INIT);
    assert_int_equal(svm_exit_kind(0x87, 0), EXIT_RDTSCP);
    assert_int_equal(svm_exit_kind(0x78, 0), EXIT_HLT);
    for (uint64_t c = 0x80; c <= 0x86; c++)            /* VMRUN .. SKINIT, but 0x81 is VMMCALL */
        if (c != 0x81)
            assert_int_equal(svm_exit_kind(c, 0), EXIT_VMINSN);
    assert_int_equal(svm_exit_kind(0x7a, 0), EXIT_VMINSN);   /* INVLPGA */
    assert_int_equal(svm_exit_kind(0x8a, 0), EXIT_VMINSN);   /* MONITOR */
    assert_int_equal(svm_exit_kind(0x8b, 0), EXIT_VMINSN);   /* MWAIT */
    assert_int_equal(svm_exit_kind(0x4e, 0), EXIT_EXCEPTION); /* #PF */
    assert_int_equal(svm_exit_kind(~0ull, 0), EXIT_INVALID_STATE);
    assert_int_equal(svm_exit_kind(0xffffffffull, 0), EXIT_INVALID_STATE);   /* QEMU's 32-bit -1 */
    assert_int_equal(svm_exit_kind(0x60, 0), EXIT_OTHER);    /* INTR: not intercepted */
    assert_int_equal(svm_exit_kind(0x8f, 0), EXIT_OTHER);
    assert_int_equal(svm_exit_kind(0x401, 0), EXIT_OTHER);
}

static void test_io_info(void **state)
{
    struct vm_exit x;
    (void)state;
    memset(&x, 0, sizeof(x));
    /* OUT DX, AL to 0x3f8: port 31:16, SZ8 bit 4, type 0 = OUT */
    x.kind = EXIT_IO;
    svm_decode_info(&x, 0x7b, (0x3f8ull << 16) | (1u << 4), 0);
    assert_int_equal(x.u.io.port, 0x3f8);
    assert_int_equal(x.u.io.size, 1);
    assert_false(x.u.io.in);
    assert_false(x.u.io.string);
    /* REP INSW from 0x1f0: IN bit 0, STR bit 2, REP bit 3, SZ16 bit 5 */
    svm_decode_info(&x, 0x7b, (0x1f0ull << 16) | 1 | 4 | 8 | (1u << 5), 0);
    assert_int_equal(x.u.io.port, 0x1f0);
    assert_int_equal(x.u.io.size, 2);
    assert_true(x.u.io.in && x.u.io.string && x.u.io.rep);
    svm_decode_info(&x, 0x7b, (0xcfcull << 16) | (1u << 6), 0);   /* SZ32 */
    assert_int_equal(x.u.io.size, 4);
}

static void test_npf_and_exception_info(void **state)
{
    struct vm_exit x;
    (void)state;
    memset(&x, 0, sizeof(x));
    x.kind = EXIT_NPF;
    svm_decode_info(&x, 0x400, 0x2 | 0x1, 0xe001000);           /* write, present */
    assert_int_equal(x.u.npf.gpa, 0xe001000);
    assert_int_equal(x.u.npf.access, NPF_WRITE);
    svm_decode_info(&x, 0x400, 0x10, 0x5000);                   /* instruction fetch */
    assert_int_equal(x.u.npf.access, NPF_READ | NPF_EXEC);
    x.kind = EXIT_EXCEPTION;
    svm_decode_info(&x, 0x4d, 0, 0);
    assert_int_equal(x.u.exc.vector, 13);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_io_info),
        cmocka_unit_test(test_npf_and_exception_info),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
