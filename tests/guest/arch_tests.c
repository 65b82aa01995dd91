/* Architectural behaviour of instructions keel completes for the guest
 * (words: singlestep, prefix, pmu). See docs/guest-tests.md. */
#include "suite.h"

static inline uint32_t read_dr6(void)
{
    uint32_t v;
    __asm__ volatile("mov %%dr6, %0" : "=r"(v));
    return v;
}
static inline void write_dr6(uint32_t v) { __asm__ volatile("mov %0, %%dr6" ::"r"(v)); }

/* ---- single-step over an exiting instruction ------------------------------
 * POPF sets TF; the instruction after it is the one under test, so the CPU
 * (SDM 18.3.1.4) raises exactly one single-step #DB, after that instruction,
 * with DR6.BS set and EIP at the next instruction. The fixup handler clears
 * TF, so a missing #DB shows as a trap one instruction late (the NOP). */
struct sstep {
    uint32_t count, vec, eip, want, dr6;
};

#define SSTEP(res, insn, a_in, c_in, d_in)                                                         \
    do {                                                                                          \
        uint32_t c0_ = guest_fault_count, lbl_, a_ = (a_in), b_ = 0, c_ = (c_in), d_ = (d_in);   \
        write_dr6(0xffff0ff0u);                                                                   \
        __asm__ volatile("movl $0, guest_fault_vec\n\t"                                           \
                         "movl $1f, guest_fixup_eip\n\t"                                          \
                         "pushf\n\t"                                                              \
                         "orl $0x100, (%%esp)\n\t"                                                \
                         "popf\n\t" insn "\n"                                                     \
                         "1:\n\t"                                                                 \
                         "nop\n\t"                                                                \
                         "movl $0, guest_fixup_eip\n\t"                                           \
                         "movl $1b, %4\n\t"                                                       \
                         : "+a"(a_), "+b"(b_), "+c"(c_), "+d"(d_), "=m"(lbl_)                     \
                         :                                                                        \
                         : "memory", "cc");                                                       \
        (res).count = guest_fault_count - c0_;                                                    \
        (res).vec = guest_fault_vec;                                                              \
        (res).eip = guest_fault_eip;                                                              \
        (res).want = lbl_;                                                                        \
        (res).dr6 = read_dr6();                                                                   \
    } while (0)

static void sstep_check(const char *name, const struct sstep *r)
{
    check(r->count == 1 && r->vec == 1 && r->eip == r->want && (r->dr6 & 0x4000) && !(r->dr6 & 0xf), name,
          "%u exceptions, last %s at eip=0x%08x (want one #DB at 0x%08x), DR6=0x%08x (want BS, no B0-B3)",
          r->count, vector_name(r->vec), r->eip, r->want, r->dr6);
}

static void t_singlestep(void)
{
    struct sstep r;
    uint32_t msr = intercept_msr();
    uint64_t v = 0;

    SSTEP(r, "cpuid", 0, 0, 0);
    sstep_check("singlestep-cpuid", &r);
    SSTEP(r, "rdmsr", 0, msr, 0);
    sstep_check("singlestep-rdmsr", &r);
    if (rdmsr_safe(msr, &v) == 0) {
        SSTEP(r, "wrmsr", (uint32_t)v, msr, (uint32_t)(v >> 32));
        sstep_check("singlestep-wrmsr", &r);
    } else {
        fail("singlestep-wrmsr", "rdmsr 0x%x faulted", msr);
    }
    if (guest_vendor == GV_AMD)
        SSTEP(r, "vmmcall", 0, 0, 0);
    else
        SSTEP(r, "vmcall", 0, 0, 0);
    sstep_check(guest_vendor == GV_AMD ? "singlestep-vmmcall" : "singlestep-vmcall", &r);
    /* Not single-stepped: nothing pending afterwards. */
    SSTEP(r, "nop", 0, 0, 0);
    sstep_check("singlestep-native-nop", &r);
}

/* ---- redundant prefixes ----------------------------------------------------
 * Operand-size, address-size and segment prefixes do not change CPUID or
 * RDMSR; the guest must resume right after the whole instruction: one exit
 * counted, the marker after it reached. */
#define PREFIXED(pfx, insn, a_in, c_in, a_out, d_out, marker)                                     \
    do {                                                                                          \
        uint32_t a_ = (a_in), b_ = 0, c_ = (c_in), d_ = 0, m_ = 0;                                \
        __asm__ volatile(".byte " pfx "\n\t" insn "\n\t"                                          \
                         "movl $0x600d, %4\n\t"                                                   \
                         : "+a"(a_), "+b"(b_), "+c"(c_), "+d"(d_), "+S"(m_)                       \
                         :                                                                        \
                         : "memory", "cc");                                                       \
        (a_out) = a_;                                                                             \
        (d_out) = d_;                                                                             \
        (marker) = m_;                                                                            \
    } while (0)

