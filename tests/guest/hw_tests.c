/* Tests of what real hardware and a nested hypervisor do that an emulator
 * might let slide:
 *
 *   suite.elf vminsn   every SVM and VMX instruction raises #UD in the guest
 *                      (keel offers no nesting; its CPUID says so). The
 *                      vendor's own hypercall (VMMCALL / VMCALL) is not one
 *                      of them; the other vendor's is, and is tested.
 *   suite.elf x2apic   switch the LAPIC to x2APIC mode (IA32_APIC_BASE.EXTD)
 *                      and use it through its MSRs: ID, VERSION, TPR, a LAPIC
 *                      timer interrupt, EOI; read-only/write-only registers
 *                      fault as the SDM says. Without x2APIC in CPUID (QEMU
 *                      TCG 7.2) it prints "SKIP x2apic: ..." and passes
 *                      nothing. Leaves the LAPIC in x2APIC mode (leaving it
 *                      needs a disable, which Bochs does not undo), so it
 *                      runs last.
 *   suite.elf pae      turn on PAE paging with a MOV to CR0 that also clears
 *                      CR0.NE: on VMX that MOV exits (NE is keel's) and keel
 *                      must load the PDPTEs from CR3 as the CPU would have
 *                      (SDM 4.4.1, 28.3.1); if it did not, the next
 *                      instruction fetch faults. Then paging off again.
 * See docs/guest-tests.md. */
#include "suite.h"

/* ---- VM instructions ---------------------------------------------------- */

static uint64_t vm_area[4] __attribute__((aligned(4096)));   /* memory operands */

#define UD_PROBE(insn, ...)                                                       \
    ({                                                                            \
        __asm__ volatile(PROBE_ASM(insn) ::__VA_ARGS__ : "memory");               \
        guest_fault_vec;                                                          \
    })

struct vminsn {
    const char *name;
    bool svm;               /* an SVM instruction (else VMX) */
};

static uint32_t run_one(unsigned i)
{
    uint32_t area = (uint32_t)vm_area;
    switch (i) {
    /* SVM (AMD APM Vol 3): RAX holds a page-aligned physical address. */
    case 0: return UD_PROBE("vmrun %%eax", "a"(area));
    case 1: return UD_PROBE("vmload %%eax", "a"(area));
    case 2: return UD_PROBE("vmsave %%eax", "a"(area));
    case 3: return UD_PROBE("stgi", "a"(0));
    case 4: return UD_PROBE("clgi", "a"(0));
    case 5: return UD_PROBE("skinit %%eax", "a"(area));
    case 6: return UD_PROBE("invlpga %%eax, %%ecx", "a"(area), "c"(1));
    /* VMX (SDM Vol. 2 chapter 31 / Vol. 3 31.3). */
    case 7: return UD_PROBE("vmxon (%0)", "r"(area));
    case 8: return UD_PROBE("vmxoff", "a"(0));
    case 9: return UD_PROBE("vmclear (%0)", "r"(area));
    case 10: return UD_PROBE("vmptrld (%0)", "r"(area));
    case 11: return UD_PROBE("vmptrst (%0)", "r"(area));
    case 12: return UD_PROBE("vmread %%eax, %%ebx", "a"(0x4400), "b"(0));
    case 13: return UD_PROBE("vmwrite %%ebx, %%eax", "a"(0x4400), "b"(0));
    case 14: return UD_PROBE("vmlaunch", "a"(0));
    case 15: return UD_PROBE("vmresume", "a"(0));
    case 16: return UD_PROBE("invept (%0), %%eax", "r"(area), "a"(2));
    case 17: return UD_PROBE("invvpid (%0), %%eax", "r"(area), "a"(2));
    case 18: return UD_PROBE("vmfunc", "a"(0), "c"(0));
    /* The other vendor's hypercall instruction. */
    case 19: return UD_PROBE("vmcall", "a"(0));
    case 20: return UD_PROBE("vmmcall", "a"(0));
    default: return 0xff;
    }
}

static const struct vminsn vminsns[] = {
    { "vmrun", true }, { "vmload", true }, { "vmsave", true }, { "stgi", true }, { "clgi", true },
    { "skinit", true }, { "invlpga", true }, { "vmxon", false }, { "vmxoff", false },
    { "vmclear", false }, { "vmptrld", false }, { "vmptrst", false }, { "vmread", false },
    { "vmwrite", false }, { "vmlaunch", false }, { "vmresume", false }, { "invept", false },
    { "invvpid", false }, { "vmfunc", false }, { "vmcall", false }, { "vmmcall", true },
};

