/* The MSR virtualization engine: one table of per-MSR handlers.
 * Implemented in vmm/msr*.c (owned by the MSR engine). See docs/msr.md.
 *
 *   vmm/msr_table.c   the table (one const row per MSR or range) + handlers
 *   vmm/msr.c         the engine: lookup, existence, reset, dispatch,
 *                     per-vCPU state, bitmap generation, lazy host-state
 *                     restore, dump and statistics
 *   vmm/msr_filter.c  msr.filter / msr.filter.default / msr.unknown parsing
 *   vmm/msr_encode.c  neutral bitmaps -> VMX MSR bitmap / SVM MSRPM
 */
#ifndef KEEL_VMM_MSR_H
#define KEEL_VMM_MSR_H
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "vmm/vcpu.h"
#include "vmm/cpu_policy.h"

struct vcpu;

enum msr_verdict { MSR_OK = 0, MSR_GP = 1 };

/* Neutral intercept bitmaps: one bit per MSR, set = intercept, for the three
 * ranges the hardware bitmaps can express. Indices outside them always exit.
 * Vendors encode these: VMX uses ranges 0 and 1 (4 KiB bitmap), SVM all three
 * (8 KiB permission map). */
#define MSR_RANGE_COUNT 3
#define MSR_RANGE_SIZE 0x2000
static const uint32_t msr_range_base[MSR_RANGE_COUNT] = { 0x00000000, 0xc0000000, 0xc0010000 };
struct msr_intercepts {
    uint8_t read[MSR_RANGE_COUNT][MSR_RANGE_SIZE / 8];
    uint8_t write[MSR_RANGE_COUNT][MSR_RANGE_SIZE / 8];
};

/* ---- policy: filter and unknown MSRs ------------------------------------ */

/* Access bits, used by the filter and the table's intercept class. */
#define MSR_ACC_R 1u
#define MSR_ACC_W 2u
#define MSR_ACC_RW (MSR_ACC_R | MSR_ACC_W)

/* One filter range: [first, last] (inclusive) for the accesses in `access`. */
struct msr_filter_range {
    uint32_t first, last;
    uint8_t access;     /* MSR_ACC_* this range applies to */
    bool allow;         /* false: deny -> #GP */
};

#define MSR_FILTER_MAX 16
/* KVM_X86_SET_MSR_FILTER semantics per vCPU: the first range that contains
 * the index AND names the access decides; no match -> default_allow. */
struct msr_filter {
    uint32_t count;
    bool default_allow;
    struct msr_filter_range r[MSR_FILTER_MAX];
};

/* msr.unknown=gp|ignore|log: what an MSR that is not in the table does. */
enum msr_unknown_policy {
    MSR_UNKNOWN_GP = 0,     /* #GP both ways (default) */
    MSR_UNKNOWN_IGNORE,     /* reads 0, writes dropped */
    MSR_UNKNOWN_LOG,        /* like ignore, each index logged once */
};

/* Parse `msr.filter=` (spec, may be NULL or "" = no ranges) and
 * `msr.filter.default=` (default_action: "allow", "deny", NULL = allow).
 * Grammar (docs/msr.md):
 *   spec   := range ("," range)*
 *   range  := action ":" access ":" index ("-" index)?
 *   action := "allow" | "deny"       access := "r" | "w" | "rw" | "wr"
 *   index  := decimal | 0x-hex (32 bits), first <= last
 * On error returns false and writes a message naming the bad token to err;
 * *out is then unspecified. */
bool msr_filter_parse(const char *spec, const char *default_action, struct msr_filter *out,
                      char *err, size_t errlen);
/* Parse `msr.unknown=`; false (and *out unchanged) if not gp|ignore|log. */
bool msr_unknown_parse(const char *s, enum msr_unknown_policy *out);
/* First matching range wins, else the default. Bounded: <= MSR_FILTER_MAX. */
bool msr_filter_allows(const struct msr_filter *f, uint32_t index, unsigned access);

/* ---- per-vCPU state --------------------------------------------------------- */

/* Per physical CPU: the live value of each class-(c) MSR, so a
 * WRMSR that would write the value already there is skipped. */
