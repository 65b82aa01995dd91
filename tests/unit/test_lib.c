/* Unit tests: formatter, number parsing, option parser, page allocator. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "lib/format.h"
#include "lib/options.h"
#include "lib/palloc.h"
#include "lib/string.h"
#include "log_capture.h"

struct fmt_case {
    const char *fmt;
    long long a;
    const char *want;
};

static void test_format_table(void **state)
{
    (void)state;
    static const struct fmt_case cases[] = {
        { "%d", -42, "-42" },          { "%u", 42, "42" },           { "%x", 0xbeef, "beef" },
        { "%X", 0xbeef, "BEEF" },      { "%08x", 0x1f, "0000001f" }, { "%5d", 7, "    7" },
        { "%-5d|", 7, "7    |" },      { "%lx", -1, "ffffffffffffffff" }, { "%ld", -9000000000ll, "-9000000000" },
        { "%05d", -42, "-0042" },      { "%c", 'k', "k" },           { "%%", 0, "%" },
        { "%zu", 17, "17" },           { "%q", 0, "%q" },
    };
    char buf[64];
    size_t i;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (strchr(cases[i].fmt, 'l') || strchr(cases[i].fmt, 'z'))
            ksnprintf(buf, sizeof(buf), cases[i].fmt, (long)cases[i].a);
        else
            ksnprintf(buf, sizeof(buf), cases[i].fmt, (int)cases[i].a);
        assert_string_equal(buf, cases[i].want);
    }
    ksnprintf(buf, sizeof(buf), "%s|%-6s|%6s", "ab", "cd", "ef");
    assert_string_equal(buf, "ab|cd    |    ef");
    {
        const char *volatile nullstr = NULL;   /* volatile: keep gcc from proving it NULL */
        ksnprintf(buf, sizeof(buf), "%s", nullstr);
        assert_string_equal(buf, "(null)");
    }
    ksnprintf(buf, sizeof(buf), "%p", (void *)0x1000);
    assert_string_equal(buf, "0x1000");
}

static void test_format_truncation(void **state)
{
    (void)state;
    char buf[8];
    int n = ksnprintf(buf, sizeof(buf), "%s", "0123456789");
    assert_int_equal(n, 10);
    assert_string_equal(buf, "0123456");
    n = ksnprintf(buf, 0, "%d", 5);
    assert_int_equal(n, 1);
    {
        const char *volatile trailing = "abc%";   /* a lone '%' at the end */
        n = ksnprintf(buf, sizeof(buf), trailing);
    }
    assert_string_equal(buf, "abc");
}

static void test_parse_u64(void **state)
{
    (void)state;
    uint64_t v;
    assert_true(parse_u64("0", 1, &v) && v == 0);
    assert_true(parse_u64("115200", 6, &v) && v == 115200);
    assert_true(parse_u64("0x3F8", 5, &v) && v == 0x3f8);
    assert_true(parse_u64("18446744073709551615", 20, &v) && v == UINT64_MAX);
    assert_false(parse_u64("18446744073709551616", 20, &v));
    assert_false(parse_u64("99999999999999999999", 20, &v));
    assert_true(parse_u64("0xffffffffffffffff", 18, &v) && v == UINT64_MAX);
    assert_false(parse_u64("0x10000000000000000", 19, &v));
    assert_false(parse_u64("0x", 2, &v));
    assert_false(parse_u64("", 0, &v));
    assert_false(parse_u64("12a", 3, &v));
    assert_false(parse_u64("0xfg", 4, &v));
    assert_false(parse_u64("-1", 2, &v));
}

static const struct opt_desc table[] = {
    { "console", OPT_STRING, "com1", 0, 0, 0, "console" },
    { "baud", OPT_U64, "115200", 0, 50, 115200, "speed" },
    { "debugcon", OPT_FLAG, 0, 0, 0, 0, "flag" },
    { "mode", OPT_CHOICE, "gp", "gp|ignore|log", 0, 0, "choice" },
};

