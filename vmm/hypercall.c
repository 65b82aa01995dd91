/* Hypercalls (VMMCALL/VMCALL): a small ABI for test guests to observe keel.
 * RAX = function; results in RAX (and RBX). Documented in README. */
#include "vmm/exit_handlers.h"
#include "vmm/arch_hooks.h"
#include "vmm/msr.h"
#include "vmm/vm.h"
#include "vmm/run.h"
#include "vmm/iommu.h"

enum {
    HC_PING = 0,            /* -> RAX = 0x6b65656c ("keel") */
    HC_EXITS = 1,           /* -> RAX = total exits */
    HC_MSR_COUNTS = 2,      /* RBX = MSR index -> RAX = reads, RBX = writes */
    HC_CPUID_EXITS = 3,     /* -> RAX = CPUID exits */
    HC_KEEL_REGION = 4,     /* -> RAX = base, RBX = size of keel's region */
    HC_DMA_CHECK = 5,       /* RBX = 0 -> RAX = keel's DMA canary page; RBX = that page -> RAX = its
                               hash; either way RBX = device accesses blocked so far */
};

/* FNV-1a of keel's DMA canary page: a test guest compares it before and
 * after aiming a device at the page. Only that page, which holds nothing
 * but a pattern, so the guest learns nothing about keel's memory. */
static uint64_t canary_hash(const struct vcpu *v)
{
    const volatile uint8_t *p = (const volatile uint8_t *)(uintptr_t)v->vm->dma_canary;
    uint64_t h = 0xcbf29ce484222325ull;
    unsigned i;
    for (i = 0; i < 4096; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static __attribute__((noinline)) void hypercall_other(struct vcpu *v)
{
    struct guest_regs *r = &v->regs;
    switch (r->rax) {
    case HC_EXITS:
        r->rax = exit_stats_total(v);
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
    case HC_DMA_CHECK:
        /* The IOMMU's fault records are read here, on a guest's request,
         * and at the end of the run: never on the exits the guest takes
         * anyway. */
        r->rax = !r->rbx ? v->vm->dma_canary : v->vm->dma_canary && r->rbx == v->vm->dma_canary ? canary_hash(v) : ~0ull;
        r->rbx = iommu_poll();
        break;
    default:
        r->rax = ~0ull;
        break;
    }
    vcpu_complete_insn(v);
}

/* PING, the guests' "is keel there" probe, without the switch's frame. */
void handle_hypercall(struct vcpu *v)
{
    if (v->regs.rax != HC_PING) {
        hypercall_other(v);
        return;
    }
    v->regs.rax = 0x6b65656c;
    vcpu_complete_insn(v);
}