enum msr_keel_reg { MSR_KEEL_SPEC_CTRL, MSR_KEEL_TSC_AUX, MSR_KEEL_COUNT };
struct msr_cpu_cache {
    uint64_t live[MSR_KEEL_COUNT];
    uint32_t valid;     /* bit k: live[k] is known */
};

struct msr_config {
    struct msr_filter filter;
    enum msr_unknown_policy unknown;
    /* Several vCPUs: writes of the x2APIC ICR (MSR 0x830) exit and go to
     * this function, which keeps INIT/STARTUP to keel's vCPUs virtual and
     * sends every other IPI itself (false: #GP). NULL: passed through. */
    bool (*x2apic_icr_write)(struct vcpu *v, uint64_t val);
    /* The profile enables Intel's virtual mitigation MSRs
     * (0x50000000-0x50000002) for Intel guests; ARCH_CAPABILITIES then also
     * reports bit 63 (virtual enumeration supported). */
    bool virt_mitigation;
    /* Host (keel) values of the class-(c) MSRs and whether the host has them. */
    bool host_has_spec_ctrl;
    uint64_t host_spec_ctrl;            /* keel's own IA32_SPEC_CTRL */
    uint64_t host_spec_ctrl_supported;  /* SPEC_CTRL bits the host CPU implements */
    bool host_has_tsc_aux;
    uint64_t host_tsc_aux;              /* keel's own IA32_TSC_AUX */
    uint64_t apic_base;                 /* initial IA32_APIC_BASE (host value) */
    struct msr_cpu_cache *cpu;          /* NULL: each vCPU's own (msr_vcpu_state.own_cpu) */
};

/* Table rows: fixed at build time (checked in msr_table.c). */
#define MSR_MAX_ROWS 64
#define MSR_MAX_SLOTS 96
#define MSR_UNKNOWN_LOG_MAX 32

/* The part of a vCPU's MSR policy the monitor changes at run time: its
 * filter and its live watch (vmm/monitor_cmds.c). */
struct msr_live_policy {
    struct msr_filter filter;
    bool watch_on;
    uint32_t watch_first, watch_last;
    bool watch_restart;     /* a watch command: its rate limit starts again */
};
/* What handle_rdmsr/handle_wrmsr need of a row whose value is a slot
 * (msr_rd_slot / msr_wr_slot), without the row itself: filled with
 * row_fast by msr_policy_changed, indexed by row id + 1. One array per
 * field, so each is reached from the row number with the 8-byte scale of
 * an address (no shift, no pointer to the row). */
struct msr_hot_rows {
    int64_t slot_base[MSR_MAX_ROWS + 1];        /* slot - first: val[slot_base + index] */
    /* rsvd | ro: the bits a write must leave as they are. A slot row's
     * value never has a reserved bit (its reset value has none and every
     * write is checked), so "no reserved bit set" is "reserved bits as
     * they are": msr_wr_slot's first two checks as one. */
    uint64_t fixed[MSR_MAX_ROWS + 1];
    /* The types bits 2:0 may not take: ~types & 0xff (types 0: none bad)
     * in each of the 8 bytes, so bit (value mod 64) is bit (value & 7). */
    uint64_t bad_types[MSR_MAX_ROWS + 1];
};

