/* MSR engine core: exit-path dispatch over THE table (msr_table.c), per-vCPU
 * policy, intercept-bitmap generation, lazy host-state restore (as KVM's user-return MSRs),
 * msr.dump and statistics. The exit path (msr_read/msr_write) is a binary
 * search, a flags test, a counter increment and the handler: no logging, no
 * loops over the table; logging happens only on the deny/unknown paths. */
#include "vmm/msr_impl.h"
#include "vmm/arch_hooks.h"
#include "vmm/exit_handlers.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/format.h"

/* Direct index for the start of the three bitmap ranges: row id + 1 (0 =
 * not in the table). Derived from the const table only (never from
 * policy), built by the first msr_vcpu_init(); identical for every vCPU.
 * Each window covers the part of its range where the table has rows
 * (highest today: IA32_XSS 0xda0, SFMASK..TSC_AUX 0xc0000103, VM_HSAVE_PA
 * 0xc0010117), 4.5 KiB instead of 24 KiB of keel's image; a row beyond a
 * window (the x2APIC block, ...) is found by msr_lookup on the slow path. */
#define ROW_WIN0 0x1000u
#define ROW_WIN1 0x200u
#define ROW_WIN2 0x200u
static const uint32_t row_win[MSR_RANGE_COUNT] = { ROW_WIN0, ROW_WIN1, ROW_WIN2 };
static uint8_t row_of0[ROW_WIN0], row_of1[ROW_WIN1], row_of2[ROW_WIN2];
static uint8_t *const row_of[MSR_RANGE_COUNT] = { row_of0, row_of1, row_of2 };
static bool row_of_built;
_Static_assert(MSR_MAX_ROWS < 255, "row_of holds row id + 1 in a byte");

static void build_row_of(void)
{
    size_t i;
    uint32_t r, k;
    for (i = 0; i < msr_table_rows; i++)
        for (r = 0; r < MSR_RANGE_COUNT; r++)
            for (k = 0; k < msr_table[i].count; k++) {
                uint32_t off = msr_table[i].first + k - msr_range_base[r];
                if (off < row_win[r])
                    row_of[r][off] = (uint8_t)(i + 1);
            }
    row_of_built = true;
}

/* Row id + 1 of index, 0 if it is not in the table. */
static inline size_t row_id1(uint32_t index)
{
    const struct msr_desc *d;
    if (index < ROW_WIN0)
        return row_of0[index];
    if (index - 0xc0000000u < ROW_WIN1)
        return row_of1[index - 0xc0000000u];
    if (index - 0xc0010000u < ROW_WIN2)
        return row_of2[index - 0xc0010000u];
    d = msr_lookup(index);
    return d ? (size_t)(d - msr_table) + 1 : 0;
}

/* ---- lookup -------------------------------------------------------------- */

size_t msr_table_size(void) { return msr_table_rows; }
const struct msr_desc *msr_table_row(size_t i) { return i < msr_table_rows ? &msr_table[i] : NULL; }
size_t msr_row_id(const struct msr_desc *d) { return (size_t)(d - msr_table); }
uint32_t msr_desc_first(const struct msr_desc *d) { return d->first; }
uint32_t msr_desc_count(const struct msr_desc *d) { return d->count; }
const char *msr_desc_name(const struct msr_desc *d) { return d->name; }
unsigned msr_desc_icpt(const struct msr_desc *d) { return d->icpt; }
char msr_desc_host_class(const struct msr_desc *d) { return d->host; }

/* Branch-free binary search over THE table (the comparison becomes a
 * conditional move): 6 halvings of ~10 instructions for ~45 rows. The exit
 * path uses the direct index in msr.c for the three bitmap ranges and
 * only falls back to this for the rest (0x40000000.., 0x50000000..). */
const struct msr_desc *msr_lookup(uint32_t index)
{
    const struct msr_desc *base = msr_table;
    size_t n = msr_table_rows;
    while (n > 1) {
        size_t half = n / 2;
        base = base[half].first <= index ? base + half : base;
        n -= half;
    }
    return index - base->first < base->count ? base : NULL;
}

unsigned msr_row_icpt(const struct msr_desc *d, const struct cpu_policy *p)
{
    if ((d->flags & MSR_F_PMU) && p->pmu != PMU_PASSTHROUGH)
        return MSR_ICPT_RW;
    return d->icpt;
}

bool msr_row_exists(const struct msr_desc *d, const struct cpu_policy *p, const struct msr_config *cfg)
{
    unsigned k;
    bool any = false, need = false;
    if (d->extra & MSR_X_NEVER)
        return false;
    if ((d->extra & MSR_X_VIRT_MITIG) && !cfg->virt_mitigation)
        return false;
    if (d->vendor == MSR_V_INTEL && p->vendor != VENDOR_INTEL)
        return false;
    if (d->vendor == MSR_V_AMD && p->vendor != VENDOR_AMD)
        return false;
    for (k = 0; k < 3; k++) {
        if (d->feat[k] == FEAT_NONE)
            continue;
        need = true;
        any = any || policy_has(p, (enum cpu_feature)d->feat[k]);
    }
    if (need && !any)
        return false;
    return !d->exists_fn || d->exists_fn(p);
}

