/* The Intel VMX backend's set-up: VMXON and the capabilities (controls
 * from the TRUE_ capability MSRs, EPT/VPID), the EPT entry format, the VMCS
 * of a new vCPU (host state, guest entry state, controls, bitmaps), and the
 * state after INIT and STARTUP. The run path is vmx.c. SDM Vol. 3 chapters
 * 24-26, Appendix A. */
#include "arch/x86/vmx/vmx_internal.h"

/* ---- cpu_init ---------------------------------------------------------------- */

static void read_mtrrs(void)
{
    uint64_t cap = rdmsr(MSR_MTRRCAP), fixed[11];
    unsigned i;
    struct cpuid_regs r;
    cpuid_count(1, 0, &r);
    if (!((r.edx >> 12) & 1)) {         /* no MTRRs: everything WB, as without them */
        vmx.mtrr.def_type = (1ull << 11) | MT_WB;
        return;
    }
    vmx.mtrr.def_type = rdmsr(MSR_MTRR_DEF_TYPE);
    vmx.mtrr.fixed_supported = (cap >> 8) & 1;
    if (vmx.mtrr.fixed_supported) {
        fixed[0] = rdmsr(MSR_MTRR_FIX64K_00000);
        fixed[1] = rdmsr(MSR_MTRR_FIX16K_80000);
        fixed[2] = rdmsr(MSR_MTRR_FIX16K_A0000);
        for (i = 0; i < 8; i++)
            fixed[3 + i] = rdmsr(MSR_MTRR_FIX4K_C0000 + i);
        vmx_mtrr_set_fixed(&vmx.mtrr, fixed);
    }
    vmx.mtrr.nvar = cap & 0xff;
    if (vmx.mtrr.nvar > VMX_MTRR_VAR_MAX)
        vmx.mtrr.nvar = VMX_MTRR_VAR_MAX;
    for (i = 0; i < vmx.mtrr.nvar; i++) {
        vmx.mtrr.var_base[i] = rdmsr(MSR_MTRR_PHYSBASE0 + 2 * i);
        vmx.mtrr.var_mask[i] = rdmsr(MSR_MTRR_PHYSBASE0 + 2 * i + 1);
    }
}

static bool compute_ctl(enum vmx_ctl_word w, const struct vmx_ctl_req *req, uint32_t *out)
{
    struct vmx_ctl_result r;
    char names[256];
    bool ok = vmx_ctl_compute(vmx.cap[w], req, &r);
    if (r.missing_desired) {
        vmx_ctl_names(w, r.missing_desired, names, sizeof(names));
        klog("vmx: CPU lacks desired %s controls: %s", vmx_ctl_word_name(w), names);
    }
    if (r.missing_required) {
        vmx_ctl_names(w, r.missing_required, names, sizeof(names));
        klog("vmx: CPU lacks required %s controls: %s", vmx_ctl_word_name(w), names);
    }
    if (r.forced_forbidden) {
        vmx_ctl_names(w, r.forced_forbidden, names, sizeof(names));
        klog("vmx: CPU forces %s controls keel cannot use: %s", vmx_ctl_word_name(w), names);
    }
    *out = r.value;
    return ok;
}



static uint64_t alloc_zero_page(void)
{
    return palloc_page();   /* zeroed; physical == identity pointer */
}

/* SDM 25.6.4: bitmap A covers ports 0-0x7fff, B 0x8000-0xffff; a set bit
 * makes IN/OUT of that port exit. Everything else is passed through. */
void vmx_io_intercept(struct vcpu *v, uint16_t port)
{
    struct vmx_vcpu *vv = v->vendor;
    uint8_t *map = palloc_ptr(vv->io_bitmap_pa);
    map[port >> 3] |= (uint8_t)(1u << (port & 7));
}

void vmx_io_passthrough(struct vcpu *v, uint16_t port)
{
    struct vmx_vcpu *vv = v->vendor;
    uint8_t *map = palloc_ptr(vv->io_bitmap_pa);
    map[port >> 3] &= (uint8_t)~(1u << (port & 7));
}

