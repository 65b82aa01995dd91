/* CPUID and XSETBV exits. Hot path: CPUID is an array lookup plus, for the
 * few leaves with guest-state-dependent bits, one or two state reads. */
#include <stddef.h>
#include "vmm/cpuid.h"
#include "vmm/vcpu.h"
#include "vmm/arch_hooks.h"
#include "vmm/msr.h"

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
        if (sub == 1 && v->policy->xss_mask && msr_peek(v, MSR_XSS, &d.xss) != MSR_OK)
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

_Static_assert(SLOT_FLAT == 0 && DYN_NONE == 0, "cpuid_fast_init tests kind and dyn against 0");
_Static_assert(CPUID_FAST_SLOTS == 2 * 0x20 && CPUID_BASIC_SLOTS >= 0x20 && CPUID_EXT_SLOTS >= 0x20,
               "cpuid_fast covers 32 basic and 32 extended leaves");

void cpuid_fast_init(struct vcpu *v)
{
    const struct cpu_policy *p = v->policy;
    unsigned i;
    for (i = 0; i < CPUID_FAST_SLOTS; i++) {
        uint32_t leaf = i < 0x20 ? i : CPUID_EXT_BASE + (i - 0x20);
        const struct cpuid_slot *s = i < 0x20 ? &p->basic[i] : &p->ext[i - 0x20];
        bool in_range = i < 0x20 ? leaf <= p->max_basic : leaf <= p->max_ext;
        v->cpuid_fast[i] = in_range && s->kind == SLOT_FLAT && s->dyn == DYN_NONE ? &p->regs[s->first] : NULL;
    }
}

/* Hot path: a leaf without subleaves and without guest-state-dependent
 * bits (most of them) is four loads from this vCPU's table (cpuid_fast);
 * the rest take policy_cpuid_lookup + cpuid_apply_dyn. */
void handle_cpuid(struct vcpu *v)
{
    uint32_t leaf = gpr_low32(&v->regs.rax);
    const struct cpuid_regs *r;

    if (leaf < 0x20)
        r = v->cpuid_fast[leaf];
    else if (leaf - CPUID_EXT_BASE < 0x20)
        r = v->cpuid_fast[0x20 + (leaf - CPUID_EXT_BASE)];
    else
        r = NULL;
    if (__builtin_expect(!r, 0)) {
        cpuid_exit_full(v);
        return;
    }
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