/* ---- reset ------------------------------------------------------------------ */

/* Architectural reset values (SDM Vol. 3A Table 10-1 "IA-32 and Intel 64
 * Processor States Following Power-up, Reset, or INIT"), except that the
 * MTRRs start enabled with WB as default type: keel's guests boot without
 * firmware, so keel plays the BIOS (SDM 12.11.2.1). */
static void msr_table_reset(struct vcpu *v)
{
    struct msr_vcpu_state *s = v->msr;
    const struct msr_config *c = s->cfg;
    unsigned k;
    for (k = 0; k < MSR_MAX_SLOTS; k++)
        s->val[k] = 0;
    s->val[MSLOT_APIC_BASE] = c->apic_base ? c->apic_base : 0xfee00000ull | APIC_BASE_EN | APIC_BASE_BSP;
    s->val[MSLOT_MISC_ENABLE] = MISC_ENABLE_FAST_STRING | MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL;
    s->val[MSLOT_MTRR_DEF_TYPE] = MTRR_DEF_TYPE_E | 6;
    s->val[MSLOT_HWCR] = HWCR_TSCFREQSEL;
    s->spec_ctrl_forced = 0;
    s->held_virtual = 0;
}

/* ---- slow paths: filter denial, unknown MSRs ----------------------------- */

static bool watched(const struct msr_vcpu_state *s, uint32_t index)
{
    return s->watch_on && index >= s->watch_first && index <= s->watch_last;
}

/* One watch line; the first 32 of a watch, then every power of two, each
 * saying how many were not shown since the previous line. */
__attribute__((noinline, cold)) static void watch_log(struct vcpu *v, uint32_t index, bool write, const char *name,
                                                      uint64_t value, bool value_valid, const char *outcome)
{
    struct msr_vcpu_state *s = v->msr;
    uint64_t n = ++s->watch_seen, skipped = n - s->watch_shown_at - 1;
    char val[24], more[40];
    if (n > 32 && (n & (n - 1)) != 0)
        return;
    s->watch_shown_at = n;
    if (value_valid)
        ksnprintf(val, sizeof(val), "0x%lx", value);
    else
        kstrlcpy(val, "-", sizeof(val));
    more[0] = 0;
    if (skipped)
        ksnprintf(more, sizeof(more), " (%lu not shown)", skipped);
    klog("msr watch: vcpu %u %s 0x%08x %s %s %s %s%s", v->id, write ? "wrmsr" : "rdmsr", index, name,
         write ? "<-" : "=", val, outcome, more);
}

__attribute__((noinline, cold)) static enum msr_verdict deny(struct vcpu *v, uint32_t index, bool write)
{
    uint64_t n = ++v->msr->filter_denials;
    /* Rate limit: the first 8, then every power of two. */
    if (n <= 8 || (n & (n - 1)) == 0)
        klog("msr: filter denied %s of 0x%x (vcpu %u, denial #%llu)", write ? "write" : "read", index,
             v->index, (unsigned long long)n);
    return MSR_GP;
}

__attribute__((noinline, cold)) static enum msr_verdict unknown(struct vcpu *v, uint32_t index, bool write,
                                                                uint64_t *value)
{
    struct msr_vcpu_state *s = v->msr;
    uint32_t k;
    if (write)
        s->unknown_writes++;
    else
        s->unknown_reads++;
    if (!msr_filter_allows(&s->filter, index, write ? MSR_ACC_W : MSR_ACC_R)) {
        if (watched(s, index))
            watch_log(v, index, write, "(unknown)", write ? ((v->regs.rdx << 32) | (uint32_t)v->regs.rax) : 0,
                      write, "filtered");
        return deny(v, index, write);
    }
    if (watched(s, index))
        watch_log(v, index, write, "(unknown)", write ? ((v->regs.rdx << 32) | (uint32_t)v->regs.rax) : 0,
                  write || s->unknown != MSR_UNKNOWN_GP, s->unknown == MSR_UNKNOWN_GP ? "#GP" : "ignored");
    if (s->unknown == MSR_UNKNOWN_GP)
        return MSR_GP;
    if (s->unknown == MSR_UNKNOWN_LOG) {
        uint32_t n = s->unknown_logged_count < MSR_UNKNOWN_LOG_MAX ? s->unknown_logged_count
                                                                   : MSR_UNKNOWN_LOG_MAX;
        for (k = 0; k < n && s->unknown_logged[k] != index; k++)
            ;
        if (k == n && s->unknown_logged_count < MSR_UNKNOWN_LOG_MAX) {
            s->unknown_logged[s->unknown_logged_count++] = index;
            klog("msr: unknown MSR 0x%x %s (ignored)", index, write ? "written" : "read");
        } else if (k == n && s->unknown_logged_count == MSR_UNKNOWN_LOG_MAX) {
            s->unknown_logged_count++;
            klog("msr: more than %u unknown MSRs; no longer logging them", MSR_UNKNOWN_LOG_MAX);
        }
    }
    /* Never passed to hardware: reads 0, writes dropped. */
    if (!write)
        *value = 0;
    return MSR_OK;
}

