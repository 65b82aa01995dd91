/* keel's chosen limit on CPUs: one vCPU per physical CPU, statically sized
 * tables (keel has no heap). CPUs past it are hidden from the guest. */
#ifndef KEEL_VMM_SMP_LIMITS_H
#define KEEL_VMM_SMP_LIMITS_H

#define KEEL_MAX_CPUS 64

#endif
