/* The VMCB (AMD APM Vol 2, Appendix B "Layout of VMCB"). Only arch/x86/svm/
 * knows this layout. Offsets are asserted below. */
#ifndef KEEL_SVM_VMCB_H
#define KEEL_SVM_VMCB_H
#include <stdint.h>
#include <stddef.h>

struct __attribute__((packed)) vmcb_seg {
    uint16_t selector;
    uint16_t attrib;        /* type(4) S DPL(2) P | AVL L DB G (APM B.2 "VMCB segment attributes") */
    uint32_t limit;
    uint64_t base;
};

struct __attribute__((packed)) vmcb_control {
    uint32_t intercept_cr;          /* 0x000: CR reads [15:0], writes [31:16] */
    uint32_t intercept_dr;          /* 0x004 */
    uint32_t intercept_exceptions;  /* 0x008 */
    uint32_t intercept_misc1;       /* 0x00c */
    uint32_t intercept_misc2;       /* 0x010 */
    uint32_t intercept_misc3;       /* 0x014 */
    uint8_t reserved1[0x03c - 0x018];
    uint16_t pause_filter_threshold;/* 0x03c */
    uint16_t pause_filter_count;    /* 0x03e */
    uint64_t iopm_base_pa;          /* 0x040 */
    uint64_t msrpm_base_pa;         /* 0x048 */
    uint64_t tsc_offset;            /* 0x050 */
    uint32_t guest_asid;            /* 0x058 */
    uint8_t tlb_control;            /* 0x05c */
    uint8_t reserved2[3];
    uint64_t int_ctl;               /* 0x060: V_TPR, V_IRQ, V_INTR_MASKING ... */
    uint64_t int_state;             /* 0x068: interrupt shadow */
    uint64_t exitcode;              /* 0x070 */
    uint64_t exitinfo1;             /* 0x078 */
    uint64_t exitinfo2;             /* 0x080 */
    uint64_t exitintinfo;           /* 0x088 */
    uint64_t np_enable;             /* 0x090: bit 0 nested paging */
    uint64_t avic_apic_bar;         /* 0x098 */
    uint64_t ghcb_pa;               /* 0x0a0 */
    uint64_t event_inj;             /* 0x0a8 */
    uint64_t n_cr3;                 /* 0x0b0 */
    uint64_t virt_ext;              /* 0x0b8: LBR virtualization, VMLOAD/VMSAVE virt */
    uint32_t clean_bits;            /* 0x0c0 */
    uint32_t reserved3;
    uint64_t next_rip;              /* 0x0c8: nRIP (NRIPS) */
    uint8_t insn_len;               /* 0x0d0: decode assists */
    uint8_t insn_bytes[15];
    uint8_t reserved4[0x400 - 0x0e0];
};

struct __attribute__((packed)) vmcb_save {
    struct vmcb_seg es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr;   /* 0x400-0x49f */
    uint8_t reserved1[0x4cb - 0x4a0];
    uint8_t cpl;                    /* 0x4cb */
    uint32_t reserved2;
    uint64_t efer;                  /* 0x4d0 */
    uint8_t reserved3[0x548 - 0x4d8];
    uint64_t cr4;                   /* 0x548 */
    uint64_t cr3;                   /* 0x550 */
    uint64_t cr0;                   /* 0x558 */
    uint64_t dr7;                   /* 0x560 */
    uint64_t dr6;                   /* 0x568 */
    uint64_t rflags;                /* 0x570 */
    uint64_t rip;                   /* 0x578 */
    uint8_t reserved4[0x5d8 - 0x580];
    uint64_t rsp;                   /* 0x5d8 */
    uint64_t s_cet;                 /* 0x5e0 */
    uint64_t ssp;                   /* 0x5e8 */
    uint64_t isst_addr;             /* 0x5f0 */
    uint64_t rax;                   /* 0x5f8 */
    uint64_t star;                  /* 0x600 */
    uint64_t lstar;                 /* 0x608 */
    uint64_t cstar;                 /* 0x610 */
    uint64_t sfmask;                /* 0x618 */
    uint64_t kernel_gs_base;        /* 0x620 */
    uint64_t sysenter_cs;           /* 0x628 */
    uint64_t sysenter_esp;          /* 0x630 */
    uint64_t sysenter_eip;          /* 0x638 */
    uint64_t cr2;                   /* 0x640 */
    uint8_t reserved5[0x668 - 0x648];
    uint64_t g_pat;                 /* 0x668 */
    uint64_t dbgctl;                /* 0x670 */
    uint64_t br_from, br_to, last_excp_from, last_excp_to;  /* 0x678-0x697 */
    uint8_t reserved6[0x1000 - 0x698];
};

struct vmcb {
    struct vmcb_control control;
    struct vmcb_save save;
};