struct vendor_options vmx_opts;   /* from vmm/ at cpu_init */

bool vmx_cpu_init(const struct vendor_options *o)
{
    vmx_opts = *o;
    struct cpuid_regs r;
    uint64_t fc, cr0, cr4;
    bool true_ctls, ok = true;
    char line[160];

    cpuid_count(1, 0, &r);
    if (!((r.ecx >> 5) & 1)) {
        klog("vmx: not available (CPUID.1:ECX.VMX = 0)");
        return false;
    }
    /* SDM Vol. 3 24.7 "Enabling and Entering VMX Operation". */
    if (!rdmsr_safe(MSR_FEATURE_CONTROL, &fc)) {
        klog("vmx: IA32_FEATURE_CONTROL (0x3a) is not readable");
        return false;
    }
    if (!(fc & FEATURE_CONTROL_LOCKED)) {
        fc |= FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_VMX_OUTSIDE_SMX;
        if (!wrmsr_safe(MSR_FEATURE_CONTROL, fc)) {
            klog("vmx: cannot lock IA32_FEATURE_CONTROL with VMX enabled");
            return false;
        }
    } else if (!(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX)) {
        klog("vmx: disabled by firmware: IA32_FEATURE_CONTROL = 0x%lx is locked with VMX-outside-SMX "
             "(bit 2) clear; enable VT-x in the firmware setup",
             fc);
        return false;
    }

    vmx.basic = rdmsr(MSR_VMX_BASIC);
    vmx.misc = rdmsr(MSR_VMX_MISC);
    vmx.cr0_fixed0 = rdmsr(MSR_VMX_CR0_FIXED0);
    vmx.cr0_fixed1 = rdmsr(MSR_VMX_CR0_FIXED1);
    vmx.cr4_fixed0 = rdmsr(MSR_VMX_CR4_FIXED0);
    vmx.cr4_fixed1 = rdmsr(MSR_VMX_CR4_FIXED1);
    true_ctls = vmx.basic & VMX_BASIC_TRUE_CTLS;
    vmx.cap[VMX_CTL_PIN] = rdmsr(true_ctls ? MSR_VMX_TRUE_PINBASED_CTLS : MSR_VMX_PINBASED_CTLS);
    vmx.cap[VMX_CTL_PROC] = rdmsr(true_ctls ? MSR_VMX_TRUE_PROCBASED_CTLS : MSR_VMX_PROCBASED_CTLS);
    vmx.cap[VMX_CTL_EXIT] = rdmsr(true_ctls ? MSR_VMX_TRUE_EXIT_CTLS : MSR_VMX_EXIT_CTLS);
    vmx.cap[VMX_CTL_ENTRY] = rdmsr(true_ctls ? MSR_VMX_TRUE_ENTRY_CTLS : MSR_VMX_ENTRY_CTLS);
    if (vmx.cap[VMX_CTL_PROC] >> 63)
        vmx.cap[VMX_CTL_PROC2] = rdmsr(MSR_VMX_PROCBASED_CTLS2);
    if (vmx.cap[VMX_CTL_PROC2] >> 32 & (PROC2_EPT | PROC2_VPID))
        vmx.ept_vpid = rdmsr(MSR_VMX_EPT_VPID_CAP);
    if (this_cpu()->index == 0)
        klog("vmx: caps basic=%lx pin=%lx proc=%lx proc2=%lx exit=%lx entry=%lx", vmx.basic, vmx.cap[VMX_CTL_PIN],
         vmx.cap[VMX_CTL_PROC], vmx.cap[VMX_CTL_PROC2], vmx.cap[VMX_CTL_EXIT], vmx.cap[VMX_CTL_ENTRY]);
    if (this_cpu()->index == 0)
        klog("vmx: caps misc=%lx ept_vpid=%lx cr0_fixed=%lx/%lx cr4_fixed=%lx/%lx", vmx.misc, vmx.ept_vpid,
         vmx.cr0_fixed0, vmx.cr0_fixed1, vmx.cr4_fixed0, vmx.cr4_fixed1);

    ok &= compute_ctl(VMX_CTL_PIN, &vmx_req_pin, &vmx.pin);
    ok &= compute_ctl(VMX_CTL_PROC, &vmx_req_proc, &vmx.proc);
    {
        /* Checked here with every policy bit desired, so missing ones are
         * named once; vcpu_create recomputes with the guest's policy. */
        struct vmx_ctl_req r2 = vmx_req_proc2_base;
        uint32_t dummy;
        r2.desired |= PROC2_POLICY;
        if (!compute_ctl(VMX_CTL_PROC2, &r2, &dummy)) {
            if (!((vmx.cap[VMX_CTL_PROC2] >> 32) & PROC2_UNRESTRICTED_GUEST))
                klog("vmx: keel needs \"unrestricted guest\" to start guests in protected mode with paging off");
            if (!((vmx.cap[VMX_CTL_PROC2] >> 32) & PROC2_EPT))
                klog("vmx: keel needs EPT to isolate its memory from the guest");
            ok = false;
        }
    }
    ok &= compute_ctl(VMX_CTL_EXIT, &vmx_req_exit, &vmx.exit);
    ok &= compute_ctl(VMX_CTL_ENTRY, &vmx_req_entry, &vmx.entry);
    /* CET state is switched only when both directions can do it. */
    if ((vmx.cap[VMX_CTL_EXIT] >> 32 & EXIT_LOAD_CET_STATE) && (vmx.cap[VMX_CTL_ENTRY] >> 32 & ENTRY_LOAD_CET_STATE)) {
        vmx.cet = true;
        vmx.exit |= EXIT_LOAD_CET_STATE;
        vmx.entry |= ENTRY_LOAD_CET_STATE;
    }
    vmx.fix_lma = !(vmx.misc & VMX_MISC_STORE_LMA) && (vmx.entry & ENTRY_LOAD_EFER);
    if (!(vmx.ept_vpid & EPT_CAP_WALK4)) {
        klog("vmx: EPT without 4-level page walks (IA32_VMX_EPT_VPID_CAP bit 6 = 0)");
        ok = false;
    } else if (!vmx_eptp_for(vmx.ept_vpid, 0)) {
        klog("vmx: EPT can walk its tables neither WB nor UC (IA32_VMX_EPT_VPID_CAP bits 14 and 8 = 0)");
        ok = false;
    }
    {
        uint32_t dropped;
        char names[128];
        if (!vmx_pair_save_load(&vmx.exit, &vmx.entry, &dropped)) {
            klog("vmx: CPU has \"load debug controls\" without \"save debug controls\": guest DR7/DEBUGCTL "
                 "would be lost at every exit");
            ok = false;
        }
        if (dropped) {
            vmx_ctl_names(VMX_CTL_ENTRY, dropped, names, sizeof(names));
            klog("vmx: not using VM-entry controls %s: the CPU cannot save the guest's value on exit", names);
        }
    }
    if (!ok)
        return false;
    if (((vmx.basic >> 32) & 0x1fff) > PAGE_SIZE) {
        klog("vmx: VMCS region size %lu > 4 KiB", (vmx.basic >> 32) & 0x1fff);
        return false;
    }

    /* SDM 24.8 "Restrictions on VMX Operation": CR0/CR4 fixed bits. */
    cr0 = (read_cr0() | vmx.cr0_fixed0) & vmx.cr0_fixed1;
    write_cr0(cr0);
    cr4 = (read_cr4() | vmx.cr4_fixed0 | CR4_VMXE) & vmx.cr4_fixed1;
    if ((r.ecx >> 26) & 1)      /* XSAVE: keel executes XSETBV for the guest (VS_XCR0) */
        cr4 |= CR4_OSXSAVE;
    write_cr4(cr4);

    vmx.vmxon_pa = alloc_zero_page();
    if (!vmx.vmxon_pa) {
        klog("vmx: out of memory for the VMXON region");
        return false;
    }
    *(uint32_t *)palloc_ptr(vmx.vmxon_pa) = VMX_BASIC_REVISION(vmx.basic);
    if (!vmx_insn_mem("vmxon", vmx.vmxon_pa)) {
        klog("vmx: VMXON failed (CR0 %lx CR4 %lx, FEATURE_CONTROL %lx)", cr0, cr4, fc);
        return false;
    }
    read_mtrrs();
    {
        struct cpuid_regs x;
        cpuid_count(0x80000000, 0, &x);
        vmx.maxphyaddr = 36;
        if (x.eax >= 0x80000008) {
            cpuid_count(0x80000008, 0, &x);
            vmx.maxphyaddr = x.eax & 0xff;
        }
    }
    vmx.host_cr0 = read_cr0();
    vmx.host_cr3 = read_cr3();
    vmx.host_cr4 = read_cr4();
    vmx.host_efer = rdmsr(MSR_EFER);
    vmx.host_pat = rdmsr(MSR_PAT);
    /* Bits keel owns: CR0 bits VMX needs set (NE; PE/PG are the guest's
     * under unrestricted guest), CR4 bits VMX needs (VMXE). Guests read the
     * shadow; a write that changes an owned bit exits (EXIT_CR_ACCESS). */
    vmx.cr0_mask = vmx.cr0_fixed0 & ~(CR0_PE | CR0_PG);
    vmx.cr4_mask = vmx.cr4_fixed0 | CR4_VMXE;

    ksnprintf(line, sizeof(line), "%s%s%s%s%s%s", (vmx.ept_vpid & EPT_CAP_2M) ? " 2M" : "",
              (vmx.ept_vpid & EPT_CAP_1G) ? " 1G" : "", (vmx.ept_vpid & EPT_CAP_AD) ? " A/D" : "",
              (vmx.ept_vpid & EPT_CAP_WB) ? " WB" : " UC",
              vmx_invept_type(vmx.ept_vpid) == 1 ? ", INVEPT single" : vmx_invept_type(vmx.ept_vpid) ? ", INVEPT all" : ", no INVEPT",
              vmx_invvpid_type(vmx.ept_vpid) == 1 ? ", INVVPID single" : vmx_invvpid_type(vmx.ept_vpid) ? ", INVVPID all" : ", no INVVPID");
    if (this_cpu()->index == 0)
        klog("vmx: VMXON done: VMCS revision 0x%x, %s controls, EPT 4-level%s, VPID %s, unrestricted guest, "
         "MTRRs %s (%u variable)",
         VMX_BASIC_REVISION(vmx.basic), true_ctls ? "TRUE_" : "plain", line,
         (vmx.cap[VMX_CTL_PROC2] >> 32 & PROC2_VPID) ? "yes" : "no",
         (vmx.mtrr.def_type & (1ull << 11)) ? "on" : "off", vmx.mtrr.nvar);
    return true;
}

