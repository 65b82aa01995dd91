#include "vmm/stats.h"
#include "vmm/msr.h"
#include "vmm/run.h"
#include "arch/x86/exceptions.h"
#include "lib/log.h"
#include "vmm/vm.h"

uint64_t exit_stats_total(const struct vcpu *v)
{
    uint64_t n = 0;
    unsigned k;
    for (k = 0; k < EXIT_KIND_COUNT; k++)
        n += v->stats.count[k];
    return n;
}

void stats_print_counts(struct vcpu *v)
{
    unsigned k;
    klog("exit statistics: %lu exits", exit_stats_total(v));
    /* avg: TSC cycles per handler over the sampled exits (vmm/vcpu.h). */
    klog("  %-14s %12s %10s %10s", "kind", "count", "sampled", "avg");
    for (k = 0; k < EXIT_KIND_COUNT; k++) {
        uint64_t n = v->stats.count[k];
        if (!n)
            continue;
        klog("  %-14s %12lu %10lu %10lu", exit_kind_names[k], n, v->stats.sampled[k],
             v->stats.sampled[k] ? v->stats.cycles[k] / v->stats.sampled[k] : 0);
    }
    for (k = 0; k < 32; k++)
        if (v->stats.injected[k])
            klog("  injected %-22s %lu", exception_name(k), v->stats.injected[k]);
    msr_print_stats(v);
}

void stats_print(struct vcpu *v)
{
    stats_print_counts(v);
    vm_end_checks();
}
