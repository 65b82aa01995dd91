/* The one door from vmm/ into the vendor backend (vmm/arch_hooks.h): the
 * only file in vmm/ that holds the backend in use and calls through its
 * struct vendor_ops (vmm/vendor.h). Everything else in vmm/ decides; these
 * hand the decision to the vendor to commit. */
#include "vmm/arch_hooks.h"
#include "vmm/vendor.h"
#include "vmm/trace.h"
#include "arch/x86/cpu.h"

static const struct vendor_ops *vendor;
static struct vendor_options vendor_opts;

void arch_select(const struct vendor_ops *ops, const struct vendor_options *o)
{
    vendor = ops;
    vendor_opts = *o;
}

const char *arch_name(void) { return vendor->name; }
bool arch_cpu_init(void) { return vendor->cpu_init(&vendor_opts); }
const struct npt_format *arch_npt_format(void) { return vendor->npt; }
bool arch_vcpu_create(struct vcpu *v, const struct guest_entry *entry, uint64_t npt_root)
{
    unsigned i;
    vcpu_reset_regs(v, entry);      /* vmm/ sets the GPRs, the vendor the rest */
    for (i = 0; i < INSN_CACHE_KINDS; i++)
        v->insn_cache[i].la = INSN_CACHE_EMPTY;
    return vendor->vcpu_create(v, entry, npt_root);
}
void arch_run(struct vcpu *v) { vendor->run(v); }
void vcpu_dump_state(struct vcpu *v) { vendor->dump_state(v); }
unsigned vcpu_explain_entry_failure(struct vcpu *v) { return vendor->explain_entry_failure(v); }

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

void vcpu_io_intercept(struct vcpu *v, uint16_t port, bool on)
{
    if (on)
        vendor->io_intercept(v, port);
    else
        vendor->io_passthrough(v, port);
}

void vcpu_sipi_reset(struct vcpu *v, uint8_t vector)
{
    vendor->sipi_reset(v, vector);
}

bool vcpu_wait_for_sipi(struct vcpu *v)
{
    return vendor->wait_for_sipi && vendor->wait_for_sipi(v);
}

bool arch_has_wait_for_sipi(void) { return vendor->wait_for_sipi != NULL; }

void host_wbinvd(void)
{
    __asm__ volatile("wbinvd" ::: "memory");
}

uint32_t host_port_in(uint16_t port, unsigned size)
{
    return size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
}

void host_port_out(uint16_t port, unsigned size, uint32_t val)
{
    if (size == 1)
        outb(port, (uint8_t)val);
    else if (size == 2)
        outw(port, (uint16_t)val);
    else
        outl(port, val);
}

void host_pause(unsigned long n)
{
    for (; n; n--)
        __asm__ volatile("pause");
}
