#ifndef KEEL_VMM_VM_H
#define KEEL_VMM_VM_H
#include "boot/bootinfo.h"
#include "boot/placement.h"
#include "vmm/guest.h"

/* The guest's memory view (keel's region, RAM map), set up by vm_run. */
extern struct guest_layout vm_layout;
/* The FADT's PM1a control port (0 if none): trapped to see the power-off. */
extern uint16_t vm_pm1a_cnt_port;
/* End of the nested-paging identity map built at start (RAM and 0..4 GiB). */
extern uint64_t vm_npt_top;

/* A page in keel's region that keel fills with a pattern and never uses:
 * the target a DMA test aims at (hypercall 5). */
extern uint64_t vm_dma_canary;

/* End of the run (after the exit statistics): the IOMMU's fault summary
 * and whether keel's image is what it was when the guest started. */
void vm_end_checks(void);

/* Build the guest and run it until it ends; never returns. */
__attribute__((noreturn)) void vm_run(const struct boot_info *bi, const struct placement *pl);

#endif
