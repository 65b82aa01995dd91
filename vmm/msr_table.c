/* THE MSR table: one const row per MSR or MSR range, sorted by index. The
 * dispatcher (msr.c), the intercept bitmaps, msr.dump and the docs are all
 * generated from these rows, so what is intercepted and what is handled
 * cannot drift apart.
 *
 * Handler rules (validate, then commit: a failed check changes nothing):
 *  - a read handler writes *val only when it returns MSR_OK;
 *  - a write handler checks everything first and changes state only after
 *    the last check (the single exception: a failing vcpu_set_state or
 *    wrmsr_safe is itself the last step, so nothing was committed yet).
 * Hardware-held guest state goes through vcpu_get_state/vcpu_set_state. */
#include "vmm/msr_impl.h"
#include "vmm/arch_hooks.h"

#define S(v) ((v)->msr)
#define P(v) ((v)->policy)
#define HAS(v, f) policy_has(P(v), FEAT_##f)

static uint64_t phys_rsvd(const struct cpu_policy *p)
{
    unsigned m = p->maxphyaddr;
    if (m < 32 || m > 52)
        m = m ? (m < 32 ? 32 : 52) : 36;
    return ~((1ull << m) - 1);
}

/* ---- generic handlers ------------------------------------------------------ */

static enum msr_verdict rd_gp(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t *val)
{
    (void)v, (void)d, (void)i, (void)val;
    return MSR_GP;
}

static enum msr_verdict wr_gp(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t val)
{
    (void)v, (void)d, (void)i, (void)val;
    return MSR_GP;
}

enum msr_verdict msr_rd_slot(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t *val)
{
    *val = S(v)->val[d->slot + (i - d->first)];
    return MSR_OK;
}

enum msr_verdict msr_wr_slot(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t val)
{
    uint64_t *p = &S(v)->val[d->slot + (i - d->first)];
    if (!msr_slot_write_ok(d->rsvd, d->ro, d->types ? d->types : 0xff, *p, val))
        return MSR_GP;
    *p = val;
    return MSR_OK;
}

/* State the vendor holds (VMCB save area / VMCS guest fields). When
 * vcpu_set_state() says the vendor has no place for it (vmm/arch_hooks.h),
 * the value is kept virtual in val[MSLOT_VS + state] and the row's bit in
 * held_virtual says so. */
static inline uint64_t held_bit(const struct msr_desc *d) { return 1ull << (d - msr_table); }

static uint64_t vs_get(struct vcpu *v, const struct msr_desc *d)
{
    enum vcpu_state st = (enum vcpu_state)(d->vsp1 - 1);
    return (S(v)->held_virtual & held_bit(d)) ? S(v)->val[MSLOT_VS + st] : vcpu_get_state(v, st);
}

static enum msr_verdict vs_commit(struct vcpu *v, const struct msr_desc *d, uint64_t val)
{
    enum vcpu_state st = (enum vcpu_state)(d->vsp1 - 1);
    if (vcpu_set_state(v, st, val)) {
        S(v)->held_virtual &= ~held_bit(d);
    } else {
        S(v)->held_virtual |= held_bit(d);
        S(v)->val[MSLOT_VS + st] = val;
    }
    return MSR_OK;
}

static enum msr_verdict rd_vs(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t *val)
{
    (void)i;
    *val = vs_get(v, d);
    return MSR_OK;
}

/* Pass-through rows reach this only when a filter forces an intercept (or a
 * vendor always exits for the index). SDM Vol. 4 / WRMSR: a non-canonical
 * SYSENTER_ESP/EIP, LSTAR, CSTAR, FS/GS/KERNEL_GS_BASE value is #GP. */
static enum msr_verdict wr_vs(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t val)
{
    (void)i;
    if (val & d->rsvd)
        return MSR_GP;
    if ((d->flags & MSR_F_CANON) && !msr_is_canonical(val))
        return MSR_GP;
    if (d->flags & MSR_F_LOW32)
        val = (uint32_t)val;
    return vs_commit(v, d, val);
}

/* ---- IA32_TSC / IA32_TSC_ADJUST ----------------------------------------------
 * SDM Vol. 3B 18.17 "Time-Stamp Counter": guest TSC = host TSC + offset.
 * 18.17.3 "Time-Stamp Counter Adjustment": a WRMSR to IA32_TSC that adds X
 * to the TSC also adds X to IA32_TSC_ADJUST, and a write to TSC_ADJUST that
 * adds X to it adds X to the TSC. */
static enum msr_verdict rd_tsc(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t *val)
{
    (void)d, (void)i;
    *val = msr_hw_rdtsc() + vcpu_get_state(v, VS_TSC_OFFSET);
    return MSR_OK;
}

static enum msr_verdict wr_tsc(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t val)
{
    uint64_t old = vcpu_get_state(v, VS_TSC_OFFSET);
    uint64_t off = val - msr_hw_rdtsc();
    (void)d, (void)i;
    if (!vcpu_set_state(v, VS_TSC_OFFSET, off))
        return MSR_GP;
    if (HAS(v, TSC_ADJUST))
        S(v)->val[MSLOT_TSC_ADJUST] += off - old;
    return MSR_OK;
}

static enum msr_verdict wr_tsc_adjust(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t val)
{
    uint64_t delta = val - S(v)->val[MSLOT_TSC_ADJUST];
    (void)d, (void)i;
    if (!vcpu_set_state(v, VS_TSC_OFFSET, vcpu_get_state(v, VS_TSC_OFFSET) + delta))
        return MSR_GP;
    S(v)->val[MSLOT_TSC_ADJUST] = val;
    return MSR_OK;
}

/* ---- IA32_APIC_BASE ----------------------------------------------------------
 * SDM Vol. 3A 11.4.4 (Figure 11-5): bits 7:0 and 9 reserved, bit 8 BSP
 * (read-only here), bit 10 EXTD (x2APIC, only with CPUID.1:ECX.x2APIC),
 * bit 11 EN, base in bits MAXPHYADDR-1:12. 11.12.5 (Figure 11-27): legal
 * mode transitions; EN=0/EXTD=1 is invalid, x2APIC -> xAPIC and
 * disabled -> x2APIC are #GP. The LAPIC itself is passed through, so the
 * (validated) value is also written to hardware. */
