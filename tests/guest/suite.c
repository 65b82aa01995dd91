/* keel's guest test suite: one kernel, tests selected by command-line words.
 *
 *   suite.elf                      all basic tests
 *   suite.elf basic                the same, explicitly (combine with others)
 *   suite.elf cpuid-hv hypercall msr-intercept msr-passthrough msr-unknown cpuid-regs
 *                                  individual basic tests
 *   suite.elf selftest             the guest library itself (printf, udiv64, fixups); works bare
 *   suite.elf region               read keel's region: keel must end the run (status 125)
 *   suite.elf triple-fault         load an empty IDT and fault: keel must report the triple
 *                                  fault with the guest state and end the run (status 125)
 *   suite.elf msr                  the MSR table
 *   suite.elf msr-filter-deny=0xIDX   keel started with a filter denying IDX
 *   suite.elf msr-unknown-ignore   keel started with msr.unknown=ignore
 *   suite.elf msrfuzz seed=N count=N
 *   suite.elf expect-profile=NAME  x86-64-v2 | host | minimal
 *   suite.elf vminsn               every SVM/VMX instruction raises #UD (hw_tests.c)
 *   suite.elf pae                  PAE paging on through a MOV to CR0 keel carries out (hw_tests.c)
 *   suite.elf x2apic               the LAPIC in x2APIC mode; SKIP without x2APIC (hw_tests.c)
 *   suite.elf pmu                  PMU MSRs/CPUID with pmu=off (runs first, like a test library's start-up)
 *   suite.elf singlestep           TF over CPUID/RDMSR/WRMSR/hypercall: one #DB with DR6.BS
 *   suite.elf prefix               CPUID/RDMSR with 1-4 redundant prefixes resume after the instruction
 *   cpuid-iters=N                  CPUID loop length for cpuid-regs (default 100000)
 *   intercept-msr=0xIDX            the emulated MSR msr-intercept counts (default:
 *                                  0x1a0 MISC_ENABLE on Intel, 0x2ff MTRR_DEF_TYPE on AMD)
 *
 * See docs/guest-tests.md. */
#include "suite.h"

static const char *hc_err(int vec)
{
    static char buf[48];
    snprintf_g(buf, sizeof buf, "%s hypercall raised %s",
               guest_vendor == GV_AMD ? "VMMCALL" : "VMCALL", vector_name((uint32_t)vec));
    return buf;
}

bool hc_msr_count(const char *name, uint32_t idx, uint32_t *reads, uint32_t *writes)
{
    int vec = hypercall(HC_MSR_COUNT, idx, reads, writes);
    if (vec) {
        fail(name, "%s", hc_err(vec));
        return false;
    }
    return true;
}

static void sig_of(uint32_t leaf, char sig[13], uint32_t *max)
{
    struct cpuid_r r = cpuid(leaf, 0);
    memcpy(sig + 0, &r.b, 4);
    memcpy(sig + 4, &r.c, 4);
    memcpy(sig + 8, &r.d, 4);
    sig[12] = 0;
    for (int i = 0; i < 12; i++)
        if (sig[i] < 0x20 || sig[i] > 0x7e)
            sig[i] = '.';
    *max = r.a;
}

/* CPUID: hypervisor bit set, leaf 0x40000000 = max leaf + "KeelKeelKeel". */
static void t_cpuid_hv(void)
{
    check(cpu_has(&F_HYPERVISOR), "cpuid-hypervisor-bit", "CPUID.1:ECX[31] is clear (ecx=0x%08x)",
          cpuid(1, 0).c);
    char sig[13];
    uint32_t max;
    sig_of(0x40000000, sig, &max);
    check(!strcmp(sig, "KeelKeelKeel") && max >= 0x40000000 && max < 0x40010000,
          "cpuid-hypervisor-signature", "leaf 0x40000000: eax=0x%08x signature \"%s\"", max, sig);
}

