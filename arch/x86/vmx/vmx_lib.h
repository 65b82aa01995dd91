/* The pure parts of the VMX backend: no VMREAD/VMWRITE, no MSR access, so
 * they build hosted (-DKEEL_HOSTED) for tests/unit/test_vmx.c.
 *   vmx_controls.c  control words from {required, desired, forbidden} + caps
 *   vmx_names.c     VM-instruction error names, exit reason names
 *   vmx_check.c     SDM 26.3.1 guest-state checks, named
 *   vmx_mtrr.c      host MTRRs -> EPT memory type, EPT entry encoding */
#ifndef KEEL_ARCH_VMX_LIB_H
#define KEEL_ARCH_VMX_LIB_H
#include <stdint.h>
#include <stdbool.h>

/* ---- controls (SDM Appendix A.3-A.5) -------------------------------------- */

enum vmx_ctl_word { VMX_CTL_PIN, VMX_CTL_PROC, VMX_CTL_PROC2, VMX_CTL_EXIT, VMX_CTL_ENTRY, VMX_CTL_COUNT };

struct vmx_ctl_req {
    uint32_t required;    /* keel cannot run without these */
    uint32_t desired;     /* used when the CPU allows them */
    uint32_t forbidden;   /* must stay 0 (e.g. exits keel does not want) */
};

/* keel's requests for each control word (vmx_controls.c). The secondary
 * controls' PROC2_POLICY bits are desired per vCPU as the guest's CPUID has them. */
extern const struct vmx_ctl_req vmx_req_pin, vmx_req_proc, vmx_req_proc2_base, vmx_req_exit, vmx_req_entry;
#define PROC2_POLICY (PROC2_RDTSCP | PROC2_INVPCID | PROC2_XSAVES)

struct vmx_ctl_result {
    uint32_t value;              /* the control word to write */
    uint32_t missing_desired;    /* desired bits the CPU cannot set */
    uint32_t missing_required;   /* required bits the CPU cannot set */
    uint32_t forced_forbidden;   /* forbidden bits the CPU forces to 1 */
};

/* `cap`: the capability MSR, allowed-0 settings in bits 31:0 (a 1 there
 * means the control must be 1), allowed-1 settings in bits 63:32 (a 0 there
 * means it must be 0). Returns true when the word is usable, i.e. no
 * required bit is missing and no forbidden bit is forced on. */
bool vmx_ctl_compute(uint64_t cap, const struct vmx_ctl_req *req, struct vmx_ctl_result *out);
/* Name of bit `bit` of control word `w` ("use MSR bitmaps"), or NULL. */
const char *vmx_ctl_bit_name(enum vmx_ctl_word w, unsigned bit);
const char *vmx_ctl_word_name(enum vmx_ctl_word w);
/* Write "name, name, ..." of the bits in `mask` into buf. */
void vmx_ctl_names(enum vmx_ctl_word w, uint32_t mask, char *buf, unsigned len);

/* ---- names ------------------------------------------------------------------ */

/* SDM Vol. 3 31.4 "VM Instruction Error Numbers"; "unknown" otherwise. */
const char *vmx_insn_error_name(uint32_t err);
/* Basic exit reason (SDM Appendix C); "unknown" otherwise. */
const char *vmx_exit_reason_name(uint32_t basic);
/* Exit qualification of a VM-entry failure (SDM 27.8). */
const char *vmx_entry_fail_qual_name(uint32_t basic_reason, uint64_t qual);

/* ---- guest-state checks (SDM 26.3.1) ------------------------------------------ */

struct vmx_seg {
    uint16_t sel;
    uint32_t limit;
    uint32_t ar;          /* access rights as in the VMCS (bit 16: unusable) */
    uint64_t base;
};

enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR, SEG_COUNT };

struct vmx_guest_fields {
    uint64_t cr0, cr3, cr4, dr7, efer, rflags, rip, debugctl, link_pointer;
    uint32_t interruptibility, activity;
    struct vmx_seg seg[SEG_COUNT];
    uint32_t gdtr_limit, idtr_limit;
    uint32_t entry_ctls, proc2_ctls;
    uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
    uint64_t vmx_misc;    /* IA32_VMX_MISC: supported activity states */
};

/* Runs the common SDM 26.3.1 checks; writes up to `max` messages naming the
 * section and the failing rule into msgs[] and returns how many failed. */
unsigned vmx_check_guest(const struct vmx_guest_fields *f, const char **msgs, unsigned max);

/* ---- MTRRs and EPT entries ----------------------------------------------------- */