static uint32_t cpuid_exits(void)
{
    uint32_t a = 0;
    hypercall(HC_CPUID_EXITS, 0, &a, NULL);
    return a;
}

static void t_prefix(void)
{
    static const char *const names[4] = { "66", "2e 3e", "67 26 36", "64 65 66 3e" };
    uint32_t msr = intercept_msr(), want_max = cpuid(0, 0).a;
    uint64_t want_msr = 0;
    char name[48];

    rdmsr_safe(msr, &want_msr);
    for (int n = 1; n <= 4; n++) {
        uint32_t e0 = cpuid_exits(), a = 0, d = 0, m = 0, e1, r0 = 0, w0, r1 = 0, w1;
        switch (n) {
        case 1: PREFIXED("0x66", "cpuid", 0, 0, a, d, m); break;
        case 2: PREFIXED("0x2e, 0x3e", "cpuid", 0, 0, a, d, m); break;
        case 3: PREFIXED("0x67, 0x26, 0x36", "cpuid", 0, 0, a, d, m); break;
        default: PREFIXED("0x64, 0x65, 0x66, 0x3e", "cpuid", 0, 0, a, d, m); break;
        }
        e1 = cpuid_exits();
        /* hypercall 3 counts CPUID exits so far; the one in between adds none. */
        snprintf_g(name, sizeof name, "prefix-cpuid-%d", n);
        check(m == 0x600d && a == want_max && e1 - e0 == 1, name,
              "prefixes %s: marker 0x%x, eax 0x%x (want 0x%x), %u CPUID exits (want 1)", names[n - 1], m, a,
              want_max, e1 - e0);

        if (!hc_msr_count(name, msr, &r0, &w0))
            continue;
        switch (n) {
        case 1: PREFIXED("0x66", "rdmsr", 0, msr, a, d, m); break;
        case 2: PREFIXED("0x2e, 0x3e", "rdmsr", 0, msr, a, d, m); break;
        case 3: PREFIXED("0x67, 0x26, 0x36", "rdmsr", 0, msr, a, d, m); break;
        default: PREFIXED("0x64, 0x65, 0x66, 0x3e", "rdmsr", 0, msr, a, d, m); break;
        }
        if (!hc_msr_count(name, msr, &r1, &w1))
            continue;
        snprintf_g(name, sizeof name, "prefix-rdmsr-%d", n);
        check(m == 0x600d && (((uint64_t)d << 32) | a) == want_msr && r1 - r0 == 1, name,
              "prefixes %s: marker 0x%x, value 0x%x%08x, %u reads of 0x%x counted (want 1)", names[n - 1], m, d,
              a, r1 - r0, msr);
    }
}

/* The same address, rewritten: CPUID (2 bytes), then 66 CPUID (3), then
 * CPUID again, each run twice, each followed by MOV $0x600d, %esi and RET.
 * Without NRIPS keel remembers the length decoded at a linear address
 * while the bytes there stay the same (vmm/insn.c); a rewrite must be
 * decoded again, or the guest resumes inside the instruction and never
 * reaches the marker (or runs the ret early). After a write, a CALL to the
 * code is enough for this CPU to run the new bytes (SDM Vol. 3A 8.1.3). */
static uint8_t rewrite_code[16] __attribute__((aligned(16)));

static void t_prefix_rewrite(void)
{
    static const uint8_t plain[] = { 0x0f, 0xa2, 0xbe, 0x0d, 0x60, 0x00, 0x00, 0xc3 };
    static const uint8_t pfx[] = { 0x66, 0x0f, 0xa2, 0xbe, 0x0d, 0x60, 0x00, 0x00, 0xc3 };
    uint32_t want_max = cpuid(0, 0).a;
    bool ok = true;
    int step = 0;

    for (int round = 0; round < 3; round++) {
        const uint8_t *code = round == 1 ? pfx : plain;
        unsigned len = round == 1 ? sizeof pfx : sizeof plain;
        for (unsigned i = 0; i < sizeof rewrite_code; i++)
            ((volatile uint8_t *)rewrite_code)[i] = i < len ? code[i] : 0xcc;
        for (int rep = 0; rep < 2; rep++, step++) {
            uint32_t a = 0, b = 0, c = 0, d = 0, m = 0;
            __asm__ volatile("call *%5" : "+a"(a), "+b"(b), "+c"(c), "+d"(d), "+S"(m) : "D"(rewrite_code)
                             : "memory", "cc");
            if (m != 0x600d || a != want_max) {
                check(false, "prefix-rewrite", "step %d (%s): marker 0x%x, eax 0x%x (want 0x%x)", step,
                      round == 1 ? "66 0f a2" : "0f a2", m, a, want_max);
                ok = false;
            }
        }
    }
    if (ok)
        check(true, "prefix-rewrite", "CPUID, 66 CPUID, CPUID at one address, twice each: every one resumed after itself");
}

