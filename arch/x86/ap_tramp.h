/* Layout shared by the AP trampoline (ap_tramp.S) and arch/x86/smp.c. */
#ifndef KEEL_ARCH_AP_TRAMP_H
#define KEEL_ARCH_AP_TRAMP_H

#define AP_TRAMP_BASE 0x7000    /* SIPI vector 0x07: conventional memory, below the Linux zero page */
/* The data block at the end of the trampoline (offsets from its start). */
#define AP_TD_TCR3 0            /* u32: trampoline page tables */
#define AP_TD_EFER 4            /* u32: EFER bits to set (LME, NXE) */
#define AP_TD_PERCPU 8          /* u64: struct percpu * of the AP being started */
#define AP_TD_KCR3 16           /* u64: keel's CR3 */
#define AP_TD_STACK 24          /* u64: the AP's stack top */
#define AP_TD_ENTRY 32          /* u64: &ap_entry64 */
#define AP_TD_SIZE 40

#endif
