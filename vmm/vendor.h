/* The vendor backend interface: SVM (arch/x86/svm) and VMX (arch/x86/vmx)
 * each provide one `struct vendor_ops`. The vendor owns the run loop (so
 * the world switch saves keel's callee-saved registers once per run, not
 * once per exit):
 *     do { complete (RIP advance); entry work (msr_before_entry_slow, ...);
 *          world switch; decode; msr_after_exit; vcpu_dispatch(v); }
 *     until ENTRY_WORK_STOP   (vmm/run.h; SVM: the MSR switch only in passes
 *     with entry work, the hot kinds through vcpu_dispatch_kind).
 * vmm/ reaches these only through vmm/arch_hooks.h (implemented in
 * vmm/arch_hooks.c, the one file that holds the backend in use). */
#ifndef KEEL_VMM_VENDOR_H
#define KEEL_VMM_VENDOR_H
#include <stdint.h>
#include <stdbool.h>
#include "vmm/vcpu.h"
#include "vmm/guest.h"
#include "vmm/msr.h"

struct npt_format;

/* What keel's options ask of the backend, handed over once at cpu_init:
 * the vendors read no option themselves. */
enum vendor_selftest {
    VENDOR_SELFTEST_NONE,
    VENDOR_SELFTEST_BAD_GUEST_STATE,        /* selftest=bad-guest-state */
    VENDOR_SELFTEST_UNEXPLAINED,            /* selftest=unexplained-guest-state (SVM) */
};
struct vendor_options {
    enum vendor_selftest selftest;
};

struct vendor_ops {
    const char *name;                       /* "svm" / "vmx" */
    /* Turn virtualization on for this CPU (EFER.SVME / VMXON) and read the
     * capabilities; false (with a klog saying why) if impossible. */
    bool (*cpu_init)(const struct vendor_options *o);
    /* The nested-paging entry format (vmm/npt.h). */
    const struct npt_format *npt;
    /* Create the vcpu's hardware state (VMCB/VMCS, bitmaps) for a guest that
     * starts in `entry` state with nested page tables at `npt_root`. */
    bool (*vcpu_create)(struct vcpu *v, const struct guest_entry *entry, uint64_t npt_root);
    /* Run the guest until a handler stops it: per exit, v->exit decoded and
     * v->regs holding every guest GPR but RSP, then vcpu_dispatch(v); apply
     * v->exit.advance (vcpu_complete_insn) before the next entry. */
    void (*run)(struct vcpu *v);
    /* Print the hardware state by name (VMCB fields / VMCS guest state) for
     * a failed entry or an unhandled exit. */
    void (*dump_state)(struct vcpu *v);
    /* After a failed VM entry: print each of keel's APM 15.5.1 / SDM 26.3
     * checks that fails for the current state; returns how many did. */
    unsigned (*explain_entry_failure)(struct vcpu *v);

    /* Hooks behind vmm/arch_hooks.h (vcpu_complete_insn is a flag the run
     * loop applies). */
    void (*inject_exception)(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error);
    uint64_t (*get_state)(struct vcpu *v, enum vcpu_state s);
    bool (*set_state)(struct vcpu *v, enum vcpu_state s, uint64_t val);
    void (*msr_intercepts_changed)(struct vcpu *v, const struct msr_intercepts *mi);
    /* Make guest accesses to I/O port `port` exit (EXIT_IO). Everything not
     * asked for here stays passed through. */
    void (*io_intercept)(struct vcpu *v, uint16_t port);
    /* The state an AP has after INIT and a STARTUP with `vector` (SDM
     * 10.4.4 / Table 10-1; APM 14.1.3): real mode at CS = vector << 8,
     * IP 0. Only commits: vmm/ decided the SIPI is due. */
    void (*sipi_reset)(struct vcpu *v, uint8_t vector);
    /* Put the vCPU in the hardware wait-for-SIPI state (VMX activity state
     * 3, SDM 24.4.2 / 26.6.2): the next STARTUP then exits with its vector.
     * False where there is no such state (SVM): vmm/ keeps the SIPI virtual. */
    bool (*wait_for_sipi)(struct vcpu *v);
    /* Undo io_intercept: the port is passed through again. */
    void (*io_passthrough)(struct vcpu *v, uint16_t port);
};

/* A backend's ops: every hook but three is PREFIX_hook (svm_cpu_init,
 * vmx_get_state, ...), so the list is written once, here. */
#define VENDOR_OPS(p, npt_, run_, wait_for_sipi_)                                                        \
    {                                                                                                    \
        .name = #p, .cpu_init = p##_cpu_init, .npt = (npt_), .vcpu_create = p##_vcpu_create,             \
        .run = run_, .dump_state = p##_dump_state, .explain_entry_failure = p##_explain_entry_failure,   \
        .inject_exception = p##_inject_exception, .get_state = p##_get_state,                            \
        .set_state = p##_set_state, .msr_intercepts_changed = p##_msr_intercepts_changed,                \
        .io_intercept = p##_io_intercept, .sipi_reset = p##_sipi_reset, .wait_for_sipi = wait_for_sipi_, \
        .io_passthrough = p##_io_passthrough,                                                            \
    }

extern const struct vendor_ops svm_ops;
extern const struct vendor_ops vmx_ops;

#endif
