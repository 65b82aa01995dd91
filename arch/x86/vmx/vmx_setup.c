/* Set-up decisions from the VMX capability MSRs (see vmx_lib.h). Pure:
 * built into keel and hosted into tests/unit/test_vmx.c. */
#include "arch/x86/vmx/vmx_lib.h"
#include "arch/x86/vmx/vmcs.h"

uint64_t vmx_eptp_for(uint64_t cap, uint64_t root)
{
    uint64_t e = (root & ~0xfffull) | EPTP_WALK4;
    if (!(cap & EPT_CAP_WALK4))
        return 0;
    if (cap & EPT_CAP_WB)
        e |= MT_WB;
    else if (cap & EPT_CAP_UC)
        e |= MT_UC;
    else
        return 0;
    if (cap & EPT_CAP_AD)
        e |= EPTP_AD;
    return e;
}

bool vmx_ept_leaf_ok(uint64_t cap, int level)
{
    switch (level) {
    case 1: return true;
    case 2: return (cap & EPT_CAP_2M) != 0;
    case 3: return (cap & EPT_CAP_1G) != 0;
    default: return false;
    }
}

/* INVEPT and INVVPID report their types the same way (SDM A.10): the
 * instruction, then single-context (type 1) preferred over all-context (2). */
static unsigned inv_type(uint64_t cap, uint64_t insn, uint64_t single, uint64_t all)
{
    if (!(cap & insn))
        return 0;
    if (cap & single)
        return 1;
    return (cap & all) ? 2 : 0;
}

unsigned vmx_invept_type(uint64_t cap)
{
    return inv_type(cap, EPT_CAP_INVEPT, EPT_CAP_INVEPT_SINGLE, EPT_CAP_INVEPT_ALL);
}

unsigned vmx_invvpid_type(uint64_t cap)
{
    return inv_type(cap, VPID_CAP_INVVPID, VPID_CAP_INVVPID_SINGLE, VPID_CAP_INVVPID_ALL);
}

bool vmx_pair_save_load(uint32_t *exit, uint32_t *entry, uint32_t *dropped)
{
    *dropped = 0;
    if ((*entry & ENTRY_LOAD_PAT) && !(*exit & EXIT_SAVE_PAT))
        *dropped |= ENTRY_LOAD_PAT;
    if ((*entry & ENTRY_LOAD_EFER) && !(*exit & EXIT_SAVE_EFER))
        *dropped |= ENTRY_LOAD_EFER;
    *entry &= ~*dropped;
    return !((*entry & ENTRY_LOAD_DEBUG_CONTROLS) && !(*exit & EXIT_SAVE_DEBUG_CONTROLS));
}

bool vmx_needs_xss_exit_bitmap(uint32_t proc2)
{
    return (proc2 & PROC2_XSAVES) != 0;
}

bool vmx_pae_paging(uint64_t cr0, uint64_t cr4, uint64_t efer)
{
    return (cr0 & (1ull << 31)) && (cr4 & (1ull << 5)) && !(efer & (1ull << 10));
}

bool vmx_pdptes_ok(const uint64_t pdpte[4], unsigned maxphyaddr)
{
    uint64_t rsvd = 0x1e6ull;   /* bits 2:1 and 8:5 */
    unsigned i;
    if (maxphyaddr < 36 || maxphyaddr > 52)
        maxphyaddr = 36;
    rsvd |= ~((1ull << maxphyaddr) - 1);
    for (i = 0; i < 4; i++)
        if ((pdpte[i] & 1) && (pdpte[i] & rsvd))
            return false;
    return true;
}

#define ALWAYS { VMX_CTL_COUNT, VMX_CTL_COUNT }, { 0, 0 }
#define IF1(w, b) { w, VMX_CTL_COUNT }, { b, 0 }
#define IF2(w1, b1, w2, b2) { w1, w2 }, { b1, b2 }

/* Bit numbers (not masks) of the controls that make fields exist. */
#define B_PROC_MSR_BITMAPS 28
#define B_PROC_SECONDARY 31
#define B_PROC2_EPT 1
#define B_PROC2_VPID 5
#define B_PROC2_XSAVES 20
#define B_EXIT_SAVE_PAT 18
#define B_EXIT_SAVE_EFER 20
#define B_EXIT_LOAD_CET 28
#define B_ENTRY_LOAD_PAT 14
#define B_ENTRY_LOAD_EFER 15
#define B_ENTRY_LOAD_CET 20

