/* The MSR virtualization engine: one table of per-MSR handlers.
 * Implemented in vmm/msr*.c (owned by the MSR engine). */
#ifndef KEEL_VMM_MSR_H
#define KEEL_VMM_MSR_H
#include <stdint.h>
#include <stdbool.h>

struct vcpu;

enum msr_verdict { MSR_OK = 0, MSR_GP = 1 };

/* Neutral intercept bitmaps: one bit per MSR, set = intercept, for the three
 * ranges the hardware bitmaps can express. Indices outside them always exit.
 * Vendors encode these: VMX uses ranges 0 and 1 (4 KiB bitmap), SVM all three
 * (8 KiB permission map). */
#define MSR_RANGE_COUNT 3
#define MSR_RANGE_SIZE 0x2000
static const uint32_t msr_range_base[MSR_RANGE_COUNT] = { 0x00000000, 0xc0000000, 0xc0010000 };
struct msr_intercepts {
    uint8_t read[MSR_RANGE_COUNT][MSR_RANGE_SIZE / 8];
    uint8_t write[MSR_RANGE_COUNT][MSR_RANGE_SIZE / 8];
};

/* Exit-path entry points: look the MSR up (O(log n) or better), apply the
 * filter and unknown-MSR policy, run the handler. On MSR_GP the caller
 * injects #GP and RAX/RDX stay untouched. */
enum msr_verdict msr_read(struct vcpu *v, uint32_t index, uint64_t *value);
enum msr_verdict msr_write(struct vcpu *v, uint32_t index, uint64_t value);

#endif
