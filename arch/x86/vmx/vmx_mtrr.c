/* Host MTRRs -> EPT leaf memory type (SDM Vol. 3 12.11 "Memory Type Range
 * Registers", 29.3.7 "EPT and Memory Typing"). EPT entries carry the type
 * the host MTRRs give the range, so the guest sees the memory types the
 * firmware set up. A large page is only used when its whole range has one
 * type; otherwise the builder splits it. */
#include "arch/x86/vmx/vmx_lib.h"
#include "arch/x86/vmx/vmcs.h"

#define PHYSMASK_VALID (1ull << 11)
#define ADDR_BITS 0x000ffffffffff000ull
#define ONE_MIB 0x100000ull

void vmx_mtrr_set_fixed(struct vmx_mtrr *m, const uint64_t msr[11])
{
    unsigned i, b;
    for (i = 0; i < 11; i++)
        for (b = 0; b < 8; b++)
            m->fixed[i * 8 + b] = (uint8_t)(msr[i] >> (8 * b));
}

/* Index into m->fixed of the range containing a (< 1 MiB). */
static unsigned fixed_index(uint64_t a)
{
    if (a < 0x80000)
        return (unsigned)(a >> 16);                     /* 8 x 64K */
    if (a < 0xc0000)
        return 8 + (unsigned)((a - 0x80000) >> 14);     /* 16 x 16K */
    return 24 + (unsigned)((a - 0xc0000) >> 12);        /* 64 x 4K */
}

/* SDM 12.11.4.1: overlapping variable ranges. */
static uint8_t combine(uint8_t a, uint8_t b)
{
    if (a == b)
        return a;
    if (a == MT_UC || b == MT_UC)
        return MT_UC;
    if ((a == MT_WT && b == MT_WB) || (a == MT_WB && b == MT_WT))
        return MT_WT;
    return MT_UC;   /* undefined by the SDM: take the safe type */
}

/* Variable ranges over [base, base+size): false when some range covers
 * part of it only. */
static bool var_type(const struct vmx_mtrr *m, uint64_t base, uint64_t size, uint8_t *type)
{
    unsigned i;
    bool any = false;
    uint8_t t = 0;
    for (i = 0; i < m->nvar && i < VMX_MTRR_VAR_MAX; i++) {
        uint64_t mask = m->var_mask[i] & ADDR_BITS, hi, lo;
        if (!(m->var_mask[i] & PHYSMASK_VALID))
            continue;
        hi = mask & ~(size - 1);
        lo = mask & (size - 1);
        if ((base & hi) != (m->var_base[i] & hi))
            continue;                   /* no address of the range matches */
        if (lo)
            return false;               /* some addresses match, some do not */
        t = any ? combine(t, (uint8_t)m->var_base[i]) : (uint8_t)m->var_base[i];
        any = true;
    }
    *type = any ? t : (uint8_t)m->def_type;
    return true;
}

bool vmx_mtrr_type(const struct vmx_mtrr *m, uint64_t base, uint64_t size, uint8_t *type)
{
    uint8_t vt;
    if (!(m->def_type & MTRR_DEF_TYPE_E)) {
        *type = MT_UC;      /* MTRRs disabled: everything is UC (SDM 12.11.2.1) */
        return true;
    }
    if (base < ONE_MIB && m->fixed_supported && (m->def_type & MTRR_DEF_TYPE_FE)) {
        uint64_t end = base + size < ONE_MIB ? base + size : ONE_MIB, a;
        uint8_t ft = m->fixed[fixed_index(base)];
        for (a = base; a < end; a += 0x1000)
            if (m->fixed[fixed_index(a)] != ft)
                return false;
        if (base + size > ONE_MIB) {
            if (!var_type(m, base, size, &vt) || vt != ft)
                return false;
        }
        *type = ft;
        return true;
    }
    if (!var_type(m, base, size, &vt))
        return false;
    *type = vt;
    return true;
}

uint64_t vmx_ept_table_entry(uint64_t next)
{
    return (next & ADDR_BITS) | EPT_R | EPT_W | EPT_X;
}

uint64_t vmx_ept_leaf(uint64_t pa, int level, uint8_t type)
{
    uint64_t e = (pa & ADDR_BITS) | EPT_R | EPT_W | EPT_X | ((uint64_t)(type & 7) << EPT_MT_SHIFT);
    if (level > 1)
        e |= EPT_LARGE;
    return e;
}
