#ifndef KEEL_VMM_STATS_H
#define KEEL_VMM_STATS_H
#include "vmm/vcpu.h"

/* Exit statistics: counts and TSC cycles per exit kind, injected
 * exceptions, and the MSR engine's per-MSR counts. */
void stats_print(struct vcpu *v);

#endif
