/* VMCS field encodings, control bits, exit reasons and VMX capability MSRs.
 * Intel SDM Vol. 3 Appendix B ("Field Encoding in VMCS"), 25.6-25.8 (controls),
 * Appendix A (VMX capability reporting), Appendix C (exit reasons).
 * Only arch/x86/vmx/ includes this file: vmm/ never sees VMCS encodings. */
#ifndef KEEL_ARCH_VMX_VMCS_H
#define KEEL_ARCH_VMX_VMCS_H
#include "arch/x86/x86_defs.h"

/* ---- capability MSR fields (SDM Appendix A; the indices: arch/x86/x86_defs.h) */
#define VMX_BASIC_REVISION(b) ((uint32_t)(b) & 0x7fffffffu)
#define VMX_BASIC_TRUE_CTLS (1ull << 55)
#define VMX_MISC_STORE_LMA (1ull << 5)      /* exits store EFER.LMA into "IA-32e mode guest" */
#define VMX_MISC_ACT_HLT (1ull << 6)

/* IA32_VMX_EPT_VPID_CAP (SDM A.10) */
#define EPT_CAP_WALK4 (1ull << 6)
#define EPT_CAP_UC (1ull << 8)
#define EPT_CAP_WB (1ull << 14)
#define EPT_CAP_2M (1ull << 16)
#define EPT_CAP_1G (1ull << 17)
#define EPT_CAP_INVEPT (1ull << 20)
#define EPT_CAP_AD (1ull << 21)
#define EPT_CAP_INVEPT_SINGLE (1ull << 25)
#define EPT_CAP_INVEPT_ALL (1ull << 26)
#define VPID_CAP_INVVPID (1ull << 32)
#define VPID_CAP_INVVPID_SINGLE (1ull << 41)
#define VPID_CAP_INVVPID_ALL (1ull << 42)
#define VPID_CAP_INVVPID_ADDR (1ull << 40)

/* ---- 16-bit fields ------------------------------------------------------ */
#define VMCS_VPID 0x0000
#define VMCS_GUEST_ES_SEL 0x0800
#define VMCS_GUEST_CS_SEL 0x0802
#define VMCS_GUEST_SS_SEL 0x0804
#define VMCS_GUEST_DS_SEL 0x0806
#define VMCS_GUEST_FS_SEL 0x0808
#define VMCS_GUEST_GS_SEL 0x080a
#define VMCS_GUEST_LDTR_SEL 0x080c
#define VMCS_GUEST_TR_SEL 0x080e
#define VMCS_HOST_ES_SEL 0x0c00
#define VMCS_HOST_CS_SEL 0x0c02
#define VMCS_HOST_SS_SEL 0x0c04
#define VMCS_HOST_DS_SEL 0x0c06
#define VMCS_HOST_FS_SEL 0x0c08
#define VMCS_HOST_GS_SEL 0x0c0a
#define VMCS_HOST_TR_SEL 0x0c0c

/* ---- 64-bit fields ------------------------------------------------------ */
#define VMCS_IO_BITMAP_A 0x2000
#define VMCS_IO_BITMAP_B 0x2002
#define VMCS_MSR_BITMAP 0x2004
#define VMCS_EXIT_MSR_STORE_ADDR 0x2006
#define VMCS_EXIT_MSR_LOAD_ADDR 0x2008
#define VMCS_ENTRY_MSR_LOAD_ADDR 0x200a
#define VMCS_TSC_OFFSET 0x2010
#define VMCS_EPT_POINTER 0x201a
#define VMCS_XSS_EXIT_BITMAP 0x202c
#define VMCS_GUEST_PHYS_ADDR 0x2400
#define VMCS_LINK_POINTER 0x2800
#define VMCS_GUEST_DEBUGCTL 0x2802
#define VMCS_GUEST_PAT 0x2804
#define VMCS_GUEST_EFER 0x2806
#define VMCS_GUEST_PERF_GLOBAL_CTRL 0x2808
#define VMCS_GUEST_PDPTE0 0x280a
#define VMCS_GUEST_PDPTE1 0x280c
#define VMCS_GUEST_PDPTE2 0x280e
#define VMCS_GUEST_PDPTE3 0x2810
#define VMCS_HOST_PAT 0x2c00
#define VMCS_HOST_EFER 0x2c02

