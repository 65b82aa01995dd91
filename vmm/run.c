/* The run loop and the arch hooks. Per exit: the vendor decodes (enter),
 * the table picks the vmm/ handler, the handler completes through hooks.
 * Hot path: no logging, no allocation, no search; two TSC reads for stats. */
#include "vmm/run.h"
#include "vmm/arch_hooks.h"
#include "vmm/exit_handlers.h"
#include "vmm/msr.h"
#include "vmm/vendor.h"
#include "vmm/trace.h"
#include "vmm/console.h"
#include "arch/x86/cpu.h"

const struct vendor_ops *vendor;

uint64_t vcpu_retire_insn(struct vcpu *v, uint8_t len)
{
    return vendor->retire_insn(v, len);
}

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

void vcpu_sipi_reset(struct vcpu *v, uint8_t vector)
{
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
    const struct vendor_ops *ops = vendor;
    while (!v->stop) {
        uint64_t t0;
        enum exit_kind k;
        msr_before_entry(v);
        ops->enter(v);
        msr_after_exit(v);
        t0 = rdtsc();
        k = v->exit.kind;
        trace_record(v, k);
        exit_handlers[k](v);
        /* The shared serial line: one compare against a deadline that is
         * ~0 while the monitor is off (docs/console.md). */
        if (__builtin_expect(t0 >= console_poll_deadline, 0))
            console_poll(v, t0);
        v->stats.count[k]++;
        v->stats.total++;
        v->stats.cycles[k] += rdtsc() - t0;
    }
    msr_host_restore(v);    /* keel's own class-(c) MSR values from here on */
    return v->stop_code;
}