/* Hypercalls: PING, unknown function, exit counter. */
static void t_hypercall(void)
{
    uint32_t a = 0, b = 0;
    int vec = hypercall(HC_PING, 0, &a, &b);
    if (vec)
        fail("hypercall-ping", "%s", hc_err(vec));
    else
        check(a == HC_PING_REPLY, "hypercall-ping", "eax=0x%08x, want 0x%08x", a, HC_PING_REPLY);

    vec = hypercall(0x7fff1234, 0, &a, &b);
    if (vec)
        fail("hypercall-unknown", "%s", hc_err(vec));
    else
        check(a == 0xffffffffu, "hypercall-unknown", "function 0x7fff1234 gave eax=0x%08x, want ~0", a);

    /* The hypercall returns in EAX/EBX only: ECX, EDX, ESI, EDI stay. */
    {
        uint32_t ra = HC_PING, rb = 0, rc = 0x11c0ffee, rd = 0x22c0ffee, rs = 0x33c0ffee,
                 rdi = 0x44c0ffee;
        if (guest_vendor == GV_AMD)
            __asm__ volatile(PROBE_ASM("vmmcall")
                             : "+a"(ra), "+b"(rb), "+c"(rc), "+d"(rd), "+S"(rs), "+D"(rdi)
                             :
                             : "memory");
        else
            __asm__ volatile(PROBE_ASM("vmcall")
                             : "+a"(ra), "+b"(rb), "+c"(rc), "+d"(rd), "+S"(rs), "+D"(rdi)
                             :
                             : "memory");
        vec = (int)guest_fault_vec;
        if (vec)
            fail("hypercall-regs-preserved", "%s", hc_err(vec));
        else
            check(ra == HC_PING_REPLY && rc == 0x11c0ffee && rd == 0x22c0ffee && rs == 0x33c0ffee &&
                      rdi == 0x44c0ffee,
                  "hypercall-regs-preserved",
                  "after PING eax=0x%08x ecx=0x%08x edx=0x%08x esi=0x%08x edi=0x%08x (want "
                  "0x6b65656c and the 0x..c0ffee sentinels)",
                  ra, rc, rd, rs, rdi);
    }

    uint32_t e1, e2;
    vec = hypercall(HC_EXITS, 0, &e1, &b);
    if (!vec)
        vec = hypercall(HC_EXITS, 0, &e2, &b);
    if (vec)
        fail("hypercall-exit-count", "%s", hc_err(vec));
    else
        check(e2 > e1, "hypercall-exit-count", "exit count went from %u to %u across a hypercall", e1,
              e2);
}

/* An intercepted MSR (IA32_MISC_ENABLE on Intel, MTRR_DEF_TYPE on AMD) is
 * handled by keel and counted exactly. */
