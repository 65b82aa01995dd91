/* CPUID feature bits, #GP/#UD-safe probes, the hypercall wrapper. */
#include "guest.h"

#define R_A 0
#define R_B 1
#define R_C 2
#define R_D 3
#define F(n, l, s, r, b) const struct feat F_##n = { l, s, r, b, #n }
/* leaf 1 EDX */
F(FPU, 1, 0, R_D, 0); F(TSC, 1, 0, R_D, 4); F(MSR, 1, 0, R_D, 5); F(PAE, 1, 0, R_D, 6);
F(CX8, 1, 0, R_D, 8); F(APIC, 1, 0, R_D, 9); F(SEP, 1, 0, R_D, 11); F(MTRR, 1, 0, R_D, 12);
F(PGE, 1, 0, R_D, 13); F(CMOV, 1, 0, R_D, 15); F(PAT, 1, 0, R_D, 16); F(CLFLUSH, 1, 0, R_D, 19);
F(MMX, 1, 0, R_D, 23); F(FXSR, 1, 0, R_D, 24); F(SSE, 1, 0, R_D, 25); F(SSE2, 1, 0, R_D, 26);
/* leaf 1 ECX */
F(SSE3, 1, 0, R_C, 0); F(PCLMUL, 1, 0, R_C, 1); F(MONITOR, 1, 0, R_C, 3); F(VMX, 1, 0, R_C, 5);
F(SSSE3, 1, 0, R_C, 9); F(FMA, 1, 0, R_C, 12); F(CX16, 1, 0, R_C, 13); F(PCID, 1, 0, R_C, 17);
F(SSE41, 1, 0, R_C, 19); F(SSE42, 1, 0, R_C, 20); F(X2APIC, 1, 0, R_C, 21); F(MOVBE, 1, 0, R_C, 22);
F(POPCNT, 1, 0, R_C, 23); F(AES, 1, 0, R_C, 25); F(XSAVE, 1, 0, R_C, 26); F(OSXSAVE, 1, 0, R_C, 27);
F(AVX, 1, 0, R_C, 28); F(F16C, 1, 0, R_C, 29); F(RDRAND, 1, 0, R_C, 30); F(HYPERVISOR, 1, 0, R_C, 31);
/* leaf 7.0 */
F(TSC_ADJUST, 7, 0, R_B, 1); F(BMI1, 7, 0, R_B, 3); F(AVX2, 7, 0, R_B, 5); F(SMEP, 7, 0, R_B, 7);
F(BMI2, 7, 0, R_B, 8); F(INVPCID, 7, 0, R_B, 10); F(AVX512F, 7, 0, R_B, 16);
F(AVX512DQ, 7, 0, R_B, 17); F(AVX512CD, 7, 0, R_B, 28); F(AVX512BW, 7, 0, R_B, 30);
F(AVX512VL, 7, 0, R_B, 31); F(SHSTK, 7, 0, R_C, 7); F(RDPID, 7, 0, R_C, 22); F(IBT, 7, 0, R_D, 20);
F(SPEC_CTRL, 7, 0, R_D, 26); F(STIBP, 7, 0, R_D, 27); F(FLUSH_L1D, 7, 0, R_D, 28);
F(ARCH_CAP, 7, 0, R_D, 29); F(SSBD, 7, 0, R_D, 31);
/* leaf 0xD.1 */
F(XSAVEOPT, 0xd, 1, R_A, 0); F(XSAVEC, 0xd, 1, R_A, 1); F(XSAVES, 0xd, 1, R_A, 3);
/* extended */
F(LAHF, 0x80000001, 0, R_C, 0); F(SVM, 0x80000001, 0, R_C, 2); F(ABM, 0x80000001, 0, R_C, 5);
F(SYSCALL, 0x80000001, 0, R_D, 11); F(NX, 0x80000001, 0, R_D, 20);
F(RDTSCP, 0x80000001, 0, R_D, 27); F(LM, 0x80000001, 0, R_D, 29);
F(AMD_IBPB, 0x80000008, 0, R_B, 12); F(AMD_IBRS, 0x80000008, 0, R_B, 14);
F(AMD_STIBP, 0x80000008, 0, R_B, 15); F(AMD_SSBD, 0x80000008, 0, R_B, 24);
F(AMD_VIRT_SSBD, 0x80000008, 0, R_B, 25);

