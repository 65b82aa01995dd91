/* Fake vendor hooks (vmm/arch_hooks.h) for host tests; see fake_arch.h. */
#include <string.h>
#include "fake_arch.h"
#include "vmm/arch_hooks.h"

uint64_t fake_tsc;
unsigned fake_wrmsr_calls, fake_rdmsr_calls;
uint32_t fake_last_wrmsr_index;
uint64_t fake_last_wrmsr_value;

static struct {
    uint32_t index;
    uint64_t val;
} host_msr[FAKE_HOST_MSRS];
static unsigned host_msr_count;

void fake_vcpu_init(struct fake_vcpu *f)
{
    memset(f, 0, sizeof(*f));
}

void vcpu_complete_insn(struct vcpu *v)
{
    fake_of(v)->rip_advances++;
}

void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
    struct fake_vcpu *f = fake_of(v);
    if (f->nexc < FAKE_MAX_EXC) {
        f->exc[f->nexc].vector = vector;
        f->exc[f->nexc].has_error = has_error;
        f->exc[f->nexc].error = error;
    }
    f->nexc++;
}

uint64_t vcpu_get_state(struct vcpu *v, enum vcpu_state s)
{
    return (unsigned)s < VS_COUNT ? fake_of(v)->state[s] : 0;
}

bool vcpu_set_state(struct vcpu *v, enum vcpu_state s, uint64_t val)
{
    struct fake_vcpu *f = fake_of(v);
    if ((unsigned)s >= VS_COUNT || f->no_state[s])
        return false;
    f->state[s] = val;
    f->set_calls[s]++;
    return true;
}

void vcpu_msr_intercepts_changed(struct vcpu *v, const struct msr_intercepts *mi)
{
    struct fake_vcpu *f = fake_of(v);
    memcpy(&f->last_mi, mi, sizeof(*mi));
    f->mi_calls++;
}

void fake_host_reset(void)
{
    host_msr_count = 0;
    fake_wrmsr_calls = fake_rdmsr_calls = 0;
    fake_last_wrmsr_index = 0;
    fake_last_wrmsr_value = 0;
}

static int host_find(uint32_t index)
{
    unsigned k;
    for (k = 0; k < host_msr_count; k++)
        if (host_msr[k].index == index)
            return (int)k;
    return -1;
}

void fake_host_msr_define(uint32_t index, uint64_t val)
{
    int k = host_find(index);
    if (k < 0) {
        if (host_msr_count == FAKE_HOST_MSRS)
            return;
        k = (int)host_msr_count++;
        host_msr[k].index = index;
    }
    host_msr[k].val = val;
}

bool fake_host_msr_get(uint32_t index, uint64_t *val)
{
    int k = host_find(index);
    if (k < 0)
        return false;
    *val = host_msr[k].val;
    return true;
}

bool rdmsr_safe(uint32_t msr, uint64_t *val)
{
    fake_rdmsr_calls++;
    return fake_host_msr_get(msr, val);
}

bool wrmsr_safe(uint32_t msr, uint64_t val)
{
    int k = host_find(msr);
    fake_wrmsr_calls++;
    if (k < 0)
        return false;
    host_msr[k].val = val;
    fake_last_wrmsr_index = msr;
    fake_last_wrmsr_value = val;
    return true;
}

uint64_t fake_rdtsc(void)
{
    return fake_tsc;
}

void vcpu_sipi_reset(struct vcpu *v, uint8_t vector)
{
    (void)v;
    (void)vector;
}

bool vcpu_wait_for_sipi(struct vcpu *v)
{
    (void)v;
    return false;
}
