/* What vmm/ code may ask of the vendor backend. Each of SVM and VMX
 * implements every function here; host unit tests link a fake
 * (tests/unit/fake_arch.c). Handlers call these, never VMCB/VMCS code. */
#ifndef KEEL_VMM_ARCH_HOOKS_H
#define KEEL_VMM_ARCH_HOOKS_H
#include <stdint.h>
#include <stdbool.h>
#include "vmm/vcpu.h"

/* The one "instruction completed" path, for every exit whose instruction
 * keel carried out for the guest: RIP moves past it (its length from the
 * vendor, or read from guest memory by vcpu_insn_len when the vendor has
 * none), an STI / MOV SS interrupt shadow ends, and a single-step trap is
 * raised if RFLAGS.TF is set (vcpu_single_step_trap). If the length cannot
 * be found the run stops (status 125) and RIP stays.
 * The handler only marks the exit (v->exit.advance); the vendor's run loop
 * commits it right before the next entry, with no call on the hot path, so
 * a handler that reads VS_RIP afterwards still sees the instruction's own
 * address. Host tests link vmm/insn.c's immediate version (through the
 * vcpu_retire_insn fake) or a counting fake. */
#ifdef KEEL_HOSTED
void vcpu_complete_insn(struct vcpu *v);
uint64_t vcpu_retire_insn(struct vcpu *v, uint8_t len);   /* hosted fake: RIP += len, shadow off, RFLAGS */
#else
static inline void vcpu_complete_insn(struct vcpu *v) { v->exit.advance = true; }
#endif
/* The vendor-neutral parts of the commit (vmm/insn.c), off the hot path:
 * the length when the vendor has none (false: the run was stopped), and
 * the single-step trap after an instruction completed with RFLAGS.TF = 1. */
bool vcpu_insn_len(struct vcpu *v);
void vcpu_single_step_trap(struct vcpu *v);

/* Queue an exception for the next entry (vector 0..31). */
void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error);
static inline void vcpu_inject_gp(struct vcpu *v) { vcpu_inject_exception(v, 13, true, 0); }
static inline void vcpu_inject_ud(struct vcpu *v) { vcpu_inject_exception(v, 6, false, 0); }

uint64_t vcpu_get_state(struct vcpu *v, enum vcpu_state s);
/* Returns false if this vendor has no place for the state (e.g. CET on a
 * CPU without CET state switching); the caller then keeps it virtual. */
bool vcpu_set_state(struct vcpu *v, enum vcpu_state s, uint64_t val);

/* The MSR engine changed what must be intercepted: re-encode the neutral
 * intercept bitmaps (struct msr_intercepts) into the vendor's format. */
struct msr_intercepts;
void vcpu_msr_intercepts_changed(struct vcpu *v, const struct msr_intercepts *mi);

/* INIT-then-STARTUP state, real mode at vector << 8 (vendor commits). */
void vcpu_sipi_reset(struct vcpu *v, uint8_t vector);
/* Enter the hardware wait-for-SIPI state if the vendor has one. */
bool vcpu_wait_for_sipi(struct vcpu *v);
/* Make guest IN/OUT of this port exit (EXIT_IO), or pass it through again
 * (on = false). The I/O bitmaps are read at each access (AMD APM Vol. 2
 * 15.10.1, Intel SDM Vol. 3C 25.6.4): no flush is needed. */
void vcpu_io_intercept(struct vcpu *v, uint16_t port, bool on);

/* What a handler carries out on the host for the guest: WBINVD (for INVD
 * too), and port I/O forwarded to a device keel traps. keel: the
 * instructions (vmm/run.c); host tests: fakes that record them. */
void host_wbinvd(void);
uint32_t host_port_in(uint16_t port, unsigned size);
void host_port_out(uint16_t port, unsigned size, uint32_t val);
/* Spin n PAUSEs (a wait with no clock behind it). */
void host_pause(unsigned long n);

/* The backend itself, for building the VM (vmm/vm.c); vmm/arch_hooks.c. */
struct vendor_ops;
struct vendor_options;
struct npt_format;
struct guest_entry;
void arch_select(const struct vendor_ops *ops, const struct vendor_options *o);
const char *arch_name(void);
bool arch_cpu_init(void);                   /* this CPU, with the options of arch_select */
const struct npt_format *arch_npt_format(void);
bool arch_vcpu_create(struct vcpu *v, const struct guest_entry *entry, uint64_t npt_root);
void arch_run(struct vcpu *v);
bool arch_has_wait_for_sipi(void);     /* the vendor has a hardware wait-for-SIPI state */
/* For a failed entry or an unhandled exit: the hardware state by name, and
 * the entry checks that fail (how many). */
void vcpu_dump_state(struct vcpu *v);
unsigned vcpu_explain_entry_failure(struct vcpu *v);

#endif