static enum msr_verdict wr_apic_base(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t val)
{
    struct msr_vcpu_state *s = S(v);
    uint64_t rsvd = d->rsvd | phys_rsvd(P(v));
    uint64_t old = s->val[MSLOT_APIC_BASE], nv;
    uint64_t om = old & (APIC_BASE_EN | APIC_BASE_EXTD), nm = val & (APIC_BASE_EN | APIC_BASE_EXTD);
    (void)i;
    if (!HAS(v, X2APIC))
        rsvd |= APIC_BASE_EXTD;
    if (val & rsvd)
        return MSR_GP;
    if (nm == APIC_BASE_EXTD)
        return MSR_GP;
    if (om == (APIC_BASE_EN | APIC_BASE_EXTD) && nm == APIC_BASE_EN)
        return MSR_GP;
    if (om == 0 && nm == (APIC_BASE_EN | APIC_BASE_EXTD))
        return MSR_GP;
    nv = (val & ~APIC_BASE_BSP) | (old & APIC_BASE_BSP);
    if (!wrmsr_safe(MSR_APIC_BASE, nv))
        return MSR_GP;
    s->val[MSLOT_APIC_BASE] = nv;
    return MSR_OK;
}

/* ---- IA32_FEATURE_CONTROL (Intel) --------------------------------------------
 * SDM Vol. 3C 24.7: locked with both VMXON enables clear, i.e. VMX is off and
 * cannot be turned on (keel offers no nested virtualization). Writes to a
 * locked FEATURE_CONTROL are #GP. */
static enum msr_verdict rd_feature_control(struct vcpu *v, const struct msr_desc *d, uint32_t i,
                                           uint64_t *val)
{
    (void)v, (void)d, (void)i;
    *val = FEATURE_CONTROL_LOCKED;
    return MSR_OK;
}

/* ---- IA32_SPEC_CTRL / PRED_CMD / FLUSH_CMD / ARCH_CAPABILITIES -----------------
 * Allowed SPEC_CTRL bits = exactly what the guest's CPUID enumerates, per
 * vendor: Intel CPUID.7.0:EDX[26,27,31] and CPUID.7.2:EDX[0..4] (SDM Vol. 4
 * Table 2-2); AMD CPUID 0x80000008:EBX[14,15,24,28] (AMD "Indirect Branch
 * Control Extension", "Speculative Store Bypass Disable", "Predictive Store
 * Forwarding"). The same decode gives the guest's bits (from its policy)
 * and the host's (from the host features the policy saw): one place. */
static const struct { uint8_t vendor; uint16_t feat; uint64_t bits; } spec_ctrl_enum[] = {
    { VENDOR_AMD, FEAT_AMD_IBRS, SPEC_CTRL_IBRS },
    { VENDOR_AMD, FEAT_AMD_STIBP, SPEC_CTRL_STIBP },
    { VENDOR_AMD, FEAT_AMD_SSBD, SPEC_CTRL_SSBD },
    { VENDOR_AMD, FEAT_AMD_PSFD, SPEC_CTRL_PSFD },
    { VENDOR_INTEL, FEAT_SPEC_CTRL, SPEC_CTRL_IBRS },
    { VENDOR_INTEL, FEAT_STIBP, SPEC_CTRL_STIBP },
    { VENDOR_INTEL, FEAT_SSBD, SPEC_CTRL_SSBD },
    { VENDOR_INTEL, FEAT_IPRED_CTRL, SPEC_CTRL_IPRED_DIS_U | SPEC_CTRL_IPRED_DIS_S },
    { VENDOR_INTEL, FEAT_RRSBA_CTRL, SPEC_CTRL_RRSBA_DIS_U | SPEC_CTRL_RRSBA_DIS_S },
    { VENDOR_INTEL, FEAT_PSFD, SPEC_CTRL_PSFD },
    { VENDOR_INTEL, FEAT_DDPD_U, SPEC_CTRL_DDPD_U },
    { VENDOR_INTEL, FEAT_BHI_CTRL, SPEC_CTRL_BHI_DIS_S },
};

uint64_t msr_spec_ctrl_bits(enum cpu_vendor vendor, const uint64_t feat[FEAT_WORDS])
{
    uint64_t a = 0;
    unsigned i;
    /* AMD CPUs are told apart from the rest; anything not AMD reads Intel's bits. */
    uint8_t want = vendor == VENDOR_AMD ? VENDOR_AMD : VENDOR_INTEL;
    for (i = 0; i < sizeof(spec_ctrl_enum) / sizeof(spec_ctrl_enum[0]); i++)
        if (spec_ctrl_enum[i].vendor == want && ((feat[spec_ctrl_enum[i].feat / 64] >> (spec_ctrl_enum[i].feat % 64)) & 1))
            a |= spec_ctrl_enum[i].bits;
    return a;
}

static uint64_t spec_ctrl_allowed(const struct cpu_policy *p)
{
    return msr_spec_ctrl_bits(p->vendor, p->feat);
}

static bool spec_ctrl_exists(const struct cpu_policy *p)
{
    if (p->vendor == VENDOR_AMD)
        return policy_has(p, FEAT_AMD_IBRS) || policy_has(p, FEAT_AMD_STIBP) ||
               policy_has(p, FEAT_AMD_SSBD);
    return policy_has(p, FEAT_SPEC_CTRL) || policy_has(p, FEAT_STIBP) || policy_has(p, FEAT_SSBD);
}

static bool pred_cmd_exists(const struct cpu_policy *p)
{
    if (p->vendor == VENDOR_AMD)
        return policy_has(p, FEAT_AMD_IBPB);
    return policy_has(p, FEAT_SPEC_CTRL);
}

/* Reads return the guest's own value even while MITIGATION_CTRL forces
 * BHI_DIS_S / RRSBA_DIS_S on in hardware (msr_guest_spec_ctrl_hw). */
static enum msr_verdict wr_spec_ctrl(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t val)
{
    (void)d, (void)i;
    if (val & ~spec_ctrl_allowed(P(v)))
        return MSR_GP;
    S(v)->val[MSLOT_SPEC_CTRL] = val;
    msr_fast_set(v, false);     /* class (c): entry/exit must switch it again */
    return MSR_OK;
}

uint64_t msr_guest_spec_ctrl_hw(const struct vcpu *v)
{
    return v->msr->val[MSLOT_SPEC_CTRL] | v->msr->spec_ctrl_forced;
}

/* Write-only command MSRs (SDM Vol. 4 Table 2-2): reads #GP; the one
 * defined bit is carried out on the host through the #GP-safe accessor.
 * Intercepted both ways so a guest sees the architectural behaviour even on
 * an emulator that does not implement them (QEMU TCG). */