static void test_options_good(void **state)
{
    (void)state;
    struct opt_values ov;
    capture_start();
    opt_parse(&ov, table, 4, "/boot/keel.elf console=com2 baud=9600  debugcon mode=log");
    assert_int_equal(ov.warnings, 0);
    assert_string_equal(opt_str(&ov, "console"), "com2");
    assert_int_equal(opt_u64(&ov, "baud"), 9600);
    assert_true(opt_flag(&ov, "debugcon"));
    assert_string_equal(opt_str(&ov, "mode"), "log");
    assert_true(opt_given(&ov, "baud"));
    opt_parse(&ov, table, 4, "");
    assert_string_equal(opt_str(&ov, "console"), "com1");
    assert_int_equal(opt_u64(&ov, "baud"), 115200);
    assert_false(opt_flag(&ov, "debugcon"));
    assert_false(opt_given(&ov, "baud"));
    assert_string_equal(opt_str(&ov, "nosuch"), "");
    opt_parse(&ov, table, 4, "debugcon=off");
    assert_false(opt_flag(&ov, "debugcon"));
    opt_parse(&ov, table, 4, NULL);
    assert_int_equal(ov.warnings, 0);
}

struct hostile {
    const char *cmdline;
    const char *warning;
};

static void test_options_hostile(void **state)
{
    (void)state;
    static const struct hostile cases[] = {
        { "bogus=1", "unknown option 'bogus'" },
        { "baud=fast", "option 'baud': bad number" },
        { "baud=10", "option 'baud': bad number" },
        { "baud=99999999999999999999999", "option 'baud': bad number" },
        { "mode=loud", "option 'mode': bad value; valid: gp|ignore|log" },
        { "console", "option 'console' needs a value" },
        { "console=", "option 'console' needs a value" },
        { "debugcon=maybe", "option 'debugcon' takes no value" },
        { "=5", "unknown option ''" },
        { "consolexxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=1", "unknown option 'consolexxx" },
    };
    struct opt_values ov;
    size_t i;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        capture_start();
        opt_parse(&ov, table, 4, cases[i].cmdline);
        assert_int_equal(ov.warnings, 1);
        if (!log_has(cases[i].warning))
            fail_msg("'%s': expected warning '%s', got '%s'", cases[i].cmdline, cases[i].warning, logbuf);
        /* Defaults survive a bad value. */
        assert_string_equal(opt_str(&ov, "console"), "com1");
        assert_int_equal(opt_u64(&ov, "baud"), 115200);
    }
    /* A value longer than the storage is refused, not truncated. */
    {
        char big[600];
        memset(big, 'a', sizeof(big));
        memcpy(big, "console=", 8);
        big[sizeof(big) - 1] = 0;
        capture_start();
        opt_parse(&ov, table, 4, big);
        assert_true(log_has("too long"));
        assert_string_equal(opt_str(&ov, "console"), "com1");
    }
}

static void test_options_help(void **state)
{
    (void)state;
    struct opt_values ov;
    capture_start();
    opt_parse(&ov, table, 4, "");
    opt_print_help(&ov);
    assert_true(log_has("keel: options"));
    assert_true(log_has("gp|ignore|log"));
    assert_true(log_has("default 115200"));
}

static void test_palloc(void **state)
{
    (void)state;
    uint8_t *mem = aligned_alloc(4096, 64 * 4096);
    uint64_t base = 0x10000000, a, b, c;
    palloc_set_view(mem);
    palloc_init(base, 64 * 4096, 3 * 4096 + 1);      /* 4 pages used by the "image" */
    assert_int_equal(palloc_total_bytes(), 64 * 4096);
    assert_int_equal(palloc_free_bytes(), 60 * 4096);
    a = palloc_page();
    assert_int_equal(a, base + 4 * 4096);
    memset(palloc_ptr(a), 0xab, 4096);
    b = palloc_pages(2, 2 * 4096);
    assert_int_equal(b % (2 * 4096), 0);
    assert_true(b > a);
    palloc_free(a, 1);
    c = palloc_page();
    assert_int_equal(c, a);
    assert_int_equal(((uint8_t *)palloc_ptr(c))[100], 0);   /* zeroed */
    assert_int_equal(palloc_pages(100, 4096), 0);             /* too big */
    assert_int_equal(palloc_pages(0, 4096), 0);
    while (palloc_page())
        ;
    assert_int_equal(palloc_free_bytes(), 0);
    palloc_set_view(NULL);
    free(mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_table),   cmocka_unit_test(test_format_truncation),
        cmocka_unit_test(test_parse_u64),      cmocka_unit_test(test_options_good),
        cmocka_unit_test(test_options_hostile), cmocka_unit_test(test_options_help),
        cmocka_unit_test(test_palloc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