static inline bool filter_denies(const struct msr_vcpu_state *s, uint8_t f, uint32_t index, unsigned acc,
                                 uint8_t deny_bit)
{
    if (__builtin_expect(f & MSR_RF_MIXED, 0))
        return !msr_filter_allows(&s->filter, index, acc);
    return f & deny_bit;
}

/* ---- exit path ------------------------------------------------------------ */

/* Rows with a filter verdict or a watch: off the common path. */
__attribute__((noinline)) static enum msr_verdict slow_access(struct vcpu *v, const struct msr_desc *d, size_t id,
                                                              uint32_t index, bool write, uint64_t *value)
{
    struct msr_vcpu_state *s = v->msr;
    uint8_t f = s->row_flags[id];
    unsigned acc = write ? MSR_ACC_W : MSR_ACC_R;
    bool w = (f & MSR_RF_WATCH) && watched(s, index);
    uint64_t val = write ? *value : 0;
    enum msr_verdict r;
    if (filter_denies(s, f, index, acc, write ? MSR_RF_DENY_W : MSR_RF_DENY_R)) {
        if (w)
            watch_log(v, index, write, d->name, val, write, "filtered");
        return deny(v, index, write);
    }
    if (!(f & MSR_RF_EXISTS))
        r = MSR_GP;
    else
        r = write ? d->write(v, d, index, val) : d->read(v, d, index, &val);
    if (w)
        watch_log(v, index, write, d->name, val, r == MSR_OK || write, r != MSR_OK ? "#GP"
                  : ((f & MSR_RF_ICPT_RW) ? MSR_ICPT_RW : d->icpt) & acc ? "handled" : "passed");
    if (r == MSR_OK && !write)
        *value = val;
    return r;
}

/* The exit path's slow half, for reads and writes alike: indexes outside
 * the three direct ranges, unknown MSRs, rows the filter touches or
 * watched, or the guest lacks. A write passes its value through *value.
 * Inlined into read_slow / write_slow so the fast paths call it with the
 * value in a register (a pointer to it from write_fast would cost the
 * WRMSR fast path a stack spill). */
static inline __attribute__((always_inline)) enum msr_verdict access_slow(struct vcpu *v, uint32_t index,
                                                                          bool write, uint64_t *value)
{
    struct msr_vcpu_state *s = v->msr;
    size_t id = row_id1(index);
    const struct msr_desc *d;
    uint8_t f;
    if (__builtin_expect(!id, 0))
        return unknown(v, index, write, value);
    d = &msr_table[--id];
    f = s->row_flags[id];
    (write ? s->writes : s->reads)[id]++;
    if (__builtin_expect(f & ((write ? MSR_RF_DENY_W : MSR_RF_DENY_R) | MSR_RF_MIXED | MSR_RF_WATCH), 0))
        return slow_access(v, d, id, index, write, value);
    if (!(f & MSR_RF_EXISTS))
        return MSR_GP;
    return write ? d->write(v, d, index, *value) : d->read(v, d, index, value);
}

static __attribute__((noinline)) enum msr_verdict read_slow(struct vcpu *v, uint32_t index, uint64_t *value)
{
    return access_slow(v, index, false, value);
}

static __attribute__((noinline)) enum msr_verdict write_slow(struct vcpu *v, uint32_t index, uint64_t value)
{
    return access_slow(v, index, true, &value);
}

/* Row id + 1 for the three direct ranges, else 0 (the slow path searches). */
static inline size_t row_id1_direct(uint32_t index)
{
    if (__builtin_expect(index < ROW_WIN0, 1))     /* the architectural MSRs: laid out first */
        return row_of0[index];
    if (index - 0xc0000000u < ROW_WIN1)
        return row_of1[index - 0xc0000000u];
    if (index - 0xc0010000u < ROW_WIN2)
        return row_of2[index - 0xc0010000u];
    return 0;
}

/* The row for id1 = row id + 1 (only dereferenced when id1 != 0): the
 * "- 1" folded into the table address. */
static inline const struct msr_desc *row_desc1(size_t id1)
{
    return (const struct msr_desc *)((uintptr_t)msr_table - sizeof(struct msr_desc)) + id1;
}

/* Hot path: a direct-range row that exists and that no filter range
 * touches is a byte load, a flags test, a count and the row's handler;
 * everything else goes to the slow half, which counts. */
