/* Starting the other CPUs (SDM Vol 3 10.4.4 MP initialization; APM Vol 2
 * 15.x has no difference here) and the few local-APIC accesses keel makes. */
#ifndef KEEL_ARCH_SMP_H
#define KEEL_ARCH_SMP_H
#include <stdint.h>
#include <stdbool.h>
#include "arch/x86/percpu.h"

/* Copy the trampoline to AP_TRAMP_BASE (saving what was there) and build its
 * page tables. False with a klog if that page is not usable RAM. */
bool smp_tramp_install(void);
/* Put the saved page back: it is the guest's again. */
void smp_tramp_remove(void);
/* A per-CPU block with its stacks (guard pages below), or NULL. */
struct percpu *smp_percpu_alloc(unsigned index, uint32_t apic_id);
/* INIT-SIPI-SIPI to pc->apic_id; the AP runs main(pc) on its own stack.
 * True once the AP reported in (bounded wait). */
bool smp_start_ap(struct percpu *pc, void (*main)(struct percpu *));

/* A CPU keel started but gives no vCPU: stop it where a guest INIT-SIPI
 * cannot restart it (SVM GIF = 0, VMX root operation). Never returns. */
__attribute__((noreturn)) void cpu_park_forever(void);
/* This CPU's local APIC ID (xAPIC or x2APIC mode). */
uint32_t lapic_id(void);
/* NMI to one CPU (a kick: with the SVM NMI intercept it exits). */
void lapic_send_nmi(uint32_t apic_id);
/* INIT (level assert) to one CPU. VMX: in the guest it exits (SDM 25.2),
 * in VMX root operation it is held (SDM 24.8). SVM: held only while GIF = 0
 * (APM 15.17); with GIF = 1 the CPU resets (QEMU TCG resets it whatever GIF
 * says), so on SVM it is only the end of the run's last resort. */
void lapic_send_init(uint32_t apic_id);
/* The physical local APIC's registers at this page (xAPIC MMIO), for the
 * guest accesses keel completes itself. */
uint32_t lapic_read(uint32_t off);
void lapic_write(uint32_t off, uint32_t val);

#endif
