/* x86 architectural constants: control-register, EFER, RFLAGS, DR6 and XCR0
 * bits, MSR indices and MSR bit fields. Constants only (no code, no includes),
 * so keel, the hosted unit tests, the fuzzers and tools/ all use this one
 * definition. Names follow the Intel SDM (Vol. 3A 2.5 "Control Registers",
 * Vol. 4 "Model-Specific Registers") and the AMD APM Vol. 2 (3.1 "System
 * Registers", Appendix A "MSR Cross-Reference"); where a vendor's name
 * differs the comment says so. */
#ifndef KEEL_ARCH_X86_DEFS_H
#define KEEL_ARCH_X86_DEFS_H

#define BIT64(n) (1ull << (n))

/* ---- CR0 (SDM 2.5, APM 3.1.1) ------------------------------------------ */
#define CR0_PE  BIT64(0)
#define CR0_MP  BIT64(1)
#define CR0_EM  BIT64(2)
#define CR0_TS  BIT64(3)
#define CR0_ET  BIT64(4)
#define CR0_NE  BIT64(5)
#define CR0_WP  BIT64(16)
#define CR0_AM  BIT64(18)
#define CR0_NW  BIT64(29)
#define CR0_CD  BIT64(30)
#define CR0_PG  BIT64(31)

/* ---- CR4 (SDM 2.5, APM 3.1.3) ------------------------------------------ */
#define CR4_VME        BIT64(0)
#define CR4_PVI        BIT64(1)
#define CR4_TSD        BIT64(2)
#define CR4_DE         BIT64(3)
#define CR4_PSE        BIT64(4)
#define CR4_PAE        BIT64(5)
#define CR4_MCE        BIT64(6)
#define CR4_PGE        BIT64(7)
#define CR4_PCE        BIT64(8)
#define CR4_OSFXSR     BIT64(9)
#define CR4_OSXMMEXCPT BIT64(10)
#define CR4_UMIP       BIT64(11)
#define CR4_LA57       BIT64(12)
#define CR4_VMXE       BIT64(13)   /* Intel only; reserved on AMD */
#define CR4_SMXE       BIT64(14)   /* Intel only; reserved on AMD */
#define CR4_FSGSBASE   BIT64(16)
#define CR4_PCIDE      BIT64(17)
#define CR4_OSXSAVE    BIT64(18)
#define CR4_KL         BIT64(19)
#define CR4_SMEP       BIT64(20)
#define CR4_SMAP       BIT64(21)
#define CR4_PKE        BIT64(22)
#define CR4_CET        BIT64(23)
#define CR4_PKS        BIT64(24)

/* ---- EFER (SDM Vol. 4 Table 2-2, APM 3.1.7) ----------------------------- */
#define EFER_SCE    BIT64(0)
#define EFER_LME    BIT64(8)
#define EFER_LMA    BIT64(10)
#define EFER_NXE    BIT64(11)
#define EFER_SVME   BIT64(12)      /* AMD */
#define EFER_LMSLE  BIT64(13)      /* AMD */
#define EFER_FFXSR  BIT64(14)      /* AMD */
#define EFER_TCE    BIT64(15)      /* AMD */

/* ---- RFLAGS (SDM Vol. 1 3.4.3, APM 3.1.6) ------------------------------- */
#define RFLAGS_CF   BIT64(0)
#define RFLAGS_TF   BIT64(8)
#define RFLAGS_IF   BIT64(9)
#define RFLAGS_DF   BIT64(10)
#define RFLAGS_VM   BIT64(17)
/* Bits 1 (always 1), 3, 5, 15 and 63:22 are reserved. */
#define RFLAGS_RESERVED (0xffffffffffc00000ull | BIT64(15) | BIT64(5) | BIT64(3))

/* ---- DR6 (SDM Vol. 3B 18.2.3) ------------------------------------------ */
#define DR6_B0_B3   0xfull
#define DR6_BS      BIT64(14)