static inline enum msr_verdict read_fast(struct vcpu *v, uint32_t index, uint64_t *value)
{
    struct msr_vcpu_state *s = v->msr;
    size_t id = row_id1_direct(index);
    const struct msr_desc *d;
    if (__builtin_expect(!(s->row_fast[id] & MSR_RF_FAST_R), 0))
        return read_slow(v, index, value);
    d = &msr_table[--id];
    s->reads[id]++;
    /* The commonest read handler (a virtual value in a slot), without the
     * indirect call. */
    if (d->read == msr_rd_slot) {
        *value = s->val[d->slot + (index - d->first)];
        return MSR_OK;
    }
    return d->read(v, d, index, value);
}

static inline enum msr_verdict write_fast(struct vcpu *v, uint32_t index, uint64_t value)
{
    struct msr_vcpu_state *s = v->msr;
    size_t id1 = row_id1_direct(index);     /* row + 1 */
    const struct msr_desc *d = row_desc1(id1);
    if (__builtin_expect(!(s->row_fast[id1] & MSR_RF_FAST_W), 0))
        return write_slow(v, index, value);
    s->writes[id1 - 1]++;
    return d->write(v, d, index, value);
}

enum msr_verdict msr_read(struct vcpu *v, uint32_t index, uint64_t *value)
{
    return read_fast(v, index, value);
}

enum msr_verdict msr_write(struct vcpu *v, uint32_t index, uint64_t value)
{
    return write_fast(v, index, value);
}

/* The RDMSR/WRMSR exits (vmm/exit_handlers.h), here so the lookup is
 * inlined into them. A read that faults leaves RAX/RDX untouched (SDM
 * RDMSR "Operation"); RDMSR/WRMSR use EDX:EAX, the upper halves of RAX and
 * RDX are written 0 / ignored. */
static void rdmsr_complete(struct vcpu *v, uint64_t val)
{
    v->regs.rax = (uint32_t)val;
    v->regs.rdx = val >> 32;
    vcpu_complete_insn(v);
}

/* Every RDMSR but a slot row's: out of line, so handle_rdmsr's hot path
 * needs no stack frame. d = NULL: not a plain direct-range row. */
static __attribute__((noinline)) void rdmsr_other(struct vcpu *v, const struct msr_desc *d, uint32_t index)
{
    uint64_t val;
    if ((d ? d->read(v, d, index, &val) : read_slow(v, index, &val)) != MSR_OK) {
        vcpu_inject_gp(v);
        return;
    }
    rdmsr_complete(v, val);
}

/* A row that is not a slot row, or no fast row at all. */
static __attribute__((noinline)) void rdmsr_not_slot(struct vcpu *v, uint32_t index, size_t id1)
{
    struct msr_vcpu_state *s = v->msr;
    if (!(s->row_fast[id1] & MSR_RF_FAST_R)) {
        rdmsr_other(v, NULL, index);
        return;
    }
    s->reads[id1 - 1]++;
    rdmsr_other(v, row_desc1(id1), index);
}

void handle_rdmsr(struct vcpu *v)
{
    struct msr_vcpu_state *s = v->msr;
    uint32_t index = gpr_low32(&v->regs.rcx);      /* RDMSR: ECX (SDM Vol. 2) */
    size_t id1 = row_id1_direct(index);
    /* The commonest case, a slot row: its value without the row. */
    if (__builtin_expect(!(s->row_fast[id1] & MSR_RFAST_SLOT_R), 0)) {
        rdmsr_not_slot(v, index, id1);
        return;
    }
    s->reads[id1 - 1]++;
    rdmsr_complete(v, s->val[s->hot.slot_base[id1] + index]);
}

/* Every WRMSR but a slot row's: out of line, so handle_wrmsr's hot path
 * needs no stack frame. */
static __attribute__((noinline)) void wrmsr_other(struct vcpu *v, uint32_t index, uint64_t val)
{
    if (write_fast(v, index, val) != MSR_OK) {
        vcpu_inject_gp(v);
        return;
    }
    vcpu_complete_insn(v);
}

/* The commonest case inline: a slot row whose checks are row data
 * (msr_wr_slot), the checks and the store without the row. */
void handle_wrmsr(struct vcpu *v)
{
    struct msr_vcpu_state *s = v->msr;
    uint32_t index = gpr_low32(&v->regs.rcx);
    uint64_t val = ((uint64_t)gpr_low32(&v->regs.rdx) << 32) | gpr_low32(&v->regs.rax);
    size_t id1 = row_id1_direct(index);
    if (__builtin_expect(s->row_fast[id1] & MSR_RFAST_SLOT_W, 1)) {
        size_t slot = (size_t)(s->hot.slot_base[id1] + index);
        s->writes[id1 - 1]++;
        /* msr_slot_write_ok as two tests of row data (struct msr_hot_rows):
         * the fixed bits unchanged, as a TEST with memory (GCC otherwise
         * copies the XOR's result to AND it into the copy); the type, where
         * bad_types repeats every 8 bits, so bit (val & 63), which a BT of
         * the whole register tests with no mask, is bit (val & 7). */
        __asm__ goto("testq %0, %1\n\tjnz %l[gp]" : : "r"(val ^ s->val[slot]), "m"(s->hot.fixed[id1]) : "cc" : gp);
        if (__builtin_expect((s->hot.bad_types[id1] >> (val & 63)) & 1, 0))
            goto gp;
        s->val[slot] = val;
        vcpu_complete_insn(v);
        return;
    gp:
        vcpu_inject_gp(v);
        return;
    }
    wrmsr_other(v, index, val);
}

