/* The pure set-up decisions of the SVM backend: no VMCB access, no MSRs, no
 * SVM instructions, so they build hosted (-DKEEL_HOSTED) for
 * tests/unit/test_svm_setup.c and are checked there against recorded
 * capabilities (CPUID 0x8000000A.EDX with and without NRIPS). */
#ifndef KEEL_SVM_SETUP_H
#define KEEL_SVM_SETUP_H
#include <stdint.h>
#include <stdbool.h>

/* EVENTINJ / EXITINTINFO format (APM Vol 2 15.20, Figure 15-11). */
#define SVM_EVT_VECTOR(e) ((uint8_t)(e))
#define SVM_EVT_TYPE(e) (((e) >> 8) & 7)
#define SVM_EVT_TYPE_INTR 0
#define SVM_EVT_TYPE_NMI 2
#define SVM_EVT_TYPE_EXCEPTION 3
#define SVM_EVT_TYPE_SOFT_INT 4
#define SVM_EVT_ERR_VALID (1ull << 11)
#define SVM_EVT_VALID (1ull << 31)

/* CPUID 0x8000000A EDX (APM Vol 3 E.4.9): what keel's set-up looks at. */
struct svm_caps {
    bool npt;       /* bit 0 */
    bool lbrv;      /* bit 1: LBR virtualization */
    bool nrips;     /* bit 3: next_rip saved on #VMEXIT */
    bool vls;       /* bit 15: virtualized VMLOAD/VMSAVE (for a nested hypervisor under us) */
    bool vgif;      /* bit 16: virtual GIF */
};
void svm_caps_from_cpuid(uint32_t edx, struct svm_caps *c);

/* The intercept words keel runs every guest with (VMCB offsets 0x0c and
 * 0x10, APM Table B-1). hide_rdtscp: the guest's CPUID has no RDTSCP. */
void svm_intercept_words(bool hide_rdtscp, uint32_t *misc1, uint32_t *misc2);

/* EVENTINJ for an exception keel injects. No error code is pushed while
 * the guest is in real mode (CR0.PE = 0): the real-mode IVT delivery has
 * none (APM Vol 2 8.2 / 15.20; SDM 26.2.1.3 says the same for VMX). */
uint64_t svm_exception_event(uint8_t vector, bool has_error, uint32_t error, bool cr0_pe);

/* Soft events (INTn, INT3, INTO) push the address of the NEXT instruction:
 * the unprefixed length of the instruction that raised `event`, or 0 when
 * it is not a soft event. INT3 and INTO appear as type 3 (exception)
 * vectors 3 and 4; CD ib as type 4 (APM 15.20). */
uint8_t svm_soft_event_len(uint64_t event);

/* What svm_enter writes before VMRUN to deliver `event` (an EXITINTINFO
 * value being re-injected). */
struct svm_event_plan {
    uint64_t event_inj;
    uint64_t rip;           /* guest RIP to enter with */
    uint64_t next_rip;      /* VMCB next_rip to write, when set_next_rip */
    bool set_next_rip;
};

/* With NRIPS, VMRUN takes the return address of an injected soft event
 * from next_rip (APM 15.20 "Event Injection", 15.7.1), so next_rip must be
 * RIP + soft_len; without NRIPS it pushes RIP itself, so RIP is advanced
 * past the instruction (what KVM's svm_update_soft_interrupt_rip does).
 * Error codes are dropped in real mode as for svm_exception_event. */
void svm_plan_event(uint64_t event, bool cr0_pe, bool nrips, uint64_t rip, uint8_t soft_len,
                    struct svm_event_plan *out);

/* An NMI keel took while it ran (GIF = 1 after keel's STGI) can be handed
 * to the guest at the next VMRUN when no other event is queued and the
 * guest is not in an interrupt shadow (VMCB int_state bit 0). */
bool svm_nmi_injectable(uint64_t event_inj, uint64_t int_state);

#endif
