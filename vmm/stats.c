#include "vmm/stats.h"
#include "vmm/msr.h"
#include "arch/x86/exceptions.h"
#include "lib/log.h"
#include "vmm/vm.h"

void stats_print_counts(struct vcpu *v)
{
    unsigned k;
    klog("exit statistics: %lu exits", v->stats.total);
    klog("  %-14s %12s %14s %10s", "kind", "count", "tsc-cycles", "avg");
    for (k = 0; k < EXIT_KIND_COUNT; k++) {
        uint64_t n = v->stats.count[k];
        if (!n)
            continue;
        klog("  %-14s %12lu %14lu %10lu", exit_kind_names[k], n, v->stats.cycles[k], v->stats.cycles[k] / n);
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
