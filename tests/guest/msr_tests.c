/* MSR guest tests: the per-MSR table, the filter and unknown-MSR
 * policies, and a seeded MSR fuzzer. Expected existence is derived from the
 * guest's OWN CPUID, so the same table checks every profile and vendor. */
#include "suite.h"

#define S_LO 0xdeadbeefu /* sentinels preloaded in EAX/EDX before a faulting RDMSR */
#define S_HI 0xcafef00du

/* ---- existence: which guest CPUID bits make each MSR exist ---- */
static bool ex_always(void) { return true; }
static bool ex_never(void) { return false; }
static bool ex_intel(void) { return guest_vendor == GV_INTEL; }
static bool ex_amd(void) { return guest_vendor == GV_AMD; }
static bool ex_tsc_aux(void) { return cpu_has(&F_RDTSCP) || cpu_has(&F_RDPID); }
/* SPEC_CTRL and PRED_CMD existence follows the guest's vendor: Intel
 * CPUID.7.0:EDX[26,27,31], AMD CPUID 0x80000008:EBX[12,14,15,24]. */
static bool ex_spec_ctrl(void)
{
    if (guest_vendor == GV_AMD)
        return cpu_has(&F_AMD_IBRS) || cpu_has(&F_AMD_STIBP) || cpu_has(&F_AMD_SSBD);
    return cpu_has(&F_SPEC_CTRL) || cpu_has(&F_STIBP) || cpu_has(&F_SSBD);
}
static bool ex_pred_cmd(void)
{
    return guest_vendor == GV_AMD ? cpu_has(&F_AMD_IBPB) : cpu_has(&F_SPEC_CTRL);
}
static bool ex_flush_cmd(void) { return guest_vendor == GV_INTEL && cpu_has(&F_FLUSH_L1D); }
static bool ex_amd_svm(void) { return guest_vendor == GV_AMD && cpu_has(&F_SVM); }
static bool ex_arch_cap(void) { return cpu_has(&F_ARCH_CAP); }
static bool ex_xss(void) { return cpu_has(&F_XSAVES); }
static bool ex_pat(void) { return cpu_has(&F_PAT); }
static bool ex_efer(void) { return cpu_has(&F_LM) || cpu_has(&F_NX) || cpu_has(&F_SYSCALL); }
static bool ex_tsc_adjust(void) { return cpu_has(&F_TSC_ADJUST); }
static bool ex_apic(void) { return cpu_has(&F_APIC); }
static bool ex_cet(void) { return cpu_has(&F_SHSTK) || cpu_has(&F_IBT); }
static bool ex_shstk(void) { return cpu_has(&F_SHSTK); }
static bool ex_mtrr(void) { return cpu_has(&F_MTRR); }
static bool ex_sep(void) { return cpu_has(&F_SEP); }
static bool ex_star(void) { return cpu_has(&F_SYSCALL) || cpu_has(&F_LM); }
static bool ex_lm(void) { return cpu_has(&F_LM); }

/* ---- good values that depend on the guest's features ---- */
static uint64_t good_spec_ctrl(uint64_t cur)
{
    bool amd = guest_vendor == GV_AMD;
    (void)cur;
    if (amd ? cpu_has(&F_AMD_IBRS) : cpu_has(&F_SPEC_CTRL))
        return 1; /* IBRS */
    if (amd ? cpu_has(&F_AMD_SSBD) : cpu_has(&F_SSBD))
        return 4; /* SSBD */
    if (amd ? cpu_has(&F_AMD_STIBP) : cpu_has(&F_STIBP))
        return 2; /* STIBP */
    return 0;
}
static uint64_t good_cet(uint64_t cur)
{
    (void)cur;
    return cpu_has(&F_SHSTK) ? 1 /* SH_STK_EN */ : 4 /* ENDBR_EN */;
}
static uint64_t good_efer(uint64_t cur) { return cpu_has(&F_SYSCALL) ? cur | 1 /* SCE */ : cur; }

/* EFER.SVME is reserved unless the guest has SVM (keel never offers it). */
static bool rsvd_efer_svme(uint64_t good, uint64_t *r)
{
    if (cpu_has(&F_SVM))
        return false;
    *r = good | (1u << 12);
    return true;
}

