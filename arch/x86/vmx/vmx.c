/* The Intel VMX backend: VMXON, one VMCS per vCPU, EPT + VPID, MSR and I/O
 * bitmaps, VM-exit decode into the neutral record (vmm/exit.h), and the
 * hooks of vmm/arch_hooks.h. See docs/vmx.md; SDM Vol. 3 chapters 24-29.
 * keel runs the guest with every device and interrupt passed through: no
 * external-interrupt or NMI exiting, HLT runs in the guest. */
#include "arch/x86/vmx/vmx.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_decode.h"
#include "arch/x86/vmx/vmx_lib.h"
#include "arch/x86/cpu.h"
#include "arch/x86/exceptions.h"
#include "arch/x86/desc.h"
#include "arch/x86/percpu.h"
#include "arch/x86/stop.h"
#include "lib/format.h"
#include "lib/log.h"
#include "lib/palloc.h"
#include "lib/string.h"
#include "vmm/cpu_policy.h"
#include "vmm/npt.h"
#include "vmm/vendor.h"
#include "vmm/run.h"
#include "vmm/trace.h"
#include "vmm/arch_hooks.h"
#include "vmm/vm.h"

#define VPID_GUEST 1
#define HOST_FRAME_TOP 62   /* [62] regs pointer, [63] caller's RSP; below: exit-stub stack */

/* Guest segment access rights (SDM 24.4.1): accessed code/data, 4 KiB
 * granular, 32-bit; busy 32-bit TSS; unusable LDTR. */
#define AR_CODE32 0xc09b
#define AR_DATA32 0xc093
#define AR_TSS_BUSY 0x008b
#define AR_UNUSABLE 0x10000

/* vmx.raw_code marker for VMfail (not a VM exit): low bits = VM-instruction error. */
#define VMX_RAW_VMFAIL (1ull << 32)

struct vmx_vcpu {
    uint64_t vmcs_pa;
    uint8_t *msr_bitmap;        /* 4 KiB, physical = identity pointer */
    uint64_t io_bitmap_pa;      /* 8 KiB: bitmap A (ports 0-0x7fff), then B */
    uint64_t eptp;
    uint64_t xcr0;              /* guest XCR0 (software copy; left loaded in hardware) */
    uint32_t proc2;
    /* HOST_RSP points at host_frame[HOST_FRAME_TOP], written once at
     * vcpu_create: vmx_run keeps the regs pointer and its caller's RSP there
     * (vmx_entry.S), so no VMWRITE is needed per entry. The slots below the
     * top are the stack the exit stub uses before it switches back. */
    uint64_t host_frame[64];
    bool ran;                   /* vmx_run_loop ran it before (its VMCS was launched) */
};

static struct {
    uint64_t basic, misc, ept_vpid;
    uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
    uint64_t cap[VMX_CTL_COUNT];
    uint32_t pin, proc, exit, entry;    /* computed at cpu_init */
    uint64_t vmxon_pa;
    uint64_t host_cr0, host_cr3, host_cr4, host_efer, host_pat;
    uint64_t cr0_mask, cr4_mask;        /* guest/host masks: bits keel owns */
    struct vmx_mtrr mtrr;
    bool cet;                           /* load CET state on entry and exit */
    bool fix_lma;                       /* no IA32_VMX_MISC "store LMA": keep the control by hand */
    unsigned maxphyaddr;                /* CPUID 0x80000008 EAX[7:0], for PDPTE checks */
    struct vmx_vcpu *current;           /* the VMCS loaded with VMPTRLD */
} vmx;

/* vmx_entry.S: vmx_run is called from vmx_pass's inline asm only. */
void vmx_run(void);
extern char vmx_exit_point[];

/* ---- VMX instructions ------------------------------------------------------ */

/* Measurement build (make KEEL_EXTRA_CFLAGS=-DKEEL_VMINSN_COUNT): count the
 * VMREADs and VMWRITEs of each exit, from the VM exit through the handler
 * to the next VM entry, by exit kind; printed at each I/O exit (the guest's
 * exit port). Under a nested hypervisor every one it does not shadow is an
 * exit to L0 (README "Cost when nested"). */
#ifdef KEEL_VMINSN_COUNT
static struct {
    uint64_t rd, wr, mark_rd, mark_wr;
    uint64_t n[EXIT_KIND_COUNT], krd[EXIT_KIND_COUNT], kwr[EXIT_KIND_COUNT];
} vmi;
#define VMI_COUNT(f) (vmi.f++)
static void vmi_attribute(enum exit_kind k)
{
    vmi.n[k]++;
    vmi.krd[k] += vmi.rd - vmi.mark_rd;
    vmi.kwr[k] += vmi.wr - vmi.mark_wr;
    vmi.mark_rd = vmi.rd;
    vmi.mark_wr = vmi.wr;
}
static void vmi_print(void)
{
    unsigned k;
    for (k = 0; k < EXIT_KIND_COUNT; k++)
        if (vmi.n[k])
            klog("vmx: vm-insn count: %-14s %8lu exits  VMREAD %lu.%02lu  VMWRITE %lu.%02lu per exit", exit_kind_names[k],
                 vmi.n[k], vmi.krd[k] / vmi.n[k], vmi.krd[k] * 100 / vmi.n[k] % 100, vmi.kwr[k] / vmi.n[k],
                 vmi.kwr[k] * 100 / vmi.n[k] % 100);
}
#else
#define VMI_COUNT(f) ((void)0)
#endif

static inline uint64_t vmread(uint64_t field)
{
    uint64_t v;
    VMI_COUNT(rd);
    __asm__ volatile("vmread %[f], %[v]" : [v] "=r"(v) : [f] "r"(field) : "cc");
    return v;
}

/* VMREAD that reports VMfail (e.g. VM-instruction error 12, unsupported
 * VMCS component) instead of returning garbage; for the diagnostics. */
static bool vmread_safe(uint64_t field, uint64_t *val)
{
    bool bad;
    uint64_t v = 0;
    __asm__ volatile("vmread %[f], %[v]; setna %[b]" : [v] "+r"(v), [b] "=qm"(bad) : [f] "r"(field) : "cc");
    *val = v;
    return !bad;
}

static inline void vmwrite(uint64_t field, uint64_t val)
{
    VMI_COUNT(wr);
    __asm__ volatile("vmwrite %[v], %[f]" ::[v] "r"(val), [f] "r"(field) : "cc", "memory");
}

/* Setup-time VMWRITE: remembers the first field that failed. */
static uint64_t setup_bad_field = ~0ull;
static void vw(uint64_t field, uint64_t val)
{
    bool bad;
    __asm__ volatile("vmwrite %[v], %[f]; setna %[b]" : [b] "=qm"(bad) : [v] "r"(val), [f] "r"(field) : "cc", "memory");
    if (bad && setup_bad_field == ~0ull)
        setup_bad_field = field;
}