/* ---- XCR0 / IA32_XSS state components (SDM Vol. 1 13.1) ----------------- */
#define XCR0_X87    BIT64(0)
#define XCR0_SSE    BIT64(1)
#define XCR0_AVX    BIT64(2)
#define XCR0_BNDREGS BIT64(3)
#define XCR0_BNDCSR BIT64(4)
#define XCR0_AVX512 (7ull << 5)     /* opmask, ZMM_Hi256, Hi16_ZMM */
#define XCR0_PKRU   BIT64(9)
#define XCR0_AMX    (3ull << 17)    /* XTILECFG, XTILEDATA */
#define XSS_CET_U   BIT64(11)
#define XSS_CET_S   BIT64(12)

/* ---- MSR indices -------------------------------------------------------- */
#define MSR_TSC                 0x00000010u
#define MSR_APIC_BASE           0x0000001bu
#define MSR_FEATURE_CONTROL     0x0000003au
#define MSR_TSC_ADJUST          0x0000003bu
#define MSR_SPEC_CTRL           0x00000048u
#define MSR_PRED_CMD            0x00000049u
#define MSR_IA32_PMC0           0x000000c1u
#define MSR_MTRRCAP             0x000000feu
#define MSR_ARCH_CAPABILITIES   0x0000010au
#define MSR_FLUSH_CMD           0x0000010bu
#define MSR_SYSENTER_CS         0x00000174u
#define MSR_SYSENTER_ESP        0x00000175u
#define MSR_SYSENTER_EIP        0x00000176u
#define MSR_IA32_PERFEVTSEL0    0x00000186u
#define MSR_MISC_ENABLE         0x000001a0u
#define MSR_DEBUGCTL            0x000001d9u
#define MSR_MTRR_PHYSBASE0      0x00000200u     /* ..0x20f: base/mask pairs */
#define MSR_MTRR_FIX64K_00000   0x00000250u
#define MSR_MTRR_FIX16K_80000   0x00000258u
#define MSR_MTRR_FIX16K_A0000   0x00000259u
#define MSR_MTRR_FIX4K_C0000    0x00000268u     /* ..0x26f */
#define MSR_PAT                 0x00000277u
#define MSR_MTRR_DEF_TYPE       0x000002ffu
#define MSR_IA32_FIXED_CTR0     0x00000309u
#define MSR_IA32_PERF_CAPABILITIES 0x00000345u
#define MSR_IA32_FIXED_CTR_CTRL 0x0000038du
#define MSR_IA32_A_PMC0         0x000004c1u
/* VMX capability MSRs (SDM Appendix A), 0x480..0x491. */
#define MSR_VMX_BASIC           0x00000480u
#define MSR_VMX_PINBASED_CTLS   0x00000481u
#define MSR_VMX_PROCBASED_CTLS  0x00000482u
#define MSR_VMX_EXIT_CTLS       0x00000483u
#define MSR_VMX_ENTRY_CTLS      0x00000484u
#define MSR_VMX_MISC            0x00000485u
#define MSR_VMX_CR0_FIXED0      0x00000486u
#define MSR_VMX_CR0_FIXED1      0x00000487u
#define MSR_VMX_CR4_FIXED0      0x00000488u
#define MSR_VMX_CR4_FIXED1      0x00000489u
#define MSR_VMX_VMCS_ENUM       0x0000048au
#define MSR_VMX_PROCBASED_CTLS2 0x0000048bu
#define MSR_VMX_EPT_VPID_CAP    0x0000048cu
#define MSR_VMX_TRUE_PINBASED_CTLS  0x0000048du
#define MSR_VMX_TRUE_PROCBASED_CTLS 0x0000048eu
#define MSR_VMX_TRUE_EXIT_CTLS  0x0000048fu
#define MSR_VMX_TRUE_ENTRY_CTLS 0x00000490u
#define MSR_VMX_LAST            0x00000491u     /* IA32_VMX_VMFUNC */
#define MSR_U_CET               0x000006a0u
#define MSR_S_CET               0x000006a2u
#define MSR_PL0_SSP             0x000006a4u
#define MSR_PL3_SSP             0x000006a7u
#define MSR_INT_SSP_TAB         0x000006a8u
#define MSR_TSC_DEADLINE        0x000006e0u
/* x2APIC registers (SDM Vol. 3A 11.12.1.2, Table 11-6): 0x800 + MMIO offset / 16. */
#define MSR_X2APIC_FIRST        0x00000800u
#define MSR_X2APIC_ICR          0x00000830u
#define MSR_X2APIC_LAST         0x000008ffu
#define MSR_XSS                 0x00000da0u
#define MSR_PV_FIRST            0x40000000u     /* KVM / Hyper-V paravirtual range */
#define MSR_PV_COUNT            0x100u
#define MSR_VIRTUAL_ENUMERATION 0x50000000u
#define MSR_VIRTUAL_MITIGATION_ENUM 0x50000001u
#define MSR_VIRTUAL_MITIGATION_CTRL 0x50000002u
#define MSR_EFER                0xc0000080u
#define MSR_STAR                0xc0000081u
#define MSR_LSTAR               0xc0000082u
#define MSR_CSTAR               0xc0000083u
#define MSR_SFMASK              0xc0000084u
#define MSR_FS_BASE             0xc0000100u
#define MSR_GS_BASE             0xc0000101u
#define MSR_KERNEL_GS_BASE      0xc0000102u
#define MSR_TSC_AUX             0xc0000103u
#define MSR_AMD_PERF_GLOBAL_STATUS 0xc0000300u
#define MSR_AMD_PERF_EVTSEL0    0xc0010000u
#define MSR_SYSCFG              0xc0010010u
#define MSR_HWCR                0xc0010015u
#define MSR_VM_CR               0xc0010114u
#define MSR_VM_HSAVE_PA         0xc0010117u
#define MSR_AMD_PERF_CTL0       0xc0010200u