void run_vminsn_ud(void)
{
    for (unsigned i = 0; i < sizeof vminsns / sizeof vminsns[0]; i++) {
        char name[48];
        uint32_t vec;
        /* The vendor's own hypercall is keel's ABI, not a nesting instruction. */
        if ((i == 19 && guest_vendor != GV_AMD) || (i == 20 && guest_vendor == GV_AMD))
            continue;
        vec = run_one(i);
        snprintf_g(name, sizeof name, "vminsn-ud-%s", vminsns[i].name);
        check(vec == UD_VECTOR, name, "%s (%s instruction) gave %s, want #UD", vminsns[i].name,
              vminsns[i].svm ? "SVM" : "VMX", vec ? vector_name(vec) : "no fault");
    }
}

/* ---- x2APIC -------------------------------------------------------------- */

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_EXTD (1u << 10)
#define APIC_BASE_EN (1u << 11)
#define X2_ID 0x802
#define X2_VERSION 0x803
#define X2_TPR 0x808
#define X2_EOI 0x80b
#define X2_SVR 0x80f
#define X2_ISR0 0x810
#define X2_LVT_TIMER 0x832
#define X2_TIMER_INIT 0x838
#define X2_TIMER_CUR 0x839
#define X2_TIMER_DIV 0x83e
#define TIMER_VEC 0x40
#define SPURIOUS_VEC 0xff

static volatile uint32_t timer_ticks, isr_in_handler, isr_after_eoi;
volatile uint32_t timer_eip;    /* the EIP the interrupt interrupted (written by the stub) */

void x2apic_timer_c(void);
void x2apic_timer_c(void)
{
    uint64_t isr;
    timer_ticks++;
    isr = rdmsr(X2_ISR0 + TIMER_VEC / 32);
    isr_in_handler = (isr >> (TIMER_VEC % 32)) & 1;
    wrmsr(X2_EOI, 0);
    isr = rdmsr(X2_ISR0 + TIMER_VEC / 32);
    isr_after_eoi = (isr >> (TIMER_VEC % 32)) & 1;
}

void x2apic_timer_stub(void);
void x2apic_spurious_stub(void);
__asm__(".text\n"
        ".globl x2apic_timer_stub\n"
        "x2apic_timer_stub:\n"
        "  pusha\n"
        "  mov 32(%esp), %eax\n"       /* the interrupted EIP, above pusha's 8 registers */
        "  mov %eax, timer_eip\n"
        "  cld\n"
        "  call x2apic_timer_c\n"
        "  popa\n"
        "  iret\n"
        ".globl x2apic_spurious_stub\n"
        "x2apic_spurious_stub:\n"      /* no EOI for the spurious vector (SDM 11.9) */
        "  iret\n");

static const char *vec_str(int vec)
{
    return vec ? vector_name((uint32_t)vec) : "no fault";
}

/* STI's interrupt shadow covers one instruction (SDM 6.8.3): a timer
 * interrupt already pending at "STI; CPUID" is taken right after the CPUID,
 * which keel completes: keel must end the shadow with it (interruptibility
 * state, SDM 25.4.2), or the interrupt would wait one instruction more. */
static void x2apic_shadow(void)
{
    uint8_t m1 = inb(0x21), m2 = inb(0xa1);
    uint64_t cur = 1;
    uint32_t spins = 0, after_cpuid = 0, after_next = 0, a = 0, c = 0;
    int vec;
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    idt_set_gate(TIMER_VEC, x2apic_timer_stub);
    timer_ticks = 0;
    timer_eip = 0;
    vec = wrmsr_safe(X2_LVT_TIMER, TIMER_VEC);      /* one-shot, unmasked; IF is 0 */
    if (!vec)
        vec = wrmsr_safe(X2_TIMER_INIT, 2000);
    /* Bounded by iterations: the count reaches 0 within a few thousand bus
     * clocks, and the interrupt then waits in IRR for IF. */
    while (!vec && cur && spins < 50000000u) {
        rdmsr_safe(X2_TIMER_CUR, &cur);
        spins++;
    }
    if (!vec && !cur)
        __asm__ volatile("movl $1f, %0\n\t"
                         "movl $2f, %1\n\t"
                         "sti\n\t"
                         "cpuid\n"
                         "1: nop\n"
                         "2: cli"
                         : "=m"(after_cpuid), "=m"(after_next), "+a"(a), "+c"(c)
                         :
                         : "ebx", "edx", "memory");
    wrmsr_safe(X2_LVT_TIMER, 0x10000 | TIMER_VEC);   /* masked */
    idt_set_gate(TIMER_VEC, 0);
    outb(0x21, m1);
    outb(0xa1, m2);
    if (vec || cur)
        fail("x2apic-intr-shadow-cpuid", "timer: %s, current count %llu after %u reads", vec_str(vec),
             (unsigned long long)cur, spins);
    else
        check(timer_ticks == 1 && timer_eip == after_cpuid, "x2apic-intr-shadow-cpuid",
              "%u interrupt(s), taken at 0x%x (want 1, at 0x%x right after the CPUID; 0x%x = one "
              "instruction late)",
              timer_ticks, timer_eip, after_cpuid, after_next);
}