/* ---- 32-bit fields ------------------------------------------------------ */
#define VMCS_PIN_CTLS 0x4000
#define VMCS_PROC_CTLS 0x4002
#define VMCS_EXCEPTION_BITMAP 0x4004
#define VMCS_PF_ERROR_MASK 0x4006
#define VMCS_PF_ERROR_MATCH 0x4008
#define VMCS_CR3_TARGET_COUNT 0x400a
#define VMCS_EXIT_CTLS 0x400c
#define VMCS_EXIT_MSR_STORE_COUNT 0x400e
#define VMCS_EXIT_MSR_LOAD_COUNT 0x4010
#define VMCS_ENTRY_CTLS 0x4012
#define VMCS_ENTRY_MSR_LOAD_COUNT 0x4014
#define VMCS_ENTRY_INTR_INFO 0x4016
#define VMCS_ENTRY_EXCEPTION_ERROR 0x4018
#define VMCS_ENTRY_INSN_LEN 0x401a
#define VMCS_PROC_CTLS2 0x401e
#define VMCS_INSN_ERROR 0x4400
#define VMCS_EXIT_REASON 0x4402
#define VMCS_EXIT_INTR_INFO 0x4404
#define VMCS_EXIT_INTR_ERROR 0x4406
#define VMCS_IDT_VECTORING_INFO 0x4408
#define VMCS_IDT_VECTORING_ERROR 0x440a
#define VMCS_EXIT_INSN_LEN 0x440c
#define VMCS_EXIT_INSN_INFO 0x440e
#define VMCS_GUEST_ES_LIMIT 0x4800
#define VMCS_GUEST_CS_LIMIT 0x4802
#define VMCS_GUEST_SS_LIMIT 0x4804
#define VMCS_GUEST_DS_LIMIT 0x4806
#define VMCS_GUEST_FS_LIMIT 0x4808
#define VMCS_GUEST_GS_LIMIT 0x480a
#define VMCS_GUEST_LDTR_LIMIT 0x480c
#define VMCS_GUEST_TR_LIMIT 0x480e
#define VMCS_GUEST_GDTR_LIMIT 0x4810
#define VMCS_GUEST_IDTR_LIMIT 0x4812
#define VMCS_GUEST_ES_AR 0x4814
#define VMCS_GUEST_CS_AR 0x4816
#define VMCS_GUEST_SS_AR 0x4818
#define VMCS_GUEST_DS_AR 0x481a
#define VMCS_GUEST_FS_AR 0x481c
#define VMCS_GUEST_GS_AR 0x481e
#define VMCS_GUEST_LDTR_AR 0x4820
#define VMCS_GUEST_TR_AR 0x4822
#define VMCS_GUEST_INTERRUPTIBILITY 0x4824
#define VMCS_GUEST_ACTIVITY 0x4826
#define VMCS_GUEST_SYSENTER_CS 0x482a
#define VMCS_HOST_SYSENTER_CS 0x4c00

/* ---- natural-width fields ----------------------------------------------- */
#define VMCS_CR0_MASK 0x6000
#define VMCS_CR4_MASK 0x6002
#define VMCS_CR0_SHADOW 0x6004
#define VMCS_CR4_SHADOW 0x6006
#define VMCS_EXIT_QUALIFICATION 0x6400
#define VMCS_GUEST_LINEAR_ADDR 0x640a
#define VMCS_GUEST_CR0 0x6800
#define VMCS_GUEST_CR3 0x6802
#define VMCS_GUEST_CR4 0x6804
#define VMCS_GUEST_ES_BASE 0x6806
#define VMCS_GUEST_CS_BASE 0x6808
#define VMCS_GUEST_SS_BASE 0x680a
#define VMCS_GUEST_DS_BASE 0x680c
#define VMCS_GUEST_FS_BASE 0x680e
#define VMCS_GUEST_GS_BASE 0x6810
#define VMCS_GUEST_LDTR_BASE 0x6812
#define VMCS_GUEST_TR_BASE 0x6814
#define VMCS_GUEST_GDTR_BASE 0x6816
#define VMCS_GUEST_IDTR_BASE 0x6818
#define VMCS_GUEST_DR7 0x681a
#define VMCS_GUEST_RSP 0x681c
#define VMCS_GUEST_RIP 0x681e
#define VMCS_GUEST_RFLAGS 0x6820
#define VMCS_GUEST_PENDING_DBG 0x6822
#define VMCS_GUEST_SYSENTER_ESP 0x6824
#define VMCS_GUEST_SYSENTER_EIP 0x6826
#define VMCS_GUEST_S_CET 0x6828
#define VMCS_GUEST_SSP 0x682a
#define VMCS_GUEST_INT_SSP_TAB 0x682c
#define VMCS_HOST_CR0 0x6c00
#define VMCS_HOST_CR3 0x6c02
#define VMCS_HOST_CR4 0x6c04
#define VMCS_HOST_FS_BASE 0x6c06
#define VMCS_HOST_GS_BASE 0x6c08
#define VMCS_HOST_TR_BASE 0x6c0a
#define VMCS_HOST_GDTR_BASE 0x6c0c
#define VMCS_HOST_IDTR_BASE 0x6c0e
#define VMCS_HOST_SYSENTER_ESP 0x6c10
#define VMCS_HOST_SYSENTER_EIP 0x6c12
#define VMCS_HOST_RSP 0x6c14
#define VMCS_HOST_RIP 0x6c16
#define VMCS_HOST_S_CET 0x6c18
#define VMCS_HOST_SSP 0x6c1a
#define VMCS_HOST_INT_SSP_TAB 0x6c1c