#define M_GOOD_CUR    (1u << 0)  /* good value = the value read */
#define M_RSVD_ABS    (1u << 1)  /* .rsvd is the whole value, not bits OR'ed into good */
#define M_NO_RSVD     (1u << 2)  /* no reserved-value check */
#define M_RO          (1u << 3)  /* read-only: a write (of the current value) #GPs */
#define M_WO          (1u << 4)  /* write-only: a read #GPs */
#define M_RESTORE     (1u << 5)  /* write the original value back afterwards */
#define M_RSVD_DROP   (1u << 6)  /* the reserved write may also be dropped (no #GP), value kept */
#define M_GATED       (1u << 9)  /* part of the feature-gated set (profile tests) */
#define M_READ_MAY_GP (1u << 11) /* the emulator may not implement it (Bochs: DEBUGCTL): a
                                  * faulting first read is reported, not failed */
#define M_RSVD_AMD_DROP (1u << 10) /* AMD: the "reserved" bits are dropped: write ok, reads back good */

struct msr_case;
typedef void (*custom_fn)(const struct msr_case *c, const char *name);

struct msr_case {
    uint32_t idx;
    const char *name;
    bool (*exists)(void);
    const char *feat;       /* what makes it exist, for messages */
    uint64_t good;
    uint64_t (*good_fn)(uint64_t cur);
    uint64_t rsvd;
    bool (*rsvd_fn)(uint64_t good, uint64_t *rsvd);
    unsigned flags;
    custom_fn custom;
};

static void feature_control(const struct msr_case *c, const char *name);
static void vm_cr(const struct msr_case *c, const char *name);