void run_x2apic(void)
{
    uint64_t base, v, ver = 0;
    int vec;
    if (!cpu_has(&F_X2APIC)) {
        printf("SKIP x2apic: CPUID.1:ECX.x2APIC = 0 (this CPU offers no x2APIC): nothing tested\n");
        return;
    }
    vec = rdmsr_safe(MSR_APIC_BASE, &base);
    if (vec || !(base & APIC_BASE_EN)) {
        fail("x2apic-enable", "IA32_APIC_BASE: %s, value 0x%llx (want the LAPIC enabled)", vec_str(vec),
             (unsigned long long)base);
        return;
    }
    /* In xAPIC mode the x2APIC MSRs do not exist (SDM 11.12.1.2). */
    vec = rdmsr_safe(X2_VERSION, &v);
    check(vec == GP_VECTOR, "x2apic-msr-gp-in-xapic-mode", "RDMSR 0x803 before EXTD: %s, want #GP", vec_str(vec));

    vec = wrmsr_safe(MSR_APIC_BASE, base | APIC_BASE_EXTD);
    if (!vec)
        vec = rdmsr_safe(MSR_APIC_BASE, &v);
    if (!check(!vec && (v & APIC_BASE_EXTD), "x2apic-enable", "setting IA32_APIC_BASE.EXTD: %s, reads 0x%llx",
               vec_str(vec), (unsigned long long)v))
        return;

    /* ID: the full 32-bit x2APIC ID, CPUID 0xB EDX (SDM 11.12.5.1). */
    {
        uint32_t want = cpuid_leaf_ok(0xb) ? cpuid(0xb, 0).d : cpuid(1, 0).b >> 24;
        vec = rdmsr_safe(X2_ID, &v);
        check(!vec && v == want, "x2apic-id", "RDMSR 0x802: %s, 0x%llx (CPUID says 0x%x)", vec_str(vec),
              (unsigned long long)v, want);
    }
    /* VERSION: integrated APIC (0x1x), at least the 4 LVT entries a timer needs. */
    vec = rdmsr_safe(X2_VERSION, &ver);
    check(!vec && (ver & 0xf0) == 0x10 && ((ver >> 16) & 0xff) >= 3, "x2apic-version",
          "RDMSR 0x803: %s, 0x%llx", vec_str(vec), (unsigned long long)ver);
    /* Read-only and write-only registers fault (SDM 11.12.1.2). */
    vec = wrmsr_safe(X2_VERSION, ver);
    check(vec == GP_VECTOR, "x2apic-version-read-only", "WRMSR 0x803: %s, want #GP", vec_str(vec));
    vec = rdmsr_safe(X2_EOI, &v);
    check(vec == GP_VECTOR, "x2apic-eoi-write-only", "RDMSR 0x80b: %s, want #GP", vec_str(vec));

    /* TPR: write, read back, restore. */
    {
        uint64_t tpr0 = 0;
        vec = rdmsr_safe(X2_TPR, &tpr0);
        if (!vec)
            vec = wrmsr_safe(X2_TPR, 0x20);
        if (!vec)
            vec = rdmsr_safe(X2_TPR, &v);
        check(!vec && (v & 0xff) == 0x20, "x2apic-tpr", "TPR 0x20 written: %s, reads 0x%llx", vec_str(vec),
              (unsigned long long)v);
        wrmsr_safe(X2_TPR, 0);      /* 0: the timer vector 0x40 must not be masked by priority */
    }

    /* A one-shot LAPIC timer interrupt, delivered and EOIed in x2APIC mode.
     * The 8259 PICs are masked meanwhile so no legacy IRQ lands on the
     * exception vectors the BIOS left them at. */
    {
        uint8_t m1 = inb(0x21), m2 = inb(0xa1);
        uint64_t svr = 0, cur = ~0ull;
        uint32_t spins = 0;
        outb(0x21, 0xff);
        outb(0xa1, 0xff);
        idt_set_gate(TIMER_VEC, x2apic_timer_stub);
        idt_set_gate(SPURIOUS_VEC, x2apic_spurious_stub);
        timer_ticks = 0;
        vec = rdmsr_safe(X2_SVR, &svr);
        if (!vec)
            vec = wrmsr_safe(X2_SVR, (svr & ~0xffull) | 0x100 | SPURIOUS_VEC);   /* software-enable */
        if (!vec)
            vec = wrmsr_safe(X2_TIMER_DIV, 0xb);         /* divide by 1 */
        if (!vec)
            vec = wrmsr_safe(X2_LVT_TIMER, TIMER_VEC);   /* one-shot, unmasked */
        if (!vec)
            vec = wrmsr_safe(X2_TIMER_INIT, 20000);
        if (!vec) {
            /* Bounded by iterations, not by time: the count is a few
             * thousand bus clocks. */
            __asm__ volatile("sti");
            while (!timer_ticks && spins < 50000000u) {
                __asm__ volatile("pause");
                spins++;
            }
            __asm__ volatile("cli");
            rdmsr_safe(X2_TIMER_CUR, &cur);
        }
        wrmsr_safe(X2_LVT_TIMER, 0x10000 | TIMER_VEC);   /* masked */
        idt_set_gate(TIMER_VEC, 0);
        outb(0x21, m1);
        outb(0xa1, m2);
        if (vec)
            fail("x2apic-timer", "programming the timer through its MSRs raised %s", vec_str(vec));
        else
            check(timer_ticks == 1 && isr_in_handler && cur == 0, "x2apic-timer",
                  "%u interrupt(s) at vector 0x%x after %u spins, ISR bit in the handler %u, current count "
                  "afterwards %llu (want 1, 1, 0)",
                  timer_ticks, TIMER_VEC, spins, isr_in_handler, (unsigned long long)cur);
        if (!vec && timer_ticks)
            check(!isr_after_eoi, "x2apic-eoi", "ISR bit for vector 0x%x still set after the EOI write",
                  TIMER_VEC);
    }
    x2apic_shadow();
}