/* ---- MSR bit fields ----------------------------------------------------- */
/* IA32_APIC_BASE: SDM Vol. 3A 11.4.4 (Figure 11-5) and 11.12.1 (x2APIC). */
#define APIC_BASE_BSP           BIT64(8)
#define APIC_BASE_EXTD          BIT64(10)
#define APIC_BASE_EN            BIT64(11)

/* IA32_FEATURE_CONTROL: SDM Vol. 3C 24.7 "Enabling and Entering VMX Operation". */
#define FEATURE_CONTROL_LOCKED  BIT64(0)
#define FEATURE_CONTROL_VMX_IN_SMX BIT64(1)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX BIT64(2)

/* IA32_SPEC_CTRL: SDM Vol. 4 Table 2-2; Intel "Speculative Execution Side
 * Channel Mitigations"; AMD "Indirect Branch Control Extension". */
#define SPEC_CTRL_IBRS          BIT64(0)
#define SPEC_CTRL_STIBP         BIT64(1)
#define SPEC_CTRL_SSBD          BIT64(2)
#define SPEC_CTRL_IPRED_DIS_U   BIT64(3)
#define SPEC_CTRL_IPRED_DIS_S   BIT64(4)
#define SPEC_CTRL_RRSBA_DIS_U   BIT64(5)
#define SPEC_CTRL_RRSBA_DIS_S   BIT64(6)
#define SPEC_CTRL_PSFD          BIT64(7)
#define SPEC_CTRL_DDPD_U        BIT64(8)
#define SPEC_CTRL_BHI_DIS_S     BIT64(10)
#define PRED_CMD_IBPB           BIT64(0)
#define FLUSH_CMD_L1D           BIT64(0)

/* IA32_ARCH_CAPABILITIES bit 63: MSR_VIRTUAL_ENUMERATION is supported
 * (Intel "Branch History Injection and Intra-mode Branch Target Injection",
 * section "Virtual MSRs"; Linux ARCH_CAP_VIRTUAL_ENUM). */