enum msr_verdict msr_peek(struct vcpu *v, uint32_t index, uint64_t *value)
{
    size_t id = row_id1(index);
    if (!id || !(v->msr->row_flags[id - 1] & MSR_RF_EXISTS))
        return MSR_GP;
    return msr_table[id - 1].read(v, &msr_table[id - 1], index, value);
}

/* ---- policy and bitmaps ------------------------------------------------------ */

/* A row is "mixed" when some filter range overlaps it without covering it;
 * otherwise the first-match result is the same for every index of the row
 * and is cached in row_flags. */
static uint8_t row_filter_flags(const struct msr_filter *f, const struct msr_desc *d)
{
    uint32_t last = d->first + d->count - 1, k;
    uint8_t fl = 0;
    for (k = 0; k < f->count && k < MSR_FILTER_MAX; k++) {
        const struct msr_filter_range *r = &f->r[k];
        if (r->last < d->first || r->first > last)
            continue;
        if (r->first > d->first || r->last < last)
            return MSR_RF_MIXED;
    }
    if (!msr_filter_allows(f, d->first, MSR_ACC_R))
        fl |= MSR_RF_DENY_R;
    if (!msr_filter_allows(f, d->first, MSR_ACC_W))
        fl |= MSR_RF_DENY_W;
    return fl;
}

static unsigned row_intercept(const struct msr_vcpu_state *s, const struct msr_desc *d, uint32_t index)
{
    uint8_t f = s->row_flags[d - msr_table];
    unsigned acc = (f & MSR_RF_ICPT_RW) ? MSR_ICPT_RW : d->icpt;
    if (!(f & MSR_RF_EXISTS) || ((f & MSR_RF_WATCH) && watched(s, index)))
        return MSR_ACC_RW;
    if (d->first == MSR_X2APIC_ICR && s->cfg->x2apic_icr_write)
        acc |= MSR_ACC_W;       /* several vCPUs: INIT/STARTUP are keel's to deliver */
    if (filter_denies(s, f, index, MSR_ACC_R, MSR_RF_DENY_R))
        acc |= MSR_ACC_R;
    if (filter_denies(s, f, index, MSR_ACC_W, MSR_RF_DENY_W))
        acc |= MSR_ACC_W;
    return acc;
}

static void generate_bitmaps(struct msr_vcpu_state *s)
{
    struct msr_intercepts *mi = &s->intercepts;
    size_t i;
    uint32_t k, r;
    /* Everything not in the table (and every absent MSR) exits. */
    memset(mi, 0xff, sizeof(*mi));
    for (i = 0; i < msr_table_rows; i++) {
        const struct msr_desc *d = &msr_table[i];
        for (r = 0; r < MSR_RANGE_COUNT; r++) {
            if (d->first < msr_range_base[r] || d->first - msr_range_base[r] >= MSR_RANGE_SIZE)
                continue;
            for (k = 0; k < d->count; k++) {
                uint32_t index = d->first + k, bit = index - msr_range_base[r];
                unsigned acc;
                if (bit >= MSR_RANGE_SIZE)
                    break;
                acc = row_intercept(s, d, index);
                if (!(acc & MSR_ACC_R))
                    mi->read[r][bit / 8] &= (uint8_t)~(1u << (bit % 8));
                if (!(acc & MSR_ACC_W))
                    mi->write[r][bit / 8] &= (uint8_t)~(1u << (bit % 8));
            }
        }
    }
}

void msr_policy_changed(struct vcpu *v)
{
    struct msr_vcpu_state *s = v->msr;
    size_t i;
    msr_fast_set(v, false);
    s->row_fast[0] = 0;
    for (i = 0; i < msr_table_rows; i++) {
        const struct msr_desc *d = &msr_table[i];
        uint8_t f = row_filter_flags(&s->filter, d);
        if (msr_row_exists(d, v->policy, s->cfg))
            f |= MSR_RF_EXISTS;
        if (msr_row_icpt(d, v->policy) == MSR_ICPT_RW && d->icpt != MSR_ICPT_RW)
            f |= MSR_RF_ICPT_RW;
        if (s->watch_on && s->watch_first <= d->first + d->count - 1 && d->first <= s->watch_last)
            f |= MSR_RF_WATCH;
        if ((f & (MSR_RF_EXISTS | MSR_RF_DENY_R | MSR_RF_MIXED | MSR_RF_WATCH)) == MSR_RF_EXISTS)
            f |= MSR_RF_FAST_R;
        if ((f & (MSR_RF_EXISTS | MSR_RF_DENY_W | MSR_RF_MIXED | MSR_RF_WATCH)) == MSR_RF_EXISTS)
            f |= MSR_RF_FAST_W;
        s->row_flags[i] = f;
        s->row_fast[i + 1] = f & (MSR_RF_FAST_R | MSR_RF_FAST_W);
        if ((f & MSR_RF_FAST_R) && d->read == msr_rd_slot)
            s->row_fast[i + 1] |= MSR_RFAST_SLOT_R;
        if ((f & MSR_RF_FAST_W) && d->write == msr_wr_slot)
            s->row_fast[i + 1] |= MSR_RFAST_SLOT_W;
        s->hot.slot_base[i + 1] = (int64_t)d->slot - (int64_t)d->first;
        s->hot.fixed[i + 1] = d->rsvd | d->ro;
        s->hot.bad_types[i + 1] = d->types ? (uint8_t)~d->types * 0x0101010101010101ull : 0;
    }
    generate_bitmaps(s);
    vcpu_msr_intercepts_changed(v, &s->intercepts);
}

