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
#include "vmm/vm.h"
#include "vmm/smp.h"
#include "arch/x86/cpu.h"

/* The sampled exit: the handler timed with two TSC reads; the second one
 * is also the console's clock (its poll deadline is ~0 while the monitor
 * is off). */
void vcpu_dispatch_sampled(struct vcpu *v)
{
    enum exit_kind k = v->exit.kind;
    uint64_t t0, t1;
    v->stats.sample_in = STATS_SAMPLE;
    t0 = rdtsc();
    exit_handlers[k](v);
    t1 = rdtsc();
    v->stats.cycles[k] += t1 - t0;
    v->stats.sampled[k]++;
    if (__builtin_expect(t1 >= v->vm->console.poll_deadline, 0))
        console_poll(v, t1);
}

int vcpu_run(struct vcpu *v)
{
    v->stats.sample_in = 1;     /* time the first exit */
    arch_run(v);
    smp_run_ended(v);       /* another CPU's end of the run: park here, it reports */
    msr_host_restore(v);    /* keel's own class-(c) MSR values from here on */
    return v->stop_code;
}
