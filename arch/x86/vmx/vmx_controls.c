/* VMX control words from the capability MSRs (SDM Vol. 3 Appendix A.3-A.5,
 * 26.2.1.1). Each control of keel is required, desired or forbidden; bits
 * the CPU forces to 1 (allowed-0 = 1) are set whatever keel wants. */
#include "arch/x86/vmx/vmx_lib.h"
#include "arch/x86/vmx/vmcs.h"
#include "lib/format.h"

bool vmx_ctl_compute(uint64_t cap, const struct vmx_ctl_req *req, struct vmx_ctl_result *out)
{
    uint32_t must1 = (uint32_t)cap;             /* allowed-0 settings */
    uint32_t may1 = (uint32_t)(cap >> 32);      /* allowed-1 settings */

    out->missing_required = req->required & ~may1;
    out->missing_desired = req->desired & ~may1;
    out->forced_forbidden = req->forbidden & must1;
    /* A bit the CPU forces to 1 is set even if forbidden: the caller fails
     * anyway, but the value stays one the CPU accepts. */
    out->value = (must1 | ((req->required | req->desired) & may1)) & (may1 | must1);
    return !out->missing_required && !out->forced_forbidden;
}

static const char *const pin_names[32] = {
    [0] = "external-interrupt exiting", [3] = "NMI exiting", [5] = "virtual NMIs",
    [6] = "VMX-preemption timer", [7] = "posted interrupts",
};

static const char *const proc_names[32] = {
    [2] = "interrupt-window exiting", [3] = "use TSC offsetting", [7] = "HLT exiting",
    [9] = "INVLPG exiting", [10] = "MWAIT exiting", [11] = "RDPMC exiting", [12] = "RDTSC exiting",
    [15] = "CR3-load exiting", [16] = "CR3-store exiting", [17] = "activate tertiary controls",
    [19] = "CR8-load exiting", [20] = "CR8-store exiting", [21] = "use TPR shadow",
    [22] = "NMI-window exiting", [23] = "MOV-DR exiting", [24] = "unconditional I/O exiting",
    [25] = "use I/O bitmaps", [27] = "monitor trap flag", [28] = "use MSR bitmaps",
    [29] = "MONITOR exiting", [30] = "PAUSE exiting", [31] = "activate secondary controls",
};

static const char *const proc2_names[32] = {
    [0] = "virtualize APIC accesses", [1] = "enable EPT", [2] = "descriptor-table exiting",
    [3] = "enable RDTSCP", [4] = "virtualize x2APIC mode", [5] = "enable VPID",
    [6] = "WBINVD exiting", [7] = "unrestricted guest", [8] = "APIC-register virtualization",
    [9] = "virtual-interrupt delivery", [10] = "PAUSE-loop exiting", [11] = "RDRAND exiting",
    [12] = "enable INVPCID", [13] = "enable VM functions", [14] = "VMCS shadowing",
    [15] = "ENCLS exiting", [16] = "RDSEED exiting", [17] = "enable PML", [18] = "EPT-violation #VE",
    [19] = "conceal VMX from PT", [20] = "enable XSAVES/XRSTORS", [21] = "PASID translation",
    [22] = "mode-based execute control for EPT", [23] = "sub-page write permissions for EPT",
    [24] = "Intel PT uses guest physical addresses", [25] = "use TSC scaling",
    [26] = "enable user wait and pause", [27] = "enable PCONFIG", [28] = "enable ENCLV exiting",
};

static const char *const exit_names[32] = {
    [2] = "save debug controls", [9] = "host address-space size", [12] = "load IA32_PERF_GLOBAL_CTRL",
    [15] = "acknowledge interrupt on exit", [18] = "save IA32_PAT", [19] = "load IA32_PAT",
    [20] = "save IA32_EFER", [21] = "load IA32_EFER", [22] = "save VMX-preemption timer value",
    [23] = "clear IA32_BNDCFGS", [24] = "conceal VMX from PT", [25] = "clear IA32_RTIT_CTL",
    [28] = "load CET state",
};

static const char *const entry_names[32] = {
    [2] = "load debug controls", [9] = "IA-32e mode guest", [10] = "entry to SMM",
    [11] = "deactivate dual-monitor treatment", [13] = "load IA32_PERF_GLOBAL_CTRL",
    [14] = "load IA32_PAT", [15] = "load IA32_EFER", [16] = "load IA32_BNDCFGS",
    [17] = "conceal VMX from PT", [18] = "load IA32_RTIT_CTL", [20] = "load CET state",
};