static bool vmx_insn_mem(const char *what, uint64_t pa)
{
    bool bad;
    if (!strcmp(what, "vmxon"))
        __asm__ volatile("vmxon %[p]; setna %[b]" : [b] "=qm"(bad) : [p] "m"(pa) : "cc", "memory");
    else if (!strcmp(what, "vmclear"))
        __asm__ volatile("vmclear %[p]; setna %[b]" : [b] "=qm"(bad) : [p] "m"(pa) : "cc", "memory");
    else
        __asm__ volatile("vmptrld %[p]; setna %[b]" : [b] "=qm"(bad) : [p] "m"(pa) : "cc", "memory");
    return !bad;
}

static bool invept(uint64_t type, uint64_t eptp)
{
    struct { uint64_t eptp, zero; } d = { eptp, 0 };
    bool bad;
    __asm__ volatile("invept %[d], %[t]; setna %[b]" : [b] "=qm"(bad) : [d] "m"(d), [t] "r"(type) : "cc", "memory");
    return !bad;
}

static bool invvpid(uint64_t type, uint16_t vpid)
{
    struct { uint64_t vpid, gla; } d = { vpid, 0 };
    bool bad;
    __asm__ volatile("invvpid %[d], %[t]; setna %[b]" : [b] "=qm"(bad) : [d] "m"(d), [t] "r"(type) : "cc", "memory");
    return !bad;
}

static void load_vmcs(struct vmx_vcpu *vv)
{
    if (vmx.current != vv) {
        vmx_insn_mem("vmptrld", vv->vmcs_pa);
        vmx.current = vv;
    }
}

static struct vmx_vcpu *vvcpu(struct vcpu *v)
{
    struct vmx_vcpu *vv = v->vendor;
    load_vmcs(vv);
    return vv;
}

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

/* The requests of docs/vmx.md "Controls". */
static const struct vmx_ctl_req req_pin = {
    .required = 0,
    .desired = 0,
    .forbidden = PIN_EXT_INT_EXITING | PIN_NMI_EXITING | PIN_VIRTUAL_NMIS | PIN_PREEMPTION_TIMER |
                 PIN_POSTED_INTERRUPTS,
};
static const struct vmx_ctl_req req_proc = {
    .required = PROC_USE_IO_BITMAPS | PROC_MWAIT_EXITING | PROC_MONITOR_EXITING | PROC_SECONDARY_CONTROLS,
    .desired = PROC_USE_MSR_BITMAPS | PROC_USE_TSC_OFFSETTING,
    .forbidden = PROC_INT_WINDOW_EXITING | PROC_HLT_EXITING | PROC_INVLPG_EXITING | PROC_RDPMC_EXITING |
                 PROC_RDTSC_EXITING | PROC_CR3_LOAD_EXITING | PROC_CR3_STORE_EXITING |
                 PROC_TERTIARY_CONTROLS | PROC_CR8_LOAD_EXITING | PROC_CR8_STORE_EXITING |
                 PROC_USE_TPR_SHADOW | PROC_NMI_WINDOW_EXITING | PROC_MOV_DR_EXITING |
                 PROC_UNCOND_IO_EXITING | PROC_MONITOR_TRAP_FLAG | PROC_PAUSE_EXITING,
};
/* Secondary controls: the policy-dependent bits are added per vCPU. */
#define PROC2_POLICY (PROC2_RDTSCP | PROC2_INVPCID | PROC2_XSAVES)
static const struct vmx_ctl_req req_proc2_base = {
    .required = PROC2_EPT | PROC2_UNRESTRICTED_GUEST,
    .desired = PROC2_VPID,
    .forbidden = ~(uint32_t)(PROC2_EPT | PROC2_UNRESTRICTED_GUEST | PROC2_VPID | PROC2_POLICY),
};
static const struct vmx_ctl_req req_exit = {
    .required = EXIT_HOST_ADDR_SPACE_SIZE,
    .desired = EXIT_SAVE_DEBUG_CONTROLS | EXIT_SAVE_PAT | EXIT_LOAD_PAT | EXIT_SAVE_EFER | EXIT_LOAD_EFER,
    .forbidden = EXIT_ACK_INT_ON_EXIT | EXIT_SAVE_PREEMPTION_TIMER | EXIT_LOAD_PERF_GLOBAL_CTRL |
                 EXIT_PT_CONCEAL | EXIT_CLEAR_RTIT_CTL,
};
static const struct vmx_ctl_req req_entry = {
    .required = ENTRY_LOAD_DEBUG_CONTROLS,
    .desired = ENTRY_LOAD_PAT | ENTRY_LOAD_EFER,
    .forbidden = ENTRY_IA32E_MODE_GUEST | ENTRY_TO_SMM | ENTRY_DEACT_DUAL_MONITOR |
                 ENTRY_LOAD_PERF_GLOBAL_CTRL | ENTRY_PT_CONCEAL | ENTRY_LOAD_RTIT_CTL,
};

static uint64_t alloc_zero_page(void)
{
    return palloc_page();   /* zeroed; physical == identity pointer */
}

/* SDM 25.6.4: bitmap A covers ports 0-0x7fff, B 0x8000-0xffff; a set bit
 * makes IN/OUT of that port exit. Everything else is passed through. */
static void vmx_io_intercept(struct vcpu *v, uint16_t port)
{
    struct vmx_vcpu *vv = v->vendor;
    uint8_t *map = palloc_ptr(vv->io_bitmap_pa);
    map[port >> 3] |= (uint8_t)(1u << (port & 7));
}

static void vmx_io_passthrough(struct vcpu *v, uint16_t port)
{
    struct vmx_vcpu *vv = v->vendor;
    uint8_t *map = palloc_ptr(vv->io_bitmap_pa);
    map[port >> 3] &= (uint8_t)~(1u << (port & 7));
}

static struct vendor_options opts;   /* from vmm/ at cpu_init */

