#include "vmm/vm.h"
#include "arch/x86/stop.h"
#include "lib/log.h"

void vm_run(const struct boot_info *bi, const struct placement *pl)
{
    (void)bi;
    (void)pl;
    keel_fatal("no VM backend yet");
}