/* ---- PAE paging through an emulated CR0 write ------------------------------ */

static uint64_t pae_pdpt[4] __attribute__((aligned(32)));
static uint64_t pae_pd[4][512] __attribute__((aligned(4096)));   /* 4 GiB identity, 2 MiB pages */
static volatile uint32_t pae_probe = 0x5a5aa5a5u;

void run_pae(void)
{
    uint32_t cr0, cr4, cr3, seen, back;
    for (unsigned i = 0; i < 4; i++) {
        for (unsigned j = 0; j < 512; j++)
            pae_pd[i][j] = ((uint64_t)(i * 512 + j) << 21) | 0x83;   /* P RW PS */
        pae_pdpt[i] = (uint32_t)pae_pd[i] | 1;
    }
    __asm__ volatile("mov %%cr0, %0; mov %%cr4, %1; mov %%cr3, %2" : "=r"(cr0), "=r"(cr4), "=r"(cr3));
    __asm__ volatile("mov %0, %%cr4" ::"r"(cr4 | (1u << 5)));      /* PAE */
    __asm__ volatile("mov %0, %%cr3" ::"r"((uint32_t)pae_pdpt));
    /* One MOV: PG on, NE off. Everything after it runs through the PDPTEs. */
    __asm__ volatile("mov %1, %%cr0\n\t"
                     "mov pae_probe, %0\n\t"
                     "mov %2, %%cr0"                                /* PG off, NE back */
                     : "=&r"(seen)
                     : "r"((cr0 | (1u << 31)) & ~(1u << 5)), "r"(cr0)
                     : "memory");
    __asm__ volatile("mov %0, %%cr4; mov %1, %%cr3" ::"r"(cr4), "r"(cr3));
    __asm__ volatile("mov %%cr0, %0" : "=r"(back));
    check(seen == 0x5a5aa5a5u && back == cr0, "pae-pdptes-on-cr0-write",
          "read 0x%08x through PAE paging (want 0x5a5aa5a5), CR0 back 0x%08x (want 0x%08x)", seen, back, cr0);
}

