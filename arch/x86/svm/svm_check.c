#include "arch/x86/svm/svm_check.h"
#include "lib/log.h"
#include "arch/x86/x86_defs.h"

/* EFER bits defined by the APM (SCE, LME, LMA, NXE, SVME, LMSLE, FFXSR, TCE,
 * MCOMMIT, INTWB, UAIE, AIBRSE); anything else is reserved. */
#define EFER_DEFINED 0x000000000023fd01ull
/* CR4 bits the APM defines (VME..PKE, CET, LA57, ...); 13 (Intel's VMXE),
 * 14 (SMXE) and everything from 24 up are reserved on AMD. */
#define CR4_RESERVED (0xffffffffff000000ull | CR4_VMXE | CR4_SMXE)

#define EVTINJ_VALID (1u << 31)

/* EVENTINJ (APM 15.20): TYPE 0 INTR, 2 NMI, 3 exception, 4 software
 * interrupt; 1 and 5-7 are reserved. An exception must have an exception
 * vector: not 2 (the NMI) and not above 31. */
static const char *event_inj_check(uint64_t ev)
{
    unsigned type = (ev >> 8) & 7, vec = ev & 0xff;
    if (!(ev & EVTINJ_VALID))
        return 0;
    if (type == 1 || type > 4)
        return "EVENTINJ has an illegal event type (APM 15.20: TYPE 1 and 5-7 are reserved)";
    if (type == 3 && (vec == 2 || vec > 31))
        return "EVENTINJ injects an exception with a vector that is not an exception (APM 15.20)";
    return 0;
}

const char *svm_check_vmcb(const struct vmcb *vm, const struct svm_host_caps *h)
{
    const struct vmcb_save *g = &vm->save;
    const struct vmcb_control *c = &vm->control;
    uint64_t phys_limit = h->maxphyaddr >= 64 ? ~0ull : (1ull << h->maxphyaddr);
    bool long_paging = (g->efer & EFER_LME) && (g->cr0 & CR0_PG);
    const char *ev;

    if (!(g->efer & EFER_SVME))
        return "EFER.SVME is zero (APM 15.5.1: guest EFER.SVME must be set)";
    if (!(g->cr0 & CR0_CD) && (g->cr0 & CR0_NW))
        return "CR0.CD is zero and CR0.NW is set";
    if (g->cr0 >> 32)
        return "CR0[63:32] are not zero";
    if (g->cr4 & CR4_RESERVED)
        return "CR4 has reserved bits set";
    if (g->dr6 >> 32)
        return "DR6[63:32] are not zero";
    if (g->dr7 >> 32)
        return "DR7[63:32] are not zero";
    if (g->efer & ~EFER_DEFINED)
        return "EFER has reserved bits set";
    if ((g->efer & (EFER_LME | EFER_LMA)) && !h->long_mode)
        return "EFER.LMA or EFER.LME is set but this processor does not support long mode";
    /* Long-mode CR3: bits 63:52 and those above MAXPHYADDR are MBZ (APM 3.1.2). */
    if (long_paging && (g->cr3 & ~(phys_limit - 1)))
        return "a CR3 MBZ bit is set (long mode: bits at or above MAXPHYADDR)";
    if ((g->efer & EFER_LME) && (g->cr0 & CR0_PG) && !(g->cr4 & CR4_PAE))
        return "EFER.LME and CR0.PG are set but CR4.PAE is zero";
    if ((g->efer & EFER_LME) && (g->cr0 & CR0_PG) && !(g->cr0 & CR0_PE))
        return "EFER.LME and CR0.PG are set but CR0.PE is zero";
    if ((g->efer & EFER_LME) && (g->cr0 & CR0_PG) && (g->cr4 & CR4_PAE) && (g->cs.attrib & (1u << 9)) &&
        (g->cs.attrib & (1u << 10)))
        return "long mode with CS.L and CS.D both set";
    if (!(c->intercept_misc2 & 1))
        return "the VMRUN intercept bit is clear";
    if (c->msrpm_base_pa + 0x2000 > phys_limit)
        return "MSRPM_BASE_PA is beyond the physical address width";
    if (c->iopm_base_pa + 0x3000 > phys_limit)
        return "IOPM_BASE_PA is beyond the physical address width";
    if (c->guest_asid == 0)
        return "ASID is zero";
    if ((ev = event_inj_check(c->event_inj)))
        return ev;
    /* APM 15.16.1: TLB_CONTROL 0, 1, and 3 / 7 with FlushByAsid; other values
     * are reserved (KVM's nested VMRUN refuses them too). */
    if (!(c->tlb_control == 0 || c->tlb_control == 1 ||
          (h->flush_by_asid && (c->tlb_control == 3 || c->tlb_control == 7))))
        return "TLB_CONTROL has a reserved value (APM 15.16.1: 0, 1, and 3 or 7 with FlushByAsid)";
    return 0;
}

unsigned svm_explain_vmcb(const struct vmcb *vm, const struct svm_host_caps *h)
{
    const char *why = svm_check_vmcb(vm, h);
    if (!why)
        return 0;
    klog("VMRUN consistency check: %s", why);
    return 1;
}

#define SEG(name, s) \
    klog("  %-5s sel %04x attr %04x limit %08x base %016lx", name, (s).selector, (s).attrib, (s).limit, (s).base)

void svm_dump_vmcb(const struct vmcb *vm)
{
    const struct vmcb_control *c = &vm->control;
    const struct vmcb_save *g = &vm->save;
    klog("VMCB control: exitcode 0x%lx exitinfo1 0x%lx exitinfo2 0x%lx exitintinfo 0x%lx", c->exitcode,
         c->exitinfo1, c->exitinfo2, c->exitintinfo);
    klog("  intercepts cr %08x dr %08x exc %08x misc1 %08x misc2 %08x", c->intercept_cr, c->intercept_dr,
         c->intercept_exceptions, c->intercept_misc1, c->intercept_misc2);
    klog("  iopm 0x%lx msrpm 0x%lx asid %u tlb_control %u int_ctl 0x%lx np_enable 0x%lx n_cr3 0x%lx",
         c->iopm_base_pa, c->msrpm_base_pa, c->guest_asid, c->tlb_control, c->int_ctl, c->np_enable, c->n_cr3);
    klog("  event_inj 0x%lx tsc_offset 0x%lx next_rip 0x%lx int_state 0x%lx", c->event_inj, c->tsc_offset,
         c->next_rip, c->int_state);
    klog("VMCB save: rip %016lx rsp %016lx rax %016lx rflags %016lx cpl %u", g->rip, g->rsp, g->rax, g->rflags,
         g->cpl);
    klog("  cr0 %016lx cr2 %016lx cr3 %016lx cr4 %016lx efer %016lx", g->cr0, g->cr2, g->cr3, g->cr4, g->efer);
    klog("  dr6 %016lx dr7 %016lx g_pat %016lx", g->dr6, g->dr7, g->g_pat);
    SEG("cs", g->cs);
    SEG("ss", g->ss);
    SEG("ds", g->ds);
    SEG("es", g->es);
    SEG("fs", g->fs);
    SEG("gs", g->gs);
    SEG("gdtr", g->gdtr);
    SEG("idtr", g->idtr);
    SEG("ldtr", g->ldtr);
    SEG("tr", g->tr);
}
