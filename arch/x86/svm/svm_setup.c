/* Pure SVM set-up decisions (see svm_setup.h). */
#include "arch/x86/svm/svm_setup.h"
#include "arch/x86/svm/vmcb.h"

void svm_caps_from_cpuid(uint32_t edx, struct svm_caps *c)
{
    c->npt = edx & 1;
    c->lbrv = (edx >> 1) & 1;
    c->nrips = (edx >> 3) & 1;
    c->vls = (edx >> 15) & 1;
    c->vgif = (edx >> 16) & 1;
}

void svm_intercept_words(bool hide_rdtscp, uint32_t *misc1, uint32_t *misc2)
{
    /* INVLPGA is intercepted like the other SVM instructions: the guest runs
     * with EFER.SVME = 1 underneath (VMRUN requires it, APM 15.5.1), so an
     * unintercepted INVLPGA would execute natively and could flush any
     * ASID's translations, keel's included (APM 15.9 "INVLPGA"). */
    *misc1 = SVM_INTERCEPT1_CPUID | SVM_INTERCEPT1_INVD | SVM_INTERCEPT1_IOIO | SVM_INTERCEPT1_MSR |
             SVM_INTERCEPT1_SHUTDOWN | SVM_INTERCEPT1_INIT | SVM_INTERCEPT1_INVLPGA;
    /* VMRUN must be intercepted (APM 15.5.1); the other SVM instructions
     * would work for the guest for the same reason as INVLPGA, so they are
     * intercepted and get #UD. */
    *misc2 = SVM_INTERCEPT2_VMRUN | SVM_INTERCEPT2_VMMCALL | SVM_INTERCEPT2_VMLOAD | SVM_INTERCEPT2_VMSAVE |
             SVM_INTERCEPT2_STGI | SVM_INTERCEPT2_CLGI | SVM_INTERCEPT2_SKINIT | SVM_INTERCEPT2_XSETBV |
             SVM_INTERCEPT2_MONITOR | SVM_INTERCEPT2_MWAIT;
    if (hide_rdtscp)
        *misc2 |= SVM_INTERCEPT2_RDTSCP;
}

uint64_t svm_exception_event(uint8_t vector, bool has_error, uint32_t error, bool cr0_pe)
{
    uint64_t e = vector | ((uint64_t)SVM_EVT_TYPE_EXCEPTION << 8) | SVM_EVT_VALID;
    if (has_error && cr0_pe)
        e |= SVM_EVT_ERR_VALID | ((uint64_t)error << 32);
    return e;
}

uint8_t svm_soft_event_len(uint64_t event)
{
    unsigned type = SVM_EVT_TYPE(event), vec = SVM_EVT_VECTOR(event);
    if (type == SVM_EVT_TYPE_SOFT_INT)
        return 2;                       /* CD ib */
    if (type == SVM_EVT_TYPE_EXCEPTION && (vec == 3 || vec == 4))
        return 1;                       /* CC (INT3), CE (INTO) */
    return 0;
}

void svm_plan_event(uint64_t event, bool cr0_pe, bool nrips, uint64_t rip, uint8_t soft_len,
                    struct svm_event_plan *out)
{
    uint64_t e = event & ~(0x7fffull << 12);    /* bits 30:12 are reserved in EVENTINJ */
    if (!cr0_pe || !(e & SVM_EVT_ERR_VALID))
        e &= ~(SVM_EVT_ERR_VALID | (0xffffffffull << 32));
    out->event_inj = e;
    out->rip = rip;
    out->next_rip = 0;
    out->set_next_rip = false;
    if (!svm_soft_event_len(e) || !soft_len)
        return;
    if (nrips) {
        out->next_rip = rip + soft_len;
        out->set_next_rip = true;
    } else {
        out->rip = rip + soft_len;
    }
}

bool svm_nmi_injectable(uint64_t event_inj, uint64_t int_state)
{
    return !(event_inj & SVM_EVT_VALID) && !(int_state & 1);
}