/* ---- pin-based controls (SDM 25.6.1) ------------------------------------ */
#define PIN_EXT_INT_EXITING (1u << 0)
#define PIN_NMI_EXITING (1u << 3)
#define PIN_VIRTUAL_NMIS (1u << 5)
#define PIN_PREEMPTION_TIMER (1u << 6)
#define PIN_POSTED_INTERRUPTS (1u << 7)

/* ---- primary processor-based controls (SDM 25.6.2, table 25-6) ---------- */
#define PROC_INT_WINDOW_EXITING (1u << 2)
#define PROC_USE_TSC_OFFSETTING (1u << 3)
#define PROC_HLT_EXITING (1u << 7)
#define PROC_INVLPG_EXITING (1u << 9)
#define PROC_MWAIT_EXITING (1u << 10)
#define PROC_RDPMC_EXITING (1u << 11)
#define PROC_RDTSC_EXITING (1u << 12)
#define PROC_CR3_LOAD_EXITING (1u << 15)
#define PROC_CR3_STORE_EXITING (1u << 16)
#define PROC_TERTIARY_CONTROLS (1u << 17)
#define PROC_CR8_LOAD_EXITING (1u << 19)
#define PROC_CR8_STORE_EXITING (1u << 20)
#define PROC_USE_TPR_SHADOW (1u << 21)
#define PROC_NMI_WINDOW_EXITING (1u << 22)
#define PROC_MOV_DR_EXITING (1u << 23)
#define PROC_UNCOND_IO_EXITING (1u << 24)
#define PROC_USE_IO_BITMAPS (1u << 25)
#define PROC_MONITOR_TRAP_FLAG (1u << 27)
#define PROC_USE_MSR_BITMAPS (1u << 28)
#define PROC_MONITOR_EXITING (1u << 29)
#define PROC_PAUSE_EXITING (1u << 30)
#define PROC_SECONDARY_CONTROLS (1u << 31)

/* ---- secondary processor-based controls (SDM 25.6.2, table 25-7) -------- */
#define PROC2_VIRT_APIC_ACCESS (1u << 0)
#define PROC2_EPT (1u << 1)
#define PROC2_DESC_TABLE_EXITING (1u << 2)
#define PROC2_RDTSCP (1u << 3)
#define PROC2_VIRT_X2APIC (1u << 4)
#define PROC2_VPID (1u << 5)
#define PROC2_WBINVD_EXITING (1u << 6)
#define PROC2_UNRESTRICTED_GUEST (1u << 7)
#define PROC2_APIC_REG_VIRT (1u << 8)
#define PROC2_VIRT_INT_DELIVERY (1u << 9)
#define PROC2_PAUSE_LOOP_EXITING (1u << 10)
#define PROC2_RDRAND_EXITING (1u << 11)
#define PROC2_INVPCID (1u << 12)
#define PROC2_VMFUNC (1u << 13)
#define PROC2_VMCS_SHADOWING (1u << 14)
#define PROC2_ENCLS_EXITING (1u << 15)
#define PROC2_RDSEED_EXITING (1u << 16)
#define PROC2_PML (1u << 17)
#define PROC2_EPT_VE (1u << 18)
#define PROC2_PT_CONCEAL (1u << 19)
#define PROC2_XSAVES (1u << 20)
#define PROC2_MODE_BASED_EPT_EXEC (1u << 22)
#define PROC2_SUBPAGE_WRITE (1u << 23)
#define PROC2_PT_GUEST_PHYS (1u << 24)
#define PROC2_TSC_SCALING (1u << 25)
#define PROC2_USER_WAIT_PAUSE (1u << 26)
#define PROC2_ENCLV_EXITING (1u << 28)