/* ---- string output to the console (word: outs) ---------------------------- */

/* REP OUTSB to COM1's THR while keel watches it (IER.RDI set: the RBR/THR
 * exits, docs/console.md): keel carries the string out byte by byte. The
 * lines must reach the wire whole, and RSI/ECX end where the CPU leaves
 * them (SDM Vol. 2B OUTS, REP): forward, backward (DF = 1), longer than
 * keel moves in one exit (the REP is resumed), with a 16-bit address size
 * (the upper halves of ESI/ECX stay), and without REP. */
static uint32_t outs(uint32_t *esi, uint32_t ecx, bool df, bool addr16, bool rep)
{
    uint32_t si = *esi, cx = ecx;
    if (df)
        __asm__ volatile("std" ::: "cc");
    if (addr16 && rep)
        __asm__ volatile("addr16 rep outsb" : "+S"(si), "+c"(cx) : "d"(0x3f8) : "memory");
    else if (rep)
        __asm__ volatile("rep outsb" : "+S"(si), "+c"(cx) : "d"(0x3f8) : "memory");
    else
        __asm__ volatile("outsb" : "+S"(si) : "d"(0x3f8) : "memory");
    if (df)
        __asm__ volatile("cld" ::: "cc");
    *esi = si;
    return cx;
}

static void drain_tx(void)
{
    while (!(inb(0x3fd) & 0x40))
        ;
}

void run_outs(void)
{
    static const char fwd[] = "OUTS rep-outsb forward\n";
    static const char bwd[] = "\nsdrawkcab bstuo-per STUO";   /* written last byte first */
    static char longl[130];
    uint8_t ier = inb(0x3f9);
    uint32_t si, cx, n;

    for (n = 0; n < sizeof(longl) - 2; n++)
        longl[n] = (char)('a' + n % 26);
    memcpy(longl, "OUTS long ", 10);
    longl[sizeof(longl) - 2] = '\n';
    outb(0x3f9, ier | 1);                           /* RDI on: keel watches RBR/THR */
    drain_tx();
    si = (uint32_t)fwd;
    cx = outs(&si, sizeof(fwd) - 1, false, false, true);
    drain_tx();
    check(cx == 0 && si == (uint32_t)fwd + sizeof(fwd) - 1, "outs-rep-forward-regs", "ecx %u esi %x (start %x)", cx,
          si, (uint32_t)fwd);
    si = (uint32_t)bwd + sizeof(bwd) - 2;
    cx = outs(&si, sizeof(bwd) - 1, true, false, true);
    drain_tx();
    check(cx == 0 && si == (uint32_t)bwd - 1, "outs-rep-backward-regs", "ecx %u esi %x (start %x)", cx, si,
          (uint32_t)bwd);
    si = (uint32_t)longl;
    cx = outs(&si, sizeof(longl) - 1, false, false, true);
    drain_tx();
    check(cx == 0 && si == (uint32_t)longl + sizeof(longl) - 1, "outs-rep-long-regs", "ecx %u esi %x", cx, si);
    {   /* 16-bit address size: SI and CX count, the upper halves stay. */
        static const char low[] = "OUTS addr16\n";
        char *buf = (char *)0x7000;                 /* guest RAM below 64 KiB */
        memcpy(buf, low, sizeof(low));
        si = 0xabcd7000u;
        cx = outs(&si, 0x12340000u | (sizeof(low) - 1), false, true, true);
        drain_tx();
        check(cx == 0x12340000u && si == 0xabcd7000u + sizeof(low) - 1, "outs-rep-addr16-regs", "ecx %x esi %x", cx,
              si);
    }
    {   /* No REP: one byte, ECX untouched. */
        static const char one[] = "OUTS single\n";
        uint32_t i;
        si = (uint32_t)one;
        for (i = 0; i < sizeof(one) - 1; i++)
            cx = outs(&si, 77, false, false, false);
        drain_tx();
        check(cx == 77 && si == (uint32_t)one + sizeof(one) - 1, "outs-single-regs", "ecx %u esi %x", cx, si);
    }
    outb(0x3f9, ier);
}
