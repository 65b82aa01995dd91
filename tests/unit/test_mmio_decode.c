/* Unit tests: decoding the guest's MOVs to and from the local APIC page
 * (the forms compilers emit for volatile 32-bit MMIO; SDM Vol 2 MOV, XCHG). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "vmm/mmio_decode.h"

static struct mmio_insn d;

static void test_store_forms(void **state)
{
    (void)state;
    /* mov %ebp, 0xfee00080 (32-bit, disp32) */
    static const uint8_t a[] = { 0x89, 0x2d, 0x80, 0x00, 0xe0, 0xfe };
    /* mov %eax, 0x300(%rdx) (64-bit, disp32) */
    static const uint8_t b[] = { 0x89, 0x82, 0x00, 0x03, 0x00, 0x00 };
    /* mov %r9d, (%rax) with REX.R */
    static const uint8_t c[] = { 0x44, 0x89, 0x08 };
    /* movl $0x4500, 0xfee00300 */
    static const uint8_t e[] = { 0xc7, 0x05, 0x00, 0x03, 0xe0, 0xfe, 0x00, 0x45, 0x00, 0x00 };
    /* mov %eax, -0xa03000(,%riz): SIB, no base, disp32 (64-bit absolute) */
    static const uint8_t f[] = { 0x89, 0x04, 0x25, 0x00, 0xd3, 0x5f, 0xff };
    /* mov %esi, 0x10(%rdi) disp8 */
    static const uint8_t g[] = { 0x89, 0x77, 0x10 };
    /* xchg %eax, (%rdx) */
    static const uint8_t h[] = { 0x87, 0x02 };
    /* mov %eax, moffs32 (A3) in 32-bit code */
    static const uint8_t i[] = { 0xa3, 0x00, 0x03, 0xe0, 0xfe };

    assert_true(mmio_decode(a, sizeof a, false, &d));
    assert_true(d.write && !d.has_imm && d.reg == 5 && d.len == 6);
    assert_true(mmio_decode(b, sizeof b, true, &d));
    assert_true(d.write && d.reg == 0 && d.len == 6);
    assert_true(mmio_decode(c, sizeof c, true, &d));
    assert_true(d.write && d.reg == 9 && d.len == 3);
    assert_true(mmio_decode(e, sizeof e, false, &d));
    assert_true(d.write && d.has_imm && d.imm == 0x4500 && d.len == 10);
    assert_true(mmio_decode(f, sizeof f, true, &d));
    assert_true(d.write && d.reg == 0 && d.len == 7);
    assert_true(mmio_decode(g, sizeof g, true, &d));
    assert_true(d.write && d.reg == 6 && d.len == 3);
    assert_true(mmio_decode(h, sizeof h, true, &d));
    assert_true(d.write && d.xchg && d.reg == 0 && d.len == 2);
    assert_true(mmio_decode(i, sizeof i, false, &d));
    assert_true(d.write && d.reg == 0 && d.len == 5);
}

static void test_load_forms(void **state)
{
    (void)state;
    /* mov 0xfee00020, %eax (A1, 32-bit) */
    static const uint8_t a[] = { 0xa1, 0x20, 0x00, 0xe0, 0xfe };
    /* movabs 0xffffffffff5fd020, %eax (A1, 64-bit: 8-byte offset) */
    static const uint8_t b[] = { 0xa1, 0x20, 0xd0, 0x5f, 0xff, 0xff, 0xff, 0xff, 0xff };
    /* mov 0x20(%rax), %ecx */
    static const uint8_t c[] = { 0x8b, 0x48, 0x20 };
    /* mov (%rax,%rbx,4), %r12d: SIB with base */
    static const uint8_t e[] = { 0x44, 0x8b, 0x24, 0x98 };
    assert_true(mmio_decode(a, sizeof a, false, &d));
    assert_true(!d.write && d.reg == 0 && d.len == 5);
    assert_true(mmio_decode(b, sizeof b, true, &d));
    assert_true(!d.write && d.len == 9);
    assert_true(mmio_decode(c, sizeof c, true, &d));
    assert_true(!d.write && d.reg == 1 && d.len == 3);
    assert_true(mmio_decode(e, sizeof e, true, &d));
    assert_true(!d.write && d.reg == 12 && d.len == 4);
}

static void test_refused(void **state)
{
    (void)state;
    static const uint8_t rexw[] = { 0x48, 0x89, 0x02 };          /* 64-bit store */
    static const uint8_t regop[] = { 0x89, 0xc0 };                /* mov %eax, %eax: no memory */
    static const uint8_t add[] = { 0x01, 0x02 };                  /* add: not a MOV */
    static const uint8_t c7bad[] = { 0xc7, 0x0a, 0, 0, 0, 0 };    /* C7 /1: undefined */
    static const uint8_t shortimm[] = { 0xc7, 0x02, 0x00, 0x45 }; /* truncated immediate */
    static const uint8_t shortmoffs[] = { 0xa1, 0x20, 0x00 };
    static const uint8_t o16[] = { 0x66, 0x89, 0x02 };            /* 16-bit store */
    assert_false(mmio_decode(rexw, sizeof rexw, true, &d));
    assert_false(mmio_decode(regop, sizeof regop, true, &d));
    assert_false(mmio_decode(add, sizeof add, true, &d));
    assert_false(mmio_decode(c7bad, sizeof c7bad, true, &d));
    assert_false(mmio_decode(shortimm, sizeof shortimm, true, &d));
    assert_false(mmio_decode(shortmoffs, sizeof shortmoffs, false, &d));
    assert_false(mmio_decode(o16, sizeof o16, true, &d));
    assert_false(mmio_decode(rexw, 0, true, &d));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_forms),
        cmocka_unit_test(test_load_forms),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
