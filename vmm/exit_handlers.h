/* Exit handlers (vmm/): each completes or fails the exiting instruction
 * through the vendor hooks. */
#ifndef KEEL_VMM_EXIT_HANDLERS_H
#define KEEL_VMM_EXIT_HANDLERS_H
#include "vmm/vcpu.h"

typedef void (*exit_handler_fn)(struct vcpu *v);
extern const exit_handler_fn exit_handlers[EXIT_KIND_COUNT];

void handle_unhandled(struct vcpu *v);
void handle_cpuid(struct vcpu *v);      /* vmm/cpuid_exit.c */
void handle_xsetbv(struct vcpu *v);     /* vmm/cpuid_exit.c */
void handle_rdmsr(struct vcpu *v);      /* vmm/msr.c */
void handle_wrmsr(struct vcpu *v);
void handle_io(struct vcpu *v);         /* vmm/exit_io.c */
void handle_npf(struct vcpu *v);        /* vmm/exit_npf.c */
void handle_hypercall(struct vcpu *v);  /* vmm/hypercall.c */

/* End the run after this exit with `code` (the runner's exit status). */
void vcpu_stop(struct vcpu *v, int code);

#endif
