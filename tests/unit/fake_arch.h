/* A fake implementation of vmm/arch_hooks.h (and of the host-MSR accessors
 * rdmsr_safe/wrmsr_safe and a TSC) for host unit tests and fuzzers.
 * Owned by the MSR engine; anyone may use it. */
#ifndef KEEL_TESTS_FAKE_ARCH_H
#define KEEL_TESTS_FAKE_ARCH_H
#include <stdint.h>
#include <stdbool.h>
#include "vmm/vcpu.h"
#include "vmm/msr.h"

struct fake_exception {
    uint8_t vector;
    bool has_error;
    uint32_t error;
};

#define FAKE_MAX_EXC 16
/* struct vcpu first: the hooks get back to the fake with fake_of(). */
struct fake_vcpu {
    struct vcpu v;
    uint64_t state[VS_COUNT];           /* vcpu_get_state / vcpu_set_state */
    bool no_state[VS_COUNT];            /* vcpu_set_state(s) returns false */
    unsigned set_calls[VS_COUNT];
    struct fake_exception exc[FAKE_MAX_EXC];
    unsigned nexc;                      /* exceptions injected (may exceed FAKE_MAX_EXC) */
    unsigned rip_advances;
    struct msr_intercepts last_mi;      /* copy of the last vcpu_msr_intercepts_changed() */
    unsigned mi_calls;
};

void fake_vcpu_init(struct fake_vcpu *f);
static inline struct fake_vcpu *fake_of(struct vcpu *v) { return (struct fake_vcpu *)v; }

/* Host MSRs seen by rdmsr_safe/wrmsr_safe: only defined indices exist, the
 * others fault (the accessors return false). */
#define FAKE_HOST_MSRS 32
void fake_host_reset(void);
void fake_host_msr_define(uint32_t index, uint64_t val);
bool fake_host_msr_get(uint32_t index, uint64_t *val);
extern unsigned fake_wrmsr_calls, fake_rdmsr_calls;
extern uint32_t fake_last_wrmsr_index;
extern uint64_t fake_last_wrmsr_value;

/* The host TSC as msr_hw_rdtsc() sees it. */
extern uint64_t fake_tsc;
uint64_t fake_rdtsc(void);

bool rdmsr_safe(uint32_t msr, uint64_t *val);
bool wrmsr_safe(uint32_t msr, uint64_t val);

#endif
