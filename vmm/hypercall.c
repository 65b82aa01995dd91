/* Hypercalls (VMMCALL/VMCALL): a small ABI for test guests to observe keel.
 * RAX = function; results in RAX (and RBX). Documented in README. */
#include "vmm/exit_handlers.h"
#include "vmm/arch_hooks.h"
#include "vmm/msr.h"
#include "vmm/vm.h"

enum {
    HC_PING = 0,            /* -> RAX = 0x6b65656c ("keel") */
    HC_EXITS = 1,           /* -> RAX = total exits */
    HC_MSR_COUNTS = 2,      /* RBX = MSR index -> RAX = reads, RBX = writes */
    HC_CPUID_EXITS = 3,     /* -> RAX = CPUID exits */
    HC_KEEL_REGION = 4,     /* -> RAX = base, RBX = size of keel's region */
};

void handle_hypercall(struct vcpu *v)
{
    struct guest_regs *r = &v->regs;
    switch (r->rax) {
    case HC_PING:
        r->rax = 0x6b65656c;
        break;
    case HC_EXITS:
        r->rax = v->stats.total;
        break;
    case HC_MSR_COUNTS:
        msr_get_counts(v, (uint32_t)r->rbx, &r->rax, &r->rbx);
        break;
    case HC_CPUID_EXITS:
        r->rax = v->stats.count[EXIT_CPUID];
        break;
    case HC_KEEL_REGION:
        r->rax = v->vm->layout.keel_base;
        r->rbx = v->vm->layout.keel_end - v->vm->layout.keel_base;
        break;
    default:
        r->rax = ~0ull;
        break;
    }
    vcpu_complete_insn(v);
}