static void t_msr_intercept(void)
{
    uint32_t r0, w0, r1, w1, r2, w2;
    const unsigned N = 10;
    const uint32_t idx = intercept_msr();
    uint64_t v0, v;
    if (!hc_msr_count("msr-intercept-read-count", idx, &r0, &w0))
        return;
    int vec = rdmsr_safe(idx, &v0);
    bool same = true;
    for (unsigned i = 1; i < N && !vec; i++) {
        vec = rdmsr_safe(idx, &v);
        same &= v == v0;
    }
    if (vec) {
        fail("msr-intercept-read-count", "RDMSR 0x%x raised %s", idx, vector_name((uint32_t)vec));
        return;
    }
    if (!hc_msr_count("msr-intercept-read-count", idx, &r1, &w1))
        return;
    check(r1 - r0 == N && w1 == w0 && same, "msr-intercept-read-count",
          "%u reads of 0x%x: read count %u -> %u, write count %u -> %u, values %s", N, idx, r0, r1,
          w0, w1, same ? "stable" : "differ");

    vec = wrmsr_safe(idx, v0);
    if (vec) {
        fail("msr-intercept-write-count", "WRMSR 0x%x (same value 0x%llx) raised %s", idx,
             (unsigned long long)v0, vector_name((uint32_t)vec));
        return;
    }
    if (!hc_msr_count("msr-intercept-write-count", idx, &r2, &w2))
        return;
    vec = rdmsr_safe(idx, &v);
    check(w2 - w1 == 1 && r2 == r1 && !vec && v == v0, "msr-intercept-write-count",
          "1 write of 0x%x: write count %u -> %u, read count %u -> %u, read back 0x%llx (want 0x%llx)",
          idx, w1, w2, r1, r2, (unsigned long long)v, (unsigned long long)v0);

    /* An emulated RDMSR/WRMSR writes EDX:EAX (read) and nothing else. */
    uint32_t a, d, rb = 0x55aa0001, rc = idx, rs = 0x55aa0002, rdi = 0x55aa0003;
    __asm__ volatile("rdmsr" : "=a"(a), "=d"(d), "+b"(rb), "+c"(rc), "+S"(rs), "+D"(rdi));
    bool rd_ok = rb == 0x55aa0001 && rc == idx && rs == 0x55aa0002 && rdi == 0x55aa0003 &&
                 (((uint64_t)d << 32) | a) == v0;
    __asm__ volatile("wrmsr" : "+a"(a), "+d"(d), "+b"(rb), "+c"(rc), "+S"(rs), "+D"(rdi) : : "memory");
    check(rd_ok && rb == 0x55aa0001 && rc == idx && rs == 0x55aa0002 && rdi == 0x55aa0003 &&
              (((uint64_t)d << 32) | a) == v0,
          "msr-intercept-regs-preserved",
          "after RDMSR+WRMSR 0x%x: edx:eax=%08x:%08x ebx=0x%08x ecx=0x%08x esi=0x%08x edi=0x%08x",
          idx, d, a, rb, rc, rs, rdi);
}

/* A passed-through MSR (KERNEL_GS_BASE) works and is not counted. */
#define KERNEL_GS_BASE PASSTHROUGH_MSR
static void t_msr_passthrough(void)
{
    uint32_t r0, w0, r1, w1;
    uint64_t orig, v;
    const uint64_t val = 0xffff800012345000ULL;
    if (!hc_msr_count("msr-passthrough-not-counted", KERNEL_GS_BASE, &r0, &w0))
        return;
    int vec = rdmsr_safe(KERNEL_GS_BASE, &orig);
    if (!vec)
        vec = wrmsr_safe(KERNEL_GS_BASE, val);
    if (!vec)
        vec = rdmsr_safe(KERNEL_GS_BASE, &v);
    if (vec) {
        fail("msr-passthrough-readback", "KERNEL_GS_BASE access raised %s", vector_name((uint32_t)vec));
        return;
    }
    check(v == val, "msr-passthrough-readback", "wrote 0x%llx, read back 0x%llx",
          (unsigned long long)val, (unsigned long long)v);
    wrmsr_safe(KERNEL_GS_BASE, orig);
    if (!hc_msr_count("msr-passthrough-not-counted", KERNEL_GS_BASE, &r1, &w1))
        return;
    check(r1 == r0 && w1 == w0, "msr-passthrough-not-counted",
          "KERNEL_GS_BASE counts changed: reads %u -> %u, writes %u -> %u", r0, r1, w0, w1);
}