#define VMX_MTRR_VAR_MAX 16
struct vmx_mtrr {
    uint64_t def_type;                 /* IA32_MTRR_DEF_TYPE */
    uint8_t fixed[88];                 /* types of the 88 fixed ranges below 1 MiB */
    unsigned nvar;
    uint64_t var_base[VMX_MTRR_VAR_MAX], var_mask[VMX_MTRR_VAR_MAX];
    bool fixed_supported;
};
/* Fill m->fixed from the 11 fixed-range MSR values (64K, 16K x2, 4K x8). */
void vmx_mtrr_set_fixed(struct vmx_mtrr *m, const uint64_t msr[11]);
/* The memory type of [base, base + size) (size a power of two, base aligned)
 * when the whole range has a single type; false when it is mixed. */
bool vmx_mtrr_type(const struct vmx_mtrr *m, uint64_t base, uint64_t size, uint8_t *type);

/* EPT entries (SDM 29.3.2): table entry RWX -> next; leaf RWX + memory type,
 * bit 7 for 2 MiB / 1 GiB leaves. */
uint64_t vmx_ept_table_entry(uint64_t next);
uint64_t vmx_ept_leaf(uint64_t pa, int level, uint8_t type);

/* ---- set-up decisions from the capability MSRs (vmx_setup.c) -------------------
 * Everything keel decides from IA32_VMX_* before it writes a VMCS field,
 * as pure functions so tests/unit/test_vmx.c runs them over recorded
 * capability values with each capability present and absent. */

/* EPT pointer for tables at `root` (SDM 25.6.11, A.10): memory type WB when
 * the CPU can walk WB (bit 14), else UC only when it can walk UC (bit 8);
 * 4-level walk; A/D flags when offered (bit 21). 0 = neither type: unusable. */
uint64_t vmx_eptp_for(uint64_t ept_vpid_cap, uint64_t root);
/* An EPT leaf at `level` (1 = 4 KiB, 2 = 2 MiB, 3 = 1 GiB) is allowed only
 * with its capability bit (16 for 2 MiB, 17 for 1 GiB; SDM A.10). */
bool vmx_ept_leaf_ok(uint64_t ept_vpid_cap, int level);
/* INVEPT / INVVPID type keel uses: single-context when advertised, else
 * all-context, 0 when the instruction or both types are missing (SDM 31.3
 * "INVEPT"/"INVVPID": an unsupported type is VMfailValid). */
unsigned vmx_invept_type(uint64_t ept_vpid_cap);
unsigned vmx_invvpid_type(uint64_t ept_vpid_cap);
/* A load control without its save control would enter with a stale guest
 * value after the guest changed it unintercepted (DR7 without MOV-DR
 * exiting, EFER.LMA set by the CPU at CR0.PG): "load IA32_PAT/EFER" on entry
 * are dropped when "save IA32_PAT/EFER" on exit are missing (*dropped says
 * which); "load debug controls" cannot be dropped, so without "save debug
 * controls" the pair is refused (false). SDM 25.7.1, 25.8.1, 28.3. */
bool vmx_pair_save_load(uint32_t *exit, uint32_t *entry, uint32_t *dropped);
/* With "enable XSAVES/XRSTORS" the CPU consults the XSS-exiting bitmap
 * (SDM 25.6.20): it must then be written (keel writes 0, as KVM does). */
bool vmx_needs_xss_exit_bitmap(uint32_t proc2);
/* PAE paging outside IA-32e mode: the mode whose PDPTEs VM entry takes from
 * the VMCS when EPT is on (SDM 4.4.1, 26.3.2.4, 28.3.1). */
bool vmx_pae_paging(uint64_t cr0, uint64_t cr4, uint64_t efer);
/* SDM 4.4.1: loading a present PDPTE with reserved bits (2:1, 8:5, above
 * MAXPHYADDR) set makes the MOV to CR0/CR3/CR4 #GP. */
bool vmx_pdptes_ok(const uint64_t pdpte[4], unsigned maxphyaddr);

/* A VMCS field that exists only on CPUs with one of up to two control
 * settings (SDM Appendix B: "exists only on processors that support the
 * 1-setting of ..."). word = VMX_CTL_COUNT: no condition. */
struct vmx_field {
    uint32_t enc;
    const char *name;
    uint8_t word[2], bit[2];
};
extern const struct vmx_field vmx_dump_fields[];
extern const unsigned vmx_dump_field_count;
/* cap: the capability MSRs as in vmx_cpu_init (PROC2 = 0 without secondary controls). */
bool vmx_field_exists(const struct vmx_field *f, const uint64_t cap[VMX_CTL_COUNT]);
/* The control (word, bit) that makes f exist, for "n/a: CPU lacks ..." */
const char *vmx_field_condition(const struct vmx_field *f);

#endif