/* The table. Sources: Intel SDM vol. 4 (MSR list), AMD APM vol. 2 appendix A. */
static const struct msr_case msr_table[] = {
    { 0xc0000103, "TSC_AUX", ex_tsc_aux, "RDTSCP|RDPID", 0x12345, NULL, 1ULL << 32, NULL,
      M_RESTORE | M_RSVD_AMD_DROP | M_GATED, NULL },
    { 0x48, "SPEC_CTRL", ex_spec_ctrl, "IBRS|STIBP|SSBD (Intel or AMD)", 0, good_spec_ctrl,
      1ULL << 40, NULL, M_RESTORE | M_GATED, NULL },
    { 0xda0, "XSS", ex_xss, "XSAVES", 0, NULL, 1 /* bit 0: x87 is XCR0-only */, NULL,
      M_RESTORE | M_GATED, NULL },
    { 0x49, "PRED_CMD", ex_pred_cmd, "IBPB", 1, NULL, 1ULL << 3, NULL, M_WO | M_RSVD_ABS, NULL },
    { 0x10b, "FLUSH_CMD", ex_flush_cmd, "FLUSH_L1D", 1, NULL, 1ULL << 2, NULL, M_WO | M_RSVD_ABS, NULL },
    { 0x10a, "ARCH_CAPABILITIES", ex_arch_cap, "ARCH_CAPABILITIES", 0, NULL, 0, NULL, M_RO, NULL },
    { 0x277, "PAT", ex_pat, "PAT", 0x0007040600070406ULL, NULL, 0x0000000000000002ULL, NULL,
      M_RSVD_ABS | M_RESTORE, NULL },
    { 0xc0000080, "EFER", ex_efer, "LM|NX|SYSCALL", 0, good_efer, 0, rsvd_efer_svme, M_RESTORE, NULL },
    { 0xc0000080, "EFER.rsvd2", ex_efer, "LM|NX|SYSCALL", 0, NULL, 1ULL << 2, NULL,
      M_GOOD_CUR, NULL },
    { 0x1a0, "MISC_ENABLE", ex_intel, "Intel vendor", 0, NULL, 1ULL << 63, NULL,
      M_GOOD_CUR | M_RSVD_DROP, NULL },
    { 0x3b, "TSC_ADJUST", ex_tsc_adjust, "TSC_ADJUST", 0, NULL, 0, NULL, M_GOOD_CUR | M_NO_RSVD, NULL },
    { 0x1b, "APIC_BASE", ex_apic, "APIC", 0, NULL, 1ULL << 9, NULL, M_GOOD_CUR, NULL },
    { 0x3a, "FEATURE_CONTROL", ex_intel, "Intel vendor", 0, NULL, 0, NULL, 0, feature_control },
    { 0xfe, "MTRRCAP", ex_mtrr, "MTRR", 0, NULL, 0, NULL, M_RO, NULL },
    { 0x2ff, "MTRR_DEF_TYPE", ex_mtrr, "MTRR", 0, NULL, 1ULL << 20, NULL, M_GOOD_CUR, NULL },
    { 0x174, "SYSENTER_CS", ex_sep, "SEP", 0x10, NULL, 0, NULL, M_NO_RSVD | M_RESTORE, NULL },
    { 0xc0000081, "STAR", ex_star, "SYSCALL|LM", 0x0023001000000000ULL, NULL, 0, NULL,
      M_NO_RSVD | M_RESTORE, NULL },
    /* FS_BASE is passed through: the CPU itself checks canonical form, and
     * QEMU TCG does not, so no reserved-value check here. */
    { 0xc0000100, "FS_BASE", ex_lm, "LM", 0x12345000, NULL, 0, NULL, M_NO_RSVD | M_RESTORE, NULL },
    { 0x6a0, "U_CET", ex_cet, "SHSTK|IBT", 0, good_cet, 1ULL << 6, NULL, M_RESTORE, NULL },
    { 0x6a2, "S_CET", ex_cet, "SHSTK|IBT", 0, good_cet, 1ULL << 6, NULL, M_RESTORE, NULL },
    { 0x6a4, "PL0_SSP", ex_shstk, "SHSTK", 0x1000, NULL, 1 /* misaligned */, NULL, M_RESTORE, NULL },
    { 0x6a7, "PL3_SSP", ex_shstk, "SHSTK", 0x2000, NULL, 1ULL << 63 /* non-canonical */, NULL,
      M_RESTORE, NULL },
    { 0x6a8, "INT_SSP_TAB", ex_shstk, "SHSTK", 0x3000, NULL, 1ULL << 63 /* non-canonical */, NULL,
      M_RESTORE, NULL },
    { 0x40000000, "PV_0x40000000", ex_never, "never (no paravirtual MSRs)", 0, NULL, 0, NULL, 0, NULL },
    { 0x40000020, "PV_0x40000020", ex_never, "never (no paravirtual MSRs)", 0, NULL, 0, NULL, 0, NULL },
    { 0x480, "VMX_BASIC", ex_never, "never (no nested VMX)", 0, NULL, 0, NULL, 0, NULL },
    { 0x491, "VMX_VMFUNC", ex_never, "never (no nested VMX)", 0, NULL, 0, NULL, 0, NULL },
    { 0x1d9, "DEBUGCTL", ex_always, "always", 0, NULL, 1ULL << 63, NULL, M_GOOD_CUR | M_READ_MAY_GP,
      NULL },
    /* AMD-only: must not exist for an Intel guest; for an AMD guest they
     * say "no SVM here" (APM vol. 2 15.30.1: VM_CR.LOCK|SVMDIS). */
    { 0xc0010015, "HWCR", ex_amd, "AMD vendor", 0, NULL, 1 /* SmmLock */, NULL, M_GOOD_CUR, NULL },
    { 0xc0010114, "VM_CR", ex_amd, "AMD vendor", 0, NULL, 0, NULL, 0, vm_cr },
    { 0xc0010010, "SYSCFG", ex_amd, "AMD vendor", 0, NULL, 1ULL << 23 /* MemEncryptionModEn */, NULL,
      M_GOOD_CUR, NULL },
    { 0xc0010117, "VM_HSAVE_PA", ex_amd_svm, "AMD vendor and SVM", 0, NULL, 0, NULL, M_NO_RSVD, NULL },
};
#define NTABLE (sizeof msr_table / sizeof msr_table[0])

static const char *vn(int vec) { return vec ? vector_name((uint32_t)vec) : "ok"; }

/* IA32_FEATURE_CONTROL for an Intel guest: locked, VMX off in and outside
 * SMX, so a guest never tries VMXON; writes #GP (the lock bit is set). */
static void feature_control(const struct msr_case *c, const char *name)
{
    uint64_t v, v2;
    int rv = rdmsr_safe(c->idx, &v);
    if (rv) {
        fail(name, "present (%s) but RDMSR raised %s", c->feat, vn(rv));
        return;
    }
    int wv = wrmsr_safe(c->idx, v);
    int rv2 = rdmsr_safe(c->idx, &v2);
    check((v & 1) && !(v & 6) && wv == GP_VECTOR && !rv2 && v2 == v, name,
          "value 0x%llx (want lock=1, VMX bits 1-2 clear), WRMSR %s (want #GP), re-read 0x%llx",
          (unsigned long long)v, vn(wv), (unsigned long long)v2);
}