/* Unknown MSRs: #GP both ways, EAX/EDX untouched by the faulting RDMSR. */
static void t_msr_unknown(void)
{
    static const uint32_t idx[] = { 0x12345678, 0x00001234 };
    for (unsigned i = 0; i < sizeof idx / sizeof idx[0]; i++) {
        char name[48];
        uint32_t lo, hi;
        int vec = rdmsr_sentinel(idx[i], 0xdeadbeef, 0xcafef00d, &lo, &hi);
        snprintf_g(name, sizeof name, "msr-unknown-rdmsr-0x%x", idx[i]);
        check(vec == GP_VECTOR && lo == 0xdeadbeef && hi == 0xcafef00d, name,
              "RDMSR 0x%x: %s, edx:eax=%08x:%08x (want #GP, cafef00d:deadbeef)", idx[i],
              vec ? vector_name((uint32_t)vec) : "no fault", hi, lo);
        vec = wrmsr_safe(idx[i], 0x5a5a5a5aULL);
        snprintf_g(name, sizeof name, "msr-unknown-wrmsr-0x%x", idx[i]);
        check(vec == GP_VECTOR, name, "WRMSR 0x%x: %s (want #GP)", idx[i],
              vec ? vector_name((uint32_t)vec) : "no fault");
    }
}

/* 100,000 CPUID exits leave every GPR intact; keel counts them. */
static void t_cpuid_regs(void)
{
    uint32_t n = (uint32_t)arg_u64("cpuid-iters", 100000);
    uint32_t c0 = 0, c1 = 0, b;
    int vec0 = hypercall(HC_CPUID_EXITS, 0, &c0, &b);
    /* Spread over several leaves (keel answers each differently), n in all. */
    static const uint32_t leaves[] = { 0, 1, 7, 0xd, 0x40000000, 0x80000000, 0x80000001, 0x80000008 };
    uint32_t use[8], nl = 0, bad = 0, done = 0, bad_leaf = 0;
    for (unsigned i = 0; i < 8; i++)
        if (leaves[i] == 0x40000000 ? cpu_has(&F_HYPERVISOR) : cpuid_leaf_ok(leaves[i]))
            use[nl++] = leaves[i];
    for (unsigned i = 0; i < nl && !bad; i++) {
        uint32_t k = i + 1 == nl ? n - done : n / nl;
        bad = cpuid_stress(k, use[i]);
        if (bad) {
            bad_leaf = use[i];
            bad += done;
        }
        done += k;
    }
    int vec1 = hypercall(HC_CPUID_EXITS, 0, &c1, &b);
    if (bad) {
        static const char *const rn[8] = { "eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp" };
        char detail[300];
        int o = snprintf_g(detail, sizeof detail, "CPUID 0x%x, iteration %u of %u:", bad_leaf, bad, n);
        for (int i = 0; i < 8; i++)
            if (cpuid_stress_regs[i] != cpuid_stress_want[i])
                o += snprintf_g(detail + o, sizeof detail - o, " %s=0x%08x (want 0x%08x)", rn[i],
                                cpuid_stress_regs[i], cpuid_stress_want[i]);
        fail("cpuid-regs-intact", "%s", detail);
    } else {
        char name[64];
        snprintf_g(name, sizeof name, "cpuid-regs-intact (%u CPUIDs over %u leaves)", n, nl);
        pass(name);
    }
    if (vec0 || vec1)
        fail("cpuid-exits-counted", "%s", hc_err(vec0 ? vec0 : vec1));
    else
        check(c1 - c0 >= n, "cpuid-exits-counted", "CPUID exit count %u -> %u (+%u), want >= +%u",
              c0, c1, c1 - c0, n);
}

/* CR0.NE and CR4.VMXE are keel's on VMX (guest/host masks): a guest
 * clearing NE must still work and read back what it wrote; setting
 * CR4.VMXE is #GP (no VMX in the guest's CPUID). */
static uint32_t cr4_target;
static void set_cr4(void)
{
    __asm__ volatile("mov %0, %%cr4" ::"r"(cr4_target));
}

