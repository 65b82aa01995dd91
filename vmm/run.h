#ifndef KEEL_VMM_RUN_H
#define KEEL_VMM_RUN_H
#include "vmm/vcpu.h"
#include "vmm/exit_handlers.h"

/* Run the vcpu until a handler stops it; returns the stop code. */
int vcpu_run(struct vcpu *v);

void vcpu_dispatch_sampled(struct vcpu *v);

/* One exit, vendor-neutral (the vendor's run loop calls this after its
 * decode): count it, run exit_handlers[kind]; the sampled exits go through
 * vcpu_dispatch_sampled to be timed (vmm/vcpu.h). A handler that stops the
 * vCPU sets ENTRY_WORK_STOP, which the loop sees before the next entry. */
static inline void vcpu_dispatch(struct vcpu *v)
{
    enum exit_kind k = v->exit.kind;
    v->stats.count[k]++;
    /* --sample_in == 0 as one DEC + JZ (GCC otherwise loads, subtracts and
     * stores separately). */
    __asm__ goto("decl %0\n\tjz %l[sample]" : "+m"(v->stats.sample_in) : : "cc" : sample);
    exit_handlers[k](v);
    return;
sample:
    vcpu_dispatch_sampled(v);
}

/* Exits so far, all kinds. */
uint64_t exit_stats_total(const struct vcpu *v);

#endif
