#include "lib/options.h"
#include "lib/string.h"
#include "lib/log.h"

static int find(const struct opt_values *ov, const char *name, size_t len)
{
    size_t i;
    for (i = 0; i < ov->n; i++)
        if (strlen(ov->table[i].name) == len && !strncmp(ov->table[i].name, name, len))
            return (int)i;
    return -1;
}

static bool choice_ok(const char *choices, const char *v, size_t len)
{
    const char *p = choices;
    while (p && *p) {
        const char *bar = strchr(p, '|');
        size_t wl = bar ? (size_t)(bar - p) : strlen(p);
        if (wl == len && !strncmp(p, v, len))
            return true;
        p = bar ? bar + 1 : 0;
    }
    return false;
}

static bool flag_value(const char *v, size_t len, bool *out)
{
    if ((len == 1 && v[0] == '1') || (len == 2 && !strncmp(v, "on", 2)) ||
        (len == 3 && !strncmp(v, "yes", 3))) {
        *out = true;
        return true;
    }
    if ((len == 1 && v[0] == '0') || (len == 3 && !strncmp(v, "off", 3)) ||
        (len == 2 && !strncmp(v, "no", 2))) {
        *out = false;
        return true;
    }
    return false;
}

static void apply(struct opt_values *ov, const char *tok, size_t len)
{
    const char *eq = 0;
    size_t i, klen, vlen;
    const char *val;
    int idx;
    const struct opt_desc *d;
    char shown[64];

    for (i = 0; i < len; i++)
        if (tok[i] == '=') {
            eq = tok + i;
            break;
        }
    klen = eq ? (size_t)(eq - tok) : len;
    val = eq ? eq + 1 : 0;
    vlen = eq ? len - klen - 1 : 0;
    kstrlcpy(shown, "", sizeof(shown));
    for (i = 0; i < klen && i + 1 < sizeof(shown); i++)
        shown[i] = tok[i];
    shown[i] = 0;

    idx = find(ov, tok, klen);
    if (idx < 0) {
        klog("warning: unknown option '%s' ignored (try 'help')", shown);
        ov->warnings++;
        return;
    }
    d = &ov->table[idx];
    switch (d->type) {
    case OPT_FLAG: {
        bool on = true;
        if (val && !flag_value(val, vlen, &on)) {
            klog("warning: option '%s' takes no value or 0/1/on/off; ignored", shown);
            ov->warnings++;
            return;
        }
        kstrlcpy(ov->value[idx], on ? "1" : "0", OPT_VALUE_MAX);
        ov->set[idx] = true;
        return;
    }
    case OPT_STRING:
    case OPT_CHOICE:
    case OPT_U64:
        if (!val || vlen == 0) {
            klog("warning: option '%s' needs a value; using the default '%s'", shown, d->def ? d->def : "");
            ov->warnings++;
            return;
        }
        if (vlen >= OPT_VALUE_MAX) {
            klog("warning: value of option '%s' is too long (%lu > %d); using the default", shown,
                 (unsigned long)vlen, OPT_VALUE_MAX - 1);
            ov->warnings++;
            return;
        }
        if (d->type == OPT_CHOICE && !choice_ok(d->choices, val, vlen)) {
            klog("warning: option '%s': bad value; valid: %s; using the default '%s'", shown, d->choices,
                 d->def ? d->def : "");
            ov->warnings++;
            return;
        }
        if (d->type == OPT_U64) {
            uint64_t n;
            if (!parse_u64(val, vlen, &n) || n < d->min || n > d->max) {
                klog("warning: option '%s': bad number (valid %lu..%lu); using the default '%s'", shown,
                     (unsigned long)d->min, (unsigned long)d->max, d->def ? d->def : "");
                ov->warnings++;
                return;
            }
        }
        memcpy(ov->value[idx], val, vlen);
        ov->value[idx][vlen] = 0;
        ov->set[idx] = true;
        return;
    }
}

static bool looks_like_file(const char *tok, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++)
        if (tok[i] == '/')
            return true;
    return (len > 4 && !strncmp(tok + len - 4, ".elf", 4)) || (len > 3 && !strncmp(tok + len - 3, ".gz", 3));
}

void opt_parse(struct opt_values *ov, const struct opt_desc *table, size_t n, const char *cmdline)
{
    size_t i;
    bool first = true;
    const char *p = cmdline ? cmdline : "";

    memset(ov, 0, sizeof(*ov));
    ov->table = table;
    ov->n = n > OPT_MAX ? OPT_MAX : n;
    for (i = 0; i < ov->n; i++)
        kstrlcpy(ov->value[i], table[i].type == OPT_FLAG ? (table[i].def ? table[i].def : "0")
                                                         : (table[i].def ? table[i].def : ""),
                 OPT_VALUE_MAX);
    for (;;) {
        const char *start;
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        if (!*p)
            break;
        start = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            p++;
        if (first && looks_like_file(start, (size_t)(p - start))) {
            first = false;
            continue;
        }
        first = false;
        apply(ov, start, (size_t)(p - start));
    }
}

static int lookup(const struct opt_values *ov, const char *name)
{
    return find(ov, name, strlen(name));
}

const char *opt_str(const struct opt_values *ov, const char *name)
{
    int i = lookup(ov, name);
    return i < 0 ? "" : ov->value[i];
}

bool opt_flag(const struct opt_values *ov, const char *name)
{
    int i = lookup(ov, name);
    return i >= 0 && ov->value[i][0] == '1';
}

uint64_t opt_u64(const struct opt_values *ov, const char *name)
{
    int i = lookup(ov, name);
    uint64_t v = 0;
    if (i >= 0)
        parse_u64(ov->value[i], strlen(ov->value[i]), &v);
    return v;
}

bool opt_given(const struct opt_values *ov, const char *name)
{
    int i = lookup(ov, name);
    return i >= 0 && ov->set[i];
}

void opt_print_help(const struct opt_values *ov)
{
    size_t i;
    klog("options (key=value or bare flag, separated by spaces):");
    for (i = 0; i < ov->n; i++) {
        const struct opt_desc *d = &ov->table[i];
        const char *type = d->type == OPT_FLAG ? "flag" : d->type == OPT_U64 ? "number"
                         : d->type == OPT_CHOICE ? d->choices : "text";
        klog("  %-20s %-22s default %-10s %s", d->name, type, d->def && *d->def ? d->def : "-", d->help);
    }
}
