/* The run loop's vendor-neutral half and the arch hooks. The vendor owns
 * the loop (vendor_ops.run: entry, world switch, decode), and calls
 * vcpu_dispatch() (vmm/run.h) once per exit: the table picks the vmm/
 * handler, the handler completes through hooks. Hot path: no logging, no
 * allocation, no search, no TSC read (cycles are sampled). */
#include "vmm/run.h"
#include "vmm/arch_hooks.h"
#include "vmm/exit_handlers.h"
#include "vmm/msr.h"
#include "vmm/vendor.h"
#include "vmm/trace.h"
#include "vmm/console.h"
#include "arch/x86/cpu.h"

const struct vendor_ops *vendor;

void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
    v->stats.injected[vector & 31]++;
    trace_set_result(v, (uint8_t)(0x80 | (vector & 31)));
    vendor->inject_exception(v, vector, has_error, error);
}

uint64_t vcpu_get_state(struct vcpu *v, enum vcpu_state s)
{
    return vendor->get_state(v, s);
}

bool vcpu_set_state(struct vcpu *v, enum vcpu_state s, uint64_t val)
{
    return vendor->set_state(v, s, val);
}

void vcpu_msr_intercepts_changed(struct vcpu *v, const struct msr_intercepts *mi)
{
    vendor->msr_intercepts_changed(v, mi);
}

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

void vcpu_sipi_reset(struct vcpu *v, uint8_t vector)
{
    /* A new start completes no instruction of the old one (the loop's
     * deferred completion, v->exit.advance). */
    v->exit.advance = false;
    vendor->sipi_reset(v, vector);
}

bool vcpu_wait_for_sipi(struct vcpu *v)
{
    return vendor->wait_for_sipi && vendor->wait_for_sipi(v);
}

void vcpu_io_intercept(struct vcpu *v, uint16_t port, bool on)
{
    if (on)
        vendor->io_intercept(v, port);
    else
        vendor->io_passthrough(v, port);
}

int vcpu_run(struct vcpu *v)
{
    v->stats.sample_in = 1;     /* time the first exit */
    vendor->run(v);
    msr_host_restore(v);    /* keel's own class-(c) MSR values from here on */
    return v->stop_code;
}
