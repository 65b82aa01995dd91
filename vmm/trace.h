/* The per-vCPU exit trace ring (struct exit_trace in vmm/vcpu.h). */
#ifndef KEEL_VMM_TRACE_H
#define KEEL_VMM_TRACE_H
#include "vmm/vcpu.h"

/* Exit path, before the handler: a few stores, no branch (the index is
 * masked). The result starts as "resumed". */
static inline void trace_record(struct vcpu *v, enum exit_kind k)
{
    struct exit_trace_entry *t = &v->trace.e[v->trace.n++ & (EXIT_TRACE_LEN - 1)];
    t->rip = v->exit.rip;
    t->qual = v->exit.raw_info1;
    __builtin_memcpy(&t->detail, &v->exit.u, sizeof(t->detail));
    t->kind = (uint8_t)k;
    t->result = TRACE_RESUMED;
}

/* The handler injected an exception or stopped the run (cold paths). */
static inline void trace_set_result(struct vcpu *v, uint8_t result)
{
    if (v->trace.n)
        v->trace.e[(v->trace.n - 1) & (EXIT_TRACE_LEN - 1)].result = result;
}
_Static_assert(sizeof(((struct vm_exit *)0)->u) >= sizeof(uint64_t), "detail is the union's first word");

/* Print the newest n entries (oldest first), one klog line each. */
void trace_print(const struct vcpu *v, unsigned n);

#endif
