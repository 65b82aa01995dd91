/* libFuzzer target for the MSR engine: random guest caps, vendor, filter
 * (built directly or parsed from text), unknown policy, then a sequence of
 * RDMSR/WRMSR/policy-change/watch/entry/exit operations. Asserts:
 *  - no crash (ASan/UBSan);
 *  - a faulting read leaves the destination untouched;
 *  - a rejected write changes nothing (virtual values, vendor-held state,
 *    host MSRs);
 *  - an accepted write reads back as written, or as its documented mask
 *    (docs/msr.md "Read-back exceptions");
 *  - the generated intercept bitmap agrees with the table (and a live
 *    watch, which intercepts its range both ways) for every index
 *    of the three bitmap ranges. */
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>

#include "fake_arch.h"
#include "vmm/msr_impl.h"

struct in {
    const uint8_t *p;
    size_t n;
};

static uint8_t g8(struct in *in)
{
    uint8_t b;
    if (!in->n)
        return 0;
    b = *in->p++;
    in->n--;
    return b;
}

static uint32_t g32(struct in *in)
{
    uint32_t v = 0;
    int k;
    for (k = 0; k < 4; k++)
        v |= (uint32_t)g8(in) << (8 * k);
    return v;
}

static uint64_t g64(struct in *in)
{
    return g32(in) | (uint64_t)g32(in) << 32;
}

