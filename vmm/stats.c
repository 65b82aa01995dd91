#include "vmm/stats.h"
#include "vmm/msr.h"
#include "vmm/run.h"
#include "vmm/smp.h"
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

static void print_table(struct vcpu *v)
{
    unsigned k;
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
}

void stats_print_counts(struct vcpu *v)
{
    struct vm *vm = v->vm;
    if (vm && vm->ncpus > 1)
        klog("vcpu %u (APIC ID %u): %lu exits, started %u time%s by the guest", v->index, v->id,
             exit_stats_total(v), v->index ? v->starts : 1, (v->index ? v->starts : 1) == 1 ? "" : "s");
    else
        klog("exit statistics: %lu exits", exit_stats_total(v));
    print_table(v);
    if (v->msr)
        msr_print_stats(v);
}

/* One vCPU: the table as always. Several: which vCPU ended the run, the
 * total, then each vCPU's table and MSR counts. Counters of the other vCPUs
 * are read after they were stopped (smp_end_run). */
void stats_print(struct vcpu *v)
{
    struct vm *vm = v->vm;
    unsigned i;
    uint64_t total = 0;
    smp_end_run(v);     /* the report is the end of the run: stop the other CPUs first */
    if (vm && vm->ncpus > 1) {
        for (i = 0; i < vm->ncpus; i++)
            total += exit_stats_total(vm->vcpus[i]);
        klog("exit statistics: %lu exits on %u vCPUs; the run ended on vcpu %u (APIC ID %u); the other CPUs were "
             "stopped", total, vm->ncpus, v->index, v->id);
        for (i = 0; i < vm->ncpus; i++)
            stats_print_counts(vm->vcpus[i]);
    } else {
        stats_print_counts(v);
    }
    vm_end_checks(vm);
}