static enum msr_verdict wr_cmd(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t val)
{
    (void)v;
    if (val & d->rsvd)
        return MSR_GP;
    if (val && !wrmsr_safe(i, val))
        return MSR_GP;
    return MSR_OK;
}

static enum msr_verdict rd_arch_cap(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t *val)
{
    (void)d, (void)i;
    *val = P(v)->arch_capabilities | (S(v)->cfg->virt_mitigation && P(v)->vendor == VENDOR_INTEL
                                          ? ARCH_CAP_VIRTUAL_ENUM
                                          : 0);
    return MSR_OK;
}

/* ---- Intel virtual mitigation MSRs (MSR_VIRTUAL_ENUMERATION, MITIGATION_ENUM/CTRL) ------------------------------------
 * Intel "Branch History Injection and Intra-mode Branch Target Injection"
 * guidance, "Virtual MSRs": MSR_VIRTUAL_ENUMERATION bit 0 = mitigation
 * control supported; MSR_VIRTUAL_MITIGATION_ENUM bit 0 BHB_CLEAR_SEQ_S_SUPPORT
 * (VMM can set BHI_DIS_S), bit 1 RETPOLINE_S_SUPPORT (VMM can set RRSBA_DIS_S);
 * MSR_VIRTUAL_MITIGATION_CTRL bit 0 BHB_CLEAR_SEQ_S_USED, bit 1
 * RETPOLINE_S_USED. Set-and-forget: the forced bits take effect at the next
 * entry (msr_before_entry), not on the hot path. */
static uint64_t miti_enum(const struct vcpu *v)
{
    const struct msr_config *c = v->msr->cfg;
    uint64_t e = 0;
    if (!c->host_has_spec_ctrl)
        return 0;
    if (c->host_spec_ctrl_supported & SPEC_CTRL_BHI_DIS_S)
        e |= MITI_ENUM_BHB_CLEAR_SEQ_S_SUPPORT;
    if (c->host_spec_ctrl_supported & SPEC_CTRL_RRSBA_DIS_S)
        e |= MITI_ENUM_RETPOLINE_S_SUPPORT;
    return e;
}

static enum msr_verdict rd_virt_enum(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t *val)
{
    (void)v, (void)d, (void)i;
    *val = VIRT_ENUM_MITIGATION_CTRL_SUPPORT;
    return MSR_OK;
}

static enum msr_verdict rd_miti_enum(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t *val)
{
    (void)d, (void)i;
    *val = miti_enum(v);
    return MSR_OK;
}

static enum msr_verdict wr_miti_ctrl(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t val)
{
    uint64_t forced = 0;
    (void)d, (void)i;
    if (val & ~miti_enum(v))    /* enum bit n <-> ctrl bit n */
        return MSR_GP;
    if (val & MITI_CTRL_BHB_CLEAR_SEQ_S_USED)
        forced |= SPEC_CTRL_BHI_DIS_S;
    if (val & MITI_CTRL_RETPOLINE_S_USED)
        forced |= SPEC_CTRL_RRSBA_DIS_S;
    S(v)->val[MSLOT_MITI_CTRL] = val;
    S(v)->spec_ctrl_forced = forced;
    msr_fast_set(v, false);
    return MSR_OK;
}

/* ---- IA32_MISC_ENABLE (Intel) -----------------------------------------------------
 * SDM Vol. 4 Table 2-2. Virtual value. Writable: fast strings (0) and
 * automatic thermal control (3). The other documented bits (7, 11, 12, 16,
 * 18, 22, 23, 34) are read-only here: a write must leave them as they are.
 * Undocumented bits are reserved (#GP). */
#define MISC_ENABLE_WRITABLE (MISC_ENABLE_FAST_STRING | MISC_ENABLE_TCC)
#define MISC_ENABLE_RO (MISC_ENABLE_PERF_AVAIL | MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL | \
                        MISC_ENABLE_EIST | MISC_ENABLE_MWAIT | MISC_ENABLE_LIMIT_CPUID |           \
                        MISC_ENABLE_XTPR_DISABLE | MISC_ENABLE_XD_DISABLE)
/* ---- memory types: PAT and MTRRs ------------------------------------------------------
 * SDM Vol. 3A 12.12.2 (PAT): each of the 8 entries is UC(0) WC(1) WT(4) WP(5)
 * WB(6) UC-(7); 2, 3 and 8..255 are #GP. 12.11.2 (MTRRs): types as PAT
 * without UC-. MTRRs are kept virtual: the guest must not change how the
 * host caches keel's memory. PAT lives in the VMCS guest field / VMCB G_PAT;
 * reads are intercepted as well because not every implementation (QEMU TCG)
 * makes RDMSR return G_PAT. */
static bool mem_type_ok(uint8_t t, bool pat)
{
    return t == 0 || t == 1 || t == 4 || t == 5 || t == 6 || (pat && t == 7);
}

static bool all_bytes_ok(uint64_t val, bool pat)
{
    unsigned b;
    for (b = 0; b < 8; b++)
        if (!mem_type_ok((uint8_t)(val >> (8 * b)), pat))
            return false;
    return true;
}

static enum msr_verdict wr_pat(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t val)
{
    (void)i;
    if (!all_bytes_ok(val, true))
        return MSR_GP;
    return vs_commit(v, d, val);
}

static enum msr_verdict rd_mtrrcap(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t *val)
{
    (void)v, (void)d, (void)i;
    *val = MTRRCAP_VCNT | MTRRCAP_FIX | MTRRCAP_WC;
    return MSR_OK;
}

/* Variable ranges: PhysBase (even index): type in 7:0, 11:8 reserved;
 * PhysMask (odd): 10:0 reserved, 11 valid; both: bits >= MAXPHYADDR reserved. */
static enum msr_verdict wr_mtrr_var(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t val)
{
    unsigned n = i - d->first;
    uint64_t rsvd = phys_rsvd(P(v)) | ((n & 1) ? 0x7ffull : 0xf00ull);
    if (val & rsvd)
        return MSR_GP;
    if (!(n & 1) && !mem_type_ok((uint8_t)val, false))
        return MSR_GP;
    S(v)->val[d->slot + n] = val;
    return MSR_OK;
}

static enum msr_verdict wr_mtrr_fixed(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t val)
{
    if (!all_bytes_ok(val, false))
        return MSR_GP;
    S(v)->val[d->slot + (i - d->first)] = val;
    return MSR_OK;
}

