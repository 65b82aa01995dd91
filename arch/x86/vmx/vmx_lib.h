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

#endif