void msr_set_filter(struct vcpu *v, const struct msr_filter *f)
{
    struct msr_live_policy p;
    msr_live_policy_get(v, &p);
    p.filter = *f;
    msr_apply_policy(v, &p);
}

void msr_watch(struct vcpu *v, bool on, uint32_t first, uint32_t last)
{
    struct msr_live_policy p;
    msr_live_policy_get(v, &p);
    p.watch_on = on;
    p.watch_first = first;
    p.watch_last = last;
    p.watch_restart = true;
    msr_apply_policy(v, &p);
}

void msr_live_policy_get(const struct vcpu *v, struct msr_live_policy *out)
{
    const struct msr_vcpu_state *s = v->msr;
    out->filter = s->filter;
    out->watch_on = s->watch_on;
    out->watch_first = s->watch_first;
    out->watch_last = s->watch_last;
    out->watch_restart = false;
}

void msr_apply_policy(struct vcpu *v, const struct msr_live_policy *p)
{
    struct msr_vcpu_state *s = v->msr;
    s->filter = p->filter;
    if (s->filter.count > MSR_FILTER_MAX)
        s->filter.count = MSR_FILTER_MAX;
    s->watch_on = p->watch_on;
    s->watch_first = p->watch_on ? p->watch_first : 0;
    s->watch_last = p->watch_on ? p->watch_last : 0;
    if (p->watch_restart)
        s->watch_seen = s->watch_shown_at = 0;
    msr_policy_changed(v);
}

bool msr_post_policy(struct vcpu *v, const struct msr_live_policy *p)
{
    struct msr_vcpu_state *s = v->msr;
    uint32_t n = s->req_posted;
    if (__atomic_load_n(&s->req_taken, __ATOMIC_ACQUIRE) != n)
        return false;
    s->req = *p;
    __atomic_store_n(&s->req_posted, n + 1, __ATOMIC_RELEASE);
    /* After the post (a LOCKed OR orders it): the vCPU that finds the bit
     * finds the request. */
    vcpu_entry_work_set(v, ENTRY_WORK_MSR);
    return true;
}

bool msr_policy_taken(const struct vcpu *v)
{
    return __atomic_load_n(&v->msr->req_taken, __ATOMIC_ACQUIRE) == v->msr->req_posted;
}

/* On v's own CPU, before an entry: take a posted change. */
static void take_posted(struct vcpu *v)
{
    struct msr_vcpu_state *s = v->msr;
    uint32_t n = __atomic_load_n(&s->req_posted, __ATOMIC_ACQUIRE);
    if (n == s->req_taken)
        return;
    msr_apply_policy(v, &s->req);
    __atomic_store_n(&s->req_taken, n, __ATOMIC_RELEASE);
}

void msr_set_unknown_policy(struct vcpu *v, enum msr_unknown_policy p)
{
    v->msr->unknown = p;
}

int msr_vcpu_init(struct vcpu *v, struct msr_vcpu_state *s, const struct msr_config *cfg)
{
    if (!row_of_built)
        build_row_of();
    memset(s, 0, sizeof(*s));
    v->msr = s;
    s->fast_base = msr_fast_passes(v);      /* exits counted before: none of them was fast */
    s->cfg = cfg;
    s->filter = cfg->filter;
    if (s->filter.count > MSR_FILTER_MAX)
        s->filter.count = MSR_FILTER_MAX;
    s->unknown = cfg->unknown;
    s->cpu = cfg->cpu ? cfg->cpu : &s->own_cpu;
    s->keel_row[MSR_KEEL_SPEC_CTRL] = (uint8_t)msr_row_id(msr_lookup(MSR_SPEC_CTRL));
    s->keel_row[MSR_KEEL_TSC_AUX] = (uint8_t)msr_row_id(msr_lookup(MSR_TSC_AUX));
    msr_table_reset(v);
    msr_policy_changed(v);
    /* IA32_XSS is guest-owned and read without an exit: start it at its
     * reset value 0 (SDM Vol. 1 13.3) whatever the host left there. */
    if (msr_exists(v, MSR_XSS))
        (void)wrmsr_safe(MSR_XSS, 0);
    return 0;
}

