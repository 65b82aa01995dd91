/* The run loop's vendor-neutral half (the hooks: vmm/arch_hooks.c). The vendor owns
 * the loop (vendor_ops.run: entry, world switch, decode), and calls
 * vcpu_dispatch() (vmm/run.h) once per exit: the table picks the vmm/
 * handler, the handler completes through hooks. Hot path: no logging, no
 * allocation, no search, no TSC read (cycles are sampled). */
#include "vmm/run.h"
#include "vmm/arch_hooks.h"
#include "vmm/exit_handlers.h"
#include "vmm/msr.h"
#include "vmm/trace.h"
#include "vmm/console.h"
#include "vmm/smp.h"
#include "arch/x86/cpu.h"

/* The monitor is on and its deadline passed: poll the shared serial line
 * (docs/console.md). */
void vcpu_console_tick(struct vcpu *v)
{
    console_poll(v, rdtsc());
}

/* The sampled exit: the handler timed with two TSC reads. */
void vcpu_dispatch_sampled(struct vcpu *v)
{
    enum exit_kind k = v->exit.kind;
    uint64_t t0;
    v->stats.sample_in = STATS_SAMPLE;
    t0 = rdtsc();
    exit_handlers[k](v);
    v->stats.cycles[k] += rdtsc() - t0;
    v->stats.sampled[k]++;
}

int vcpu_run(struct vcpu *v)
{
    v->stats.sample_in = 1;     /* time the first exit */
    arch_run(v);
    smp_run_ended(v);       /* another CPU's end of the run: park here, it reports */
    msr_host_restore(v);    /* keel's own class-(c) MSR values from here on */
    return v->stop_code;
}
