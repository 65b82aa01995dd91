/* Named guest CPU profiles: which features a guest may see (before the
 * host intersection). Data in vmm/profile.c; docs/cpuid.md has the table. */
#ifndef KEEL_VMM_PROFILE_H
#define KEEL_VMM_PROFILE_H
#include <stdint.h>
#include <stdbool.h>
#include "vmm/cpu_policy.h"

struct cpu_profile {
    const char *name;
    const char *desc;
    const struct cpu_profile *base;   /* inherits all of base's features; NULL = none */
    const uint16_t *feats;            /* required: enum cpu_feature, on top of base */
    unsigned nfeats;
    const uint16_t *opt;              /* optional: used if the host has them, silently */
    unsigned nopt;
    bool all_pass;                    /* every FC_PASS feature (profile "host") */
};

extern const struct cpu_profile cpu_profiles[];
extern const unsigned cpu_profile_count;

/* NULL if no profile has that name (exact, case-sensitive). */
const struct cpu_profile *profile_find(const char *name);
/* The profile's wanted set (base chain included, required + optional). */
void profile_features(const struct cpu_profile *pr, uint64_t feat[FEAT_WORDS]);
/* Only the required features: a host lacking one of them gets a klog line. */
void profile_required(const struct cpu_profile *pr, uint64_t feat[FEAT_WORDS]);
/* klog the valid names on one line, e.g. for an error message. */
void profile_log_names(void);
/* klog every profile and the features it adds over its base. */
void policy_print_profiles(void);

#endif