/* AMD VM_CR: SVM disabled and locked (bits 3 LOCK, 4 SVMDIS); writes #GP. */
static void vm_cr(const struct msr_case *c, const char *name)
{
    uint64_t v, v2;
    int rv = rdmsr_safe(c->idx, &v);
    if (rv) {
        fail(name, "present (%s) but RDMSR raised %s", c->feat, vn(rv));
        return;
    }
    int wv = wrmsr_safe(c->idx, v);
    int rv2 = rdmsr_safe(c->idx, &v2);
    check((v & 0x18) == 0x18 && wv == GP_VECTOR && !rv2 && v2 == v, name,
          "value 0x%llx (want LOCK|SVMDIS 0x18), WRMSR %s (want #GP), re-read 0x%llx",
          (unsigned long long)v, vn(wv), (unsigned long long)v2);
}

static void run_row(const struct msr_case *c)
{
    char name[96];
    snprintf_g(name, sizeof name, "msr-%s", c->name);
    bool present = c->exists();
    uint64_t orig, v, good, rsvd;
    uint32_t lo, hi;

    if (!present) {
        snprintf_g(name, sizeof name, "msr-%s absent (needs %s)", c->name, c->feat);
        good = c->good_fn ? c->good_fn(0) : c->good;
        int rv = rdmsr_sentinel(c->idx, S_LO, S_HI, &lo, &hi);
        int wv = wrmsr_safe(c->idx, good);
        check(rv == GP_VECTOR && lo == S_LO && hi == S_HI && wv == GP_VECTOR, name,
              "RDMSR %s edx:eax=%08x:%08x, WRMSR 0x%llx %s (want #GP, sentinels kept)",
              vn(rv), hi, lo, (unsigned long long)good, vn(wv));
        return;
    }
    if (c->custom) {
        c->custom(c, name);
        return;
    }
    if (c->flags & M_WO) {
        int rv = rdmsr_sentinel(c->idx, S_LO, S_HI, &lo, &hi);
        int wv = wrmsr_safe(c->idx, c->good);
        int xv = wrmsr_safe(c->idx, c->rsvd);
        check(rv == GP_VECTOR && lo == S_LO && hi == S_HI && wv == 0 && xv == GP_VECTOR, name,
              "write-only (%s): RDMSR %s (want #GP), WRMSR 0x%llx %s (want ok), reserved 0x%llx %s "
              "(want #GP)",
              c->feat, vn(rv), (unsigned long long)c->good, vn(wv), (unsigned long long)c->rsvd,
              vn(xv));
        return;
    }
    int rv = rdmsr_safe(c->idx, &orig);
    if (rv && (c->flags & M_READ_MAY_GP)) {
        info("%s: RDMSR raised %s (not implemented by this CPU model); not tested", name, vn(rv));
        return;
    }
    if (rv) {
        fail(name, "present (%s) but RDMSR raised %s", c->feat, vn(rv));
        return;
    }
    if (c->flags & M_RO) {
        int wv = wrmsr_safe(c->idx, orig);
        rv = rdmsr_safe(c->idx, &v);
        check(wv == GP_VECTOR && !rv && v == orig, name,
              "read-only (%s): WRMSR of its value 0x%llx %s (want #GP), re-read %s 0x%llx",
              c->feat, (unsigned long long)orig, vn(wv), vn(rv), (unsigned long long)v);
        return;
    }
    good = (c->flags & M_GOOD_CUR) ? orig : c->good_fn ? c->good_fn(orig) : c->good;
    int wv = wrmsr_safe(c->idx, good);
    v = ~good;
    rv = rdmsr_safe(c->idx, &v);
    bool ok = !wv && !rv && v == good;
    char detail[300];
    int o = snprintf_g(detail, sizeof detail, "present (%s): read 0x%llx, WRMSR 0x%llx %s, read back %s 0x%llx",
                       c->feat, (unsigned long long)orig, (unsigned long long)good, vn(wv), vn(rv),
                       (unsigned long long)v);
    bool do_rsvd = !(c->flags & M_NO_RSVD);
    if (do_rsvd && c->rsvd_fn)
        do_rsvd = c->rsvd_fn(good, &rsvd);
    else
        rsvd = (c->flags & M_RSVD_ABS) ? c->rsvd : good | c->rsvd;
    if (ok && do_rsvd) {
        int xv = wrmsr_safe(c->idx, rsvd);
        uint64_t v2 = ~good;
        int rv2 = rdmsr_safe(c->idx, &v2);
        bool drop = (c->flags & M_RSVD_AMD_DROP) && guest_vendor == GV_AMD;
        bool rok = (drop ? xv == 0 : xv == GP_VECTOR || ((c->flags & M_RSVD_DROP) && xv == 0)) &&
                   !rv2 && v2 == good;
        snprintf_g(detail + o, sizeof detail - o, "; reserved WRMSR 0x%llx %s (want %s), then %s 0x%llx",
                   (unsigned long long)rsvd, vn(xv),
                   drop ? "ok, bits dropped" : (c->flags & M_RSVD_DROP) ? "#GP or dropped" : "#GP",
                   vn(rv2), (unsigned long long)v2);
        ok = rok;
    }
    if (c->flags & M_RESTORE)
        wrmsr_safe(c->idx, orig);
    if (ok) {
        printf("PASS %s %s\n", name, detail);
        n_passed++;
    } else
        fail(name, "%s", detail);
}