#define CHECK(c)                                                                                      \
    do {                                                                                              \
        if (!(c)) {                                                                                   \
            fprintf(stderr, "msr_fuzz: check failed at line %d: %s\n", __LINE__, #c);                  \
            abort();                                                                                  \
        }                                                                                             \
    } while (0)

static struct fake_vcpu fv;
static struct msr_vcpu_state st;
static struct cpu_policy pol;
static struct msr_config cfg;
static struct msr_cpu_cache cache;

static const uint32_t interesting[] = {
    0x0,        0x10,       0x1b,       0x3a,       0x48,       0x1fff,     0x2000,     0x480,
    0x491,      0x492,      0x6a1,      0x6a3,      0x6a9,      0xda0,      0x40000000, 0x400000ff,
    0x40000100, 0x4b564d00, 0x50000000, 0x50000002, 0x50000003, 0xc0000000, 0xc0000080, 0xc0000103,
    0xc0001fff, 0xc0002000, 0xc0010000, 0xc0010015, 0xc0010114, 0xc0011fff, 0xc0012000, 0xffffffff,
};

/* MSRs a handler may touch on the host. */
static const uint32_t host_msrs[] = { MSR_APIC_BASE, MSR_SPEC_CTRL, MSR_PRED_CMD, MSR_FLUSH_CMD, MSR_XSS,
                                      MSR_U_CET,     0x6a4,         0x6a5,        0x6a6,         0x6a7,
                                      MSR_TSC_AUX };

static uint32_t pick_index(struct in *in)
{
    uint8_t m = g8(in);
    uint32_t x = g32(in);
    switch (m & 3) {
    case 0: {
        const struct msr_desc *d = msr_table_row(x % msr_table_size());
        return msr_desc_first(d) + (x >> 16) % msr_desc_count(d);
    }
    case 1:
        return interesting[x % (sizeof(interesting) / sizeof(interesting[0]))] + ((m >> 2) & 1);
    case 2:
        return msr_range_base[(m >> 2) % MSR_RANGE_COUNT] + (x & 0x1fff);
    default:
        return x;
    }
}

static uint64_t pick_value(struct in *in, uint64_t last)
{
    uint8_t m = g8(in);
    switch (m & 7) {
    case 0:
        return 0;
    case 1:
        return 1ull << (g8(in) & 63);
    case 2:
        return last ^ (1ull << (g8(in) & 63));
    case 3:
        return (uint64_t)((int64_t)(g64(in) << 16) >> 16);    /* canonical */
    case 4:
        return g8(in);
    case 5:
        return last;
    default:
        return g64(in);
    }
}

/* Independent oracle for the bitmaps: absent or unknown -> exit both ways;
 * otherwise the row's class plus whatever the filter denies. */
static unsigned oracle(uint32_t index)
{
    const struct msr_desc *d = msr_lookup(index);
    unsigned acc;
    if (!d || !msr_row_exists(d, &pol, &cfg))
        return MSR_ACC_RW;
    if (st.watch_on && index >= st.watch_first && index <= st.watch_last)
        return MSR_ACC_RW;      /* watched: intercepted both ways (monitor `msr watch`) */
    acc = msr_row_icpt(d, &pol);
    if (!msr_filter_allows(&st.filter, index, MSR_ACC_R))
        acc |= MSR_ACC_R;
    if (!msr_filter_allows(&st.filter, index, MSR_ACC_W))
        acc |= MSR_ACC_W;
    return acc;
}

/* The checks themselves need no coverage feedback (and are the hot loop). */
#define NOCOV __attribute__((no_sanitize("coverage")))

NOCOV static void check_bit(uint32_t r, uint32_t b, unsigned e)
{
    CHECK(((st.intercepts.read[r][b / 8] >> (b % 8)) & 1) == !!(e & MSR_ACC_R));
    CHECK(((st.intercepts.write[r][b / 8] >> (b % 8)) & 1) == !!(e & MSR_ACC_W));
}

/* Bits [a, b) of range r belong to no table row: every one must exit. */
NOCOV static void check_gap(uint32_t r, uint32_t a, uint32_t b)
{
    while (a < b && (a & 7))
        check_bit(r, a++, MSR_ACC_RW);
    for (; a + 8 <= b; a += 8) {
        CHECK(st.intercepts.read[r][a / 8] == 0xff);
        CHECK(st.intercepts.write[r][a / 8] == 0xff);
    }
    while (a < b)
        check_bit(r, a++, MSR_ACC_RW);
}

/* Every index of the three ranges, walking the sorted table. */
NOCOV static void check_bitmaps(void)
{
    uint32_t r;
    size_t i;
    CHECK(memcmp(&fv.last_mi, &st.intercepts, sizeof(st.intercepts)) == 0);
    for (r = 0; r < MSR_RANGE_COUNT; r++) {
        uint64_t lo = msr_range_base[r], hi = lo + MSR_RANGE_SIZE, cur = lo;
        for (i = 0; i < msr_table_size(); i++) {
            const struct msr_desc *d = msr_table_row(i);
            uint64_t f = msr_desc_first(d), l = f + msr_desc_count(d), x;
            if (l <= lo || f >= hi)
                continue;
            CHECK(f >= cur && l <= hi);
            check_gap(r, (uint32_t)(cur - lo), (uint32_t)(f - lo));
            for (x = f; x < l; x++) {
                unsigned e = oracle((uint32_t)x);
                check_bit(r, (uint32_t)(x - lo), e);
                CHECK(msr_expected_intercept(&fv.v, (uint32_t)x) == e);
            }
            cur = l;
        }
        check_gap(r, (uint32_t)(cur - lo), MSR_RANGE_SIZE);
    }
}

/* What a read after an accepted write must return (docs/msr.md). */
static uint64_t readback(uint32_t index, uint64_t val, uint64_t before)
{
    switch (index) {
    case MSR_APIC_BASE:
        return (val & ~APIC_BASE_BSP) | (before & APIC_BASE_BSP);
    case MSR_EFER:
        return (val & ~EFER_LMA) | (before & EFER_LMA);
    case MSR_SYSENTER_CS:
        return (uint32_t)val;
    case MSR_TSC_AUX:
        return pol.vendor == VENDOR_AMD ? (uint32_t)val : val;
    default:
        return val;
    }
}

static uint64_t snap_val[MSR_MAX_SLOTS], snap_forced;
static uint64_t snap_held;
static uint64_t snap_state[VS_COUNT];
static uint64_t snap_host[sizeof(host_msrs) / sizeof(host_msrs[0])];

static void snapshot(void)
{
    unsigned k;
    memcpy(snap_val, st.val, sizeof(snap_val));
    snap_forced = st.spec_ctrl_forced;
    snap_held = st.held_virtual;
    memcpy(snap_state, fv.state, sizeof(snap_state));
    for (k = 0; k < sizeof(host_msrs) / sizeof(host_msrs[0]); k++)
        if (!fake_host_msr_get(host_msrs[k], &snap_host[k]))
            snap_host[k] = 0x1234;
}

static void check_unchanged(void)
{
    unsigned k;
    CHECK(memcmp(snap_val, st.val, sizeof(st.val)) == 0);
    CHECK(snap_forced == st.spec_ctrl_forced);
    CHECK(snap_held == st.held_virtual);
    CHECK(memcmp(snap_state, fv.state, sizeof(snap_state)) == 0);
    for (k = 0; k < sizeof(host_msrs) / sizeof(host_msrs[0]); k++) {
        uint64_t h;
        if (!fake_host_msr_get(host_msrs[k], &h))
            h = 0x1234;
        CHECK(h == snap_host[k]);
    }
}

static void build_filter(struct in *in, struct msr_filter *f)
{
    uint8_t m = g8(in);
    memset(f, 0, sizeof(*f));
    f->default_allow = !(m & 0x80) || (m & 0x40);
    if (m & 0x20) {
        /* Text form: fuzz the parser too. */
        char spec[96];
        size_t k, n = g8(in) % sizeof(spec);
        char err[80];
        for (k = 0; k < n; k++) {
            static const char alpha[] = "allowdeny:rw,-0x123456789abcdefABCDEF:w-r,";
            spec[k] = alpha[g8(in) % (sizeof(alpha) - 1)];
        }
        spec[n] = 0;
        if (!msr_filter_parse(spec, (m & 0x10) ? "deny" : "allow", f, err, sizeof(err))) {
            CHECK(err[0] != 0);
            memset(f, 0, sizeof(*f));
            f->default_allow = true;
        }
        return;
    }
    f->count = m & 7;
    for (uint32_t k = 0; k < f->count; k++) {
        uint32_t first = pick_index(in), len = g8(in);
        f->r[k].first = first;
        f->r[k].last = first + len < first ? 0xffffffffu : first + len;
        f->r[k].access = (uint8_t)(1 + g8(in) % 3);
        f->r[k].allow = g8(in) & 1;
    }
}

static void build_policy(struct in *in)
{
    uint8_t m = g8(in);
    unsigned k;
    memset(&pol, 0, sizeof(pol));
    pol.vendor = (enum cpu_vendor)(m % 3);
    for (k = 0; k < FEAT_WORDS; k++)
        pol.feat[k] = g64(in);
    pol.maxphyaddr = g8(in);
    pol.xss_mask = g64(in);
    pol.arch_capabilities = g64(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct in in = { data, size };
    uint8_t m;
    unsigned k, ops;
    uint64_t last = 0;

    fake_host_reset();
    fake_vcpu_init(&fv);
    memset(&cfg, 0, sizeof(cfg));
    memset(&cache, 0, sizeof(cache));
    build_policy(&in);
    m = g8(&in);
    cfg.unknown = (enum msr_unknown_policy)(m % 3);
    cfg.virt_mitigation = m & 4;
    cfg.host_has_spec_ctrl = m & 8;
    cfg.host_has_tsc_aux = m & 16;
    cfg.host_spec_ctrl_supported = g64(&in) & 0x5ff;
    cfg.host_spec_ctrl = g8(&in) & 1;
    cfg.host_tsc_aux = g8(&in);
    cfg.apic_base = (m & 32) ? 0xfee00900 : 0;
    cfg.cpu = (m & 64) ? &cache : NULL;
    m = g8(&in);
    for (k = 0; k < sizeof(host_msrs) / sizeof(host_msrs[0]); k++)
        if (!(m & 1) || (g8(&in) & 1))
            fake_host_msr_define(host_msrs[k], 0);
    for (k = 0; k < VS_COUNT; k++)
        fv.no_state[k] = (g8(&in) & 0xf) == 0xf;
    build_filter(&in, &cfg.filter);
    fv.v.policy = &pol;
    msr_vcpu_init(&fv.v, &st, &cfg);
    CHECK(fv.mi_calls == 1);
    check_bitmaps();

    ops = 0;
    while (in.n && ops++ < 128) {
        uint8_t op = g8(&in);
        uint32_t index;
        uint64_t val, before = 0, after = 0x5a5a5a5a5a5a5a5aull;
        enum msr_verdict r1, r2;
        switch (op % 16) {
        case 0: /* run-time caps change */
            pol.feat[g8(&in) % FEAT_WORDS] ^= 1ull << (g8(&in) & 63);
            msr_policy_changed(&fv.v);
            check_bitmaps();
            break;
        case 1: { /* run-time filter change */
            struct msr_filter f;
            build_filter(&in, &f);
            msr_set_filter(&fv.v, &f);
            check_bitmaps();
            break;
        }
        case 2:
            msr_set_unknown_policy(&fv.v, (enum msr_unknown_policy)(g8(&in) % 3));
            break;
        case 3:
            msr_before_entry(&fv.v);
            break;
        case 4:
            msr_after_exit(&fv.v);
            break;
        case 5:
            msr_host_restore(&fv.v);
            break;
        case 6:
            fv.state[g8(&in) % VS_COUNT] = pick_value(&in, last);
            break;
        case 10: { /* run-time watch change (monitor `msr watch on|off`) */
            uint32_t a = pick_index(&in), b = pick_index(&in);
            msr_watch(&fv.v, g8(&in) & 1, a < b ? a : b, a < b ? b : a);
            check_bitmaps();
            break;
        }
        case 7:
        case 8:
        case 9: { /* read */
            uint64_t x = 0x5a5a5a5a5a5a5a5aull;
            index = pick_index(&in);
            r1 = msr_read(&fv.v, index, &x);
            if (r1 == MSR_GP)
                CHECK(x == 0x5a5a5a5a5a5a5a5aull);
            else
                last = x;
            break;
        }
        default: { /* write, then read back */
            bool had;
            index = pick_index(&in);
            val = pick_value(&in, last);
            had = msr_read(&fv.v, index, &before) == MSR_OK;
            snapshot();
            r1 = msr_write(&fv.v, index, val);
            if (r1 == MSR_GP) {
                if (getenv("MSR_FUZZ_DEBUG"))
                    fprintf(stderr, "rejected write 0x%x <- 0x%llx\n", index, (unsigned long long)val);
                check_unchanged();
                break;
            }
            /* Only for MSRs the table knows, that exist and can be read. */
            if (!msr_lookup(index) || !msr_exists(&fv.v, index) || !had)
                break;
            /* PMU rows have no write-then-read model: with pmu=off writes
             * are dropped (tests/unit/test_pmu.c checks that), with
             * passthrough the hardware owns the value (counters count, the
             * AMD global status MSR 0xC0000300 is read-only). */
            if (msr_lookup(index)->flags & MSR_F_PMU)
                break;
            r2 = msr_read(&fv.v, index, &after);
            if (r2 != MSR_OK)
                break;      /* write-only, or the filter denies reads */
            CHECK(after == readback(index, val, before));
            break;
        }
        }
    }
    {
        uint64_t r, w;
        msr_get_counts(&fv.v, pick_index(&in), &r, &w);
    }
    return 0;
}