bool msr_exists(const struct vcpu *v, uint32_t index)
{
    const struct msr_desc *d = msr_lookup(index);
    return d && (v->msr->row_flags[d - msr_table] & MSR_RF_EXISTS);
}

unsigned msr_expected_intercept(const struct vcpu *v, uint32_t index)
{
    const struct msr_desc *d = msr_lookup(index);
    return d ? row_intercept(v->msr, d, index) : MSR_ACC_RW;
}

/* ---- class (c): lazy host-state restore ------------------------------ */

static inline void load(struct msr_vcpu_state *s, unsigned k, uint32_t index, uint64_t want)
{
    struct msr_cpu_cache *c = s->cpu;
    if (((c->valid >> k) & 1) && c->live[k] == want) {
        s->restores_skipped++;
        return;
    }
    if (wrmsr_safe(index, want)) {
        c->live[k] = want;
        c->valid |= 1u << k;
    } else {
        c->valid &= ~(1u << k);
    }
    s->restores_performed++;
}

/* The value the guest runs with: its own if it has the MSR, else keel's,
 * plus (SPEC_CTRL) the bits MITIGATION_CTRL forces on. */
static uint64_t guest_live(const struct vcpu *v, unsigned k)
{
    const struct msr_vcpu_state *s = v->msr;
    bool has = s->row_flags[s->keel_row[k]] & MSR_RF_EXISTS;
    if (k == MSR_KEEL_SPEC_CTRL)
        return (has ? s->val[MSLOT_SPEC_CTRL] : s->cfg->host_spec_ctrl) | s->spec_ctrl_forced;
    return has ? s->val[MSLOT_TSC_AUX] : s->cfg->host_tsc_aux;
}

static bool cached(const struct msr_vcpu_state *s, unsigned k, uint64_t val)
{
    return ((s->cpu->valid >> k) & 1) && s->cpu->live[k] == val;
}

static void slow_before_entry(struct vcpu *v)
{
    struct msr_vcpu_state *s = v->msr;
    const struct msr_config *c = s->cfg;
    uint64_t spec = 0, aux = 0;
    if (c->host_has_spec_ctrl) {
        spec = guest_live(v, MSR_KEEL_SPEC_CTRL);
        load(s, MSR_KEEL_SPEC_CTRL, MSR_SPEC_CTRL, spec);
    }
    if (c->host_has_tsc_aux) {
        aux = guest_live(v, MSR_KEEL_TSC_AUX);
        load(s, MSR_KEEL_TSC_AUX, MSR_TSC_AUX, aux);
    }
    /* Nothing to switch from now on while the guest runs with keel's
     * SPEC_CTRL and its TSC_AUX is already live. The fast passes so far
     * skipped the old skip_entry/skip_exit each: fold them in first, when
     * those change (the first time: they follow the config only). */
    {
        uint8_t se = (uint8_t)(c->host_has_spec_ctrl + c->host_has_tsc_aux), sx = (uint8_t)c->host_has_spec_ctrl;
        if (se != s->skip_entry || sx != s->skip_exit) {
            uint64_t fast = msr_fast_passes(v);
            s->restores_skipped += fast * (uint64_t)(s->skip_entry + s->skip_exit);
            s->fast_base += fast;
            s->skip_entry = se;
            s->skip_exit = sx;
        }
    }
    msr_fast_set(v, (!c->host_has_spec_ctrl || (spec == c->host_spec_ctrl && cached(s, MSR_KEEL_SPEC_CTRL, spec))) &&
                        (!c->host_has_tsc_aux || cached(s, MSR_KEEL_TSC_AUX, aux)));
}

void msr_before_entry_slow(struct vcpu *v)
{
    take_posted(v);
    slow_before_entry(v);
    /* slow_before_entry may have cleared ENTRY_WORK_MSR (msr_fast_set)
     * after a post that came in since take_posted: keep the bit for it.
     * The clear is a LOCKed AND, so this load sees any post before it. */
    if (__atomic_load_n(&v->msr->req_posted, __ATOMIC_ACQUIRE) != v->msr->req_taken)
        vcpu_entry_work_set(v, ENTRY_WORK_MSR);
}

/* keel handles exits with its own speculation controls; TSC_AUX is not used
 * while handling exits, so it stays the guest's until msr_host_restore(). */
void msr_after_exit_slow(struct vcpu *v)
{
    struct msr_vcpu_state *s = v->msr;
    if (s->cfg->host_has_spec_ctrl)
        load(s, MSR_KEEL_SPEC_CTRL, MSR_SPEC_CTRL, s->cfg->host_spec_ctrl);
}

void msr_host_restore(struct vcpu *v)
{
    struct msr_vcpu_state *s = v->msr;
    msr_fast_set(v, false);
    msr_after_exit_slow(v);
    if (s->cfg->host_has_tsc_aux)
        load(s, MSR_KEEL_TSC_AUX, MSR_TSC_AUX, s->cfg->host_tsc_aux);
}