const struct vmx_field vmx_dump_fields[] = {
    { VMCS_GUEST_RIP, "guest RIP", ALWAYS },
    { VMCS_GUEST_RSP, "guest RSP", ALWAYS },
    { VMCS_GUEST_RFLAGS, "guest RFLAGS", ALWAYS },
    { VMCS_GUEST_CR0, "guest CR0", ALWAYS },
    { VMCS_CR0_SHADOW, "CR0 read shadow", ALWAYS },
    { VMCS_CR0_MASK, "CR0 guest/host mask", ALWAYS },
    { VMCS_GUEST_CR3, "guest CR3", ALWAYS },
    { VMCS_GUEST_CR4, "guest CR4", ALWAYS },
    { VMCS_CR4_SHADOW, "CR4 read shadow", ALWAYS },
    { VMCS_CR4_MASK, "CR4 guest/host mask", ALWAYS },
    { VMCS_GUEST_DR7, "guest DR7", ALWAYS },
    { VMCS_GUEST_EFER, "guest IA32_EFER", IF2(VMX_CTL_ENTRY, B_ENTRY_LOAD_EFER, VMX_CTL_EXIT, B_EXIT_SAVE_EFER) },
    { VMCS_GUEST_PAT, "guest IA32_PAT", IF2(VMX_CTL_ENTRY, B_ENTRY_LOAD_PAT, VMX_CTL_EXIT, B_EXIT_SAVE_PAT) },
    { VMCS_GUEST_DEBUGCTL, "guest IA32_DEBUGCTL", ALWAYS },
    { VMCS_GUEST_S_CET, "guest IA32_S_CET", IF2(VMX_CTL_ENTRY, B_ENTRY_LOAD_CET, VMX_CTL_EXIT, B_EXIT_LOAD_CET) },
    { VMCS_GUEST_GDTR_BASE, "guest GDTR base", ALWAYS },
    { VMCS_GUEST_GDTR_LIMIT, "guest GDTR limit", ALWAYS },
    { VMCS_GUEST_IDTR_BASE, "guest IDTR base", ALWAYS },
    { VMCS_GUEST_IDTR_LIMIT, "guest IDTR limit", ALWAYS },
    { VMCS_GUEST_INTERRUPTIBILITY, "guest interruptibility state", ALWAYS },
    { VMCS_GUEST_ACTIVITY, "guest activity state", ALWAYS },
    { VMCS_GUEST_PENDING_DBG, "guest pending debug exceptions", ALWAYS },
    { VMCS_GUEST_PDPTE0, "guest PDPTE0", IF1(VMX_CTL_PROC2, B_PROC2_EPT) },
    { VMCS_GUEST_PDPTE1, "guest PDPTE1", IF1(VMX_CTL_PROC2, B_PROC2_EPT) },
    { VMCS_GUEST_PDPTE2, "guest PDPTE2", IF1(VMX_CTL_PROC2, B_PROC2_EPT) },
    { VMCS_GUEST_PDPTE3, "guest PDPTE3", IF1(VMX_CTL_PROC2, B_PROC2_EPT) },
    { VMCS_LINK_POINTER, "VMCS link pointer", ALWAYS },
    { VMCS_PIN_CTLS, "pin-based controls", ALWAYS },
    { VMCS_PROC_CTLS, "primary processor-based controls", ALWAYS },
    { VMCS_PROC_CTLS2, "secondary processor-based controls", IF1(VMX_CTL_PROC, B_PROC_SECONDARY) },
    { VMCS_EXIT_CTLS, "VM-exit controls", ALWAYS },
    { VMCS_ENTRY_CTLS, "VM-entry controls", ALWAYS },
    { VMCS_ENTRY_INTR_INFO, "VM-entry interruption info", ALWAYS },
    { VMCS_MSR_BITMAP, "MSR bitmap address", IF1(VMX_CTL_PROC, B_PROC_MSR_BITMAPS) },
    { VMCS_TSC_OFFSET, "TSC offset", ALWAYS },
    { VMCS_EPT_POINTER, "EPT pointer", IF1(VMX_CTL_PROC2, B_PROC2_EPT) },
    { VMCS_VPID, "VPID", IF1(VMX_CTL_PROC2, B_PROC2_VPID) },
    { VMCS_XSS_EXIT_BITMAP, "XSS-exiting bitmap", IF1(VMX_CTL_PROC2, B_PROC2_XSAVES) },
    { VMCS_IDT_VECTORING_INFO, "IDT-vectoring info", ALWAYS },
    { VMCS_EXIT_INTR_INFO, "VM-exit interruption info", ALWAYS },
    { VMCS_GUEST_PHYS_ADDR, "guest-physical address", IF1(VMX_CTL_PROC2, B_PROC2_EPT) },
};
const unsigned vmx_dump_field_count = sizeof(vmx_dump_fields) / sizeof(vmx_dump_fields[0]);

bool vmx_field_exists(const struct vmx_field *f, const uint64_t cap[VMX_CTL_COUNT])
{
    unsigned k;
    if (f->word[0] >= VMX_CTL_COUNT)
        return true;
    for (k = 0; k < 2; k++) {
        unsigned w = f->word[k];
        if (w >= VMX_CTL_COUNT)
            continue;
        /* Secondary controls exist only with "activate secondary controls". */
        if (w == VMX_CTL_PROC2 && !((cap[VMX_CTL_PROC] >> 32) & (1ull << B_PROC_SECONDARY)))
            continue;
        if ((cap[w] >> 32) & (1ull << f->bit[k]))
            return true;
    }
    return false;
}

const char *vmx_field_condition(const struct vmx_field *f)
{
    if (f->word[0] >= VMX_CTL_COUNT)
        return "";
    return vmx_ctl_bit_name((enum vmx_ctl_word)f->word[0], f->bit[0]);
}
