#ifndef KEEL_VMM_VM_H
#define KEEL_VMM_VM_H
#include <stdint.h>
#include <stdbool.h>
#include "boot/bootinfo.h"
#include "boot/placement.h"
#include "vmm/guest.h"
#include "vmm/npt.h"
#include "vmm/smp_limits.h"
#include "vmm/madt.h"
#include "vmm/cpu_policy.h"
#include "vmm/msr.h"
#include "vmm/console_port.h"

struct vcpu;

/* What the vCPUs of the one guest share. Written while the VM is built (on
 * the boot CPU, before any vCPU runs); afterwards read-mostly: the few
 * fields written at run time say who may write them. */
struct vm {
    struct cpu_policy policy;       /* the guest's CPUID and MSR policy, one for every vCPU */
    struct msr_config msr_cfg;      /* the MSR engine's options and host facts (msr.filter, ...) */
    struct guest_layout layout;     /* the guest's memory view (keel's region, RAM map) */
    uint16_t pm1a_cnt_port;         /* the FADT's PM1a control port (0 if none): trapped for power-off */
    uint64_t npt_top;               /* end of the identity map built at start (RAM and 0..4 GiB) */
    struct npt npt;                 /* one set of nested page tables for every vCPU */
    unsigned npf_mapped_reported;   /* on-demand device mappings reported so far */
    unsigned shutdown_matched;      /* bytes of "Shutdown" seen at Bochs' port 0x8900 */
    struct madt_info madt;          /* the CPUs the firmware lists (boot time) */
    unsigned ncpus;                 /* vCPUs, one per physical CPU keel started */
    struct vcpu *vcpus[KEEL_MAX_CPUS];
    volatile int stopping;          /* set once by the vCPU that ends the run */
    uint64_t lapic_page;            /* guest-physical local APIC page (MADT / IA32_APIC_BASE) */
    volatile int lapic_trapped;     /* its nested-paging entry is not present: some vCPU waits */
    volatile int waiting;           /* vCPUs in wait-for-SIPI in keel */
    bool apic_trap_always;          /* smp.apic-trap=always: the APIC page is never given back */
    bool hw_wait_for_sipi;          /* an INIT to a running vCPU exits into a hardware wait-for-SIPI (VMX) */
    /* An NMI to a CPU running the guest makes it exit (SVM's NMI intercept,
     * APM 15.13.2; VMX runs with NMI exiting off): keel can kick a vCPU
     * (smp_kick). Set with several vCPUs on SVM. */
    bool nmi_exits;
    int stop_index;                 /* the vCPU that ended the run */
    bool selftest_fail_ap;         /* selftest=fail-on-ap: keel fails on an AP once the guest starts it */
    /* A page in keel's region that keel fills with a pattern and never uses:
     * the target a DMA test aims at (hypercall 5). */
    uint64_t dma_canary;
    uint64_t image_hash;            /* keel's text and rodata when the guest started */
    struct console_port console;    /* the serial line shared with this guest, the monitor (vmm/console_port.c) */
};

/* End of the run (after the exit statistics): the IOMMU's fault summary
 * and whether keel's image is what it was when the guest started. */
void vm_end_checks(struct vm *vm);

/* Build the guest and run it until it ends; never returns. */
__attribute__((noreturn)) void vm_run(const struct boot_info *bi, const struct placement *pl);

#endif
