/* CPUID and XSETBV exits. Hot path: CPUID is an array lookup plus, for the
 * few leaves with guest-state-dependent bits, one or two state reads. */
#include <stddef.h>
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

/* Every leaf but the flat, static basic and extended ones. */
static __attribute__((noinline)) void cpuid_exit_full(struct vcpu *v)
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

_Static_assert(offsetof(struct cpuid_slot, dyn) == offsetof(struct cpuid_slot, kind) + 1 && SLOT_FLAT == 0 &&
                   DYN_NONE == 0, "handle_cpuid tests kind and dyn together");

/* Hot path: a leaf without subleaves and without guest-state-dependent
 * bits (most of them) is four loads from the table policy_init built; the
 * rest take policy_cpuid_lookup + cpuid_apply_dyn. */
void handle_cpuid(struct vcpu *v)
{
    const struct cpu_policy *p = v->policy;
    uint32_t leaf = (uint32_t)v->regs.rax;
    const struct cpuid_slot *s;
    const struct cpuid_regs *r;
    uint16_t kind_dyn;

    if (leaf <= p->max_basic)
        s = &p->basic[leaf];
    else if (leaf - CPUID_EXT_BASE <= p->max_ext - CPUID_EXT_BASE)
        s = &p->ext[leaf - CPUID_EXT_BASE];
    else
        s = NULL;
    if (!s) {
        cpuid_exit_full(v);
        return;
    }
    /* kind and dyn are adjacent bytes, SLOT_FLAT and DYN_NONE both 0: one compare. */
    __builtin_memcpy(&kind_dyn, &s->kind, 2);
    if (__builtin_expect(kind_dyn != 0, 0)) {
        cpuid_exit_full(v);
        return;
    }
    r = &p->regs[s->first];
    /* CPUID writes the 32-bit registers: the upper halves become 0. */
    v->regs.rax = r->eax;
    v->regs.rbx = r->ebx;
    v->regs.rcx = r->ecx;
    v->regs.rdx = r->edx;
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