/* IA32_MTRR_DEF_TYPE is an msr_wr_slot row: its type (bits 7:0) as MTRR_TYPES
 * over bits 2:0 with bits 7:3 reserved. */
#define MTRR_TYPES (BIT64(0) | BIT64(1) | BIT64(4) | BIT64(5) | BIT64(6))   /* UC WC WT WP WB */

/* ---- IA32_DEBUGCTL --------------------------------------------------------------------
 * SDM Vol. 3B 18.4.1. keel's profiles offer no PMU, LBR virtualization or
 * bus-lock detection, so only BTF (single-step on branches) is allowed; the
 * value lives in the VMCS guest field / VMCB save area. Reads are
 * intercepted too: without LBR virtualization SVM does not switch DebugCtl,
 * so the hardware register is not the guest's. */
static enum msr_verdict wr_debugctl(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t val)
{
    (void)i;
    if (val & d->rsvd)
        return MSR_GP;
    return vs_commit(v, d, val);
}

/* ---- EFER ------------------------------------------------------------------------------
 * SDM Vol. 4 Table 2-2 (IA32_EFER), AMD APM Vol. 2 3.1.7. SCE always; LME only
 * with LM; NXE only with NX; LMA is read-only (the written bit is ignored,
 * the current one kept); SVME #GP (no nested SVM). AMD-only bits (LMSLE 13,
 * FFXSR 14, TCE 15, AutoIBRS 21) are not offered by keel's profiles and are
 * reserved for both vendors. Toggling LME with CR0.PG=1 is #GP (SDM 10.8.5).
 * EFER exists with LM, NX or SYSCALL (SDM Vol. 4 Table 2-2: "If
 * CPUID.80000001H:EDX.[20] || CPUID.80000001H:EDX.[29]"; AMD: SYSCALL). */
static enum msr_verdict wr_efer(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t val)
{
    uint64_t allowed = EFER_SCE | EFER_LMA, old;
    (void)i;
    if (HAS(v, LM))
        allowed |= EFER_LME;
    if (HAS(v, NX))
        allowed |= EFER_NXE;
    if (val & ~allowed)
        return MSR_GP;
    old = vs_get(v, d);
    if (((val ^ old) & EFER_LME) && (vcpu_get_state(v, VS_CR0) & CR0_PG))
        return MSR_GP;
    val = (val & ~EFER_LMA) | (old & EFER_LMA);
    return vs_commit(v, d, val);
}

/* ---- IA32_TSC_AUX ------------------------------------------------------------------------
 * Exists with RDTSCP or RDPID. SDM: bits 63:32 reserved (Intel guests #GP);
 * AMD CPUs ignore them (read as zero), so AMD guests get them dropped. */
static enum msr_verdict wr_tsc_aux(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t val)
{
    (void)d, (void)i;
    if (val >> 32) {
        if (P(v)->vendor != VENDOR_AMD)
            return MSR_GP;
        val = (uint32_t)val;
    }
    S(v)->val[MSLOT_TSC_AUX] = val;
    msr_fast_set(v, false);
    return MSR_OK;
}

/* ---- IA32_XSS -------------------------------------------------------------------------------
 * SDM Vol. 1 13.3: exists with XSAVES; only bits in the guest's XSS mask
 * (CPUID.(0xD,1):ECX/EDX as the policy computed it). Guest-owned: keel does
 * not use XSAVES, so the value is written to hardware. */
static enum msr_verdict rd_xss(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t *val)
{
    (void)d, (void)i;
    *val = S(v)->val[MSLOT_XSS];
    return MSR_OK;
}

static enum msr_verdict wr_xss(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t val)
{
    (void)d, (void)i;
    if (val & ~P(v)->xss_mask)
        return MSR_GP;
    if (!wrmsr_safe(MSR_XSS, val))
        return MSR_GP;
    S(v)->val[MSLOT_XSS] = val;
    return MSR_OK;
}

/* ---- CET (SDM Vol 1 ch. 17) --------------------------------------------------------------------------
 * SDM Vol. 1 17.3.1 / Vol. 4 Table 2-2. U_CET/S_CET exist with SHSTK or IBT;
 * the shadow-stack enables (1:0) need SHSTK, the IBT bits (5:2, 10, 11) and
 * the legacy-bitmap base (63:12) need IBT; 9:6 reserved; the base must be
 * canonical; SUPPRESS together with WAIT_FOR_ENDBRANCH is invalid (as KVM).
 * PL0..PL3_SSP (SHSTK): canonical and 4-byte aligned. INT_SSP_TAB (SHSTK):
 * canonical. There is deliberately no made-up MSR for SSP itself.
 * U_CET and PLx_SSP are XSAVE-managed (CET_U/CET_S) guest-owned state, read
 * and written on the hardware MSR; S_CET and INT_SSP_TAB are VMCS/VMCB
 * fields where the vendor has them, else kept virtual (vs_commit). */
static bool cet_ctl_ok(const struct vcpu *v, uint64_t val)
{
    if (val & CET_RESERVED)
        return false;
    if (!policy_has(v->policy, FEAT_SHSTK) && (val & CET_SHSTK_BITS))
        return false;
    if (!policy_has(v->policy, FEAT_IBT) && (val & CET_IBT_BITS))
        return false;
    if ((val & CET_SUPPRESS) && (val & CET_WAIT_ENDBR))
        return false;
    return msr_is_canonical(val & CET_LEG_BITMAP_BASE);
}

static bool cet_exists(const struct cpu_policy *p)
{
    return policy_has(p, FEAT_SHSTK) || policy_has(p, FEAT_IBT);
}

static enum msr_verdict rd_hw(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t *val)
{
    uint64_t x;
    (void)v, (void)d;
    if (!rdmsr_safe(i, &x))
        return MSR_GP;
    *val = x;
    return MSR_OK;
}

/* IA32_TSC_DEADLINE (SDM Vol. 3 11.5.4.1): the LAPIC is passed through, so
 * its deadline register is too (class b: keel never uses the LAPIC timer).
 * The hardware compares it with the physical TSC, so these handlers, used
 * when a filter forces an intercept, convert to and from guest TSC time.
 * Without an intercept a guest that moved its TSC (IA32_TSC write) sees its
 * deadlines shifted by that offset. */
static enum msr_verdict rd_tsc_deadline(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t *val)
{
    uint64_t x;
    (void)d;
    if (!rdmsr_safe(i, &x))
        return MSR_GP;
    *val = x ? x + vcpu_get_state(v, VS_TSC_OFFSET) : 0;
    return MSR_OK;
}