/* ---- EPT entry format (vmm/npt.h) ---------------------------------------------- */

static uint64_t ept_table_entry(uint64_t next)
{
    return vmx_ept_table_entry(next);
}

/* A large page whose range the MTRRs give mixed types returns 0: the
 * builder then maps that range with smaller pages (docs/vmx.md). */
static uint64_t ept_leaf_entry(uint64_t pa, int level)
{
    uint64_t size = level == 3 ? (1ull << 30) : level == 2 ? (1ull << 21) : (1ull << 12);
    uint8_t type;
    if (!vmx_ept_leaf_ok(vmx.ept_vpid, level))
        return 0;
    if (!vmx_mtrr_type(&vmx.mtrr, pa & ~(size - 1), size, &type))
        return 0;
    return vmx_ept_leaf(pa, level, type);
}

const struct npt_format vmx_npt_format = {
    .table_entry = ept_table_entry,
    .leaf_entry = ept_leaf_entry,
};

/* ---- vcpu_create ------------------------------------------------------------------ */

static void setup_host_state(void)
{
    vw(VMCS_HOST_CR0, vmx.host_cr0);
    vw(VMCS_HOST_CR3, vmx.host_cr3);
    vw(VMCS_HOST_CR4, vmx.host_cr4);
    vw(VMCS_HOST_CS_SEL, KEEL_CS);
    vw(VMCS_HOST_SS_SEL, KEEL_DS);
    vw(VMCS_HOST_DS_SEL, KEEL_DS);
    vw(VMCS_HOST_ES_SEL, KEEL_DS);
    vw(VMCS_HOST_FS_SEL, 0);
    vw(VMCS_HOST_GS_SEL, 0);
    vw(VMCS_HOST_TR_SEL, KEEL_TSS);
    vw(VMCS_HOST_FS_BASE, 0);
    vw(VMCS_HOST_GS_BASE, (uint64_t)this_cpu());     /* keel's per-CPU block (arch/x86/percpu.h) */
    vw(VMCS_HOST_TR_BASE, desc_tss_base());
    vw(VMCS_HOST_GDTR_BASE, desc_gdt_base());
    vw(VMCS_HOST_IDTR_BASE, desc_idt_base());
    vw(VMCS_HOST_SYSENTER_CS, 0);
    vw(VMCS_HOST_SYSENTER_ESP, 0);
    vw(VMCS_HOST_SYSENTER_EIP, 0);
    vw(VMCS_HOST_RIP, (uint64_t)vmx_exit_point);
    if (vmx.exit & EXIT_LOAD_EFER)
        vw(VMCS_HOST_EFER, vmx.host_efer);
    if (vmx.exit & EXIT_LOAD_PAT)
        vw(VMCS_HOST_PAT, vmx.host_pat);
    if (vmx.cet) {
        vw(VMCS_HOST_S_CET, 0);
        vw(VMCS_HOST_SSP, 0);
        vw(VMCS_HOST_INT_SSP_TAB, 0);
    }
}