/* ---- VM-exit controls (SDM 25.7.1) -------------------------------------- */
#define EXIT_SAVE_DEBUG_CONTROLS (1u << 2)
#define EXIT_HOST_ADDR_SPACE_SIZE (1u << 9)
#define EXIT_LOAD_PERF_GLOBAL_CTRL (1u << 12)
#define EXIT_ACK_INT_ON_EXIT (1u << 15)
#define EXIT_SAVE_PAT (1u << 18)
#define EXIT_LOAD_PAT (1u << 19)
#define EXIT_SAVE_EFER (1u << 20)
#define EXIT_LOAD_EFER (1u << 21)
#define EXIT_SAVE_PREEMPTION_TIMER (1u << 22)
#define EXIT_CLEAR_BNDCFGS (1u << 23)
#define EXIT_PT_CONCEAL (1u << 24)
#define EXIT_CLEAR_RTIT_CTL (1u << 25)
#define EXIT_LOAD_CET_STATE (1u << 28)

/* ---- VM-entry controls (SDM 25.8.1) ------------------------------------- */
#define ENTRY_LOAD_DEBUG_CONTROLS (1u << 2)
#define ENTRY_IA32E_MODE_GUEST (1u << 9)
#define ENTRY_TO_SMM (1u << 10)
#define ENTRY_DEACT_DUAL_MONITOR (1u << 11)
#define ENTRY_LOAD_PERF_GLOBAL_CTRL (1u << 13)
#define ENTRY_LOAD_PAT (1u << 14)
#define ENTRY_LOAD_EFER (1u << 15)
#define ENTRY_LOAD_BNDCFGS (1u << 16)
#define ENTRY_PT_CONCEAL (1u << 17)
#define ENTRY_LOAD_RTIT_CTL (1u << 18)
#define ENTRY_LOAD_CET_STATE (1u << 20)

/* ---- basic exit reasons (SDM Appendix C) -------------------------------- */
#define VMX_EXIT_EXCEPTION_NMI 0
#define VMX_EXIT_EXTERNAL_INT 1
#define VMX_EXIT_TRIPLE_FAULT 2
#define VMX_EXIT_INIT 3
#define VMX_EXIT_SIPI 4
#define VMX_EXIT_CPUID 10
#define VMX_EXIT_GETSEC 11
#define VMX_EXIT_HLT 12
#define VMX_EXIT_INVD 13
#define VMX_EXIT_VMCALL 18
#define VMX_EXIT_VMCLEAR 19
#define VMX_EXIT_VMXON 27
#define VMX_EXIT_CR_ACCESS 28
#define VMX_EXIT_IO 30
#define VMX_EXIT_RDMSR 31
#define VMX_EXIT_WRMSR 32
#define VMX_EXIT_INVALID_GUEST_STATE 33
#define VMX_EXIT_MSR_LOADING 34
#define VMX_EXIT_MWAIT 36
#define VMX_EXIT_MONITOR 39
#define VMX_EXIT_MACHINE_CHECK 41
#define VMX_EXIT_EPT_VIOLATION 48
#define VMX_EXIT_EPT_MISCONFIG 49
#define VMX_EXIT_INVEPT 50
#define VMX_EXIT_RDTSCP 51
#define VMX_EXIT_INVVPID 53
#define VMX_EXIT_WBINVD 54
#define VMX_EXIT_XSETBV 55
#define VMX_EXIT_VMFUNC 59
#define VMX_EXIT_REASON_MAX 80
#define VMX_EXIT_REASON_ENTRY_FAIL (1u << 31)

/* Interruption-information format (SDM 25.8.3, 25.9.2). */
#define INTR_INFO_VALID (1u << 31)
#define INTR_INFO_ERROR_VALID (1u << 11)
#define INTR_TYPE_NMI (2u << 8)
#define INTR_TYPE_HW_EXCEPTION (3u << 8)

/* EPT entries and pointer (SDM 29.3.2, 25.6.11). */
#define EPT_R (1ull << 0)
#define EPT_W (1ull << 1)
#define EPT_X (1ull << 2)
#define EPT_MT_SHIFT 3
#define EPT_LARGE (1ull << 7)
#define EPTP_WALK4 (3ull << 3)
#define EPTP_AD (1ull << 6)

/* Memory types (SDM 12.3). */
#define MT_UC 0
#define MT_WC 1
#define MT_WT 4
#define MT_WP 5
#define MT_WB 6

#endif