#define ARCH_CAP_VIRTUAL_ENUM   BIT64(63)
/* MSR_VIRTUAL_ENUMERATION (0x50000000) */
#define VIRT_ENUM_MITIGATION_CTRL_SUPPORT BIT64(0)
/* MSR_VIRTUAL_MITIGATION_ENUM (0x50000001) */
#define MITI_ENUM_BHB_CLEAR_SEQ_S_SUPPORT BIT64(0)  /* VMM can deploy BHI_DIS_S */
#define MITI_ENUM_RETPOLINE_S_SUPPORT     BIT64(1)  /* VMM can deploy RRSBA_DIS_S */
/* MSR_VIRTUAL_MITIGATION_CTRL (0x50000002) */
#define MITI_CTRL_BHB_CLEAR_SEQ_S_USED    BIT64(0)
#define MITI_CTRL_RETPOLINE_S_USED        BIT64(1)

/* IA32_MISC_ENABLE: SDM Vol. 4 Table 2-2. */
#define MISC_ENABLE_FAST_STRING BIT64(0)
#define MISC_ENABLE_TCC         BIT64(3)
#define MISC_ENABLE_PERF_AVAIL  BIT64(7)
#define MISC_ENABLE_BTS_UNAVAIL BIT64(11)
#define MISC_ENABLE_PEBS_UNAVAIL BIT64(12)
#define MISC_ENABLE_EIST        BIT64(16)
#define MISC_ENABLE_MWAIT       BIT64(18)
#define MISC_ENABLE_LIMIT_CPUID BIT64(22)
#define MISC_ENABLE_XTPR_DISABLE BIT64(23)
#define MISC_ENABLE_XD_DISABLE  BIT64(34)

/* IA32_DEBUGCTL: SDM Vol. 3B 18.4.1 (Figure 18-3). */
#define DEBUGCTL_LBR            BIT64(0)
#define DEBUGCTL_BTF            BIT64(1)

/* MTRRs: SDM Vol. 3A 12.11.2. */
#define MTRRCAP_VCNT            8u
#define MTRRCAP_FIX             BIT64(8)
#define MTRRCAP_WC              BIT64(10)
#define MTRR_DEF_TYPE_FE        BIT64(10)
#define MTRR_DEF_TYPE_E         BIT64(11)
#define MTRR_PHYSMASK_VALID     BIT64(11)

/* CET: SDM Vol. 1 17.3 / Vol. 4 Table 2-2 (IA32_U_CET, IA32_S_CET). */
#define CET_SH_STK_EN           BIT64(0)
#define CET_WR_SHSTK_EN         BIT64(1)
#define CET_ENDBR_EN            BIT64(2)
#define CET_LEG_IW_EN           BIT64(3)
#define CET_NO_TRACK_EN         BIT64(4)
#define CET_SUPPRESS_DIS        BIT64(5)
#define CET_RESERVED            (0xfull << 6)   /* bits 9:6 */
#define CET_SUPPRESS            BIT64(10)
#define CET_WAIT_ENDBR          BIT64(11)
#define CET_LEG_BITMAP_BASE     (~0xfffull)     /* bits 63:12 */
#define CET_SHSTK_BITS          (CET_SH_STK_EN | CET_WR_SHSTK_EN)
#define CET_IBT_BITS            (CET_ENDBR_EN | CET_LEG_IW_EN | CET_NO_TRACK_EN | CET_SUPPRESS_DIS | \
                                 CET_SUPPRESS | CET_WAIT_ENDBR | CET_LEG_BITMAP_BASE)

/* AMD VM_CR: APM Vol. 2 15.30.1. */
#define VM_CR_LOCK              BIT64(3)
#define VM_CR_SVMDIS            BIT64(4)
/* AMD HWCR: APM Vol. 2 Appendix A / BKDG (McStatusWrEn, TscFreqSel). */
#define HWCR_MCSTATUSWREN       BIT64(18)
#define HWCR_TSCFREQSEL         BIT64(24)

/* ---- State after power-up, reset or INIT (SDM Vol. 3A 10.1.1 table 10-1,
 * APM Vol. 2 14.1.3 table 14-1) -------------------------------------------- */
#define X86_RESET_RFLAGS        0x2ull                  /* only the always-1 bit */
#define X86_RESET_DR6           0xffff0ff0ull
#define X86_RESET_DR7           0x400ull
#define X86_RESET_PAT           0x0007040600070406ull   /* SDM 13.12.4: WB WT UC- UC, twice */
#define X86_RESET_XCR0          XCR0_X87

#endif
