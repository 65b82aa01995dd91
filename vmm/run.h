#ifndef KEEL_VMM_RUN_H
#define KEEL_VMM_RUN_H
#include <stddef.h>
#include "vmm/vcpu.h"
#include "vmm/exit_handlers.h"
#include "vmm/trace.h"

/* Run the vcpu until a handler stops it; returns the stop code. */
int vcpu_run(struct vcpu *v);

void vcpu_dispatch_sampled(struct vcpu *v);

/* One exit, vendor-neutral (the vendor's run loop calls this after its
 * decode, which has recorded the exit in the trace ring): count it, run
 * exit_handlers[kind]; every STATS_SAMPLE-th exit goes through
 * vcpu_dispatch_sampled instead, which times the handler and, with the
 * TSC it read for that, polls the console when its monitor is on and the
 * poll is due (docs/console.md). A handler that stops the vCPU sets
 * ENTRY_WORK_STOP, which the loop sees before the next entry. */
static inline void vcpu_dispatch_kind(struct vcpu *v, size_t k)     /* an enum exit_kind; size_t: an index as is */
{
    v->stats.count[k]++;
    /* --sample_in == 0 as one DEC + JZ (GCC otherwise loads, subtracts and
     * stores separately). */
    __asm__ goto("decl %0\n\tjz %l[sample]" : "+m"(v->stats.sample_in) : : "cc" : sample);
    exit_handlers[k](v);
    return;
sample:
    vcpu_dispatch_sampled(v);
}

/* The same, for a kind only v->exit.kind knows. A vendor's decode that
 * knows the kind where it decoded it calls vcpu_dispatch_kind there: no
 * reload of the kind, and a constant index. */
static inline void vcpu_dispatch(struct vcpu *v)
{
    vcpu_dispatch_kind(v, v->exit.kind);
}

/* The attribute of a vendor's specialised run loop (svm.c, vmx.c: one per
 * CPU feature the loop would otherwise test per exit): out of line, and no
 * frame pointer, so the exception dump's backtrace, which follows frames on
 * keel's stacks only, stops cleanly there. */
#define VCPU_LOOP_ATTR __attribute__((noinline, optimize("omit-frame-pointer", "no-crossjumping")))

/* Exits so far, all kinds. */
uint64_t exit_stats_total(const struct vcpu *v);

#endif
