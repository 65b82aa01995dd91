/* CPUID and XSETBV exits. Hot path: CPUID is an array lookup plus, for the
 * few leaves with guest-state-dependent bits, one or two state reads. */
#include "vmm/cpuid.h"
#include "vmm/vcpu.h"
#include "vmm/arch_hooks.h"
#include "vmm/msr.h"

#define MSR_IA32_XSS 0xda0

/* Cold part: read only the state this leaf depends on. */
static __attribute__((noinline)) void cpuid_exit_dyn(struct vcpu *v, unsigned k, uint32_t sub,
                                                     struct cpuid_regs *r)
{
    struct cpuid_dyn_state d = { .apic_id = v->id, .cr4 = 0, .xcr0 = 0, .xss = 0 };
    if (k == DYN_LEAF1 || k == DYN_LEAF7)
        d.cr4 = vcpu_get_state(v, VS_CR4);
    else if (k == DYN_XSAVE && sub <= 1) {
        d.xcr0 = vcpu_get_state(v, VS_XCR0);
        /* IA32_XSS is virtual state owned by the MSR engine. */
        if (sub == 1 && v->policy->xss_mask && msr_peek(v, MSR_IA32_XSS, &d.xss) != MSR_OK)
            d.xss = 0;
    }
    cpuid_apply_dyn(v->policy, k, sub, &d, r);
}

void handle_cpuid(struct vcpu *v)
{
    struct cpuid_regs r;
    uint32_t sub = (uint32_t)v->regs.rcx;
    unsigned k = policy_cpuid_lookup(v->policy, (uint32_t)v->regs.rax, sub, &r);
    if (__builtin_expect(k != DYN_NONE, 0))
        cpuid_exit_dyn(v, k, sub, &r);
    /* CPUID writes the 32-bit registers: the upper halves become 0. */
    v->regs.rax = r.eax;
    v->regs.rbx = r.ebx;
    v->regs.rcx = r.ecx;
    v->regs.rdx = r.edx;
    vcpu_complete_insn(v);
}

/* XSETBV (SDM Vol. 2): #UD if CR4.OSXSAVE = 0; #GP(0) if CPL > 0, ECX != 0,
 * or EDX:EAX is not a valid XCR0 for this guest (policy_xcr0_valid). */
void handle_xsetbv(struct vcpu *v)
{
    uint64_t val = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;
    if (!(vcpu_get_state(v, VS_CR4) & CR4_OSXSAVE)) {
        vcpu_inject_ud(v);
        return;
    }
    if (vcpu_get_state(v, VS_CPL) != 0 || (uint32_t)v->regs.rcx != 0 ||
        !policy_xcr0_valid(v->policy, val)) {
        vcpu_inject_gp(v);
        return;
    }
    vcpu_set_state(v, VS_XCR0, val);
    vcpu_complete_insn(v);
}