static bool vmx_cpu_init(const struct vendor_options *o)
{
    opts = *o;
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

    ok &= compute_ctl(VMX_CTL_PIN, &req_pin, &vmx.pin);
    ok &= compute_ctl(VMX_CTL_PROC, &req_proc, &vmx.proc);
    {
        /* Checked here with every policy bit desired, so missing ones are
         * named once; vcpu_create recomputes with the guest's policy. */
        struct vmx_ctl_req r2 = req_proc2_base;
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
    ok &= compute_ctl(VMX_CTL_EXIT, &req_exit, &vmx.exit);
    ok &= compute_ctl(VMX_CTL_ENTRY, &req_entry, &vmx.entry);
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

static void setup_guest_state(struct vcpu *v, const struct guest_entry *e)
{
    struct vmx_vcpu *vv = v->vendor;
    uint64_t cr0 = CR0_PE | CR0_ET | CR0_NE;
    uint64_t cr4 = 0;

    /* Multiboot / Linux 32-bit boot protocol: flat 4 GiB segments,
     * protected mode, paging off (needs unrestricted guest). */
    set_seg(VMCS_GUEST_ES_SEL, 0x10, 0, 0xffffffff, AR_DATA32);
    set_seg(VMCS_GUEST_CS_SEL, 0x08, 0, 0xffffffff, AR_CODE32);
    set_seg(VMCS_GUEST_SS_SEL, 0x10, 0, 0xffffffff, AR_DATA32);
    set_seg(VMCS_GUEST_DS_SEL, 0x10, 0, 0xffffffff, AR_DATA32);
    set_seg(VMCS_GUEST_FS_SEL, 0x10, 0, 0xffffffff, AR_DATA32);
    set_seg(VMCS_GUEST_GS_SEL, 0x10, 0, 0xffffffff, AR_DATA32);
    set_seg(VMCS_GUEST_LDTR_SEL, 0, 0, 0, AR_UNUSABLE);
    set_seg(VMCS_GUEST_TR_SEL, 0, 0, 0x67, AR_TSS_BUSY);
    vw(VMCS_GUEST_GDTR_BASE, 0);
    vw(VMCS_GUEST_GDTR_LIMIT, 0);
    vw(VMCS_GUEST_IDTR_BASE, 0);
    vw(VMCS_GUEST_IDTR_LIMIT, 0);

    vw(VMCS_GUEST_CR0, (cr0 | (vmx.cr0_fixed0 & ~(CR0_PE | CR0_PG))) & vmx.cr0_fixed1);
    vw(VMCS_CR0_SHADOW, cr0);
    vw(VMCS_CR0_MASK, vmx.cr0_mask);
    vw(VMCS_GUEST_CR3, 0);
    vw(VMCS_GUEST_CR4, (cr4 | vmx.cr4_fixed0) & vmx.cr4_fixed1);
    vw(VMCS_CR4_SHADOW, cr4);
    vw(VMCS_CR4_MASK, vmx.cr4_mask);
    vw(VMCS_GUEST_DR7, 0x400);
    vw(VMCS_GUEST_RFLAGS, 0x2);
    vw(VMCS_GUEST_RIP, e->rip);
    vw(VMCS_GUEST_RSP, e->rsp);
    vw(VMCS_GUEST_PENDING_DBG, 0);
    vw(VMCS_GUEST_INTERRUPTIBILITY, 0);
    vw(VMCS_GUEST_ACTIVITY, 0);
    vw(VMCS_LINK_POINTER, ~0ull);
    vw(VMCS_GUEST_DEBUGCTL, 0);
    vw(VMCS_GUEST_SYSENTER_CS, 0);
    vw(VMCS_GUEST_SYSENTER_ESP, 0);
    vw(VMCS_GUEST_SYSENTER_EIP, 0);
    if (vmx.entry & ENTRY_LOAD_EFER)
        vw(VMCS_GUEST_EFER, 0);
    if (vmx.entry & ENTRY_LOAD_PAT)
        vw(VMCS_GUEST_PAT, 0x0007040600070406ull);     /* power-on value (SDM 13.12.4) */
    if (vmx.cet) {
        vw(VMCS_GUEST_S_CET, 0);
        vw(VMCS_GUEST_SSP, 0);
        vw(VMCS_GUEST_INT_SSP_TAB, 0);
    }
    vv->xcr0 = 1;   /* x87, the reset value */

    /* The GPRs: vcpu_reset_regs (vmm/vcpu_reset.c), before this. */
}

static uint32_t proc2_for(const struct cpu_policy *p)
{
    struct vmx_ctl_req r = req_proc2_base;
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

static bool vmx_vcpu_create(struct vcpu *v, const struct guest_entry *entry, uint64_t npt_root)
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
    vw(VMCS_HOST_RSP, (uint64_t)&vv->host_frame[HOST_FRAME_TOP]);
    setup_guest_state(v, entry);

    if (v->index == 0 && opts.selftest == VENDOR_SELFTEST_BAD_GUEST_STATE) {
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

/* ---- guest-state snapshot for the checker and the dump ---------------------------- */

static void read_guest_fields(struct vmx_guest_fields *f)
{
    unsigned i;
    memset(f, 0, sizeof(*f));
    f->cr0 = vmread(VMCS_GUEST_CR0);
    f->cr3 = vmread(VMCS_GUEST_CR3);
    f->cr4 = vmread(VMCS_GUEST_CR4);
    f->dr7 = vmread(VMCS_GUEST_DR7);
    f->efer = (vmx.entry & ENTRY_LOAD_EFER) ? vmread(VMCS_GUEST_EFER) : 0;
    f->rflags = vmread(VMCS_GUEST_RFLAGS);
    f->rip = vmread(VMCS_GUEST_RIP);
    f->debugctl = vmread(VMCS_GUEST_DEBUGCTL);
    f->link_pointer = vmread(VMCS_LINK_POINTER);
    f->interruptibility = (uint32_t)vmread(VMCS_GUEST_INTERRUPTIBILITY);
    f->activity = (uint32_t)vmread(VMCS_GUEST_ACTIVITY);
    for (i = 0; i < SEG_COUNT; i++) {
        f->seg[i].sel = (uint16_t)vmread(VMCS_GUEST_ES_SEL + 2 * i);
        f->seg[i].limit = (uint32_t)vmread(VMCS_GUEST_ES_LIMIT + 2 * i);
        f->seg[i].ar = (uint32_t)vmread(VMCS_GUEST_ES_AR + 2 * i);
        f->seg[i].base = vmread(VMCS_GUEST_ES_BASE + 2 * i);
    }
    f->gdtr_limit = (uint32_t)vmread(VMCS_GUEST_GDTR_LIMIT);
    f->idtr_limit = (uint32_t)vmread(VMCS_GUEST_IDTR_LIMIT);
    f->entry_ctls = (uint32_t)vmread(VMCS_ENTRY_CTLS);
    f->proc2_ctls = (uint32_t)vmread(VMCS_PROC_CTLS2);
    f->cr0_fixed0 = vmx.cr0_fixed0;
    f->cr0_fixed1 = vmx.cr0_fixed1;
    f->cr4_fixed0 = vmx.cr4_fixed0;
    f->cr4_fixed1 = vmx.cr4_fixed1;
    f->vmx_misc = vmx.misc;
}

static unsigned report_checks(const char *when)
{
    struct vmx_guest_fields f;
    const char *msgs[16];
    unsigned n, i;
    read_guest_fields(&f);
    n = vmx_check_guest(&f, msgs, 16);
    for (i = 0; i < n && i < 16; i++)
        klog("vmx: %s check failed: SDM %s", when, msgs[i]);
    return n;
}

/* ---- enter and exit decode ----------------------------------------------------------- */

static void vmfail(struct vcpu *v, int how, bool launched)
{
    struct vm_exit *x = &v->exit;
    memset(x, 0, sizeof(*x));
    x->kind = EXIT_INVALID_STATE;
    if (how == 1) {
        klog("vmx: %s failed: VMfailInvalid (no current VMCS)", launched ? "VMRESUME" : "VMLAUNCH");
        x->raw_code = VMX_RAW_VMFAIL;
        return;
    }
    x->raw_code = VMX_RAW_VMFAIL | (uint32_t)vmread(VMCS_INSN_ERROR);
    klog("vmx: %s failed: VM-instruction error %u (%s)", launched ? "VMRESUME" : "VMLAUNCH",
         (uint32_t)x->raw_code, vmx_insn_error_name((uint32_t)x->raw_code));
}

/* An NMI taken in VMX root mode was the guest's: inject it when the guest
 * is not blocking NMIs (no NMI, STI or MOV-SS blocking: SDM 26.3.1.5) and no
 * other event is pending; otherwise try again at the next entry. */
static void reflect_nmi(void)
{
    if (vmread(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID)
        return;
    if (vmread(VMCS_GUEST_INTERRUPTIBILITY) & 0xb)
        return;
    vmwrite(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_NMI | 2);
    this_cpu()->nmis_pending--;
}

/* Every exit but the hot four: the whole record. */
static __attribute__((noinline)) void decode_slow(struct vcpu *v, uint32_t reason)
{
    struct vm_exit *x = &v->exit;
    uint32_t idt;

    x->raw_code = reason;
    x->raw_info1 = vmread(VMCS_EXIT_QUALIFICATION);
    x->raw_info2 = 0;
    x->rip = vmread(VMCS_GUEST_RIP);
    x->insn_len = (uint8_t)vmread(VMCS_EXIT_INSN_LEN);
    x->kind = vmx_exit_kind(reason);

    /* An exit in the middle of delivering an event (SDM 27.2.4): deliver it
     * again on the next entry unless a handler injects something else. */
    idt = (uint32_t)vmread(VMCS_IDT_VECTORING_INFO);
    if (idt & INTR_INFO_VALID) {
        vmwrite(VMCS_ENTRY_INTR_INFO, idt & ~0x7ffff000u);
        if (idt & INTR_INFO_ERROR_VALID)
            vmwrite(VMCS_ENTRY_EXCEPTION_ERROR, vmread(VMCS_IDT_VECTORING_ERROR));
        vmwrite(VMCS_ENTRY_INSN_LEN, x->insn_len);
    }

    vmx_decode_qual(x, x->raw_info1);
#ifdef KEEL_VMINSN_COUNT
    if (x->kind == EXIT_IO)
        vmi_print();
#endif
    switch (x->kind) {
    case EXIT_NPF:
    case EXIT_NPT_MISCONFIG:
        x->u.npf.gpa = vmread(VMCS_GUEST_PHYS_ADDR);
        if (x->raw_info1 & (1u << 7))   /* guest-linear address valid */
            x->raw_info2 = vmread(VMCS_GUEST_LINEAR_ADDR);
        break;
    case EXIT_EXCEPTION: {
        uint32_t info = (uint32_t)vmread(VMCS_EXIT_INTR_INFO);
        x->u.exc.vector = (uint8_t)info;
        x->u.exc.has_error = info & INTR_INFO_ERROR_VALID;
        x->u.exc.error = x->u.exc.has_error ? (uint32_t)vmread(VMCS_EXIT_INTR_ERROR) : 0;
        x->raw_info2 = info;
        break;
    }
    default:
        break;
    }
}

/* The hot exits (CPUID, RDMSR, WRMSR, VMCALL) decode to the kind: one
 * VMREAD; the completion reads the length. The IDT-vectoring field is not
 * read for them: an exit caused by executing an instruction does not
 * happen during event delivery, so it cannot be valid (SDM 27.2.4). A full
 * exit reason equal to the basic one also means bit 31 (VM-entry failure)
 * is clear. */
static inline __attribute__((always_inline)) void decode(struct vcpu *v)
{
    struct vm_exit *x = &v->exit;
    uint32_t reason = (uint32_t)vmread(VMCS_EXIT_REASON);

    /* Tested in the order of their budgets (README, Benchmarks). */
    uint64_t detail = 0;

    if (reason == VMX_EXIT_CPUID) {
        x->kind = EXIT_CPUID;
    } else if (reason == VMX_EXIT_VMCALL) {
        x->kind = EXIT_HYPERCALL;
    } else if (reason == VMX_EXIT_RDMSR || reason == VMX_EXIT_WRMSR) {
        x->kind = reason == VMX_EXIT_RDMSR ? EXIT_MSR_READ : EXIT_MSR_WRITE;
        detail = (uint32_t)v->regs.rcx;
    } else {
        decode_slow(v, reason);
        trace_record(v, v->exit.kind);
        return;
    }
    /* RIP: for the trace ring and for the completion, which adds the
     * length to it. Their qualification is 0 (SDM 28.2.1). */
    x->rip = vmread(VMCS_GUEST_RIP);
    trace_hot(v, x->kind, x->rip, 0, detail);
}

/* vcpu_complete_insn, committed before the entry: RIP += the exit's
 * instruction length; the instruction completed, so blocking by STI /
 * MOV SS ends with it (interruptibility bits 0-1, SDM 25.4.2); and the
 * single-step trap if RFLAGS.TF is set. */
static inline __attribute__((always_inline)) void complete_insn(struct vcpu *v)
{
    uint64_t intr;
    vmwrite(VMCS_GUEST_RIP, v->exit.rip + vmread(VMCS_EXIT_INSN_LEN));
    intr = vmread(VMCS_GUEST_INTERRUPTIBILITY);
    if (__builtin_expect(intr & 3, 0))
        vmwrite(VMCS_GUEST_INTERRUPTIBILITY, intr & ~3ull);
    if (__builtin_expect(vmread(VMCS_GUEST_RFLAGS) & RFLAGS_TF, 0))
        vcpu_single_step_trap(v);
}

/* CPUs that do not store EFER.LMA into the "IA-32e mode guest" control
 * on exit (IA32_VMX_MISC bit 5 = 0): keep it in step by hand. */
static __attribute__((noinline)) void fix_lma(void)
{
    uint64_t ec = vmread(VMCS_ENTRY_CTLS);
    bool lma = vmread(VMCS_GUEST_EFER) & EFER_LMA;
    if (!!(ec & ENTRY_IA32E_MODE_GUEST) != lma)
        vmwrite(VMCS_ENTRY_CTLS, lma ? ec | ENTRY_IA32E_MODE_GUEST : ec & ~ENTRY_IA32E_MODE_GUEST);
}

/* ENTRY_WORK_TLB, set by another CPU: it took a page out of the shared EPT
 * tables (SDM 29.4.3.1). */
static __attribute__((noinline)) void flush_ept(struct vcpu *v)
{
    vcpu_entry_work_clear(v, ENTRY_WORK_TLB);
    if (vmx.ept_vpid & EPT_CAP_INVEPT)
        invept((vmx.ept_vpid & EPT_CAP_INVEPT_SINGLE) ? 1 : 2, vvcpu(v)->eptp);
}

/* One pass: complete, reflect NMIs, switch MSRs, world switch (a CALL from
 * inline asm naming every register but RSP as clobbered, so keel's
 * callee-saved registers are saved once per run), decode. The first pass
 * of a run (first = true) is peeled off: it runs the pre-entry checks and
 * VMLAUNCH; every later pass is a VMRESUME (an entry that fails ends the
 * run, so there is no relaunch). NULL: a handler stopped the run. Built
 * twice, with and without the LMA
 * fix-up (fix_lma), so the common CPU pays no test for it. */
static inline __attribute__((always_inline)) struct vcpu *vmx_pass(struct vcpu *v, const bool first,
                                                                   const bool lma)
{
    int r;

    if (v->exit.advance) {
        v->exit.advance = false;
        complete_insn(v);
    }
    if (__builtin_expect(v->entry_work != 0, 0)) {
        if (v->entry_work & ENTRY_WORK_STOP)
            return NULL;
        if (v->entry_work & ENTRY_WORK_TLB)
            flush_ept(v);
        if (v->entry_work & ENTRY_WORK_MSR)
            msr_before_entry_slow(v);
    }
    /* A plain read (one compare): the asm's memory clobber re-reads it every pass. */
    if (__builtin_expect(this_cpu_nmis_pending() != 0, 0))
        reflect_nmi();
    if (first)
        /* Once, before the first VMLAUNCH: name what the CPU would reject. */
        report_checks("pre-entry");
#ifdef KEEL_VMINSN_COUNT
    vmi_attribute(first ? EXIT_NONE : v->exit.kind);
#endif
    {
        struct vmx_vcpu *vv = v->vendor;
        register struct vcpu *rdi __asm__("rdi") = v;   /* &v->regs: regs is the first member */
        register uint64_t rsi __asm__("rsi") = !first;  /* VMLAUNCH once, then VMRESUME */
        register uint64_t *rdx __asm__("rdx") = &vv->host_frame[HOST_FRAME_TOP];
        register uint64_t rax __asm__("rax");
        __asm__ volatile("call vmx_run"
                         : "+D"(rdi), "+S"(rsi), "+d"(rdx), "=a"(rax)
                         :
                         : "rbx", "rcx", "rbp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "memory",
                           "cc");
        v = rdi;
        r = (int)rax;
    }
    if (__builtin_expect(r != 0, 0)) {
        vmfail(v, r, !first);
        trace_record(v, v->exit.kind);
    } else {
        decode(v);
        if (lma)
            fix_lma();
    }
    msr_after_exit(v);
    return v;
}

static inline __attribute__((always_inline)) void vmx_loop(struct vcpu *v, const bool lma)
{
    vvcpu(v);           /* this vCPU's VMCS is current */
    for (v = vmx_pass(v, true, lma); v; v = vmx_pass(v, false, lma))
        vcpu_dispatch(v);
}

/* Built twice, with and without the EFER.LMA fix-up (VCPU_LOOP_ATTR, vmm/run.h). */
static VCPU_LOOP_ATTR void vmx_loop_plain(struct vcpu *v) { vmx_loop(v, false); }
static VCPU_LOOP_ATTR void vmx_loop_lma(struct vcpu *v) { vmx_loop(v, true); }

static void vmx_run_loop(struct vcpu *v)
{
    struct vmx_vcpu *vv = v->vendor;
    /* Every run starts with the peeled VMLAUNCH pass. An AP's vCPU runs
     * again after keel held it in its own wait-for-SIPI (vmm/smp.c, CPUs
     * without the hardware state): VMCLEAR puts its VMCS back in the
     * "clear" launch state (SDM 24.11.3) so that VMLAUNCH is right again. */
    if (vv->ran) {
        vmx.current = NULL;
        if (!vmx_insn_mem("vmclear", vv->vmcs_pa))
            keel_fatal("vmx: VMCLEAR of vcpu %u's VMCS failed", v->index);
    }
    vv->ran = true;
    if (vmx.fix_lma)
        vmx_loop_lma(v);
    else
        vmx_loop_plain(v);
}

/* ---- dump_state ------------------------------------------------------------------------ */

static void vmx_dump_state(struct vcpu *v)
{
    static const char *const seg_names[SEG_COUNT] = { "ES", "CS", "SS", "DS", "FS", "GS", "LDTR", "TR" };
    uint32_t reason, basic, err;
    uint64_t qual;
    unsigned i;

    vvcpu(v);
    reason = (uint32_t)vmread(VMCS_EXIT_REASON);
    basic = reason & 0xffff;
    qual = vmread(VMCS_EXIT_QUALIFICATION);
    err = (uint32_t)vmread(VMCS_INSN_ERROR);
    if (v->exit.raw_code & VMX_RAW_VMFAIL)
        klog("vmx: VM entry failed with VMfail: VM-instruction error %u (%s)", err, vmx_insn_error_name(err));
    else
        klog("vmx: exit reason %u (%s)%s, qualification 0x%lx", basic, vmx_exit_reason_name(basic),
             (reason & VMX_EXIT_REASON_ENTRY_FAIL) ? " [VM-entry failure]" : "", qual);
    if (reason & VMX_EXIT_REASON_ENTRY_FAIL && !(v->exit.raw_code & VMX_RAW_VMFAIL))
        klog("vmx: entry failure qualification %lu: %s", qual, vmx_entry_fail_qual_name(basic, qual));
    /* Only fields this CPU has (SDM Appendix B); a VMREAD that still fails
     * is named rather than printed as a value. */
    for (i = 0; i < vmx_dump_field_count; i++) {
        const struct vmx_field *f = &vmx_dump_fields[i];
        uint64_t val;
        if (!vmx_field_exists(f, vmx.cap)) {
            klog("vmx:   %-36s n/a (the CPU lacks \"%s\")", f->name, vmx_field_condition(f));
        } else if (!vmread_safe(f->enc, &val)) {
            uint64_t e = 0;
            vmread_safe(VMCS_INSN_ERROR, &e);
            klog("vmx:   %-36s VMREAD failed: VM-instruction error %lu (%s)", f->name, e,
                 vmx_insn_error_name((uint32_t)e));
        } else {
            klog("vmx:   %-36s 0x%lx", f->name, val);
        }
    }
    for (i = 0; i < SEG_COUNT; i++)
        klog("vmx:   guest %-4s selector 0x%04lx base 0x%lx limit 0x%lx access rights 0x%lx", seg_names[i],
             vmread(VMCS_GUEST_ES_SEL + 2 * i), vmread(VMCS_GUEST_ES_BASE + 2 * i),
             vmread(VMCS_GUEST_ES_LIMIT + 2 * i), vmread(VMCS_GUEST_ES_AR + 2 * i));
    klog("vmx:   guest GPRs rax=%lx rbx=%lx rcx=%lx rdx=%lx rsi=%lx rdi=%lx rbp=%lx", v->regs.rax, v->regs.rbx,
         v->regs.rcx, v->regs.rdx, v->regs.rsi, v->regs.rdi, v->regs.rbp);
}

static unsigned vmx_explain_entry_failure(struct vcpu *v)
{
    vvcpu(v);
    return report_checks("guest-state");
}

/* ---- hooks ------------------------------------------------------------------------------ */

static void vmx_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
    uint32_t info = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | vector;
    vvcpu(v);
    /* No error code is delivered in real mode (SDM 26.2.1.3). */
    if (has_error && (vmread(VMCS_GUEST_CR0) & CR0_PE)) {
        info |= INTR_INFO_ERROR_VALID;
        vmwrite(VMCS_ENTRY_EXCEPTION_ERROR, error);
    }
    vmwrite(VMCS_ENTRY_INTR_INFO, info);
}

static uint64_t visible_cr(uint64_t hw, uint64_t shadow, uint64_t mask)
{
    return (hw & ~mask) | (shadow & mask);
}

static uint64_t vmx_get_state(struct vcpu *v, enum vcpu_state s)
{
    struct vmx_vcpu *vv = vvcpu(v);
    uint64_t val = 0;
    switch (s) {
    case VS_RIP: return vmread(VMCS_GUEST_RIP);
    case VS_RSP: return vmread(VMCS_GUEST_RSP);
    case VS_RFLAGS: return vmread(VMCS_GUEST_RFLAGS);
    case VS_CR0: return visible_cr(vmread(VMCS_GUEST_CR0), vmread(VMCS_CR0_SHADOW), vmx.cr0_mask);
    case VS_CR2: return read_cr2();
    case VS_CR3: return vmread(VMCS_GUEST_CR3);
    case VS_CR4: return visible_cr(vmread(VMCS_GUEST_CR4), vmread(VMCS_CR4_SHADOW), vmx.cr4_mask);
    case VS_XCR0: return vv->xcr0;
    case VS_EFER: return (vmx.entry & ENTRY_LOAD_EFER) ? vmread(VMCS_GUEST_EFER) : rdmsr(MSR_EFER);
    case VS_PAT: return (vmx.entry & ENTRY_LOAD_PAT) ? vmread(VMCS_GUEST_PAT) : rdmsr(MSR_PAT);
    case VS_DEBUGCTL: return vmread(VMCS_GUEST_DEBUGCTL);
    case VS_SYSENTER_CS: return vmread(VMCS_GUEST_SYSENTER_CS);
    case VS_SYSENTER_ESP: return vmread(VMCS_GUEST_SYSENTER_ESP);
    case VS_SYSENTER_EIP: return vmread(VMCS_GUEST_SYSENTER_EIP);
    /* Not switched by VMX and never used by keel: live in hardware. */
    case VS_STAR: return rdmsr(MSR_STAR);
    case VS_LSTAR: return rdmsr(MSR_LSTAR);
    case VS_CSTAR: return rdmsr_safe(MSR_CSTAR, &val) ? val : 0;
    case VS_SFMASK: return rdmsr(MSR_SFMASK);
    case VS_KERNEL_GS_BASE: return rdmsr(MSR_KERNEL_GS_BASE);
    case VS_FS_BASE: return vmread(VMCS_GUEST_FS_BASE);
    case VS_GS_BASE: return vmread(VMCS_GUEST_GS_BASE);
    case VS_TSC_OFFSET: return (vmx.proc & PROC_USE_TSC_OFFSETTING) ? vmread(VMCS_TSC_OFFSET) : 0;
    case VS_S_CET: return vmx.cet ? vmread(VMCS_GUEST_S_CET) : 0;
    case VS_SSP: return vmx.cet ? vmread(VMCS_GUEST_SSP) : 0;
    case VS_INT_SSP_TAB: return vmx.cet ? vmread(VMCS_GUEST_INT_SSP_TAB) : 0;
    case VS_CPL: return (vmread(VMCS_GUEST_SS_AR) >> 5) & 3;
    case VS_DR6: return read_dr6();    /* not switched: MOV-DR exiting is off, the guest owns DR6 */
    case VS_INTR_SHADOW: return vmread(VMCS_GUEST_INTERRUPTIBILITY) & 3;
    case VS_CS_BASE: return vmread(VMCS_GUEST_CS_BASE);
    /* Access rights: L = bit 13, D/B = bit 14 (SDM 25.4.1, Table 25-2). */
    case VS_CS_FLAGS: val = vmread(VMCS_GUEST_CS_AR);
        return ((val >> 14) & 1 ? CS_FLAG_D : 0) | ((val >> 13) & 1 ? CS_FLAG_L : 0);
    default: return 0;
    }
}

/* IA-32e mode follows EFER.LME && CR0.PG (SDM 10.8.5); VM entry needs
 * EFER.LMA and the "IA-32e mode guest" control to agree (26.3.1.1). */
static void sync_long_mode(void)
{
    uint64_t efer, ec, cr0 = vmread(VMCS_GUEST_CR0);
    bool lma;
    if (!(vmx.entry & ENTRY_LOAD_EFER))
        return;
    efer = vmread(VMCS_GUEST_EFER);
    lma = (efer & EFER_LME) && (cr0 & CR0_PG);
    vmwrite(VMCS_GUEST_EFER, lma ? efer | EFER_LMA : efer & ~EFER_LMA);
    ec = vmread(VMCS_ENTRY_CTLS);
    vmwrite(VMCS_ENTRY_CTLS, lma ? ec | ENTRY_IA32E_MODE_GUEST : ec & ~ENTRY_IA32E_MODE_GUEST);
}

/* PAE paging outside IA-32e mode with EPT: VM entry loads the guest's
 * PDPTEs from the VMCS, not from CR3 (SDM 26.3.2.4), so when keel carries
 * out a MOV to CR0/CR3/CR4 for the guest it must load them as the CPU would
 * have (SDM 4.4.1, 28.3.1). Read and checked before anything is committed:
 * false = the MOV #GPs (reserved bits in a present PDPTE, or CR3 not in
 * guest RAM). *need = false when the new state is not PAE paging. */
#define CR0_PDPTE_BITS (CR0_PG | CR0_CD | CR0_NW)
#define CR4_PDPTE_BITS (CR4_PSE | CR4_PAE | CR4_PGE | CR4_SMEP)
static bool read_pdptes(const struct guest_layout *g, uint64_t cr0, uint64_t cr3, uint64_t cr4, bool lma,
                        bool relevant, uint64_t pd[4], bool *need)
{
    const uint64_t *src;
    *need = relevant && vmx_pae_paging(cr0, cr4, lma ? EFER_LMA : 0);
    if (!*need)
        return true;
    src = guest_phys_ptr(g, cr3 & 0xffffffe0ull, 4 * sizeof(uint64_t));
    if (!src)
        return false;
    memcpy(pd, src, 4 * sizeof(uint64_t));
    return vmx_pdptes_ok(pd, vmx.maxphyaddr);
}

static void write_pdptes(const uint64_t pd[4])
{
    vmwrite(VMCS_GUEST_PDPTE0, pd[0]);
    vmwrite(VMCS_GUEST_PDPTE1, pd[1]);
    vmwrite(VMCS_GUEST_PDPTE2, pd[2]);
    vmwrite(VMCS_GUEST_PDPTE3, pd[3]);
}

/* EFER.LMA once CR0 = cr0 (IA-32e mode = EFER.LME && CR0.PG, SDM 10.8.5). */
static bool lma_after(uint64_t cr0)
{
    if (!(vmx.entry & ENTRY_LOAD_EFER))
        return vmread(VMCS_ENTRY_CTLS) & ENTRY_IA32E_MODE_GUEST;
    return (vmread(VMCS_GUEST_EFER) & EFER_LME) && (cr0 & CR0_PG);
}

static bool vmx_set_state(struct vcpu *v, enum vcpu_state s, uint64_t val)
{
    struct vmx_vcpu *vv = vvcpu(v);
    uint64_t pd[4];
    bool pae;
    switch (s) {
    case VS_RIP: vmwrite(VMCS_GUEST_RIP, val); return true;
    case VS_RSP: vmwrite(VMCS_GUEST_RSP, val); return true;
    case VS_RFLAGS: vmwrite(VMCS_GUEST_RFLAGS, val | 2); return true;
    case VS_CR0:
        /* The architectural #GP rules were checked by vmm/cr_check.c; here
         * only what this CPU cannot hold (IA32_VMX_CR0_FIXED1, SDM A.7) and
         * the PDPTEs of PAE paging. */
        if (val & ~vmx.cr0_fixed1 & ~vmx.cr0_mask)
            return false;
        if (!read_pdptes(&v->vm->layout, val, vmread(VMCS_GUEST_CR3), vmread(VMCS_GUEST_CR4), lma_after(val),
                         ((val ^ vmx_get_state(v, VS_CR0)) & CR0_PDPTE_BITS) != 0, pd, &pae))
            return false;
        vmwrite(VMCS_GUEST_CR0, (val | (vmx.cr0_fixed0 & ~(CR0_PE | CR0_PG))) & vmx.cr0_fixed1);
        vmwrite(VMCS_CR0_SHADOW, val);
        sync_long_mode();
        if (pae)
            write_pdptes(pd);
        return true;
    case VS_CR2: write_cr2(val); return true;
    case VS_CR3:
        if (!read_pdptes(&v->vm->layout, vmread(VMCS_GUEST_CR0), val, vmread(VMCS_GUEST_CR4),
                         vmread(VMCS_ENTRY_CTLS) & ENTRY_IA32E_MODE_GUEST, true, pd, &pae))
            return false;
        vmwrite(VMCS_GUEST_CR3, val);
        if (pae)
            write_pdptes(pd);
        return true;
    case VS_CR4:
        /* Checked by vmm/cr_check.c (CR4.VMXE is reserved: the guest's CPUID
         * has no VMX); here only IA32_VMX_CR4_FIXED1 (SDM A.8) and PDPTEs. */
        if (val & ~vmx.cr4_fixed1)
            return false;
        if (!read_pdptes(&v->vm->layout, vmread(VMCS_GUEST_CR0), vmread(VMCS_GUEST_CR3), val,
                         vmread(VMCS_ENTRY_CTLS) & ENTRY_IA32E_MODE_GUEST,
                         ((val ^ vmx_get_state(v, VS_CR4)) & CR4_PDPTE_BITS) != 0, pd, &pae))
            return false;
        vmwrite(VMCS_GUEST_CR4, (val | vmx.cr4_fixed0) & vmx.cr4_fixed1);
        vmwrite(VMCS_CR4_SHADOW, val);
        if (pae)
            write_pdptes(pd);
        return true;
    case VS_XCR0:   /* checked by policy_xcr0_valid (vmm/cpuid_exit.c) */
        xsetbv(0, val);     /* keel uses no XSAVE state: the guest's value stays loaded */
        vv->xcr0 = val;
        return true;
    case VS_EFER:
        if (!(vmx.entry & ENTRY_LOAD_EFER))
            return false;
        vmwrite(VMCS_GUEST_EFER, val);
        sync_long_mode();
        return true;
    case VS_PAT:
        if (!(vmx.entry & ENTRY_LOAD_PAT))
            return false;
        vmwrite(VMCS_GUEST_PAT, val);
        return true;
    case VS_DEBUGCTL: vmwrite(VMCS_GUEST_DEBUGCTL, val); return true;
    case VS_SYSENTER_CS: vmwrite(VMCS_GUEST_SYSENTER_CS, val); return true;
    case VS_SYSENTER_ESP: vmwrite(VMCS_GUEST_SYSENTER_ESP, val); return true;
    case VS_SYSENTER_EIP: vmwrite(VMCS_GUEST_SYSENTER_EIP, val); return true;
    case VS_STAR: return wrmsr_safe(MSR_STAR, val);
    case VS_LSTAR: return wrmsr_safe(MSR_LSTAR, val);
    case VS_CSTAR: return wrmsr_safe(MSR_CSTAR, val);
    case VS_SFMASK: return wrmsr_safe(MSR_SFMASK, val);
    case VS_KERNEL_GS_BASE: return wrmsr_safe(MSR_KERNEL_GS_BASE, val);
    case VS_FS_BASE: vmwrite(VMCS_GUEST_FS_BASE, val); return true;
    case VS_GS_BASE: vmwrite(VMCS_GUEST_GS_BASE, val); return true;
    case VS_TSC_OFFSET:
        if (!(vmx.proc & PROC_USE_TSC_OFFSETTING))
            return false;
        vmwrite(VMCS_TSC_OFFSET, val);
        return true;
    case VS_S_CET:
        if (!vmx.cet)
            return false;
        vmwrite(VMCS_GUEST_S_CET, val);
        return true;
    case VS_SSP:
        if (!vmx.cet)
            return false;
        vmwrite(VMCS_GUEST_SSP, val);
        return true;
    case VS_INT_SSP_TAB:
        if (!vmx.cet)
            return false;
        vmwrite(VMCS_GUEST_INT_SSP_TAB, val);
        return true;
    case VS_DR6: write_dr6(val); return true;
    case VS_INTR_SHADOW: {
        /* Bits 0 (STI) and 1 (MOV SS) of the interruptibility state. */
        uint64_t intr = vmread(VMCS_GUEST_INTERRUPTIBILITY);
        if ((intr & 3) != (val & 3))
            vmwrite(VMCS_GUEST_INTERRUPTIBILITY, (intr & ~3ull) | (val & 3));
        return true;
    }
    default:
        return false;
    }
}

/* The 4 KiB MSR bitmap comes from the MSR engine's neutral maps (the same
 * source as SVM's permission map): vmm/msr_encode.c, SDM 25.6.9. MSRs
 * outside 0-0x1fff and 0xc0000000-0xc0001fff always exit. The engine
 * reports its bitmaps only after vcpu_create (vmm/vm.c: msr_vcpu_init
 * follows it), so the bitmap page always exists here. */

static void vmx_msr_intercepts_changed(struct vcpu *v, const struct msr_intercepts *mi)
{
    struct vmx_vcpu *vv = v->vendor;
    msr_encode_vmx_bitmap(mi, vv->msr_bitmap);
}

/* INIT then STARTUP (SDM Vol 3 10.4.4, table 10-1 "IA-32 processor states
 * following power-up, reset, or INIT"): real mode at CS = vector << 8,
 * IP 0, under unrestricted guest; EDX = family/model/stepping. */
static void vmx_sipi_reset(struct vcpu *v, uint8_t vector)
{
    struct vmx_vcpu *vv = v->vendor;
    uint64_t cr0 = CR0_ET | CR0_NE | (1ull << 29) | (1ull << 30);
    struct cpuid_regs r;

    load_vmcs(vv);
    set_seg(VMCS_GUEST_CS_SEL, (uint16_t)(vector << 8), (uint64_t)vector << 12, 0xffff, 0x9b);
    set_seg(VMCS_GUEST_ES_SEL, 0, 0, 0xffff, 0x93);
    set_seg(VMCS_GUEST_SS_SEL, 0, 0, 0xffff, 0x93);
    set_seg(VMCS_GUEST_DS_SEL, 0, 0, 0xffff, 0x93);
    set_seg(VMCS_GUEST_FS_SEL, 0, 0, 0xffff, 0x93);
    set_seg(VMCS_GUEST_GS_SEL, 0, 0, 0xffff, 0x93);
    set_seg(VMCS_GUEST_LDTR_SEL, 0, 0, 0xffff, 0x82);
    set_seg(VMCS_GUEST_TR_SEL, 0, 0, 0xffff, AR_TSS_BUSY);
    vw(VMCS_GUEST_GDTR_BASE, 0);
    vw(VMCS_GUEST_GDTR_LIMIT, 0xffff);
    vw(VMCS_GUEST_IDTR_BASE, 0);
    vw(VMCS_GUEST_IDTR_LIMIT, 0xffff);
    vw(VMCS_GUEST_CR0, (cr0 | (vmx.cr0_fixed0 & ~(CR0_PE | CR0_PG))) & vmx.cr0_fixed1);
    vw(VMCS_CR0_SHADOW, cr0);
    vw(VMCS_GUEST_CR3, 0);
    vw(VMCS_GUEST_CR4, vmx.cr4_fixed0 & vmx.cr4_fixed1);
    vw(VMCS_CR4_SHADOW, 0);
    vw(VMCS_GUEST_DR7, 0x400);
    vw(VMCS_GUEST_RFLAGS, 0x2);
    vw(VMCS_GUEST_RIP, 0);
    vw(VMCS_GUEST_RSP, 0);              /* RSP lives in the VMCS (the loop copies no RSP) */
    vw(VMCS_GUEST_INTERRUPTIBILITY, 0);
    vw(VMCS_GUEST_ACTIVITY, 0);
    vw(VMCS_ENTRY_INTR_INFO, 0);
    if (vmx.entry & ENTRY_LOAD_EFER)
        vw(VMCS_GUEST_EFER, 0);
    vw(VMCS_ENTRY_CTLS, vmread(VMCS_ENTRY_CTLS) & ~(uint64_t)ENTRY_IA32E_MODE_GUEST);
    vv->xcr0 = 1;
    memset(&v->regs, 0, sizeof(v->regs));
    cpuid_count(1, 0, &r);
    v->regs.rdx = r.eax;
}

/* Wait-for-SIPI activity state (SDM 24.4.2), if IA32_VMX_MISC bit 8 says
 * the CPU has it: a STARTUP then exits with its vector (SDM 26.6.2). */
static bool vmx_wait_for_sipi(struct vcpu *v)
{
    if (!(vmx.misc & (1ull << 8)))
        return false;
    load_vmcs(v->vendor);
    vw(VMCS_GUEST_ACTIVITY, 3);
    vw(VMCS_GUEST_INTERRUPTIBILITY, 0);
    vw(VMCS_ENTRY_INTR_INFO, 0);
    return true;
}

const struct vendor_ops vmx_ops = {
    .name = "vmx",
    .cpu_init = vmx_cpu_init,
    .npt = &vmx_npt_format,
    .vcpu_create = vmx_vcpu_create,
    .run = vmx_run_loop,
    .dump_state = vmx_dump_state,
    .explain_entry_failure = vmx_explain_entry_failure,
    .inject_exception = vmx_inject_exception,
    .get_state = vmx_get_state,
    .set_state = vmx_set_state,
    .msr_intercepts_changed = vmx_msr_intercepts_changed,
    .io_intercept = vmx_io_intercept,
    .sipi_reset = vmx_sipi_reset,
    .wait_for_sipi = vmx_wait_for_sipi,
    .io_passthrough = vmx_io_passthrough,
};