struct msr_vcpu_state {
    const struct msr_config *cfg;       /* policy (copied filter below) */
    struct msr_filter filter;
    enum msr_unknown_policy unknown;
    uint8_t row_flags[MSR_MAX_ROWS];    /* MSR_RF_*: exists, filter verdicts */
    uint8_t row_fast[MSR_MAX_ROWS + 1]; /* by row id + 1: row_flags & MSR_RF_FAST_*, and
                                         * MSR_RFAST_SLOT_*; [0] = 0 ("not in the table"
                                         * fails the same one test) */
    struct msr_hot_rows hot;            /* by row id + 1 */
    uint64_t val[MSR_MAX_SLOTS];        /* virtual values (see msr_table.c slots) */
    uint64_t spec_ctrl_forced;          /* bits forced on by MITIGATION_CTRL */
    uint64_t held_virtual;              /* bit = row id: vcpu_set_state() had no place for
                                         * the value, it is kept in val[] instead */
    uint64_t reads[MSR_MAX_ROWS], writes[MSR_MAX_ROWS];
    uint64_t unknown_reads, unknown_writes;
    uint64_t filter_denials;
    uint64_t restores_performed, restores_skipped;
    /* Exit-path fast path: true while neither entry nor exit has
     * any class-(c) MSR to switch; cleared by anything that can change that
     * (a WRMSR, a policy change, msr_host_restore). skip_entry/skip_exit:
     * how many restores each fast entry/exit skips, for the statistics. */
    bool fast;
    uint8_t skip_entry, skip_exit;
    /* The fast passes are not counted on the exit path: they are the
     * exits (v->stats) minus the slow ones, less fast_base, the same
     * difference when skip_* were last set (msr_fast_passes). */
    uint64_t slow_exits;                /* msr_after_exit_slow from the exit path */
    uint64_t fast_base;
    uint32_t unknown_logged[MSR_UNKNOWN_LOG_MAX];
    uint32_t unknown_logged_count;
    struct msr_cpu_cache *cpu;          /* cfg->cpu, or own_cpu */
    /* The cache of the CPU this vCPU is pinned to (vCPUs never move). */
    struct msr_cpu_cache own_cpu;
    uint8_t keel_row[MSR_KEEL_COUNT];   /* table row of each class-(c) MSR */
    struct msr_intercepts intercepts;   /* generated from the table */
    /* Live watch (monitor `msr watch`): accesses to [watch_first,
     * watch_last] are intercepted and each one logged (rate-limited). */
    bool watch_on;
    uint32_t watch_first, watch_last;
    uint64_t watch_seen, watch_shown_at;
    /* A change posted by another CPU (msr_post_policy), taken by this vCPU
     * before its next entry: `req` is written only while posted == taken,
     * read only by this vCPU while they differ. */
    struct msr_live_policy req;
    volatile uint32_t req_posted, req_taken;
};

/* row_flags bits */
#define MSR_RF_EXISTS 0x01      /* the guest has this MSR (caps AND vendor) */
#define MSR_RF_DENY_R 0x02      /* the filter denies every read of the row */
#define MSR_RF_DENY_W 0x04
#define MSR_RF_MIXED 0x08       /* the filter splits the row: check per index */
#define MSR_RF_ICPT_RW 0x10     /* the policy intercepts the row both ways (msr_row_icpt) */
#define MSR_RF_WATCH 0x20       /* part of the row is watched (msr_watch) */
/* Derived, for the exit path's single test: exists, and no filter range
 * denies or splits it, no watch. */
#define MSR_RF_FAST_R 0x40
#define MSR_RF_FAST_W 0x80
/* row_fast only: FAST_R / FAST_W and the row's value is a slot read by
 * msr_rd_slot / written by msr_wr_slot (the exit handlers' inline case). */
#define MSR_RFAST_SLOT_R 0x01
#define MSR_RFAST_SLOT_W 0x02

/* Bind s to v (v->msr = s), reset the virtual values and counters, copy the
 * policy from cfg (cfg must outlive v) and generate the bitmaps
 * (msr_policy_changed). v->policy must be set. Returns 0. */
int msr_vcpu_init(struct vcpu *v, struct msr_vcpu_state *s, const struct msr_config *cfg);
/* Guest caps (v->policy) or filter/unknown policy changed at run time:
 * recompute existence and filter verdicts, regenerate the bitmaps and call
 * vcpu_msr_intercepts_changed(). Per vCPU, no global state. */
void msr_policy_changed(struct vcpu *v);
/* These three change v at once: only on v's own CPU, or while v does not
 * run (from another CPU: msr_post_policy below). */
void msr_set_filter(struct vcpu *v, const struct msr_filter *f);
void msr_set_unknown_policy(struct vcpu *v, enum msr_unknown_policy p);
/* Watch [first, last] (on) or stop watching (off): every guest access in
 * the range is intercepted, even where the table passes it through, and
 * logged with its outcome; off restores the table's intercepts. */
void msr_watch(struct vcpu *v, bool on, uint32_t first, uint32_t last);

