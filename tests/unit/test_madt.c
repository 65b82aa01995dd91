/* Unit tests: MADT parsing (xAPIC and x2APIC entries, enabled, online-capable
 * and disabled CPUs, the CPU limit, malformed tables) and the rewrite that
 * hides CPUs keel could not start. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "vmm/madt.h"
#include "lib/string.h"

static uint8_t t[4096];
static uint32_t tlen;

static void begin(void)
{
    memset(t, 0, sizeof(t));
    memcpy(t, "APIC", 4);
    t[8] = 4;                                   /* revision */
    t[36] = 0x00; t[37] = 0x00; t[38] = 0xe0; t[39] = 0xfe;   /* 0xfee00000 */
    t[40] = 1;                                  /* PCAT_COMPAT */
    tlen = MADT_HEADER_LEN;
}

static void finish(void)
{
    uint32_t i;
    uint8_t sum = 0;
    memcpy(t + 4, &tlen, 4);
    t[9] = 0;
    for (i = 0; i < tlen; i++)
        sum += t[i];
    t[9] = (uint8_t)-sum;
}

static void lapic(uint8_t uid, uint8_t id, uint32_t flags)
{
    uint8_t *e = t + tlen;
    e[0] = 0; e[1] = 8; e[2] = uid; e[3] = id;
    memcpy(e + 4, &flags, 4);
    tlen += 8;
}

static void x2apic(uint32_t id, uint32_t flags, uint32_t uid)
{
    uint8_t *e = t + tlen;
    e[0] = 9; e[1] = 16;
    memcpy(e + 4, &id, 4);
    memcpy(e + 8, &flags, 4);
    memcpy(e + 12, &uid, 4);
    tlen += 16;
}

static void ioapic(void)
{
    uint8_t *e = t + tlen;
    e[0] = 1; e[1] = 12; e[2] = 0;
    tlen += 12;
}

static uint8_t checksum(void)
{
    uint8_t s = 0;
    uint32_t i;
    for (i = 0; i < tlen; i++)
        s += t[i];
    return s;
}

static struct madt_info mi;

static void test_xapic_and_x2apic(void **state)
{
    (void)state;
    begin();
    lapic(0, 0, MADT_CPU_ENABLED);
    ioapic();
    lapic(1, 1, MADT_CPU_ENABLED);
    lapic(2, 2, 0);                              /* disabled */
    lapic(3, 3, MADT_CPU_ONLINE_CAPABLE);        /* hot-pluggable */
    x2apic(0x100, MADT_CPU_ENABLED, 7);
    finish();
    assert_null(madt_parse(t, tlen, &mi));
    assert_int_equal(mi.lapic_addr, 0xfee00000);
    assert_int_equal(mi.ncpus, 4);
    assert_int_equal(mi.disabled, 1);
    assert_int_equal(mi.cpus[0].apic_id, 0);
    assert_true(mi.cpus[0].enabled);
    assert_int_equal(mi.cpus[1].apic_id, 1);
    assert_int_equal(mi.cpus[2].apic_id, 3);
    assert_false(mi.cpus[2].enabled);
    assert_int_equal(mi.cpus[3].apic_id, 0x100);
    assert_int_equal(mi.cpus[3].uid, 7);
    assert_int_equal(mi.cpus[3].type, MADT_TYPE_X2APIC);
}

static void test_broadcast_ids_are_not_cpus(void **state)
{
    (void)state;
    begin();
    lapic(0, 0, MADT_CPU_ENABLED);
    lapic(1, 0xff, MADT_CPU_ENABLED);
    x2apic(0xffffffffu, MADT_CPU_ENABLED, 2);
    finish();
    assert_null(madt_parse(t, tlen, &mi));
    assert_int_equal(mi.ncpus, 1);
    assert_int_equal(mi.disabled, 2);
}

static void test_limit(void **state)
{
    unsigned i;
    (void)state;
    begin();
    for (i = 0; i < KEEL_MAX_CPUS + 3; i++)
        x2apic(i, MADT_CPU_ENABLED, i);
    finish();
    assert_null(madt_parse(t, tlen, &mi));
    assert_int_equal(mi.ncpus, KEEL_MAX_CPUS);
    assert_int_equal(mi.over_limit, 3);
    assert_int_equal(mi.cpus[KEEL_MAX_CPUS - 1].apic_id, KEEL_MAX_CPUS - 1);
}

static void test_malformed(void **state)
{
    (void)state;
    /* Truncated header. */
    begin();
    finish();
    assert_non_null(madt_parse(t, 40, &mi));
    /* Wrong signature. */
    begin();
    finish();
    memcpy(t, "FACP", 4);
    assert_non_null(madt_parse(t, tlen, &mi));
    /* Header length larger than the buffer. */
    begin();
    lapic(0, 0, 1);
    finish();
    assert_non_null(madt_parse(t, tlen - 1, &mi));
    /* Entry length 0 (would loop forever). */
    begin();
    lapic(0, 0, 1);
    t[tlen] = 0; t[tlen + 1] = 0;
    tlen += 2;
    finish();
    assert_non_null(madt_parse(t, tlen, &mi));
    /* Entry running past the end. */
    begin();
    lapic(0, 0, 1);
    t[tlen] = 1; t[tlen + 1] = 12;
    tlen += 4;
    finish();
    assert_non_null(madt_parse(t, tlen, &mi));
    /* Local APIC entry shorter than 8 bytes. */
    begin();
    t[tlen] = 0; t[tlen + 1] = 6; t[tlen + 3] = 1; t[tlen + 4] = 1;
    tlen += 6;
    finish();
    assert_non_null(madt_parse(t, tlen, &mi));
    /* x2APIC entry shorter than 16 bytes. */
    begin();
    t[tlen] = 9; t[tlen + 1] = 12;
    tlen += 12;
    finish();
    assert_non_null(madt_parse(t, tlen, &mi));
    /* Duplicate APIC ID (xAPIC and x2APIC entries for the same CPU). */
    begin();
    lapic(0, 5, 1);
    x2apic(5, 1, 9);
    finish();
    assert_non_null(madt_parse(t, tlen, &mi));
}

static bool keep_even(uint32_t id, void *ctx)
{
    (void)ctx;
    return (id & 1) == 0;
}

static void test_hide(void **state)
{
    (void)state;
    begin();
    lapic(0, 0, MADT_CPU_ENABLED);
    lapic(1, 1, MADT_CPU_ENABLED);
    ioapic();
    lapic(2, 2, MADT_CPU_ENABLED);
    x2apic(3, MADT_CPU_ONLINE_CAPABLE, 3);
    lapic(4, 5, 0);                              /* already disabled: untouched */
    finish();
    assert_int_equal(madt_hide_cpus(t, tlen, keep_even, NULL), 2);
    assert_int_equal(checksum(), 0);
    assert_null(madt_parse(t, tlen, &mi));
    assert_int_equal(mi.ncpus, 2);
    assert_int_equal(mi.cpus[0].apic_id, 0);
    assert_int_equal(mi.cpus[1].apic_id, 2);
    assert_int_equal(mi.disabled, 3);
    assert_int_equal(t[MADT_HEADER_LEN + 1], 8);                              /* sizes unchanged */
    assert_int_equal(*(uint32_t *)(t + 4), tlen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xapic_and_x2apic),
        cmocka_unit_test(test_broadcast_ids_are_not_cpus),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_hide),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
