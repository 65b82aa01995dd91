#ifndef KEEL_VMM_RUN_H
#define KEEL_VMM_RUN_H
#include "vmm/vcpu.h"
#include "vmm/exit_handlers.h"

/* Run the vcpu until a handler stops it; returns the stop code. */
int vcpu_run(struct vcpu *v);

void vcpu_dispatch_sampled(struct vcpu *v);

/* One exit, vendor-neutral (the vendor's run loop calls this after its
 * decode, with the kind it decoded: v->exit.kind): count it, run exit_handlers[kind]; the sampled exits go through
 * vcpu_dispatch_sampled to be timed (vmm/vcpu.h). Returns false when a
 * handler stopped the vcpu. */
static inline bool vcpu_dispatch_kind(struct vcpu *v, enum exit_kind k)
{
    v->stats.count[k]++;
    /* --sample_in == 0 as one DEC + JZ (GCC otherwise loads, subtracts and
     * stores separately). */
    __asm__ goto("decl %0\n\tjz %l[sample]" : "+m"(v->stats.sample_in) : : "cc" : sample);
    exit_handlers[k](v);
    goto out;
sample:
    vcpu_dispatch_sampled(v);
out:
    return __builtin_expect(v->stop == 0, 1);
}

/* The same, for a loop that does not have the kind at hand. */
static inline bool vcpu_dispatch(struct vcpu *v)
{
    return vcpu_dispatch_kind(v, v->exit.kind);
}

/* Exits so far, all kinds. */
uint64_t exit_stats_total(const struct vcpu *v);

#endif