/* The filter and watch now in force on v. */
void msr_live_policy_get(const struct vcpu *v, struct msr_live_policy *out);
/* Change v's filter and watch from another CPU, while v may be running the
 * guest (the monitor). The MSR bitmap is read by the CPU while the guest
 * runs (SDM Vol. 3C 25.6.9, APM Vol. 2 15.11), and the exit path reads the
 * filter and row flags: neither may change under a running vCPU. So the
 * change is posted, and v takes it at its next entry (ENTRY_WORK_MSR, set
 * here: msr_before_entry_slow applies it and regenerates v's bitmaps on
 * v's own CPU). False: v has not taken the previous change yet (nothing
 * posted). */
bool msr_post_policy(struct vcpu *v, const struct msr_live_policy *p);
/* v has taken everything posted to it. */
bool msr_policy_taken(const struct vcpu *v);
/* Apply p on v now (v is the vCPU in whose exit the caller runs). */
void msr_apply_policy(struct vcpu *v, const struct msr_live_policy *p);

/* ---- exit path ------------------------------------------------------------- */

/* Exit-path entry points: look the MSR up (O(log n)), apply the filter and
 * unknown-MSR policy, run the handler. On MSR_GP the caller injects #GP and
 * RAX/RDX stay untouched (*value is only written on MSR_OK). */
enum msr_verdict msr_read(struct vcpu *v, uint32_t index, uint64_t *value);
enum msr_verdict msr_write(struct vcpu *v, uint32_t index, uint64_t value);

/* The guest's current value of an MSR for keel's own use (e.g. CPUID leaf
 * 0xD.1 needs IA32_XSS): the read handler without the filter and without
 * counting. MSR_GP if the guest does not have the MSR (or it is write-only,
 * or not in the table). */
enum msr_verdict msr_peek(struct vcpu *v, uint32_t index, uint64_t *value);

/* Class (c) host state: call msr_before_entry() right before
 * VMRUN/VMLAUNCH (loads the guest's values where they differ from the live
 * ones) and msr_after_exit() right after the exit (restores keel's values
 * keel needs while it handles the exit). msr_host_restore() puts every
 * class-(c) MSR back to keel's value (guest stopped). Each is a compare per
 * MSR when nothing changed. */
void msr_before_entry_slow(struct vcpu *v);      /* also takes a posted policy change */
void msr_after_exit_slow(struct vcpu *v);
/* Hot path: one test of the entry_work bit that mirrors !fast
 * (msr_fast_set), nothing counted; what the fast passes skipped is worked
 * out when it is read (msr_restores_skipped: fast passes x the entry and
 * exit skips; exact to within the pass in progress when fast is turned on
 * or off). */
static inline void msr_before_entry(struct vcpu *v)
{
    if (__builtin_expect(!v->msr->fast, 0))
        msr_before_entry_slow(v);
}
static inline void msr_after_exit(struct vcpu *v)
{
    if (__builtin_expect(v->entry_work & ENTRY_WORK_MSR, 0)) {
        v->msr->slow_exits++;
        msr_after_exit_slow(v);
    }
}
/* Set the MSR engine's `fast` and mirror it in v->entry_work. */
static inline void msr_fast_set(struct vcpu *v, bool fast)
{
    v->msr->fast = fast;
    /* Atomic (vmm/vcpu.h: other CPUs set entry_work bits), and only when
     * the bit changes, so the common call costs no LOCKed operation. */
    if (fast == !(v->entry_work & ENTRY_WORK_MSR))
        return;
    if (fast)
        vcpu_entry_work_clear(v, ENTRY_WORK_MSR);
    else
        vcpu_entry_work_set(v, ENTRY_WORK_MSR);
}
/* Fast passes since skip_* were last set: every exit counted in v->stats
 * passed msr_after_exit once. */
static inline uint64_t msr_fast_passes(const struct vcpu *v)
{
    uint64_t exits = 0;
    unsigned k;
    for (k = 0; k < EXIT_KIND_COUNT; k++)
        exits += v->stats.count[k];
    return exits - v->msr->slow_exits - v->msr->fast_base;
}
/* Restores skipped so far (the statistic): counted ones plus fast passes. */
static inline uint64_t msr_restores_skipped(const struct vcpu *v)
{
    const struct msr_vcpu_state *s = v->msr;
    return s->restores_skipped + msr_fast_passes(v) * (uint64_t)(s->skip_entry + s->skip_exit);
}
void msr_host_restore(struct vcpu *v);
/* Optional: record the live values of the class-(c) MSRs on this CPU (else
 * the first msr_before_entry() writes them unconditionally). */
