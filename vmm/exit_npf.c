/* Nested page faults. keel maps every guest-physical address it may use
 * (RAM and MMIO) 1:1, except keel's own region: a fault is either the
 * guest touching keel, or an address outside the map. Both end the run. */
#include "vmm/exit_handlers.h"
#include "vmm/arch_hooks.h"
#include "vmm/vm.h"
#include "vmm/stats.h"
#include "arch/x86/stop.h"
#include "lib/log.h"

void handle_npf(struct vcpu *v)
{
    uint64_t gpa = v->exit.u.npf.gpa;
    uint32_t acc = v->exit.u.npf.access;
    const char *kind = (acc & NPF_EXEC) ? "execute" : (acc & NPF_WRITE) ? "write" : "read";

    if (gpa >= vm_layout.keel_base && gpa < vm_layout.keel_end)
        klog("guest %s access to keel's region [%08lx-%08lx): guest RIP 0x%lx, GPA 0x%lx; stopping the guest",
             kind, vm_layout.keel_base, vm_layout.keel_end, vcpu_get_state(v, VS_RIP), gpa);
    else
        klog("guest %s access to unmapped guest-physical address 0x%lx at RIP 0x%lx; stopping the guest", kind,
             gpa, vcpu_get_state(v, VS_RIP));
    stats_print(v);
    vcpu_stop(v, KEEL_EXIT_FATAL);
}