static void t_cr_owned_bits(void)
{
    uint32_t cr0, back, cr4;
    uint32_t vec;
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    __asm__ volatile("mov %0, %%cr0" ::"r"(cr0 & ~(1u << 5)));
    __asm__ volatile("mov %%cr0, %0" : "=r"(back));
    __asm__ volatile("mov %0, %%cr0" ::"r"(cr0));
    if (back != (cr0 & ~(1u << 5)))
        fail("cr0-ne", "wrote CR0 0x%x, read back 0x%x", cr0 & ~(1u << 5), back);
    else
        pass("cr0-ne");
    /* CR4 bit 13 is VMXE on Intel (owned by keel: its guest/host mask makes the
     * write exit and keel refuses it, as the guest has no VMX) and reserved on
     * AMD (APM 3.1.3: setting it is #GP), which SVM passes to the hardware.
     * Asked for on AMD only by "cr4-reserved": QEMU TCG ends the VMRUN with
     * VMEXIT_INVALID there instead of raising #GP (an emulator quirk). */
    if (guest_vendor != GV_INTEL && !has_arg("cr4-reserved"))
        return;
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    cr4_target = cr4 | (1u << 13);
    vec = (uint32_t)insn_safe(set_cr4);
    if (vec == 0) {             /* accepted: put CR4 back before reporting */
        cr4_target = cr4;
        set_cr4();
    }
    if (vec == 13)
        pass("cr4-vmxe-gp");
    else
        fail("cr4-vmxe-gp", "setting CR4.VMXE gave vector %u, expected #GP", vec);
}

/* Triple fault: with a zero-limit IDT, #UD cannot be delivered (#GP), nor
 * can the #GP (#DF), nor the #DF: the CPU shuts down, which keel intercepts
 * (SVM shutdown / VMX triple-fault exit) and reports. */
static void t_triple_fault(void)
{
    static const struct __attribute__((packed)) { uint16_t limit; uint32_t base; } empty = { 0, 0 };
    printf("triple-fault: loading an empty IDT and executing UD2; the run must end here\n");
    __asm__ volatile("cli; lidt %0; ud2" ::"m"(empty));
    fail("triple-fault", "execution continued after a triple fault");
}

/* Read keel's region: keel must stop the run with its own report (125). */
static void t_region(void)
{
    uint32_t base = 0, size = 0;
    int vec = hypercall(HC_REGION, 0, &base, &size);
    if (vec) {
        fail("region", "%s", hc_err(vec));
        return;
    }
    if (size == 0 || base < 0x100000) {
        fail("region", "hypercall 4 gave base 0x%08x size 0x%08x", base, size);
        return;
    }
    printf("region: base 0x%08x size 0x%08x; reading one dword at its base, the run must end here\n",
           base, size);
    uint32_t v = *(volatile uint32_t *)base;
    fail("region", "read 0x%08x from 0x%08x and went on: the hypervisor did not stop the run", v, base);
}

/* keel boots at 1 MiB and leaves that memory to the guest once it runs from
 * its region: nothing of keel (its image copy, boot stacks, parsed boot
 * information) may be left there for the guest to read. The needles are
 * built at run time so this image does not hold them itself. */
static void t_leftovers(void)
{
    char banner[24], cmdline[24];
    const char *a = "micro-hy", *b = "pervisor";
    memcpy(banner, a, 8);
    memcpy(banner + 8, b, 9);
    memcpy(cmdline, "keel: ", 6);
    memcpy(cmdline + 6, "keel ", 6);    /* klog's prefix then the banner's first word */
    size_t nb = strlen(banner), nc = strlen(cmdline);
    unsigned hits = 0;
    uint32_t first = 0;
    for (uint32_t p = 0x100000; p + 32 < 0x400000; p++) {
        const char *m = (const char *)p;
        if (!memcmp(m, banner, nb) || !memcmp(m, cmdline, nc)) {
            if (!hits++)
                first = p;
        }
    }
    if (hits)
        fail("boot-leftovers", "%u copies of keel's banner or log text in [1 MiB, 4 MiB), first at 0x%08x", hits, first);
    else
        pass("boot-leftovers");
}