#define VMCB_OFF(f) offsetof(struct vmcb, f)
_Static_assert(VMCB_OFF(control.intercept_misc1) == 0x00c, "APM B-1");
_Static_assert(VMCB_OFF(control.intercept_misc2) == 0x010, "APM B-1");
_Static_assert(VMCB_OFF(control.iopm_base_pa) == 0x040, "APM B-1");
_Static_assert(VMCB_OFF(control.msrpm_base_pa) == 0x048, "APM B-1");
_Static_assert(VMCB_OFF(control.tsc_offset) == 0x050, "APM B-1");
_Static_assert(VMCB_OFF(control.guest_asid) == 0x058, "APM B-1");
_Static_assert(VMCB_OFF(control.tlb_control) == 0x05c, "APM B-1");
_Static_assert(VMCB_OFF(control.int_ctl) == 0x060, "APM B-1");
_Static_assert(VMCB_OFF(control.exitcode) == 0x070, "APM B-1");
_Static_assert(VMCB_OFF(control.exitinfo1) == 0x078, "APM B-1");
_Static_assert(VMCB_OFF(control.exitinfo2) == 0x080, "APM B-1");
_Static_assert(VMCB_OFF(control.exitintinfo) == 0x088, "APM B-1");
_Static_assert(VMCB_OFF(control.np_enable) == 0x090, "APM B-1");
_Static_assert(VMCB_OFF(control.event_inj) == 0x0a8, "APM B-1");
_Static_assert(VMCB_OFF(control.n_cr3) == 0x0b0, "APM B-1");
_Static_assert(VMCB_OFF(control.clean_bits) == 0x0c0, "APM B-1");
_Static_assert(VMCB_OFF(control.next_rip) == 0x0c8, "APM B-1");
_Static_assert(VMCB_OFF(save.es) == 0x400, "APM B-2");
_Static_assert(VMCB_OFF(save.cs) == 0x410, "APM B-2");
_Static_assert(VMCB_OFF(save.gdtr) == 0x460, "APM B-2");
_Static_assert(VMCB_OFF(save.tr) == 0x490, "APM B-2");
_Static_assert(VMCB_OFF(save.cpl) == 0x4cb, "APM B-2");
_Static_assert(VMCB_OFF(save.efer) == 0x4d0, "APM B-2");
_Static_assert(VMCB_OFF(save.cr4) == 0x548, "APM B-2");
_Static_assert(VMCB_OFF(save.cr0) == 0x558, "APM B-2");
_Static_assert(VMCB_OFF(save.rflags) == 0x570, "APM B-2");
_Static_assert(VMCB_OFF(save.rip) == 0x578, "APM B-2");
_Static_assert(VMCB_OFF(save.rsp) == 0x5d8, "APM B-2");
_Static_assert(VMCB_OFF(save.s_cet) == 0x5e0, "APM B-2");
_Static_assert(VMCB_OFF(save.rax) == 0x5f8, "APM B-2");
_Static_assert(VMCB_OFF(save.star) == 0x600, "APM B-2");
_Static_assert(VMCB_OFF(save.kernel_gs_base) == 0x620, "APM B-2");
_Static_assert(VMCB_OFF(save.sysenter_eip) == 0x638, "APM B-2");
_Static_assert(VMCB_OFF(save.cr2) == 0x640, "APM B-2");
_Static_assert(VMCB_OFF(save.g_pat) == 0x668, "APM B-2");
_Static_assert(VMCB_OFF(save.dbgctl) == 0x670, "APM B-2");
_Static_assert(sizeof(struct vmcb) == 0x1000, "the VMCB is one 4 KiB page");

/* Intercept bits (APM Vol 2 15.9, Table B-1). */
#define SVM_INTERCEPT1_NMI (1u << 1)
#define SVM_INTERCEPT1_INIT (1u << 3)
#define SVM_INTERCEPT1_CPUID (1u << 18)
#define SVM_INTERCEPT1_INVD (1u << 22)
#define SVM_INTERCEPT1_INVLPGA (1u << 26)
#define SVM_INTERCEPT1_IOIO (1u << 27)
#define SVM_INTERCEPT1_MSR (1u << 28)
#define SVM_INTERCEPT1_SHUTDOWN (1u << 31)
#define SVM_INTERCEPT2_VMRUN (1u << 0)
#define SVM_INTERCEPT2_VMMCALL (1u << 1)
#define SVM_INTERCEPT2_VMLOAD (1u << 2)
#define SVM_INTERCEPT2_VMSAVE (1u << 3)
#define SVM_INTERCEPT2_STGI (1u << 4)
#define SVM_INTERCEPT2_CLGI (1u << 5)
#define SVM_INTERCEPT2_SKINIT (1u << 6)
#define SVM_INTERCEPT2_RDTSCP (1u << 7)
#define SVM_INTERCEPT2_MONITOR (1u << 10)
#define SVM_INTERCEPT2_MWAIT (1u << 11)
#define SVM_INTERCEPT2_XSETBV (1u << 13)

/* Exit codes (APM Vol 2 Appendix C). */
#define SVM_EXIT_EXCP_BASE 0x040
#define SVM_EXIT_INTR 0x060
#define SVM_EXIT_NMI 0x061
#define SVM_EXIT_INIT 0x063
#define SVM_EXIT_CPUID 0x072
#define SVM_EXIT_INVD 0x076
#define SVM_EXIT_HLT 0x078
#define SVM_EXIT_INVLPGA 0x07a
#define SVM_EXIT_IOIO 0x07b
#define SVM_EXIT_MSR 0x07c
#define SVM_EXIT_SHUTDOWN 0x07f
#define SVM_EXIT_VMRUN 0x080
#define SVM_EXIT_VMMCALL 0x081
#define SVM_EXIT_VMLOAD 0x082
#define SVM_EXIT_VMSAVE 0x083
#define SVM_EXIT_STGI 0x084
#define SVM_EXIT_CLGI 0x085
#define SVM_EXIT_SKINIT 0x086
#define SVM_EXIT_RDTSCP 0x087
#define SVM_EXIT_WBINVD 0x089
#define SVM_EXIT_MONITOR 0x08a
#define SVM_EXIT_MWAIT 0x08b
#define SVM_EXIT_XSETBV 0x08d
#define SVM_EXIT_NPF 0x400
#define SVM_EXIT_INVALID ((uint64_t)-1)

#define SVM_EVTINJ_VALID (1u << 31)
#define SVM_EVTINJ_TYPE_EXCEPTION (3u << 8)
#define SVM_EVTINJ_ERR_VALID (1u << 11)

#endif