void run_singlestep(void) { t_singlestep(); }
void run_prefix(void) { t_prefix(); t_prefix_rewrite(); }

/* ---- PMU with pmu=off -------------------------------------------------------
 * AMD: the legacy counters PerfEvtSel0-3 / PerfCtr0-3 (0xC0010000-7) exist
 * on every AMD CPU whatever CPUID says (APM Vol. 2 13.2.1); with no guest
 * PMU they read 0 and drop writes, and the core counters (0xC0010200..,
 * CPUID 0x80000001 ECX[23]) do not exist. Intel: CPUID leaf 0xA says no
 * PMU and every architectural counter MSR is #GP. */
void run_pmu(void)
{
    char name[48];
    uint64_t v;
    int vec;

    if (guest_vendor == GV_AMD) {
        /* What a test library's start-up does first: stop all four counters. */
        unsigned bad = 0;
        for (uint32_t i = 0; i < 4; i++)
            bad += wrmsr_safe(0xc0010000u + i, 0) != 0;
        check(bad == 0, "pmu-amd-reset-perfevtsel0-3", "%u of 4 writes of 0 raised an exception", bad);
        for (uint32_t i = 0; i < 8; i++) {
            uint32_t idx = 0xc0010000u + i;
            int wv = wrmsr_safe(idx, i < 4 ? 0x530076u : 0x1234u);
            v = 0xdead;
            vec = rdmsr_safe(idx, &v);
            snprintf_g(name, sizeof name, "pmu-amd-0x%x", idx);
            check(!wv && !vec && v == 0, name, "write: %s, read: %s value 0x%x%08x (want 0, write dropped)",
                  wv ? vector_name((uint32_t)wv) : "ok", vec ? vector_name((uint32_t)vec) : "ok",
                  (uint32_t)(v >> 32), (uint32_t)v);
        }
        check(!cpu_has(&(struct feat){ 0x80000001, 0, 2, 23, "perfctr_core" }), "pmu-amd-no-perfctr-core",
              "CPUID 0x80000001 ECX[23] (PerfCtrExtCore) is set");
        vec = rdmsr_safe(0xc0010200u, &v);
        check(vec == GP_VECTOR, "pmu-amd-core-ctl-gp", "RDMSR 0xc0010200 gave %s", vec ? vector_name((uint32_t)vec) : "no fault");
        vec = rdmsr_safe(0xc0000300u, &v);
        check(vec == GP_VECTOR, "pmu-amd-global-status-gp", "RDMSR 0xc0000300 gave %s",
              vec ? vector_name((uint32_t)vec) : "no fault");
        return;
    }
    static const uint32_t intel[] = { 0xc1, 0xc2, 0x186, 0x187, 0x309, 0x30a, 0x30b, 0x345,
                                      0x38d, 0x38e, 0x38f, 0x390, 0x4c1 };
    struct cpuid_r a = cpuid_leaf_ok(0xa) ? cpuid(0xa, 0) : (struct cpuid_r){ 0, 0, 0, 0 };
    check(a.a == 0 && a.d == 0, "pmu-intel-cpuid-0xa-empty", "CPUID.0xA: eax=0x%08x edx=0x%08x", a.a, a.d);
    check(!cpu_has(&(struct feat){ 1, 0, 2, 15, "pdcm" }), "pmu-intel-no-pdcm", "CPUID.1:ECX[15] PDCM is set");
    for (unsigned i = 0; i < sizeof intel / sizeof intel[0]; i++) {
        int rv = rdmsr_safe(intel[i], &v), wv = wrmsr_safe(intel[i], 0);
        snprintf_g(name, sizeof name, "pmu-intel-0x%x-gp", intel[i]);
        check(rv == GP_VECTOR && wv == GP_VECTOR, name, "read: %s, write: %s (want #GP both)",
              rv ? vector_name((uint32_t)rv) : "no fault", wv ? vector_name((uint32_t)wv) : "no fault");
    }
}