/* ---- library self-test (word: selftest; also meaningful bare) ---- */
static void fn_ok(void) {}
static void fn_ud2(void) { __asm__ volatile("ud2"); }
static void fn_int3(void) { __asm__ volatile("int3"); }
static void fn_de(void)
{
    volatile uint32_t z = 0, one = 1;
    volatile uint32_t q = one / z;
    (void)q;
}

static void t_selftest(void)
{
    char buf[128];
    snprintf_g(buf, sizeof buf, "%08x|%llx|%d|%u|%s|%-3s|%5d|%c|%%|%016llx", 0xabcu,
               0x123456789abcdef0ULL, -42, 4000000000u, "str", "ab", 17, 'z', 1ULL << 63);
    const char *want = "00000abc|123456789abcdef0|-42|4000000000|str|ab |   17|z|%|8000000000000000";
    check(!strcmp(buf, want), "selftest-printf", "got \"%s\" want \"%s\"", buf, want);

    uint32_t rem;
    uint64_t q = udiv64(0x123456789abcdef0ULL, 1000, &rem);
    check(q == 0x4a90be587de6eULL && rem == 320, "selftest-udiv64", "q=0x%llx rem=%u",
          (unsigned long long)q, rem);

    uint64_t v;
    check(parse_u64_str("0x1A0", &v) && v == 0x1a0 && parse_u64_str("12345", &v) && v == 12345 &&
              !parse_u64_str("0x", &v) && !parse_u64_str("12a", &v),
          "selftest-parse", "parse_u64 misbehaves");

    uint32_t before = guest_fault_count;
    int r_ok = insn_safe(fn_ok), r_ud = insn_safe(fn_ud2), r_bp = insn_safe(fn_int3),
        r_de = insn_safe(fn_de);
    /* #DE is vector 0, like "no fault": the fault count tells them apart. */
    check(r_ok == 0 && r_ud == UD_VECTOR && r_bp == 3 && r_de == 0 &&
              guest_fault_count - before == 3,
          "selftest-insn-safe", "ok->%d ud2->%d int3->%d div0->%d, faults counted %u", r_ok, r_ud,
          r_bp, r_de, guest_fault_count - before);

    uint32_t aux = 0;
    int r = rdtscp_safe(&aux);
    check(cpu_has(&F_RDTSCP) ? r == 0 : r == UD_VECTOR || r == 0, "selftest-rdtscp",
          "RDTSCP %s with CPUID.RDTSCP=%d", r ? vector_name((uint32_t)r) : "ok", cpu_has(&F_RDTSCP));

    /* A probe that does not fault leaves no fixup armed. */
    check(guest_fixup_eip == 0, "selftest-fixup-disarmed", "guest_fixup_eip=0x%08x", guest_fixup_eip);
    if (has_arg("selftest-crash")) {
        printf("selftest: executing UD2 with no fixup armed: expect FAIL exception and exit 1\n");
        __asm__ volatile("ud2");
    }
}

struct test {
    const char *word;
    void (*fn)(void);
};
static const struct test basic_tests[] = {
    { "cpuid-hv", t_cpuid_hv },
    { "hypercall", t_hypercall },
    { "msr-intercept", t_msr_intercept },
    { "msr-passthrough", t_msr_passthrough },
    { "msr-unknown", t_msr_unknown },
    { "cpuid-regs", t_cpuid_regs },
};
#define NBASIC (sizeof basic_tests / sizeof basic_tests[0])

static bool known_word(const char *w)
{
    static const char *const words[] = { "basic",    "region",   "msr",          "msr-unknown-ignore",
                                         "msrfuzz",  "selftest", "selftest-crash", "strict-hidden", "triple-fault", "cr", "cr4-reserved",
                                         "vminsn", "x2apic", "pae", "outs", "singlestep", "prefix", "pmu", "leftovers" };
    static const char *const keys[] = { "msr-filter-deny=", "expect-profile=", "seed=", "count=", "dma-expect=",
                                        "acpi-view=", "iommu-mmio=",
                                        "cpuid-iters=", "intercept-msr=", "boot-info=" };
    for (unsigned i = 0; i < NBASIC; i++)
        if (!strcmp(w, basic_tests[i].word))
            return true;
    for (unsigned i = 0; i < sizeof words / sizeof words[0]; i++)
        if (!strcmp(w, words[i]))
            return true;
    for (unsigned i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strncmp(w, keys[i], strlen(keys[i])))
            return true;
    return false;
}