void run_msr_table(void)
{
    info("msr table: vendor %s, %u rows", vendor_name(), (unsigned)NTABLE);
    for (unsigned i = 0; i < NTABLE; i++)
        run_row(&msr_table[i]);
}

void run_msr_gated(void)
{
    for (unsigned i = 0; i < NTABLE; i++)
        if (msr_table[i].flags & M_GATED)
            run_row(&msr_table[i]);
}

/* keel was started with a filter denying idx for reads and writes. */
void run_msr_filter_deny(uint32_t idx)
{
    char name[48];
    uint32_t lo, hi;
    int rv = rdmsr_sentinel(idx, S_LO, S_HI, &lo, &hi);
    snprintf_g(name, sizeof name, "msr-filter-deny-read-0x%x", idx);
    check(rv == GP_VECTOR && lo == S_LO && hi == S_HI, name,
          "RDMSR %s, edx:eax=%08x:%08x (want #GP, sentinels kept)", vn(rv), hi, lo);
    int wv = wrmsr_safe(idx, 0);
    snprintf_g(name, sizeof name, "msr-filter-deny-write-0x%x", idx);
    check(wv == GP_VECTOR, name, "WRMSR 0 %s (want #GP)", vn(wv));
    /* The filter must not leak onto other MSRs. */
    uint64_t v;
    uint32_t other = idx == 0xc0000102 ? 0xc0000101 : 0xc0000102;
    rv = rdmsr_safe(other, &v);
    snprintf_g(name, sizeof name, "msr-filter-other-0x%x", other);
    check(rv == 0, name, "RDMSR of an MSR outside the filter raised %s", vn(rv));
}

/* keel was started with msr.unknown=ignore: unknown MSRs read 0, writes dropped. */
void run_msr_unknown_ignore(void)
{
    static const uint32_t idx[] = { 0x12345678, 0x00001234 };
    for (unsigned i = 0; i < sizeof idx / sizeof idx[0]; i++) {
        char name[48];
        uint32_t lo, hi;
        int rv = rdmsr_sentinel(idx[i], S_LO, S_HI, &lo, &hi);
        snprintf_g(name, sizeof name, "msr-unknown-ignore-read-0x%x", idx[i]);
        check(rv == 0 && lo == 0 && hi == 0, name, "RDMSR %s edx:eax=%08x:%08x (want 0)", vn(rv), hi, lo);
        int wv = wrmsr_safe(idx[i], 0x5a5a5a5a);
        rv = rdmsr_sentinel(idx[i], S_LO, S_HI, &lo, &hi);
        snprintf_g(name, sizeof name, "msr-unknown-ignore-write-0x%x", idx[i]);
        check(wv == 0 && rv == 0 && lo == 0 && hi == 0, name,
              "WRMSR 0x5a5a5a5a %s, re-read %s edx:eax=%08x:%08x (want dropped, reads 0)", vn(wv),
              vn(rv), hi, lo);
    }
}

/* ---- fuzzer ---- */
/* Writes the fuzzer never attempts: they would stop the guest itself from
 * running (APIC mode switches and x2APIC ICR writes can INIT the CPU,
 * microcode trigger, EFER.LME/NXE games), not keel. */