static void set_seg(unsigned sel_f, uint16_t sel, uint64_t base, uint32_t limit, uint32_t ar)
{
    /* Selector, limit, AR and base fields of one register are at fixed
     * distances: 0x08xx selector, 0x48xx limit, 0x4814+2i AR, 0x6806+2i base. */
    unsigned i = (sel_f - VMCS_GUEST_ES_SEL) / 2;
    vw(sel_f, sel);
    vw(VMCS_GUEST_ES_LIMIT + 2 * i, limit);
    vw(VMCS_GUEST_ES_AR + 2 * i, ar);
    vw(VMCS_GUEST_ES_BASE + 2 * i, base);
}

/* A start of the guest (the boot entry or INIT-SIPI): the segments and the
 * registers the caller chooses; the rest as after INIT (SDM Vol. 3A table
 * 10-1). */
struct vmx_start {
    struct vmx_seg cs, data, ldtr, tr;  /* data: ES, SS, DS, FS, GS alike */
    uint32_t dt_limit;                  /* GDTR and IDTR, base 0 */
    uint64_t cr0, cr4, rip, rsp;        /* CR0/CR4 as the guest reads them */
};

static void load_start(struct vmx_vcpu *vv, const struct vmx_start *st)
{
    static const unsigned data_sel[] = {
        VMCS_GUEST_ES_SEL, VMCS_GUEST_SS_SEL, VMCS_GUEST_DS_SEL, VMCS_GUEST_FS_SEL, VMCS_GUEST_GS_SEL,
    };
    unsigned i;

    set_seg(VMCS_GUEST_CS_SEL, st->cs.sel, st->cs.base, st->cs.limit, st->cs.ar);
    for (i = 0; i < sizeof(data_sel) / sizeof(data_sel[0]); i++)
        set_seg(data_sel[i], st->data.sel, st->data.base, st->data.limit, st->data.ar);
    set_seg(VMCS_GUEST_LDTR_SEL, st->ldtr.sel, st->ldtr.base, st->ldtr.limit, st->ldtr.ar);
    set_seg(VMCS_GUEST_TR_SEL, st->tr.sel, st->tr.base, st->tr.limit, st->tr.ar);
    vw(VMCS_GUEST_GDTR_BASE, 0);
    vw(VMCS_GUEST_GDTR_LIMIT, st->dt_limit);
    vw(VMCS_GUEST_IDTR_BASE, 0);
    vw(VMCS_GUEST_IDTR_LIMIT, st->dt_limit);

    /* The CPU holds CR0/CR4 with the bits VMX fixes (SDM A.7, A.8; PE and
     * PG stay the guest's under unrestricted guest, 26.3.1.1); the guest
     * reads its own values through the shadows. */
    vw(VMCS_GUEST_CR0, (st->cr0 | (vmx.cr0_fixed0 & ~(CR0_PE | CR0_PG))) & vmx.cr0_fixed1);
    vw(VMCS_CR0_SHADOW, st->cr0);
    vw(VMCS_GUEST_CR3, 0);
    vw(VMCS_GUEST_CR4, (st->cr4 | vmx.cr4_fixed0) & vmx.cr4_fixed1);
    vw(VMCS_CR4_SHADOW, st->cr4);
    vw(VMCS_GUEST_DR7, X86_RESET_DR7);
    vw(VMCS_GUEST_RFLAGS, X86_RESET_RFLAGS);
    vw(VMCS_GUEST_RIP, st->rip);
    vw(VMCS_GUEST_RSP, st->rsp);        /* RSP lives in the VMCS (the loop copies no RSP) */
    vw(VMCS_GUEST_INTERRUPTIBILITY, 0);
    vw(VMCS_GUEST_ACTIVITY, 0);
    if (vmx.entry & ENTRY_LOAD_EFER)
        vw(VMCS_GUEST_EFER, 0);
    vv->xcr0 = X86_RESET_XCR0;
}

