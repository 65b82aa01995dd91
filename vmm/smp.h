/* Every CPU under keel: the guest's APs wait, as on hardware, for the
 * INIT-SIPI-SIPI their BSP sends, then start in real mode at the SIPI
 * vector. See docs/smp.md. */
#ifndef KEEL_VMM_SMP_H
#define KEEL_VMM_SMP_H
#include <stdint.h>
#include <stdbool.h>
#include "vmm/vcpu.h"

struct vm;

/* A guest access to the local APIC page while it is trapped (some vCPU waits
 * for its SIPI): complete it, keeping INIT and SIPI virtual. False if the
 * access could not be decoded (the caller reports and stops). */
bool smp_lapic_access(struct vcpu *v, uint64_t gpa, bool write);
/* A guest write of the x2APIC ICR (intercepted with several vCPUs): like
 * the xAPIC ICR; false if the hardware refused the value (#GP). */
bool smp_x2apic_icr_write(struct vcpu *v, uint64_t val);
/* The guest physical page keel traps while a vCPU waits (0 if none). */
uint64_t smp_lapic_trap_page(const struct vm *vm);
/* The run ends on vCPU v: the first caller parks every other vCPU (stop
 * request, kick, acknowledgement; INIT only for one that does not answer)
 * and then reports; a later caller parks itself. True on the reporting CPU. */
bool smp_end_run(struct vcpu *v);
/* vCPU v left its run loop: if another CPU is ending the run (its stop
 * request), park this CPU for good; else return. */
void smp_run_ended(struct vcpu *v);
/* An INIT reached vCPU v (INIT exit): an AP goes back to wait-for-SIPI;
 * the BSP ends the run. */
void smp_init_signal(struct vcpu *v);
/* An NMI exit (SVM, several vCPUs): keel's kick for the end of the run
 * (park) or for a pending guest INIT; else the guest's own NMI. */
void smp_nmi_exit(struct vcpu *v);
/* Make vCPU t (running on another CPU) exit soon: an NMI its CPU absorbs
 * (struct percpu.kick_nmis), where an NMI makes the guest exit
 * (vm->nmi_exits). False if keel has no such kick here: t then acts at its
 * next exit, whenever the guest takes one. */
bool smp_kick(struct vcpu *t);
/* VMX, for a vCPU that has not exited after smp_kick found nothing cheap:
 * an INIT, which exits from VMX non-root operation (SDM 25.2) and is held
 * while the CPU is in keel (SDM 24.8); its INIT exit is consumed as keel's
 * (t->kick_init), not taken as the guest's. A guest INIT that arrives at
 * the same moment merges with it and is lost, so this is the fallback, not
 * the first try. False where it does not apply (SVM, a vCPU not in the
 * guest). */
bool smp_kick_init(struct vcpu *t);
/* A STARTUP exit (VMX wait-for-SIPI): start the vCPU at its vector. */
void smp_sipi_signal(struct vcpu *v);
/* An AP's life after its vCPU is created: wait for SIPI, run, repeat. */
__attribute__((noreturn)) void smp_ap_loop(struct vcpu *v);

#endif
