#ifndef KEEL_VMM_STATS_H
#define KEEL_VMM_STATS_H
#include "vmm/vcpu.h"

/* Exit statistics: counts and TSC cycles per exit kind, injected
 * exceptions, and the MSR engine's per-MSR counts. */
void stats_print(struct vcpu *v);
/* The same counts in the middle of a run (the monitor's `stats`), without
 * the end-of-run checks. */
void stats_print_counts(struct vcpu *v);

#endif