static void setup_guest_state(struct vcpu *v, const struct guest_entry *e)
{
    /* Multiboot / Linux 32-bit boot protocol: flat 4 GiB segments,
     * protected mode, paging off (needs unrestricted guest). */
    const struct vmx_start boot = {
        .cs = { 0x08, 0xffffffff, AR_CODE32, 0 },
        .data = { 0x10, 0xffffffff, AR_DATA32, 0 },
        .ldtr = { 0, 0, AR_UNUSABLE, 0 },
        .tr = { 0, 0x67, AR_TSS_BUSY, 0 },
        .dt_limit = 0,
        .cr0 = CR0_PE | CR0_ET | CR0_NE,
        .cr4 = 0,
        .rip = e->rip,
        .rsp = e->rsp,
    };

    load_start(v->vendor, &boot);
    vw(VMCS_CR0_MASK, vmx.cr0_mask);
    vw(VMCS_CR4_MASK, vmx.cr4_mask);
    vw(VMCS_GUEST_PENDING_DBG, 0);
    vw(VMCS_LINK_POINTER, ~0ull);
    vw(VMCS_GUEST_DEBUGCTL, 0);
    vw(VMCS_GUEST_SYSENTER_CS, 0);
    vw(VMCS_GUEST_SYSENTER_ESP, 0);
    vw(VMCS_GUEST_SYSENTER_EIP, 0);
    if (vmx.entry & ENTRY_LOAD_PAT)
        vw(VMCS_GUEST_PAT, X86_RESET_PAT);
    if (vmx.cet) {
        vw(VMCS_GUEST_S_CET, 0);
        vw(VMCS_GUEST_SSP, 0);
        vw(VMCS_GUEST_INT_SSP_TAB, 0);
    }

    /* The GPRs: vcpu_reset_regs (vmm/vcpu_reset.c), before this. */
}

