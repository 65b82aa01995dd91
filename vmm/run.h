#ifndef KEEL_VMM_RUN_H
#define KEEL_VMM_RUN_H
#include "vmm/vcpu.h"

/* Run the vcpu until a handler stops it; returns the stop code. */
int vcpu_run(struct vcpu *v);

#endif