int guest_main(void)
{
    printf("suite: keel guest test suite, vendor %s (%s)\n", guest_vendor_str, vendor_name());
    printf("suite: command line:");
    for (int i = 0; i < argc; i++)
        printf(" %s", argv[i]);
    printf("\n");
    for (int i = 1; i < argc; i++)
        if (!known_word(argv[i]))
            printf("WARN: unknown word \"%s\" ignored\n", argv[i]);

    bool any_group = has_arg("vminsn") || has_arg("leftovers") || has_arg("x2apic") || has_arg("pae") || has_arg("outs") || has_arg("selftest") || has_arg("region") || has_arg("triple-fault") || has_arg("cr") || has_arg("singlestep") || has_arg("prefix") ||
                     has_arg("pmu") || has_arg("msr") || has_arg("msr-unknown-ignore") ||
                     has_arg("msrfuzz") || arg_value("msr-filter-deny") ||
                     arg_value("expect-profile") || arg_value("dma-expect") || arg_value("acpi-view") ||
                     arg_value("iommu-mmio") || arg_value("boot-info");
    bool any_basic = has_arg("basic");
    for (unsigned i = 0; i < NBASIC; i++)
        any_basic |= has_arg(basic_tests[i].word);
    bool all_basic = has_arg("basic") || (!any_group && !any_basic);

    /* First, as a test library's start-up code resets the counters first. */
    if (has_arg("pmu"))
        run_pmu();
    if (has_arg("selftest"))
        t_selftest();
    for (unsigned i = 0; i < NBASIC; i++)
        if (all_basic || has_arg(basic_tests[i].word))
            basic_tests[i].fn();
    if (has_arg("leftovers"))
        t_leftovers();
    if (has_arg("msr"))
        run_msr_table();
    if (has_arg("singlestep"))
        run_singlestep();
    if (has_arg("prefix"))
        run_prefix();
    const char *deny = arg_value("msr-filter-deny");
    if (deny) {
        uint64_t idx;
        if (parse_u64_str(deny, &idx))
            run_msr_filter_deny((uint32_t)idx);
        else
            fail("msr-filter-deny", "bad index \"%s\"", deny);
    }
    if (has_arg("msr-unknown-ignore"))
        run_msr_unknown_ignore();
    const char *prof = arg_value("expect-profile");
    if (prof)
        run_profile(prof);
    const char *bootinfo = arg_value("boot-info");
    if (bootinfo)
        run_boot_info(bootinfo);
    const char *view = arg_value("acpi-view");
    if (view)
        run_acpi_view(!strcmp(view, "iommu"));
    const char *dma = arg_value("dma-expect");
    if (dma)
        run_dma(dma);
    if (arg_value("iommu-mmio"))
        t_iommu_mmio((uint32_t)arg_u64("iommu-mmio", 0));
    /* Last: the fuzzer leaves MSRs in random (accepted) states; the region read ends the run. */
    if (has_arg("msrfuzz"))
        run_msrfuzz(arg_u64("seed", 1), (uint32_t)arg_u64("count", 2000));
    if (has_arg("region"))
        t_region();
    if (has_arg("cr"))
        t_cr_owned_bits();
    if (has_arg("vminsn"))
        run_vminsn_ud();
    if (has_arg("pae"))
        run_pae();
    if (has_arg("outs"))
        run_outs();
    if (has_arg("x2apic"))
        run_x2apic();
    if (has_arg("triple-fault"))
        t_triple_fault();
    return 0;
}
