/* Command-line options parsed against a table: `key=value` and bare flags.
 * Unknown option -> a warning naming it; bad value -> a warning and the
 * default. Pure logic: unit-tested with hostile strings. */
#ifndef KEEL_LIB_OPTIONS_H
#define KEEL_LIB_OPTIONS_H
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

enum opt_type {
    OPT_FLAG,      /* present or not; "name=0|1|on|off" also accepted */
    OPT_STRING,    /* any non-empty value */
    OPT_U64,       /* decimal or 0x hex, within [min, max] */
    OPT_CHOICE,    /* one of the '|'-separated words in `choices` */
};

struct opt_desc {
    const char *name;
    enum opt_type type;
    const char *def;       /* default value as text (NULL: none/off) */
    const char *choices;   /* OPT_CHOICE: "a|b|c" */
    uint64_t min, max;     /* OPT_U64 */
    const char *help;
};

#define OPT_MAX 48
#define OPT_VALUE_MAX 128   /* longest value + 1: 48 x 128 bytes of keel's image */

struct opt_values {
    const struct opt_desc *table;
    size_t n;
    bool set[OPT_MAX];                   /* given on the command line (and valid) */
    char value[OPT_MAX][OPT_VALUE_MAX];  /* effective value (default if not set) */
    unsigned warnings;
};

/* Parse `cmdline` against `table` (n entries, n <= OPT_MAX). A first word
 * that looks like a file name (contains '/' or ends in ".elf"/".gz") is
 * skipped: QEMU's -kernel passes the image name as argv[0]. */
void opt_parse(struct opt_values *ov, const struct opt_desc *table, size_t n, const char *cmdline);

const char *opt_str(const struct opt_values *ov, const char *name);    /* "" if none */
bool opt_flag(const struct opt_values *ov, const char *name);
uint64_t opt_u64(const struct opt_values *ov, const char *name);
bool opt_given(const struct opt_values *ov, const char *name);
void opt_print_help(const struct opt_values *ov);

#endif