static const char *const *const ctl_tables[VMX_CTL_COUNT] = {
    pin_names, proc_names, proc2_names, exit_names, entry_names,
};

const char *vmx_ctl_bit_name(enum vmx_ctl_word w, unsigned bit)
{
    if ((unsigned)w >= VMX_CTL_COUNT || bit >= 32)
        return 0;
    return ctl_tables[w][bit];
}

const char *vmx_ctl_word_name(enum vmx_ctl_word w)
{
    static const char *const n[VMX_CTL_COUNT] = {
        "pin-based", "primary processor-based", "secondary processor-based", "VM-exit", "VM-entry",
    };
    return (unsigned)w < VMX_CTL_COUNT ? n[w] : "?";
}

void vmx_ctl_names(enum vmx_ctl_word w, uint32_t mask, char *buf, unsigned len)
{
    unsigned bit, pos = 0;
    if (!len)
        return;
    buf[0] = 0;
    for (bit = 0; bit < 32 && pos < len; bit++) {
        const char *n;
        int k;
        if (!(mask & (1u << bit)))
            continue;
        n = vmx_ctl_bit_name(w, bit);
        if (n)
            k = ksnprintf(buf + pos, len - pos, "%s%s", pos ? ", " : "", n);
        else
            k = ksnprintf(buf + pos, len - pos, "%sbit %u", pos ? ", " : "", bit);
        pos += (unsigned)k;
    }
    if (pos >= len)
        buf[len - 1] = 0;
}

/* keel's requests (docs/vmx.md "Controls"): one copy, used by the set-up
 * (vmx_init.c) and by the host tests. */
const struct vmx_ctl_req vmx_req_pin = {
    .required = 0,
    .desired = 0,
    .forbidden = PIN_EXT_INT_EXITING | PIN_NMI_EXITING | PIN_VIRTUAL_NMIS | PIN_PREEMPTION_TIMER |
                 PIN_POSTED_INTERRUPTS,
};
const struct vmx_ctl_req vmx_req_proc = {
    .required = PROC_USE_IO_BITMAPS | PROC_MWAIT_EXITING | PROC_MONITOR_EXITING | PROC_SECONDARY_CONTROLS,
    .desired = PROC_USE_MSR_BITMAPS | PROC_USE_TSC_OFFSETTING,
    .forbidden = PROC_INT_WINDOW_EXITING | PROC_HLT_EXITING | PROC_INVLPG_EXITING | PROC_RDPMC_EXITING |
                 PROC_RDTSC_EXITING | PROC_CR3_LOAD_EXITING | PROC_CR3_STORE_EXITING |
                 PROC_TERTIARY_CONTROLS | PROC_CR8_LOAD_EXITING | PROC_CR8_STORE_EXITING |
                 PROC_USE_TPR_SHADOW | PROC_NMI_WINDOW_EXITING | PROC_MOV_DR_EXITING |
                 PROC_UNCOND_IO_EXITING | PROC_MONITOR_TRAP_FLAG | PROC_PAUSE_EXITING,
};
/* Secondary controls: the policy-dependent bits (PROC2_POLICY) are added per vCPU. */
const struct vmx_ctl_req vmx_req_proc2_base = {
    .required = PROC2_EPT | PROC2_UNRESTRICTED_GUEST,
    .desired = PROC2_VPID,
    .forbidden = ~(uint32_t)(PROC2_EPT | PROC2_UNRESTRICTED_GUEST | PROC2_VPID | PROC2_POLICY),
};
const struct vmx_ctl_req vmx_req_exit = {
    .required = EXIT_HOST_ADDR_SPACE_SIZE,
    .desired = EXIT_SAVE_DEBUG_CONTROLS | EXIT_SAVE_PAT | EXIT_LOAD_PAT | EXIT_SAVE_EFER | EXIT_LOAD_EFER,
    .forbidden = EXIT_ACK_INT_ON_EXIT | EXIT_SAVE_PREEMPTION_TIMER | EXIT_LOAD_PERF_GLOBAL_CTRL |
                 EXIT_PT_CONCEAL | EXIT_CLEAR_RTIT_CTL,
};
const struct vmx_ctl_req vmx_req_entry = {
    .required = ENTRY_LOAD_DEBUG_CONTROLS,
    .desired = ENTRY_LOAD_PAT | ENTRY_LOAD_EFER,
    .forbidden = ENTRY_IA32E_MODE_GUEST | ENTRY_TO_SMM | ENTRY_DEACT_DUAL_MONITOR |
                 ENTRY_LOAD_PERF_GLOBAL_CTRL | ENTRY_PT_CONCEAL | ENTRY_LOAD_RTIT_CTL,
};