static enum msr_verdict wr_tsc_deadline(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t val)
{
    (void)d;
    return wrmsr_safe(i, val ? val - vcpu_get_state(v, VS_TSC_OFFSET) : 0) ? MSR_OK : MSR_GP;
}

/* The x2APIC registers: the LAPIC is passed through (its MMIO page is the
 * guest's), so in x2APIC mode its MSR interface is too. The hardware then
 * raises the architectural faults itself: #GP for every x2APIC MSR while
 * IA32_APIC_BASE.EXTD = 0, for writes of read-only registers (ID, VERSION,
 * PPR, ISR/TMR/IRR, current count), reads of write-only ones (EOI, SELF
 * IPI) and reserved indices (SDM Vol. 3A 11.12.1.2-11.12.1.3). These
 * handlers run only when a filter forces an intercept. */
static enum msr_verdict wr_hw(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t val)
{
    (void)v, (void)d;
    return wrmsr_safe(i, val) ? MSR_OK : MSR_GP;
}

/* The x2APIC ICR (SDM Vol. 3A 11.12.9): intercepted only with several vCPUs
 * (row_intercept), so a guest's INIT/STARTUP never reach a CPU keel holds. */
static enum msr_verdict wr_x2apic_icr(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t val)
{
    if (v->msr->cfg->x2apic_icr_write)
        return v->msr->cfg->x2apic_icr_write(v, val) ? MSR_OK : MSR_GP;
    return wr_hw(v, d, i, val);
}

static enum msr_verdict wr_u_cet(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t val)
{
    (void)d;
    if (!cet_ctl_ok(v, val))
        return MSR_GP;
    return wrmsr_safe(i, val) ? MSR_OK : MSR_GP;
}

static enum msr_verdict wr_pl_ssp(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t val)
{
    (void)v, (void)d;
    if (!msr_is_canonical(val) || (val & 3))
        return MSR_GP;
    return wrmsr_safe(i, val) ? MSR_OK : MSR_GP;
}

static enum msr_verdict wr_s_cet(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t val)
{
    (void)i;
    if (!cet_ctl_ok(v, val))
        return MSR_GP;
    return vs_commit(v, d, val);
}

static enum msr_verdict wr_int_ssp_tab(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t val)
{
    (void)i;
    if (!msr_is_canonical(val))
        return MSR_GP;
    return vs_commit(v, d, val);
}

/* ---- performance counters (pmu=) ----------------------------------------------------------------
 * AMD APM Vol. 2 13.2.1: the legacy PerfEvtSel0-3 (0xC0010000-3) and PerfCtr0-3
 * (0xC0010004-7) exist on every AMD CPU, whatever CPUID says. With pmu=off
 * they read 0 and drop writes (what Linux KVM does with its PMU disabled),
 * so the counter reset in a guest's start-up code works. The AMD core
 * counters (0xC0010200-B, CPUID 0x80000001 ECX[23]), the PerfMonV2 global
 * controls (0xC0000300-3, CPUID 0x80000022 EAX[0]) and the Intel
 * architectural counters (SDM Vol. 3B 20.2; CPUID leaf 0xA enumerates them)
 * exist only with pmu=passthrough. Passed through, they are guest-owned
 * (class b: keel never uses the PMU); these handlers then run only when a
 * filter forces an intercept, and counters the host lacks fault on it. */
static bool pmu_pass(const struct vcpu *v)
{
    return P(v)->pmu == PMU_PASSTHROUGH;
}

static enum msr_verdict rd_pmu(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t *val)
{
    if (!pmu_pass(v)) {
        *val = 0;
        return MSR_OK;
    }
    return rd_hw(v, d, i, val);
}

static enum msr_verdict wr_pmu(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t val)
{
    (void)d;
    if (!pmu_pass(v))
        return MSR_OK;          /* no guest PMU: the write is dropped */
    return wrmsr_safe(i, val) ? MSR_OK : MSR_GP;
}

static bool intel_pmu(const struct cpu_policy *p)
{
    return p->pmu == PMU_PASSTHROUGH && p->pmu_version >= 1;
}

/* Fixed counters and the global controls: architectural PMU version 2 and up. */
static bool intel_pmu_v2(const struct cpu_policy *p)
{
    return p->pmu == PMU_PASSTHROUGH && p->pmu_version >= 2;
}

/* ---- AMD: SYSCFG, HWCR, VM_CR ------------------------------------------------------------------
 * APM Vol. 2 15.30.1: VM_CR.SVMDIS=1 and LOCK=1 say "SVM disabled and
 * locked", consistent with CPUID 0x80000001:ECX.SVM=0 (no nesting); writes to
 * a locked VM_CR are #GP. HWCR: TscFreqSel (24) reads 1 and is read-only,
 * McStatusWrEn (18) is writable, the rest reserved. SYSCFG reads 0 (no SME,
 * no MTRR extensions offered); only writing 0 is accepted. */
static enum msr_verdict rd_vm_cr(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t *val)
{
    (void)v, (void)d, (void)i;
    *val = VM_CR_LOCK | VM_CR_SVMDIS;
    return MSR_OK;
}

static enum msr_verdict rd_zero(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t *val)
{
    (void)v, (void)d, (void)i;
    *val = 0;
    return MSR_OK;
}

static enum msr_verdict wr_zero(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t val)
{
    (void)v, (void)d, (void)i;
    return val ? MSR_GP : MSR_OK;
}

static enum msr_verdict wr_hwcr(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t val)
{
    (void)i;
    if (val & d->rsvd)
        return MSR_GP;
    if ((val ^ S(v)->val[MSLOT_HWCR]) & HWCR_TSCFREQSEL)
        return MSR_GP;
    S(v)->val[MSLOT_HWCR] = val;
    return MSR_OK;
}

/* ---- THE table ------------------------------------------------------------------------------------ */

#define rd_slot msr_rd_slot   /* msr.c inlines it; msr.dump keeps the short name */
#define wr_slot msr_wr_slot
#define RD(f) .read = f, .rd_name = #f
#define WR(f) .write = f, .wr_name = #f
#define F1(a) .feat = { FEAT_##a }
#define F2(a, b) .feat = { FEAT_##a, FEAT_##b }
#define VS(x) .vsp1 = (uint8_t)(x + 1)
#define M(first_, count_, name_) .first = first_, .count = count_, .name = name_

