/* The one "instruction completed" path. Every handler that carries out
 * an instruction for the guest (CPUID, RDMSR, WRMSR, I/O, XSETBV,
 * VMMCALL/VMCALL, INVD/WBINVD, MOV CR) ends in vcpu_complete_insn(), which
 * marks the exit; the vendor's run loop commits it before the next entry
 * (vmm/arch_hooks.h), with the parts that are not the vendor's here, so
 * what the hardware does at the end of any instruction is the same for
 * both vendors:
 *  - RIP moves past the instruction;
 *  - an STI / MOV SS interrupt shadow ends with it (SDM Vol. 3A 6.8.3,
 *    Table 25-3 "Format of Interruptibility State"; AMD APM Vol. 2 15.21.5
 *    VMCB INTERRUPT_SHADOW);
 *  - with RFLAGS.TF set, the single-step trap: #DB after the instruction,
 *    DR6.BS set and B0-B3 cleared (SDM Vol. 3B 18.2.3, 18.3.1.4; APM Vol. 2
 *    13.1.1.3). Injected events do not write DR6, so keel writes it. */
#include "vmm/arch_hooks.h"
#include "vmm/exit_handlers.h"
#include "vmm/guest_walk.h"
#include "vmm/insn_decode.h"
#include "vmm/vm.h"
#include "arch/x86/stop.h"
#include "lib/log.h"
#include "lib/string.h"
#include "arch/x86/x86_defs.h"


/* What each completed exit kind must find at CS:RIP. */
static bool op_matches(enum exit_kind k, enum insn_op op)
{
    switch (k) {
    case EXIT_CPUID: return op == INSN_CPUID;
    case EXIT_MSR_READ: return op == INSN_RDMSR;
    case EXIT_MSR_WRITE: return op == INSN_WRMSR;
    case EXIT_HYPERCALL: return op == INSN_VMMCALL || op == INSN_VMCALL;
    case EXIT_XSETBV: return op == INSN_XSETBV;
    case EXIT_INVD: return op == INSN_INVD;
    case EXIT_WBINVD: return op == INSN_WBINVD;
    case EXIT_HLT: return op == INSN_HLT;
    default: return false;
    }
}

/* No length from the hardware (SVM without NRIPS): read the instruction
 * at CS:RIP through the guest's own page tables and decode it. Only the
 * CPUs without NRIPS come here, and a failure ends the run.
 * With paging off, linear = physical, so the instruction of a hot exit
 * kind is remembered (v->insn_cache, checked by the vendor's decode) and
 * reused while the same bytes are at the same address; with paging on
 * every exit walks the tables again, since keel cannot see the guest
 * change them. */
bool vcpu_insn_len(struct vcpu *v)
{
    int slot = insn_cache_slot(v->exit.kind);
    struct insn_cache *c = slot >= 0 ? &v->insn_cache[slot] : NULL;
    struct guest_paging pg = { vcpu_get_state(v, VS_CR0), 0, 0, 0 };
    uint64_t rip = vcpu_get_state(v, VS_RIP), la;
    uint8_t bytes[INSN_MAX_LEN];
    bool mode64 = false;
    struct insn in;
    enum insn_status st;
    unsigned n;

    if (pg.cr0 & (1ull << 31)) {
        pg.cr3 = vcpu_get_state(v, VS_CR3);
        pg.cr4 = vcpu_get_state(v, VS_CR4);
        pg.efer = vcpu_get_state(v, VS_EFER);
        mode64 = (pg.efer & EFER_LMA) && (vcpu_get_state(v, VS_CS_FLAGS) & CS_FLAG_L);
    }
    /* 64-bit mode: CS base is 0 (SDM 3.4.4); else linear = CS.base + EIP, 32 bits. */
    la = mode64 ? rip : (uint32_t)(vcpu_get_state(v, VS_CS_BASE) + (uint32_t)rip);
    if (!(pg.cr0 & (1ull << 31)) && c && c->ptr && insn_cache_hit(c, la)) {
        v->exit.insn_len = (uint8_t)c->len;
        return true;
    }
    n = guest_read_linear(&v->vm->layout, &pg, la, bytes, INSN_MAX_LEN);
    st = insn_decode(bytes, n, mode64, &in);
    if (st == INSN_OK && !op_matches(v->exit.kind, in.op))
        st = INSN_UNKNOWN;
    if (st != INSN_OK) {
        klog("cannot complete the guest's %s at RIP 0x%lx (linear 0x%lx, %u bytes readable): %s; "
             "keel does not guess instruction lengths",
             exit_kind_names[v->exit.kind], rip, la, n, insn_status_name(st));
        vcpu_stop(v, KEEL_EXIT_FATAL);
        return false;
    }
    /* Cached only where the check's one word is all guest RAM (never past
     * it into MMIO or keel's region) and holds the whole instruction. */
    if (c && !(pg.cr0 & (1ull << 31)) && in.len <= 8) {
        const uint8_t *p = guest_phys_ptr(&v->vm->layout, la, 8);
        c->la = INSN_CACHE_EMPTY;
        c->ptr = p;
        /* Only where the hit's view of the bytes is this one (insn_cache_bytes). */
        if (p && insn_cache_bytes(c, la) == p) {
            memcpy(&c->word, p, 8);
            c->len = in.len;
            c->la = la;
        }
    }
    v->exit.insn_len = in.len;
    return true;
}

void vcpu_single_step_trap(struct vcpu *v)
{
    vcpu_set_state(v, VS_DR6, (vcpu_get_state(v, VS_DR6) & ~DR6_B0_B3) | DR6_BS);
    vcpu_inject_exception(v, 1, false, 0);
}

#ifdef KEEL_HOSTED
/* What the vendors' run loops do before the next entry when a handler
 * completed the instruction (svm.c complete(), vmx.c complete_insn()), at
 * once and through the vcpu_retire_insn fake, for the host tests. */
void vcpu_complete_insn(struct vcpu *v)
{
    if (__builtin_expect(!v->exit.insn_len, 0) && !vcpu_insn_len(v))
        return;
    if (__builtin_expect(vcpu_retire_insn(v, v->exit.insn_len) & RFLAGS_TF, 0))
        vcpu_single_step_trap(v);
}
#endif
