/* RDMSR/WRMSR exits: the MSR engine decides (vmm/msr*.c), this completes. */
#include "vmm/exit_handlers.h"
#include "vmm/arch_hooks.h"
#include "vmm/msr.h"

void handle_rdmsr(struct vcpu *v)
{
    uint64_t val;
    if (msr_read(v, v->exit.u.msr.index, &val) != MSR_OK) {
        vcpu_inject_gp(v);      /* RAX/RDX untouched: SDM RDMSR "Operation" */
        return;
    }
    v->regs.rax = (uint32_t)val;
    v->regs.rdx = val >> 32;
    vcpu_complete_insn(v);
}

void handle_wrmsr(struct vcpu *v)
{
    uint64_t val = ((v->regs.rdx & 0xffffffffull) << 32) | (v->regs.rax & 0xffffffffull);
    if (msr_write(v, v->exit.u.msr.index, val) != MSR_OK) {
        vcpu_inject_gp(v);
        return;
    }
    vcpu_complete_insn(v);
}