const struct msr_desc msr_table[] = {
    { M(MSR_TSC, 1, "IA32_TSC"), F1(TSC), .icpt = MSR_ICPT_W, .host = MSR_HOST_HW,
      RD(rd_tsc), WR(wr_tsc) },
    { M(MSR_APIC_BASE, 1, "IA32_APIC_BASE"), F1(APIC), .icpt = MSR_ICPT_RW, .host = MSR_HOST_GUEST,
      .slot = MSLOT_APIC_BASE, .rsvd = 0xffull | BIT64(9), RD(rd_slot), WR(wr_apic_base) },
    { M(MSR_FEATURE_CONTROL, 1, "IA32_FEATURE_CONTROL"), .vendor = MSR_V_INTEL, .icpt = MSR_ICPT_RW,
      .host = MSR_HOST_NONE, RD(rd_feature_control), WR(wr_gp) },
    { M(MSR_TSC_ADJUST, 1, "IA32_TSC_ADJUST"), F1(TSC_ADJUST), .icpt = MSR_ICPT_RW,
      .host = MSR_HOST_HW, .slot = MSLOT_TSC_ADJUST, RD(rd_slot), WR(wr_tsc_adjust) },
    { M(MSR_SPEC_CTRL, 1, "IA32_SPEC_CTRL"), .exists_fn = spec_ctrl_exists, .icpt = MSR_ICPT_RW,
      .host = MSR_HOST_KEEL, .slot = MSLOT_SPEC_CTRL, RD(rd_slot), WR(wr_spec_ctrl) },
    { M(MSR_PRED_CMD, 1, "IA32_PRED_CMD"), .exists_fn = pred_cmd_exists, .icpt = MSR_ICPT_RW,
      .host = MSR_HOST_NONE, .rsvd = ~PRED_CMD_IBPB, RD(rd_gp), WR(wr_cmd) },
    { M(MSR_IA32_PMC0, 8, "IA32_PMC0-7"), .vendor = MSR_V_INTEL, .exists_fn = intel_pmu, .icpt = MSR_ICPT_NONE,
      .host = MSR_HOST_GUEST, .flags = MSR_F_PMU, RD(rd_pmu), WR(wr_pmu) },
    { M(MSR_MTRRCAP, 1, "IA32_MTRRCAP"), F1(MTRR), .icpt = MSR_ICPT_RW, .host = MSR_HOST_NONE,
      RD(rd_mtrrcap), WR(wr_gp) },
    { M(MSR_ARCH_CAPABILITIES, 1, "IA32_ARCH_CAPABILITIES"), F1(ARCH_CAPABILITIES), .icpt = MSR_ICPT_RW,
      .host = MSR_HOST_NONE, RD(rd_arch_cap), WR(wr_gp) },
    { M(MSR_FLUSH_CMD, 1, "IA32_FLUSH_CMD"), .vendor = MSR_V_INTEL, F1(FLUSH_L1D), .icpt = MSR_ICPT_RW,
      .host = MSR_HOST_NONE, .rsvd = ~FLUSH_CMD_L1D, RD(rd_gp), WR(wr_cmd) },
    { M(MSR_SYSENTER_CS, 1, "IA32_SYSENTER_CS"), F1(SEP), .icpt = MSR_ICPT_NONE, .host = MSR_HOST_HW,
      VS(VS_SYSENTER_CS), .flags = MSR_F_LOW32, RD(rd_vs), WR(wr_vs) },
    { M(MSR_SYSENTER_ESP, 1, "IA32_SYSENTER_ESP"), F1(SEP), .icpt = MSR_ICPT_NONE, .host = MSR_HOST_HW,
      VS(VS_SYSENTER_ESP), .flags = MSR_F_CANON, RD(rd_vs), WR(wr_vs) },
    { M(MSR_SYSENTER_EIP, 1, "IA32_SYSENTER_EIP"), F1(SEP), .icpt = MSR_ICPT_NONE, .host = MSR_HOST_HW,
      VS(VS_SYSENTER_EIP), .flags = MSR_F_CANON, RD(rd_vs), WR(wr_vs) },
    { M(MSR_IA32_PERFEVTSEL0, 8, "IA32_PERFEVTSEL0-7"), .vendor = MSR_V_INTEL, .exists_fn = intel_pmu,
      .icpt = MSR_ICPT_NONE, .host = MSR_HOST_GUEST, .flags = MSR_F_PMU, RD(rd_pmu), WR(wr_pmu) },
    { M(MSR_MISC_ENABLE, 1, "IA32_MISC_ENABLE"), .vendor = MSR_V_INTEL, .icpt = MSR_ICPT_RW,
      .host = MSR_HOST_NONE, .slot = MSLOT_MISC_ENABLE, .rsvd = ~(MISC_ENABLE_WRITABLE | MISC_ENABLE_RO),
      .ro = MISC_ENABLE_RO, RD(rd_slot), WR(wr_slot) },
    { M(MSR_DEBUGCTL, 1, "IA32_DEBUGCTL"), .icpt = MSR_ICPT_RW, .host = MSR_HOST_HW, VS(VS_DEBUGCTL),
      .rsvd = ~DEBUGCTL_BTF, RD(rd_vs), WR(wr_debugctl) },
    { M(MSR_MTRR_PHYSBASE0, 2 * MTRRCAP_VCNT, "IA32_MTRR_PHYS{BASE,MASK}0-7"), F1(MTRR),
      .icpt = MSR_ICPT_RW, .host = MSR_HOST_NONE, .slot = MSLOT_MTRR_VAR, RD(rd_slot), WR(wr_mtrr_var) },
    { M(MSR_MTRR_FIX64K_00000, 1, "IA32_MTRR_FIX64K_00000"), F1(MTRR), .icpt = MSR_ICPT_RW,
      .host = MSR_HOST_NONE, .slot = MSLOT_MTRR_FIX64K, RD(rd_slot), WR(wr_mtrr_fixed) },
    { M(MSR_MTRR_FIX16K_80000, 2, "IA32_MTRR_FIX16K_80000/A0000"), F1(MTRR), .icpt = MSR_ICPT_RW,
      .host = MSR_HOST_NONE, .slot = MSLOT_MTRR_FIX16K, RD(rd_slot), WR(wr_mtrr_fixed) },
    { M(MSR_MTRR_FIX4K_C0000, 8, "IA32_MTRR_FIX4K_C0000-F8000"), F1(MTRR), .icpt = MSR_ICPT_RW,
      .host = MSR_HOST_NONE, .slot = MSLOT_MTRR_FIX4K, RD(rd_slot), WR(wr_mtrr_fixed) },
    { M(MSR_PAT, 1, "IA32_PAT"), F1(PAT), .icpt = MSR_ICPT_RW, .host = MSR_HOST_HW, VS(VS_PAT),
      RD(rd_vs), WR(wr_pat) },
    { M(MSR_MTRR_DEF_TYPE, 1, "IA32_MTRR_DEF_TYPE"), F1(MTRR), .icpt = MSR_ICPT_RW,
      .host = MSR_HOST_NONE, .slot = MSLOT_MTRR_DEF_TYPE,
      .rsvd = ~(0x7ull | MTRR_DEF_TYPE_FE | MTRR_DEF_TYPE_E), .types = MTRR_TYPES, RD(rd_slot), WR(wr_slot) },
    { M(MSR_IA32_FIXED_CTR0, 4, "IA32_FIXED_CTR0-3"), .vendor = MSR_V_INTEL, .exists_fn = intel_pmu_v2,
      .icpt = MSR_ICPT_NONE, .host = MSR_HOST_GUEST, .flags = MSR_F_PMU, RD(rd_pmu), WR(wr_pmu) },
    /* Read-only (SDM Vol. 4): reads pass through, writes #GP. */
    { M(MSR_IA32_PERF_CAPABILITIES, 1, "IA32_PERF_CAPABILITIES"), .vendor = MSR_V_INTEL, F1(PDCM),
      .icpt = MSR_ICPT_W, .host = MSR_HOST_GUEST, .flags = MSR_F_PMU, RD(rd_pmu), WR(wr_gp) },
    { M(MSR_IA32_FIXED_CTR_CTRL, 4, "IA32_FIXED_CTR_CTRL/PERF_GLOBAL_STATUS/CTRL/OVF_CTRL"),
      .vendor = MSR_V_INTEL, .exists_fn = intel_pmu_v2, .icpt = MSR_ICPT_NONE, .host = MSR_HOST_GUEST,
      .flags = MSR_F_PMU, RD(rd_pmu), WR(wr_pmu) },
    /* SDM Vol. 3D Appendix A: the VMX capability MSRs exist only with VMX,
     * which keel never offers (FC_NEVER): #GP, never passed to hardware. */
    { M(MSR_VMX_BASIC, MSR_VMX_LAST - MSR_VMX_BASIC + 1, "IA32_VMX_BASIC..VMFUNC"),
      .vendor = MSR_V_INTEL, F1(VMX), .icpt = MSR_ICPT_RW, .host = MSR_HOST_NONE, RD(rd_gp), WR(wr_gp) },
    /* Full-width counter writes (PERF_CAPABILITIES bit 13); without them the host faults. */
    { M(MSR_IA32_A_PMC0, 8, "IA32_A_PMC0-7"), .vendor = MSR_V_INTEL, .exists_fn = intel_pmu, F1(PDCM),
      .icpt = MSR_ICPT_NONE, .host = MSR_HOST_GUEST, .flags = MSR_F_PMU, RD(rd_pmu), WR(wr_pmu) },
    { M(MSR_U_CET, 1, "IA32_U_CET"), .exists_fn = cet_exists, .icpt = MSR_ICPT_W,
      .host = MSR_HOST_GUEST, RD(rd_hw), WR(wr_u_cet) },
    { M(MSR_S_CET, 1, "IA32_S_CET"), .exists_fn = cet_exists, .icpt = MSR_ICPT_RW, .host = MSR_HOST_HW,
      VS(VS_S_CET), RD(rd_vs), WR(wr_s_cet) },
    { M(MSR_PL0_SSP, 4, "IA32_PL0_SSP..PL3_SSP"), F1(SHSTK), .icpt = MSR_ICPT_W, .host = MSR_HOST_GUEST,
      RD(rd_hw), WR(wr_pl_ssp) },
    { M(MSR_INT_SSP_TAB, 1, "IA32_INTERRUPT_SSP_TABLE_ADDR"), F1(SHSTK), .icpt = MSR_ICPT_RW,
      .host = MSR_HOST_HW, VS(VS_INT_SSP_TAB), RD(rd_vs), WR(wr_int_ssp_tab) },
    { M(MSR_TSC_DEADLINE, 1, "IA32_TSC_DEADLINE"), F1(TSC_DEADLINE), .icpt = MSR_ICPT_NONE,
      .host = MSR_HOST_GUEST, RD(rd_tsc_deadline), WR(wr_tsc_deadline) },
    /* x2APIC (see wr_hw). The ICR has a row of its own: a multi-CPU keel
     * intercepts its writes (INIT/SIPI to an AP it holds) without touching
     * the other registers' rows. */
    { M(MSR_X2APIC_FIRST, MSR_X2APIC_ICR - MSR_X2APIC_FIRST, "X2APIC_0x800-0x82f"), F1(X2APIC),
      .icpt = MSR_ICPT_NONE, .host = MSR_HOST_GUEST, RD(rd_hw), WR(wr_hw) },
    { M(MSR_X2APIC_ICR, 1, "X2APIC_ICR"), F1(X2APIC), .icpt = MSR_ICPT_NONE, .host = MSR_HOST_GUEST,
      RD(rd_hw), WR(wr_x2apic_icr) },
    { M(MSR_X2APIC_ICR + 1, MSR_X2APIC_LAST - MSR_X2APIC_ICR, "X2APIC_0x831-0x8ff"), F1(X2APIC),
      .icpt = MSR_ICPT_NONE, .host = MSR_HOST_GUEST, RD(rd_hw), WR(wr_hw) },
    { M(MSR_XSS, 1, "IA32_XSS"), F1(XSAVES), .icpt = MSR_ICPT_W, .host = MSR_HOST_GUEST, .slot = MSLOT_XSS,
      RD(rd_xss), WR(wr_xss) },
    /* No paravirtual MSRs (KVM 0x4b564dxx lives elsewhere; Hyper-V and KVM's
     * old range are here): the whole window is #GP. */
    { M(MSR_PV_FIRST, MSR_PV_COUNT, "PARAVIRT_0x40000000"), .extra = MSR_X_NEVER, .icpt = MSR_ICPT_RW,
      .host = MSR_HOST_NONE, RD(rd_gp), WR(wr_gp) },
    { M(MSR_VIRTUAL_ENUMERATION, 1, "MSR_VIRTUAL_ENUMERATION"), .vendor = MSR_V_INTEL,
      .extra = MSR_X_VIRT_MITIG, .icpt = MSR_ICPT_RW, .host = MSR_HOST_NONE, RD(rd_virt_enum), WR(wr_gp) },
    { M(MSR_VIRTUAL_MITIGATION_ENUM, 1, "MSR_VIRTUAL_MITIGATION_ENUM"), .vendor = MSR_V_INTEL,
      .extra = MSR_X_VIRT_MITIG, .icpt = MSR_ICPT_RW, .host = MSR_HOST_NONE, RD(rd_miti_enum), WR(wr_gp) },
    { M(MSR_VIRTUAL_MITIGATION_CTRL, 1, "MSR_VIRTUAL_MITIGATION_CTRL"), .vendor = MSR_V_INTEL,
      .extra = MSR_X_VIRT_MITIG, .icpt = MSR_ICPT_RW, .host = MSR_HOST_NONE, .slot = MSLOT_MITI_CTRL,
      RD(rd_slot), WR(wr_miti_ctrl) },
    { M(MSR_EFER, 1, "IA32_EFER"), .feat = { FEAT_LM, FEAT_NX, FEAT_SYSCALL }, .icpt = MSR_ICPT_RW, .host = MSR_HOST_HW, VS(VS_EFER),
      RD(rd_vs), WR(wr_efer) },
    { M(MSR_STAR, 1, "IA32_STAR"), F2(SYSCALL, LM), .icpt = MSR_ICPT_NONE, .host = MSR_HOST_GUEST,
      VS(VS_STAR), RD(rd_vs), WR(wr_vs) },
    { M(MSR_LSTAR, 1, "IA32_LSTAR"), F1(LM), .icpt = MSR_ICPT_NONE, .host = MSR_HOST_GUEST, VS(VS_LSTAR),
      .flags = MSR_F_CANON, RD(rd_vs), WR(wr_vs) },
    /* Intel CPUs do not implement CSTAR (the VMCS has no field for it):
     * always emulated from the vendor's software copy. */
    { M(MSR_CSTAR, 1, "IA32_CSTAR"), F1(LM), .icpt = MSR_ICPT_RW, .host = MSR_HOST_GUEST, VS(VS_CSTAR),
      .flags = MSR_F_CANON, RD(rd_vs), WR(wr_vs) },
    { M(MSR_SFMASK, 1, "IA32_FMASK"), F2(SYSCALL, LM), .icpt = MSR_ICPT_NONE, .host = MSR_HOST_GUEST,
      VS(VS_SFMASK), RD(rd_vs), WR(wr_vs) },
    { M(MSR_FS_BASE, 1, "IA32_FS_BASE"), F1(LM), .icpt = MSR_ICPT_NONE, .host = MSR_HOST_HW,
      VS(VS_FS_BASE), .flags = MSR_F_CANON, RD(rd_vs), WR(wr_vs) },
    { M(MSR_GS_BASE, 1, "IA32_GS_BASE"), F1(LM), .icpt = MSR_ICPT_NONE, .host = MSR_HOST_HW,
      VS(VS_GS_BASE), .flags = MSR_F_CANON, RD(rd_vs), WR(wr_vs) },
    { M(MSR_KERNEL_GS_BASE, 1, "IA32_KERNEL_GS_BASE"), F1(LM), .icpt = MSR_ICPT_NONE,
      .host = MSR_HOST_GUEST, VS(VS_KERNEL_GS_BASE), .flags = MSR_F_CANON, RD(rd_vs), WR(wr_vs) },
    { M(MSR_TSC_AUX, 1, "IA32_TSC_AUX"), F2(RDTSCP, RDPID), .icpt = MSR_ICPT_W, .host = MSR_HOST_KEEL,
      .slot = MSLOT_TSC_AUX, RD(rd_slot), WR(wr_tsc_aux) },
    { M(MSR_AMD_PERF_GLOBAL_STATUS, 4, "AMD_PERF_CNTR_GLOBAL_STATUS/CTL/STATUS_CLR/STATUS_SET"),
      .vendor = MSR_V_AMD, F1(PERFMON_V2), .icpt = MSR_ICPT_NONE, .host = MSR_HOST_GUEST, .flags = MSR_F_PMU,
      RD(rd_pmu), WR(wr_pmu) },
    { M(MSR_AMD_PERF_EVTSEL0, 8, "AMD_PERF_EVTSEL0-3/PERF_CTR0-3"), .vendor = MSR_V_AMD, .icpt = MSR_ICPT_NONE,
      .host = MSR_HOST_GUEST, .flags = MSR_F_PMU, RD(rd_pmu), WR(wr_pmu) },
    { M(MSR_SYSCFG, 1, "AMD_SYSCFG"), .vendor = MSR_V_AMD, .icpt = MSR_ICPT_RW, .host = MSR_HOST_NONE,
      RD(rd_zero), WR(wr_zero) },
    { M(MSR_HWCR, 1, "AMD_HWCR"), .vendor = MSR_V_AMD, .icpt = MSR_ICPT_RW, .host = MSR_HOST_NONE,
      .slot = MSLOT_HWCR, .rsvd = ~(HWCR_MCSTATUSWREN | HWCR_TSCFREQSEL), RD(rd_slot), WR(wr_hwcr) },
    { M(MSR_VM_CR, 1, "AMD_VM_CR"), .vendor = MSR_V_AMD, .icpt = MSR_ICPT_RW, .host = MSR_HOST_NONE,
      RD(rd_vm_cr), WR(wr_gp) },
    { M(MSR_VM_HSAVE_PA, 1, "AMD_VM_HSAVE_PA"), .vendor = MSR_V_AMD, F1(SVM), .icpt = MSR_ICPT_RW,
      .host = MSR_HOST_NONE, RD(rd_gp), WR(wr_gp) },
    { M(MSR_AMD_PERF_CTL0, 12, "AMD_PERF_CTL0-5/PERF_CTR0-5 (core)"), .vendor = MSR_V_AMD, F1(PERFCTR_CORE),
      .icpt = MSR_ICPT_NONE, .host = MSR_HOST_GUEST, .flags = MSR_F_PMU, RD(rd_pmu), WR(wr_pmu) },
};
const size_t msr_table_rows = sizeof(msr_table) / sizeof(msr_table[0]);
_Static_assert(sizeof(msr_table) / sizeof(msr_table[0]) <= MSR_MAX_ROWS, "grow MSR_MAX_ROWS");
_Static_assert(MSR_MAX_ROWS <= 64, "held_virtual has one bit per row");
