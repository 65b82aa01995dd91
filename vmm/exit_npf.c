/* Nested page faults. keel maps every guest-physical address it may use
 * (RAM and MMIO) 1:1, except keel's own region: a fault is either the
 * guest touching keel, or an address outside the map. Both end the run. */
#include "vmm/exit_handlers.h"
#include "vmm/arch_hooks.h"
#include "vmm/vm.h"
#include "vmm/stats.h"
#include "vmm/trace.h"
#include "arch/x86/stop.h"
#include "lib/log.h"
#include "vmm/npt.h"
#include "vmm/iommu.h"
#include "vmm/cpu_policy.h"
#include "vmm/smp.h"

/* An on-demand 2 MiB mapping must not uncover an IOMMU's registers. */
static bool hide_iommu_in(struct npt *n, uint64_t base)
{
    uint64_t b, e, a;
    unsigned i;
    for (i = 0; iommu_mmio(i, &b, &e); i++)
        for (a = b; a < e; a += 0x1000)
            if (a >= base && a < base + 0x200000 && !npt_set_page(n, a, NPT_UNMAPPED))
                return false;
    return true;
}

void handle_npf(struct vcpu *v)
{
    uint64_t gpa = v->exit.u.npf.gpa;
    uint32_t acc = v->exit.u.npf.access;
    const char *kind = (acc & NPF_EXEC) ? "execute" : (acc & NPF_WRITE) ? "write" : "read";

    /* The local APIC page, out of the map while a vCPU waits for its SIPI. */
    if (v->vm->lapic_page && (gpa & ~0xfffull) == v->vm->lapic_page) {
        if (!v->vm->lapic_trapped)
            return;     /* mapped again since this access: run it again */
        if (smp_lapic_access(v, gpa, (acc & NPF_WRITE) != 0))
            return;
        klog("guest %s of local APIC register 0x%lx at RIP 0x%lx: not a 32-bit MOV keel can complete; stopping",
             kind, gpa & 0xfff, vcpu_get_state(v, VS_RIP));
        stats_print(v);
        vcpu_stop(v, KEEL_EXIT_FATAL);
        return;
    }

    {
        uint64_t b, e;
        unsigned i;
        /* The IOMMUs' registers are keel's wherever they are. */
        for (i = 0; iommu_mmio(i, &b, &e); i++)
            if (gpa >= b && gpa < e) {
                klog("guest %s access to the IOMMU's registers [%08lx-%08lx), which keel owns: guest RIP 0x%lx, "
                     "GPA 0x%lx; stopping the guest", kind, b, e, vcpu_get_state(v, VS_RIP), gpa);
                stats_print(v);
                vcpu_stop(v, KEEL_EXIT_FATAL);
                return;
            }
    }
    /* Above the identity map (RAM and everything below 4 GiB) only device
     * memory can live, e.g. 64-bit PCI BARs: it is the guest's, so map it on
     * first touch and let the access run again. */
    if (gpa >= v->vm->npt_top && gpa < (1ull << v->policy->maxphyaddr)) {
        uint64_t base = gpa & ~(uint64_t)0x1fffff;
        if (npt_map_on_demand(&v->vm->npt, gpa) && hide_iommu_in(&v->vm->npt, base)) {
            if (v->vm->npf_mapped_reported++ < 8)
                klog("mapped guest-physical [%lx-%lx) for the guest on first access (device memory above RAM)",
                     base, base + 0x200000);
            return;
        }
        klog("out of keel memory mapping device memory at GPA 0x%lx for the guest", gpa);
    }
    if (gpa >= v->vm->layout.keel_base && gpa < v->vm->layout.keel_end)
        klog("guest %s access to keel's region [%08lx-%08lx): guest RIP 0x%lx, GPA 0x%lx; stopping the guest",
             kind, v->vm->layout.keel_base, v->vm->layout.keel_end, vcpu_get_state(v, VS_RIP), gpa);
    else
        klog("guest %s access to unmapped guest-physical address 0x%lx at RIP 0x%lx; stopping the guest", kind,
             gpa, vcpu_get_state(v, VS_RIP));
    vcpu_stop(v, KEEL_EXIT_FATAL);
    trace_print(v, 16);
    stats_print(v);
}
