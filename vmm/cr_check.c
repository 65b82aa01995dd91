/* MOV to CR0 / CR4 #GP(0) conditions: Intel SDM Vol. 2B "MOV-Move to/from
 * Control Registers" and Vol. 3A 2.5 "Control Registers", AMD APM Vol. 2
 * 3.1.1 (CR0) and 3.1.3 (CR4). Validate here, then the vendor commits
 * (vcpu_set_state), which may still refuse what its CPU cannot hold (VMX
 * fixed bits) or, for PAE paging on VMX, PDPTEs with reserved bits. */
#include "vmm/cr_check.h"
#include "arch/x86/x86_defs.h"

/* CR4 bit -> the CPUID feature that makes it exist. Bits not listed are
 * reserved (bit 15, bits 25 and up); PCE exists on every x86-64 CPU. */
static const struct { uint64_t bit; uint16_t feat, alt; } cr4_feat[] = {
    { CR4_VME, FEAT_VME, FEAT_NONE },        { CR4_PVI, FEAT_VME, FEAT_NONE },
    { CR4_TSD, FEAT_TSC, FEAT_NONE },        { CR4_DE, FEAT_DE, FEAT_NONE },
    { CR4_PSE, FEAT_PSE, FEAT_NONE },        { CR4_PAE, FEAT_PAE, FEAT_NONE },
    { CR4_MCE, FEAT_MCE, FEAT_NONE },        { CR4_PGE, FEAT_PGE, FEAT_NONE },
    { CR4_OSFXSR, FEAT_FXSR, FEAT_NONE },    { CR4_OSXMMEXCPT, FEAT_SSE, FEAT_NONE },
    { CR4_UMIP, FEAT_UMIP, FEAT_NONE },      { CR4_LA57, FEAT_LA57, FEAT_NONE },
    { CR4_VMXE, FEAT_VMX, FEAT_NONE },       { CR4_SMXE, FEAT_SMX, FEAT_NONE },
    { CR4_FSGSBASE, FEAT_FSGSBASE, FEAT_NONE }, { CR4_PCIDE, FEAT_PCID, FEAT_NONE },
    { CR4_OSXSAVE, FEAT_XSAVE, FEAT_NONE },  { CR4_KL, FEAT_KL, FEAT_NONE },
    { CR4_SMEP, FEAT_SMEP, FEAT_NONE },      { CR4_SMAP, FEAT_SMAP, FEAT_NONE },
    { CR4_PKE, FEAT_PKU, FEAT_NONE },        { CR4_CET, FEAT_SHSTK, FEAT_IBT },
    { CR4_PKS, FEAT_PKS, FEAT_NONE },
};

uint64_t cr4_allowed(const struct cpu_policy *p)
{
    uint64_t a = CR4_PCE;
    unsigned i;
    for (i = 0; i < sizeof(cr4_feat) / sizeof(cr4_feat[0]); i++)
        if (policy_has(p, (enum cpu_feature)cr4_feat[i].feat) ||
            (cr4_feat[i].alt != FEAT_NONE && policy_has(p, (enum cpu_feature)cr4_feat[i].alt)))
            a |= cr4_feat[i].bit;
    return a;
}

bool cr0_write_ok(const struct cpu_policy *p, const struct cr_state *s, uint64_t val)
{
    (void)p;
    if (val >> 32)                                  /* bits 63:32 reserved */
        return false;
    if ((val & CR0_PG) && !(val & CR0_PE))          /* paging without protection */
        return false;
    if ((val & CR0_NW) && !(val & CR0_CD))          /* not-write-through without cache disable */
        return false;
    /* Turning paging on with EFER.LME = 1 enters IA-32e mode, which needs
     * PAE (SDM 10.8.5, APM 14.6.1). */
    if ((val & CR0_PG) && !(s->cr0 & CR0_PG) && (s->efer & EFER_LME) && !(s->cr4 & CR4_PAE))
        return false;
    /* Paging off from 64-bit code (SDM 10.8.5.4: leave IA-32e mode from
     * compatibility mode). */
    if (!(val & CR0_PG) && (s->efer & EFER_LMA) && s->cs_l)
        return false;
    if (!(val & CR0_WP) && (s->cr4 & CR4_CET))     /* CET needs WP (SDM 2.5) */
        return false;
    return true;
}

bool cr4_write_ok(const struct cpu_policy *p, const struct cr_state *s, uint64_t val)
{
    if (val & ~cr4_allowed(p))
        return false;
    if (s->efer & EFER_LMA) {
        if (!(val & CR4_PAE))                       /* IA-32e mode needs PAE */
            return false;
        if ((val ^ s->cr4) & CR4_LA57)              /* the paging depth is fixed in IA-32e mode */
            return false;
    }
    /* PCIDE 0 -> 1 only in IA-32e mode with CR3[11:0] = 0 (SDM 4.10.1). */
    if ((val & CR4_PCIDE) && !(s->cr4 & CR4_PCIDE) && (!(s->efer & EFER_LMA) || (s->cr3 & 0xfff)))
        return false;
    if ((val & CR4_CET) && !(s->cr0 & CR0_WP))
        return false;
    return true;
}