bool cpuid_leaf_ok(uint32_t leaf)
{
    uint32_t base = leaf & 0xffff0000u;
    uint32_t max = cpuid(base, 0).a;
    if (base != 0 && (max & 0xffff0000u) != base)
        return false; /* range not implemented at all */
    return leaf <= max;
}

uint32_t cpuid_reg(uint32_t leaf, uint32_t sub, int reg)
{
    if (!cpuid_leaf_ok(leaf))
        return 0;
    struct cpuid_r r = cpuid(leaf, sub);
    switch (reg) {
    case R_A: return r.a;
    case R_B: return r.b;
    case R_C: return r.c;
    default: return r.d;
    }
}

bool cpu_has(const struct feat *f)
{
    if (f->leaf == 7 && f->sub > cpuid_reg(7, 0, R_A))
        return false;
    return (cpuid_reg(f->leaf, f->sub, f->reg) >> f->bit) & 1;
}

/* ---- probes ---- */
int rdmsr_safe(uint32_t idx, uint64_t *val)
{
    uint32_t lo, hi, vec;
    __asm__ volatile(PROBE_ASM("rdmsr") "movl guest_fault_vec, %2"
                     : "=a"(lo), "=d"(hi), "=r"(vec)
                     : "c"(idx), "0"(0), "1"(0)
                     : "memory");
    if (!vec)
        *val = ((uint64_t)hi << 32) | lo;
    return (int)vec;
}

int wrmsr_safe(uint32_t idx, uint64_t val)
{
    uint32_t vec;
    __asm__ volatile(PROBE_ASM("wrmsr") "movl guest_fault_vec, %0"
                     : "=r"(vec)
                     : "c"(idx), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
                     : "memory");
    return (int)vec;
}

int rdmsr_sentinel(uint32_t idx, uint32_t sent_lo, uint32_t sent_hi, uint32_t *lo, uint32_t *hi)
{
    uint32_t a, d, vec;
    __asm__ volatile(PROBE_ASM("rdmsr") "movl guest_fault_vec, %2"
                     : "=a"(a), "=d"(d), "=r"(vec)
                     : "c"(idx), "0"(sent_lo), "1"(sent_hi)
                     : "memory");
    *lo = a;
    *hi = d;
    return (int)vec;
}

int rdtscp_safe(uint32_t *aux)
{
    uint32_t a, d, c = 0, vec;
    __asm__ volatile(PROBE_ASM("rdtscp") "movl guest_fault_vec, %3"
                     : "=a"(a), "=d"(d), "+c"(c), "=r"(vec)
                     :
                     : "memory");
    (void)a;
    (void)d;
    if (!vec)
        *aux = c;
    return (int)vec;
}

int rdpid_safe(uint32_t *aux)
{
    uint32_t a = 0, vec;
    __asm__ volatile(PROBE_ASM("rdpid %%eax") "movl guest_fault_vec, %1"
                     : "+a"(a), "=r"(vec)
                     :
                     : "memory");
    if (!vec)
        *aux = a;
    return (int)vec;
}

int xgetbv_safe(uint32_t idx, uint64_t *val)
{
    uint32_t lo, hi, vec;
    __asm__ volatile(PROBE_ASM("xgetbv") "movl guest_fault_vec, %2"
                     : "=a"(lo), "=d"(hi), "=r"(vec)
                     : "c"(idx), "0"(0), "1"(0)
                     : "memory");
    if (!vec)
        *val = ((uint64_t)hi << 32) | lo;
    return (int)vec;
}

/* ---- hypercall ---- */
int hypercall(uint32_t fn, uint32_t bx_in, uint32_t *a, uint32_t *b)
{
    uint32_t ra, rb, vec;
    if (guest_vendor == GV_AMD)
        __asm__ volatile(PROBE_ASM("vmmcall") "movl guest_fault_vec, %2"
                         : "=a"(ra), "=b"(rb), "=r"(vec)
                         : "0"(fn), "1"(bx_in)
                         : "ecx", "edx", "memory");
    else
        __asm__ volatile(PROBE_ASM("vmcall") "movl guest_fault_vec, %2"
                         : "=a"(ra), "=b"(rb), "=r"(vec)
                         : "0"(fn), "1"(bx_in)
                         : "ecx", "edx", "memory");
    if (a)
        *a = ra;
    if (b)
        *b = rb;
    return (int)vec;
}

uint32_t intercept_msr(void)
{
    return (uint32_t)arg_u64("intercept-msr", guest_vendor == GV_AMD ? 0x2ff : 0x1a0);
}