static uint32_t proc2_for(const struct cpu_policy *p)
{
    struct vmx_ctl_req r = vmx_req_proc2_base;
    uint32_t val;
    /* Guest CPUID without the feature: the control stays 0 and the
     * instruction raises #UD, as on a CPU without it (SDM 25.6.2). */
    if (p && policy_has(p, FEAT_RDTSCP))
        r.desired |= PROC2_RDTSCP;
    if (p && policy_has(p, FEAT_INVPCID))
        r.desired |= PROC2_INVPCID;
    if (p && policy_has(p, FEAT_XSAVES))
        r.desired |= PROC2_XSAVES;
    /* VPID only with an INVVPID type to flush it (SDM 31.3 "INVVPID"). */
    if (!vmx_invvpid_type(vmx.ept_vpid))
        r.desired &= ~PROC2_VPID;
    {
        struct vmx_ctl_result res;
        vmx_ctl_compute(vmx.cap[VMX_CTL_PROC2], &r, &res);
        val = res.value;
    }
    return val;
}

bool vmx_vcpu_create(struct vcpu *v, const struct guest_entry *entry, uint64_t npt_root)
{
    struct vmx_vcpu *vv;
    uint64_t vv_pa = alloc_zero_page(), msr_pa = alloc_zero_page(), vmcs_pa = alloc_zero_page();
    uint64_t io_pa = palloc_pages(2, PAGE_SIZE), eptp;

    if (!vv_pa || !msr_pa || !vmcs_pa || !io_pa) {
        klog("vmx: out of memory for the VMCS");
        return false;
    }
    _Static_assert(sizeof(struct vmx_vcpu) <= PAGE_SIZE, "struct vmx_vcpu fits a page");
    vv = palloc_ptr(vv_pa);
    v->vendor = vv;
    vv->vmcs_pa = vmcs_pa;
    vv->io_bitmap_pa = io_pa;   /* zeroed: no port exits until vmm/ asks (io_intercept) */
    vv->msr_bitmap = palloc_ptr(msr_pa);
    memset(vv->msr_bitmap, 0xff, PAGE_SIZE);    /* every MSR exits until the MSR engine says */
    *(uint32_t *)palloc_ptr(vmcs_pa) = VMX_BASIC_REVISION(vmx.basic);
    if (!vmx_insn_mem("vmclear", vmcs_pa) || !vmx_insn_mem("vmptrld", vmcs_pa)) {
        klog("vmx: VMCLEAR/VMPTRLD of the new VMCS failed");
        return false;
    }
    vmx.current = vv;

    vv->proc2 = proc2_for(v->policy);
    if (!(vv->proc2 & PROC2_UNRESTRICTED_GUEST)) {
        klog("vmx: the guest starts in protected mode with paging off, which needs \"unrestricted guest\"");
        return false;
    }
    setup_bad_field = ~0ull;
    vw(VMCS_PIN_CTLS, vmx.pin);
    vw(VMCS_PROC_CTLS, vmx.proc);
    vw(VMCS_PROC_CTLS2, vv->proc2);
    vw(VMCS_EXIT_CTLS, vmx.exit);
    vw(VMCS_ENTRY_CTLS, vmx.entry);
    vw(VMCS_EXCEPTION_BITMAP, 0);
    vw(VMCS_PF_ERROR_MASK, 0);
    vw(VMCS_PF_ERROR_MATCH, 0);
    vw(VMCS_CR3_TARGET_COUNT, 0);
    vw(VMCS_EXIT_MSR_STORE_COUNT, 0);
    vw(VMCS_EXIT_MSR_LOAD_COUNT, 0);
    vw(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
    vw(VMCS_ENTRY_INTR_INFO, 0);
    vw(VMCS_IO_BITMAP_A, io_pa);
    vw(VMCS_IO_BITMAP_B, io_pa + PAGE_SIZE);
    if (vmx.proc & PROC_USE_MSR_BITMAPS)
        vw(VMCS_MSR_BITMAP, msr_pa);
    if (vmx.proc & PROC_USE_TSC_OFFSETTING)
        vw(VMCS_TSC_OFFSET, 0);

    /* EPT pointer (SDM 25.6.11): memory type, 4-level walk, A/D flags;
     * cpu_init made sure one of the two memory types is supported. */
    eptp = vmx_eptp_for(vmx.ept_vpid, npt_root);
    vv->eptp = eptp;
    vw(VMCS_EPT_POINTER, eptp);
    if (vv->proc2 & PROC2_VPID)
        vw(VMCS_VPID, VPID_GUEST);
    /* With "enable XSAVES/XRSTORS" the XSS-exiting bitmap is consulted
     * (SDM 25.6.20): 0 = no XSAVES/XRSTORS exits, as KVM writes it. */
    if (vmx_needs_xss_exit_bitmap(vv->proc2))
        vw(VMCS_XSS_EXIT_BITMAP, 0);

    setup_host_state();
    /* The exit pushes the guest's GPRs into v->regs (vmx_entry.S). */
    vw(VMCS_HOST_RSP, (uint64_t)&v->regs.rsp);
    setup_guest_state(v, entry);

    if (v->index == 0 && vmx_opts.selftest == VENDOR_SELFTEST_BAD_GUEST_STATE) {
        klog("vmx: selftest=bad-guest-state: guest TR access rights set to 0 on purpose");
        vw(VMCS_GUEST_TR_AR, 0);
    }
    if (setup_bad_field != ~0ull) {
        uint32_t err = (uint32_t)vmread(VMCS_INSN_ERROR);
        klog("vmx: VMWRITE of field 0x%04lx failed: VM-instruction error %u (%s)", setup_bad_field, err,
             vmx_insn_error_name(err));
        return false;
    }

    /* Stale translations for this EPTP / VPID from an earlier VMCS, with the
     * types the CPU advertises. Without INVEPT the tables are new anyway. */
    {
        unsigned t = vmx_invept_type(vmx.ept_vpid);
        if (t && !invept(t, eptp)) {
            uint32_t err = (uint32_t)vmread(VMCS_INSN_ERROR);
            klog("vmx: INVEPT type %u failed: VM-instruction error %u (%s)", t, err, vmx_insn_error_name(err));
            return false;
        }
        t = vmx_invvpid_type(vmx.ept_vpid);
        if ((vv->proc2 & PROC2_VPID) && !invvpid(t, VPID_GUEST)) {
            uint32_t err = (uint32_t)vmread(VMCS_INSN_ERROR);
            klog("vmx: INVVPID type %u failed: VM-instruction error %u (%s)", t, err, vmx_insn_error_name(err));
            return false;
        }
    }

    {
        char names[200];
        vmx_ctl_names(VMX_CTL_PROC2, vv->proc2, names, sizeof(names));
        klog("vmx: vcpu %u: VMCS at %lx, EPTP %lx, secondary controls: %s", v->index, vmcs_pa, eptp, names);
    }
    return true;
}

/* INIT then STARTUP (SDM Vol 3 10.4.4, table 10-1 "IA-32 processor states
 * following power-up, reset, or INIT"): real mode at CS = vector << 8,
 * IP 0, under unrestricted guest; EDX = family/model/stepping. */
void vmx_sipi_reset(struct vcpu *v, uint8_t vector)
{
    struct vmx_vcpu *vv = v->vendor;
    const struct vmx_start sipi = {
        .cs = { (uint16_t)(vector << 8), 0xffff, 0x9b, (uint64_t)vector << 12 },
        .data = { 0, 0xffff, 0x93, 0 },
        .ldtr = { 0, 0xffff, 0x82, 0 },
        .tr = { 0, 0xffff, AR_TSS_BUSY, 0 },
        .dt_limit = 0xffff,
        .cr0 = CR0_ET | CR0_NE | CR0_NW | CR0_CD,
        .cr4 = 0,
        .rip = 0,
        .rsp = 0,
    };
    struct cpuid_regs r;

    load_vmcs(vv);
    load_start(vv, &sipi);
    vw(VMCS_ENTRY_INTR_INFO, 0);
    vw(VMCS_ENTRY_CTLS, vmread(VMCS_ENTRY_CTLS) & ~(uint64_t)ENTRY_IA32E_MODE_GUEST);
    memset(&v->regs, 0, sizeof(v->regs));
    cpuid_count(1, 0, &r);
    v->regs.rdx = r.eax;
}

/* Wait-for-SIPI activity state (SDM 24.4.2), if IA32_VMX_MISC bit 8 says
 * the CPU has it: a STARTUP then exits with its vector (SDM 26.6.2). */