void msr_cpu_cache_prime(struct msr_cpu_cache *c, const struct msr_config *cfg);

/* ---- diagnostics ------------------------------------------------------------ */

void msr_dump(struct vcpu *v);          /* msr.dump */
void msr_print_stats(struct vcpu *v);   /* at guest exit */
/* Hypercall 2: reads/writes keel handled for the row containing index
 * (0/0 for an index not in the table). */
void msr_get_counts(struct vcpu *v, uint32_t index, uint64_t *reads, uint64_t *writes);

/* ---- table introspection (dump, tests, fuzzer) ------------------------------ */

/* Intercept class of a row. */
enum msr_icpt { MSR_ICPT_NONE = 0, MSR_ICPT_W = MSR_ACC_W, MSR_ICPT_RW = MSR_ACC_RW };
/* Host-state class of a row. */
enum msr_host_class {
    MSR_HOST_HW = 'a',      /* switched by hardware (VMCS/VMCB fields, VMLOAD/VMSAVE) */
    MSR_HOST_GUEST = 'b',   /* guest-owned, never used by keel: left as the guest set it */
    MSR_HOST_KEEL = 'c',    /* keel has its own value: lazily restored, per-CPU cache */
    MSR_HOST_NONE = '-',    /* purely virtual (or never exists): no host state */
};

struct msr_desc;
size_t msr_table_size(void);
const struct msr_desc *msr_table_row(size_t i);
const struct msr_desc *msr_lookup(uint32_t index);     /* NULL if not in the table */
size_t msr_row_id(const struct msr_desc *d);
uint32_t msr_desc_first(const struct msr_desc *d);
uint32_t msr_desc_count(const struct msr_desc *d);
const char *msr_desc_name(const struct msr_desc *d);
unsigned msr_desc_icpt(const struct msr_desc *d);
/* The row's intercept class for this guest policy: msr_desc_icpt, except
 * that PMU rows are emulated (intercepted both ways) unless pmu=passthrough. */
struct cpu_policy;
unsigned msr_row_icpt(const struct msr_desc *d, const struct cpu_policy *p);
char msr_desc_host_class(const struct msr_desc *d);
/* IA32_SPEC_CTRL bits a CPU with these features (vmm/cpu_features.def
 * indices) implements: for the guest its policy's features, for the host
 * (msr_config.host_spec_ctrl_supported) the host features the policy saw. */
uint64_t msr_spec_ctrl_bits(enum cpu_vendor vendor, const uint64_t feat[FEAT_WORDS]);
/* Whether a guest with these caps/config has the MSR at index. */
bool msr_exists(const struct vcpu *v, uint32_t index);
/* What the generated bitmap must say for index (MSR_ACC_* bits = intercept). */
unsigned msr_expected_intercept(const struct vcpu *v, uint32_t index);

/* ---- vendor encoders (pure; vmm/msr_encode.c) -------------------------------- */

/* Intel SDM Vol. 3C 25.6.9 "MSR-Bitmap Address": read-low (0-0x1fff) at bytes
 * 0-1023, read-high (0xc0000000-0xc0001fff) at 1024-2047, write-low at
 * 2048-3071, write-high at 3072-4095. Range 2 (0xc0010000) cannot be
 * expressed: those MSRs always exit on VMX. */
void msr_encode_vmx_bitmap(const struct msr_intercepts *mi, uint8_t out[4096]);
/* AMD APM Vol. 2 15.11 "MSR Intercepts": 2 bits per MSR (read at bit 2n,
 * write at 2n+1), 0x0000_0000-0x0000_1fff at byte 0x0, 0xc000_0000-... at
 * 0x800, 0xc001_0000-... at 0x1000; bytes 0x1800-0x1fff reserved (set). */
void msr_encode_svm_msrpm(const struct msr_intercepts *mi, uint8_t out[8192]);

#endif
