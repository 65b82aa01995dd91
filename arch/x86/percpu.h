/* What one physical CPU owns in keel: its stacks, descriptors, vendor host
 * state and its vCPU. Found from the CPU itself through its GS base (keel
 * never uses GS otherwise; VMLOAD/VMSAVE and the VMCS host-state area give
 * keel's GS base back at every exit), so no code searches a table. */
#ifndef KEEL_ARCH_PERCPU_H
#define KEEL_ARCH_PERCPU_H
#include <stdint.h>
#include <stdbool.h>
#include "arch/x86/desc.h"

struct percpu {
    struct percpu *self;            /* gs:0, read by this_cpu() */
    unsigned index;                 /* 0 = the boot CPU, then MADT order */
    uint32_t apic_id;
    uint64_t stack_bottom, stack_top;
    uint64_t ist_bottom, ist_top;
    uint64_t gdt[5] __attribute__((aligned(16)));
    struct tss64 tss __attribute__((aligned(16)));
    uint64_t host_save_pa;          /* SVM: VM_HSAVE_PA area; VMX: VMXON region */
    uint64_t host_vmcb_pa;          /* SVM: keel's VMSAVE/VMLOAD state on this CPU */
    void *vcpu;                     /* the vCPU pinned to this CPU (struct vcpu) */
    void (*main)(struct percpu *);  /* what the AP runs once in long mode (never returns) */
    volatile uint32_t online;       /* set by the AP when it runs keel code */
    /* NMIs that arrived while keel itself ran on this CPU: the guest's
     * (keel uses none); a backend reflects them at this CPU's next entry. */
    volatile unsigned nmis_pending;
    /* A run loop that hears of such an NMI through its one per-entry test
     * (the vCPU's entry_work byte, both vendors) instead of a second test
     * of nmis_pending: the NMI handler ORs nmi_work_bits into *nmi_work.
     * NULL (no run loop on this CPU): the handler only counts. */
    uint8_t *volatile nmi_work;
    uint8_t nmi_work_bits;
    /* NMIs another CPU sent only to make this one's guest exit (vmm/smp.c
     * smp_kick): the NMI handler absorbs them instead of counting them
     * above, so the guest never sees them. */
    volatile unsigned kick_nmis;
};

static inline struct percpu *this_cpu(void)
{
    struct percpu *p;
    __asm__ volatile("movq %%gs:0, %0" : "=r"(p));
    return p;
}

/* This CPU's nmis_pending as one GS-relative load, for the run loops'
 * per-entry test (a compare against memory, no this_cpu() load first). */
static inline unsigned this_cpu_nmis_pending(void)
{
    return *(volatile const unsigned __seg_gs *)__builtin_offsetof(struct percpu, nmis_pending);
}

/* The boot CPU's block (before the APs exist). */
extern struct percpu percpu_boot;

#endif
