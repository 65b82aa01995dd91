/* The per-vCPU exit trace ring (struct exit_trace in vmm/vcpu.h). */
#ifndef KEEL_VMM_TRACE_H
#define KEEL_VMM_TRACE_H
#include "vmm/vcpu.h"

/* Exits recorded so far. */
static inline uint64_t trace_count(const struct vcpu *v)
{
    return v->trace.pos / sizeof(struct exit_trace_entry);
}

/* The next entry of the ring: the offset masked, no branch, no scaling. */
static inline struct exit_trace_entry *trace_next(struct vcpu *v)
{
    uint64_t off = v->trace.pos & (EXIT_TRACE_BYTES - 1);
    /* One ADD to memory (GCC otherwise computes the sum in a register and
     * stores it: one instruction more). */
    __asm__("addq %1, %0" : "+m"(v->trace.pos) : "i"(sizeof(struct exit_trace_entry)) : "cc");
    /* v + (offset of the ring + off): one LEA from the vCPU pointer in each
     * branch of a decode (GCC otherwise hoists &v->trace.e into a register
     * above the branches, and each adds off to it: one instruction more). */
    return (struct exit_trace_entry *)((char *)v + (off + __builtin_offsetof(struct vcpu, trace.e)));
}

/* The kind and result (and the padding after them) as one 32-bit store. */
static inline void trace_set_kind(struct exit_trace_entry *t, enum exit_kind k)
{
    uint32_t kr = (uint8_t)k | (TRACE_RESUMED << 8);
    __builtin_memcpy(&t->kind, &kr, sizeof(kr));
}
_Static_assert(sizeof(struct exit_trace_entry) - __builtin_offsetof(struct exit_trace_entry, kind) >= 4,
               "kind, result and padding take one 32-bit store");
_Static_assert(__builtin_offsetof(struct exit_trace_entry, result) ==
               __builtin_offsetof(struct exit_trace_entry, kind) + 1, "kind and result: one store");

/* The vendor's decode records every exit before the handler runs: the
 * hot exits write their entry directly (trace_hot: RIP, kind, the MSR
 * index; see struct exit_trace_entry), every other exit
 * copies the decoded record (trace_record). The result starts as
 * "resumed". */
static inline void trace_hot(struct vcpu *v, enum exit_kind k, uint64_t rip, uint32_t msr)
{
    struct exit_trace_entry *t = trace_next(v);
    t->rip = rip;
    /* The low half only (printed as 32 bits): 0 for CPUID and the
     * hypercall, one store and no test of the kind. */
    __builtin_memcpy(&t->detail, &msr, sizeof(msr));
    trace_set_kind(t, k);
}

/* The same for a kind known to have no detail (CPUID, the hypercall):
 * detail is left as it was, never printed for them (trace.c detail_str). */
static inline void trace_hot_nodetail(struct vcpu *v, enum exit_kind k, uint64_t rip)
{
    struct exit_trace_entry *t = trace_next(v);
    t->rip = rip;
    trace_set_kind(t, k);
}

/* Whether the entry's qualification was recorded (not for the hot kinds). */
static inline bool trace_entry_has_qual(const struct exit_trace_entry *t)
{
    return t->kind != EXIT_CPUID && t->kind != EXIT_HYPERCALL && t->kind != EXIT_MSR_READ &&
           t->kind != EXIT_MSR_WRITE;
}

static inline void trace_record(struct vcpu *v, enum exit_kind k)
{
    struct exit_trace_entry *t = trace_next(v);
    t->rip = v->exit.rip;
    t->qual = v->exit.raw_info1;
    __builtin_memcpy(&t->detail, &v->exit.u, sizeof(t->detail));
    trace_set_kind(t, k);
}

/* The handler injected an exception or stopped the run (cold paths). */
static inline void trace_set_result(struct vcpu *v, uint8_t result)
{
    if (v->trace.pos)
        v->trace.e[(trace_count(v) - 1) & (EXIT_TRACE_LEN - 1)].result = result;
}
_Static_assert(sizeof(((struct vm_exit *)0)->u) >= sizeof(uint64_t), "detail is the union's first word");

/* Print the newest n entries (oldest first), one klog line each. */
void trace_print(const struct vcpu *v, unsigned n);

#endif
