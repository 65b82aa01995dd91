/* msr.filter / msr.filter.default / msr.unknown: parsing and evaluation.
 * Grammar in vmm/msr.h and docs/msr.md. Not on the exit path except
 * msr_filter_allows(), which is bounded by MSR_FILTER_MAX ranges and used
 * only for rows a filter splits and for unknown MSRs. */
#include "vmm/msr.h"
#include "lib/format.h"
#include "lib/string.h"

bool msr_filter_allows(const struct msr_filter *f, uint32_t index, unsigned access)
{
    uint32_t k;
    for (k = 0; k < f->count && k < MSR_FILTER_MAX; k++) {
        const struct msr_filter_range *r = &f->r[k];
        if ((r->access & access) && index >= r->first && index <= r->last)
            return r->allow;
    }
    return f->default_allow;
}

static bool eq(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && strncmp(s, lit, n) == 0;
}

/* Report "<what> '<token>'" where token is [s, s+n). */
static bool fail(char *err, size_t errlen, const char *what, const char *s, size_t n)
{
    if (err && errlen) {
        char tok[64];
        size_t m = n < sizeof(tok) - 1 ? n : sizeof(tok) - 1;
        memcpy(tok, s, m);
        tok[m] = 0;
        ksnprintf(err, errlen, "msr.filter: %s '%s'", what, tok);
    }
    return false;
}

static bool parse_index(const char *s, size_t n, uint32_t *out)
{
    uint64_t x;
    if (!parse_u64(s, n, &x) || x > 0xffffffffull)
        return false;
    *out = (uint32_t)x;
    return true;
}

static bool parse_range(const char *tok, size_t n, struct msr_filter_range *r, char *err, size_t errlen)
{
    const char *c1 = NULL, *c2 = NULL, *dash = NULL, *p, *end = tok + n;
    for (p = tok; p < end; p++) {
        if (*p == ':') {
            if (!c1)
                c1 = p;
            else if (!c2)
                c2 = p;
            else
                return fail(err, errlen, "too many ':' in range", tok, n);
        }
    }
    if (!c2)
        return fail(err, errlen, "expected action:access:index[-index], got", tok, n);
    if (eq(tok, (size_t)(c1 - tok), "allow"))
        r->allow = true;
    else if (eq(tok, (size_t)(c1 - tok), "deny"))
        r->allow = false;
    else
        return fail(err, errlen, "bad action (allow|deny)", tok, (size_t)(c1 - tok));
    p = c1 + 1;
    if (eq(p, (size_t)(c2 - p), "r"))
        r->access = MSR_ACC_R;
    else if (eq(p, (size_t)(c2 - p), "w"))
        r->access = MSR_ACC_W;
    else if (eq(p, (size_t)(c2 - p), "rw") || eq(p, (size_t)(c2 - p), "wr"))
        r->access = MSR_ACC_RW;
    else
        return fail(err, errlen, "bad access (r|w|rw)", p, (size_t)(c2 - p));
    p = c2 + 1;
    for (dash = p; dash < end && *dash != '-'; dash++)
        ;
    if (!parse_index(p, (size_t)(dash - p), &r->first))
        return fail(err, errlen, "bad MSR index", p, (size_t)(dash - p));
    if (dash == end) {
        r->last = r->first;
    } else if (!parse_index(dash + 1, (size_t)(end - dash - 1), &r->last)) {
        return fail(err, errlen, "bad MSR index", dash + 1, (size_t)(end - dash - 1));
    }
    if (r->last < r->first)
        return fail(err, errlen, "range ends before it starts", p, (size_t)(end - p));
    return true;
}

bool msr_filter_parse(const char *spec, const char *default_action, struct msr_filter *out, char *err,
                      size_t errlen)
{
    const char *p = spec;
    memset(out, 0, sizeof(*out));
    out->default_allow = true;
    if (default_action && *default_action) {
        if (strcmp(default_action, "deny") == 0) {
            out->default_allow = false;
        } else if (strcmp(default_action, "allow") != 0) {
            if (err && errlen)
                ksnprintf(err, errlen, "msr.filter.default: bad value '%s' (allow|deny)", default_action);
            return false;
        }
    }
    if (!p || !*p)
        return true;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 0)
            return fail(err, errlen, "empty range at", p, e ? strlen(p) : 0);
        if (out->count == MSR_FILTER_MAX)
            return fail(err, errlen, "too many ranges (max 16) at", p, n);
        if (!parse_range(p, n, &out->r[out->count], err, errlen))
            return false;
        out->count++;
        if (!e)
            return true;
        p = e + 1;
    }
}

bool msr_unknown_parse(const char *s, enum msr_unknown_policy *out)
{
    if (!s)
        return false;
    if (strcmp(s, "gp") == 0)
        *out = MSR_UNKNOWN_GP;
    else if (strcmp(s, "ignore") == 0)
        *out = MSR_UNKNOWN_IGNORE;
    else if (strcmp(s, "log") == 0)
        *out = MSR_UNKNOWN_LOG;
    else
        return false;
    return true;
}
