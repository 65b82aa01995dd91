/* Internal to vmm/msr*.c: the table row layout, virtual-value slots and the
 * host-MSR accessors. Nothing outside vmm/msr* and tests includes this. */
#ifndef KEEL_VMM_MSR_IMPL_H
#define KEEL_VMM_MSR_IMPL_H
#include <stdint.h>
#include <stdbool.h>
#include "vmm/msr.h"
#include "arch/x86/x86_defs.h"
#include "vmm/vcpu.h"
#include "vmm/cpu_policy.h"

#ifdef KEEL_HOSTED
/* Host unit tests and the fuzzer: tests/unit/fake_arch.c. */
bool rdmsr_safe(uint32_t msr, uint64_t *val);
bool wrmsr_safe(uint32_t msr, uint64_t val);
uint64_t fake_rdtsc(void);
#define msr_hw_rdtsc() fake_rdtsc()
#else
#include "arch/x86/cpu.h"
#define msr_hw_rdtsc() rdtsc()
#endif

typedef enum msr_verdict (*msr_read_fn)(struct vcpu *v, const struct msr_desc *d, uint32_t index,
                                        uint64_t *val);
typedef enum msr_verdict (*msr_write_fn)(struct vcpu *v, const struct msr_desc *d, uint32_t index,
                                         uint64_t val);

/* Vendor filter for existence. 0 = any vendor. */
#define MSR_V_ANY 0
#define MSR_V_INTEL 1
#define MSR_V_AMD 2

/* Extra existence conditions. */
#define MSR_X_NEVER 0x01        /* never exists (reserved / no nesting / no PV) */
#define MSR_X_VIRT_MITIG 0x02   /* needs msr_config.virt_mitigation */

#define MSR_F_CANON 0x01        /* a write must be a canonical address */
#define MSR_F_LOW32 0x02        /* only bits 31:0 are kept (read back masked) */
#define MSR_F_PMU 0x04          /* a PMU row: .icpt applies with pmu=passthrough; otherwise
                                 * keel emulates it (intercepted both ways) */

/* One row of THE table. Handlers get the row and the exact index. */
struct msr_desc {
    uint32_t first;
    uint16_t count;
    uint8_t vendor;             /* MSR_V_* */
    uint8_t extra;              /* MSR_X_* */
    uint16_t feat[3];           /* exists if any is set (all FEAT_NONE: always) */
    uint8_t icpt;               /* enum msr_icpt, applies when the MSR exists */
    char host;                  /* enum msr_host_class */
    uint16_t slot;              /* first virtual-value slot (count slots), or 0 */
    uint8_t vsp1;               /* enum vcpu_state + 1 holding the value, or 0; if the
                                 * vendor has no place for it (vcpu_set_state() false)
                                 * it is kept in val[MSLOT_VS + state] */
    uint8_t flags;              /* MSR_F_* */
    /* msr_wr_slot rows: the values bits 2:0 may take, one bit each (0: any;
     * MTRR types: 0, 1, 4, 5, 6, SDM 12.11.2, with bits 7:3 in rsvd). */
    uint8_t types;
    bool (*exists_fn)(const struct cpu_policy *p);  /* optional, ANDed */
    msr_read_fn read;
    msr_write_fn write;
    uint64_t rsvd;              /* statically reserved bits (#GP if set); handlers add
                                 * the caps-dependent ones */
    uint64_t ro;                /* msr_wr_slot rows: bits a write must leave as they are */
    const char *name;
    const char *rd_name, *wr_name;
};

/* The read handler for a value kept in val[slot + index - first]. */
enum msr_verdict msr_rd_slot(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t *val);
/* The write handler for such a value whose checks are all row data: #GP
 * for a reserved bit (rsvd), a change of a read-only bit (ro) or a value
 * of bits 2:0 that types does not list; handle_wrmsr does the same checks
 * inline (struct msr_hot_rows). */
enum msr_verdict msr_wr_slot(struct vcpu *v, const struct msr_desc *d, uint32_t i, uint64_t val);
static inline bool msr_slot_write_ok(uint64_t rsvd, uint64_t ro, uint64_t types, uint64_t old, uint64_t val)
{
    return !((val & rsvd) | ((val ^ old) & ro) | (~types >> (val & 7) & 1));
}

/* Virtual-value slots in struct msr_vcpu_state.val[]. Slot 0 is unused. */
enum msr_slot {
    MSLOT_NONE = 0,
    MSLOT_APIC_BASE,
    MSLOT_TSC_ADJUST,
    MSLOT_SPEC_CTRL,
    MSLOT_MISC_ENABLE,
    MSLOT_MTRR_VAR,                      /* 16 */
    MSLOT_MTRR_FIX64K = MSLOT_MTRR_VAR + 2 * MTRRCAP_VCNT,
    MSLOT_MTRR_FIX16K,                   /* 2 */
    MSLOT_MTRR_FIX4K = MSLOT_MTRR_FIX16K + 2, /* 8 */
    MSLOT_MTRR_DEF_TYPE = MSLOT_MTRR_FIX4K + 8,
    MSLOT_XSS,
    MSLOT_MITI_CTRL,
    MSLOT_TSC_AUX,
    MSLOT_HWCR,
    MSLOT_VS,                            /* VS_COUNT: vendor-state rows kept virtual */
    MSLOT_COUNT = MSLOT_VS + VS_COUNT
};
_Static_assert(MSLOT_COUNT <= MSR_MAX_SLOTS, "grow MSR_MAX_SLOTS");

/* vmm/msr_table.c: the rows and their handlers; the engine (lookup, existence,
 * reset, dispatch) is vmm/msr.c. */
extern const struct msr_desc msr_table[];
extern const size_t msr_table_rows;
uint64_t msr_guest_spec_ctrl_hw(const struct vcpu *v); /* guest value | forced bits */
bool msr_row_exists(const struct msr_desc *d, const struct cpu_policy *p, const struct msr_config *cfg);

static inline bool msr_is_canonical(uint64_t a)
{
    /* 48-bit linear addresses (no LA57 in keel's profiles): bits 63:47 equal. */
    return (uint64_t)(((int64_t)(a << 16)) >> 16) == a;
}

#endif
