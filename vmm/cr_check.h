/* The architectural checks of a guest MOV to CR0 / CR4, vendor-neutral:
 * vmm/ decides (these), the vendor's set_state only commits. Both take the
 * guest's current state and its CPU policy, change nothing, and say whether
 * the write is allowed (false = the MOV raises #GP(0)). */
#ifndef KEEL_VMM_CR_CHECK_H
#define KEEL_VMM_CR_CHECK_H
#include <stdint.h>
#include <stdbool.h>
#include "vmm/cpu_policy.h"

/* The guest state the rules read. */
struct cr_state {
    uint64_t cr0, cr3, cr4, efer;
    bool cs_l;                  /* CS.L: the guest runs 64-bit code */
};

/* CR4 bits this guest may set: those whose feature its CPUID shows (a
 * hidden or never-offered feature's bit is reserved: #GP, SDM 2.5). */
uint64_t cr4_allowed(const struct cpu_policy *p);
bool cr0_write_ok(const struct cpu_policy *p, const struct cr_state *s, uint64_t val);
bool cr4_write_ok(const struct cpu_policy *p, const struct cr_state *s, uint64_t val);

#endif