static bool fuzz_no_write(uint32_t i)
{
    return i == 0x1b || i == 0x79 || (i >= 0x800 && i <= 0x8ff) || i == 0xc0000080;
}
/* MSRs whose value changes by itself: no value comparison on re-read. */
static bool fuzz_volatile(uint32_t i)
{
    return i == 0x10 || i == 0xe7 || i == 0xe8 || i == 0x198 || i == 0x19c || i == 0x1b1 ||
           (i >= 0xc1 && i <= 0xc8) || (i >= 0x309 && i <= 0x30b) || i == 0x38e || i == 0x611 ||
           i == 0x619 || i == 0x639 || i == 0x641 || i == 0x6e0 || (i >= 0xc00000e7 && i <= 0xc00000e9) ||
           (i >= 0xc0010004 && i <= 0xc0010007) || (i >= 0xc0010200 && i <= 0xc001020b) ||
           (i >= 0xc0010299 && i <= 0xc001029b);
}

void run_msrfuzz(uint64_t seed, uint32_t count)
{
    printf("msrfuzz: seed=%llu count=%u\n", (unsigned long long)seed, count);
    uint64_t s = seed ? seed : 0x9e3779b97f4a7c15ULL;
    uint32_t rd_ok = 0, rd_gp = 0, wr_ok = 0, wr_gp = 0, wr_skip = 0, bad = 0;
    for (uint32_t n = 0; n < count; n++) {
        if (n && n % 1000 == 0)
            printf("msrfuzz: %u done\n", n);
        uint64_t r = prng_next(&s);
        uint32_t idx, x = (uint32_t)(r >> 8);
        switch (r & 7) {
        case 0: case 1: case 2: idx = x & 0x1fff; break;
        case 3: idx = 0xc0000000 + (x & 0x1fff); break;
        case 4: idx = 0xc0010000 + (x & 0x1fff); break;
        case 5: idx = 0x40000000 + (x & 0xff); break;
        case 6: idx = msr_table[x % NTABLE].idx; break;
        default: idx = (uint32_t)(prng_next(&s) >> 16); break;
        }
        uint64_t v0 = 0, v1 = 0, val = prng_next(&s);
        uint32_t lo, hi;
        int r0 = rdmsr_sentinel(idx, S_LO, S_HI, &lo, &hi);
        if (r0 && (lo != S_LO || hi != S_HI)) {
            if (bad++ < 10)
                fail("msrfuzz-sentinel", "RDMSR 0x%x raised %s but changed edx:eax to %08x:%08x", idx,
                     vn(r0), hi, lo);
        }
        if (!r0) {
            v0 = ((uint64_t)hi << 32) | lo;
            rd_ok++;
        } else {
            rd_gp++;
        }
        switch ((r >> 40) & 3) {
        case 0: val = 0; break;
        case 1: val &= 0xffffffffULL; break;
        case 2: if (!r0) val = v0 ^ (1ULL << ((r >> 44) & 63)); break;
        default: break;
        }
        if (fuzz_no_write(idx)) {
            wr_skip++;
            continue;
        }
        int w = wrmsr_safe(idx, val);
        if (w) {
            wr_gp++;
            int r1 = rdmsr_sentinel(idx, S_LO, S_HI, &lo, &hi);
            v1 = ((uint64_t)hi << 32) | lo;
            bool same = r1 == r0 && (r1 || v1 == v0 || fuzz_volatile(idx));
            if (!same && bad++ < 10)
                fail("msrfuzz-consistency",
                     "MSR 0x%x: read %s 0x%llx, WRMSR 0x%llx %s, re-read %s 0x%llx", idx, vn(r0),
                     (unsigned long long)v0, (unsigned long long)val, vn(w), vn(r1),
                     (unsigned long long)v1);
        } else {
            wr_ok++;
            if (!r0)
                wrmsr_safe(idx, v0); /* put it back: keep the guest's world sane */
        }
    }
    info("msrfuzz: reads ok %u / faulted %u; writes ok %u / faulted %u / skipped %u", rd_ok, rd_gp,
         wr_ok, wr_gp, wr_skip);
    check(bad == 0, "msrfuzz", "%u inconsistencies (seed=%llu count=%u)", bad, (unsigned long long)seed,
          count);
}