void msr_cpu_cache_prime(struct msr_cpu_cache *c, const struct msr_config *cfg)
{
    c->valid = 0;
    if (cfg->host_has_spec_ctrl && rdmsr_safe(MSR_SPEC_CTRL, &c->live[MSR_KEEL_SPEC_CTRL]))
        c->valid |= 1u << MSR_KEEL_SPEC_CTRL;
    if (cfg->host_has_tsc_aux && rdmsr_safe(MSR_TSC_AUX, &c->live[MSR_KEEL_TSC_AUX]))
        c->valid |= 1u << MSR_KEEL_TSC_AUX;
}

/* ---- diagnostics ----------------------------------------------------------------- */

void msr_get_counts(struct vcpu *v, uint32_t index, uint64_t *reads, uint64_t *writes)
{
    const struct msr_desc *d = msr_lookup(index);
    *reads = d ? v->msr->reads[d - msr_table] : 0;
    *writes = d ? v->msr->writes[d - msr_table] : 0;
}

static const char *acc_str(unsigned acc)
{
    static const char *const s[4] = { "-", "r", "w", "rw" };
    return s[acc & 3];
}

static const char *vendor_str(enum cpu_vendor vnd)
{
    return vnd == VENDOR_INTEL ? "intel" : vnd == VENDOR_AMD ? "amd" : "other";
}

static const char *unknown_str(enum msr_unknown_policy p)
{
    return p == MSR_UNKNOWN_IGNORE ? "ignore" : p == MSR_UNKNOWN_LOG ? "log" : "gp";
}

void msr_dump(struct vcpu *v)
{
    struct msr_vcpu_state *s = v->msr;
    const struct msr_intercepts *mi = &s->intercepts;
    size_t i;
    uint32_t r, k;
    klog("msr: table as applied to vcpu %u (vendor %s, %u rows, unknown=%s, filter: %u ranges, default %s)",
         v->index, vendor_str(v->policy->vendor), (unsigned)msr_table_rows, unknown_str(s->unknown),
         (unsigned)s->filter.count, s->filter.default_allow ? "allow" : "deny");
    for (k = 0; k < s->filter.count && k < MSR_FILTER_MAX; k++)
        klog("msr:   filter %u: %s:%s:0x%x-0x%x", k, s->filter.r[k].allow ? "allow" : "deny",
             acc_str(s->filter.r[k].access), s->filter.r[k].first, s->filter.r[k].last);
    klog("msr: %-10s %5s %-30s %-6s %-5s %-4s %-18s %s", "index", "count", "name", "exists", "icpt", "host",
         "read", "write");
    for (i = 0; i < msr_table_rows; i++) {
        const struct msr_desc *d = &msr_table[i];
        uint8_t f = s->row_flags[i];
        klog("msr: 0x%08x %5u %-30s %-6s %-5s %-4c %-18s %s%s", d->first, d->count, d->name,
             (f & MSR_RF_EXISTS) ? "yes" : "no", acc_str(row_intercept(s, d, d->first)), d->host,
             d->rd_name, d->wr_name, (f & MSR_RF_MIXED) ? " (filter splits range)" : "");
    }
    klog("msr: intercepted ranges in the bitmaps (outside them every MSR exits):");
    for (r = 0; r < MSR_RANGE_COUNT; r++) {
        uint32_t start = 0;
        unsigned cur = 4;
        for (k = 0; k <= MSR_RANGE_SIZE; k++) {
            unsigned acc = 4;
            if (k < MSR_RANGE_SIZE)
                acc = (unsigned)((mi->read[r][k / 8] >> (k % 8)) & 1) * MSR_ACC_R |
                      (unsigned)((mi->write[r][k / 8] >> (k % 8)) & 1) * MSR_ACC_W;
            if (acc == cur)
                continue;
            if (cur != 4 && cur != 0)
                klog("msr:   0x%08x-0x%08x %s", msr_range_base[r] + start, msr_range_base[r] + k - 1,
                     acc_str(cur));
            cur = acc;
            start = k;
        }
    }
}

void msr_print_stats(struct vcpu *v)
{
    struct msr_vcpu_state *s = v->msr;
    size_t i;
    klog("msr: vcpu %u statistics (reads/writes keel handled)", v->index);
    for (i = 0; i < msr_table_rows; i++)
        if (s->reads[i] || s->writes[i])
            klog("msr:   0x%08x %-30s reads %llu writes %llu", msr_table[i].first, msr_table[i].name,
                 (unsigned long long)s->reads[i], (unsigned long long)s->writes[i]);
    klog("msr:   unknown MSRs: reads %llu writes %llu (policy %s)", (unsigned long long)s->unknown_reads,
         (unsigned long long)s->unknown_writes, unknown_str(s->unknown));
    klog("msr:   filter denials %llu", (unsigned long long)s->filter_denials);
    klog("msr:   host-state restores performed %llu skipped %llu", (unsigned long long)s->restores_performed,
         (unsigned long long)msr_restores_skipped(v));
}
