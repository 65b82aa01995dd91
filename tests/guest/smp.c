/* SMP guest test: the guest starts its own APs (INIT-SIPI-SIPI through the
 * xAPIC, SDM Vol 3 10.4.4) and checks on every CPU what keel promises:
 * keel's CPUID signature, its own APIC ID in CPUID, an intercepted MSR
 * counted by that CPU's vCPU, a filtered MSR denied, keel's region hidden
 * from the MADT-listed memory; then IPIs between CPUs that cost no exit.
 * The APs never print (lines would interleave): they fill res[], the BSP
 * reports. Arguments: filter-msr=0xIDX (the case denies it with
 * msr.filter), touch-region (the last AP reads keel's region: status 125),
 * exit-from-ap (the BSP prints the summary, then spins in the guest while
 * the last AP ends the run through port 0xf4: keel must stop every other
 * CPU, the spinning BSP included, and print every vCPU's counts). */
#include "guest.h"

#define SMP_TRAMP 0x8000
#define LAPIC 0xfee00000u
#define MAX_CPUS 16
#define IPI_ROUNDS 100

extern const char smp_tramp_start[], smp_tramp_end[];
extern void ipi_stub(void);
extern void nmi_stub(void);
volatile uint32_t nmi_count;    /* smp_tramp.S nmi_stub */
extern const uint32_t exc_stub_table[32];

struct ap_res {
    volatile uint32_t state;        /* 1 running C, 2 checks done */
    uint32_t apic_lapic, apic_cpuid;
    uint32_t sig_ok;
    uint64_t msr_before, msr_after;
    int filter_vec;
    uint32_t region_base;
    volatile uint32_t ipis;
    uint32_t exits_before, exits_after;
};

static struct ap_res res[MAX_CPUS];
static uint32_t apic_of[MAX_CPUS];
static unsigned ncpus;
volatile uint32_t ap_stack_top;
static volatile unsigned ap_current;
static volatile uint32_t bsp_replies, ipi_done;
static volatile uint32_t exit_request;      /* exit-from-ap: 1 + the code the last AP exits with */
static uint32_t bsp_apic;
static uint8_t ap_stacks[MAX_CPUS][8192] __attribute__((aligned(16)));
static uint32_t filter_msr;

static inline uint32_t lapic_rd(uint32_t off) { return *(volatile uint32_t *)(LAPIC + off); }
static inline void lapic_wr(uint32_t off, uint32_t v) { *(volatile uint32_t *)(LAPIC + off) = v; }

struct gate { uint16_t lo, sel; uint8_t zero, type; uint16_t hi; } __attribute__((packed));
static struct gate idt[0x42] __attribute__((aligned(8)));

static void set_gate(unsigned v, uint32_t a)
{
    idt[v] = (struct gate){ (uint16_t)a, 0x08, 0, 0x8e, (uint16_t)(a >> 16) };
}

static void load_idt(void)
{
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) d = { sizeof idt - 1, (uint32_t)idt };
    __asm__ volatile("lidt %0" ::"m"(d));
}


static bool bsp_x2apic;     /* the BSP sends its IPIs through MSR 0x830 */

static void send_ipi(uint32_t apic, uint32_t lo)
{
    if (bsp_x2apic) {       /* only the BSP sends then: the IPI round trips are skipped */
        wrmsr(0x830, ((uint64_t)apic << 32) | lo);
        return;
    }
    lapic_wr(0x310, apic << 24);
    lapic_wr(0x300, lo);
    while (lapic_rd(0x300) & (1u << 12))
        __asm__ volatile("pause");
}


static unsigned my_index(void)
{
    uint32_t id = lapic_rd(0x20) >> 24;
    for (unsigned i = 0; i < ncpus; i++)
        if (apic_of[i] == id)
            return i;
    return 0;
}

void ipi_handler(void);
void ipi_handler(void)
{
    unsigned i = my_index();
    if (i == 0) {
        bsp_replies++;
    } else {
        res[i].ipis++;
        send_ipi(bsp_apic, 0x41);       /* answer: one round trip */
    }
    lapic_wr(0xb0, 0);                  /* EOI */
}

static uint32_t exits(void)
{
    uint32_t a = 0, b = 0;
    hypercall(HC_EXITS, 0, &a, &b);
    return a;
}

void ap_main(void);
void ap_main(void)
{
    unsigned i = ap_current;
    struct ap_res *r = &res[i];
    struct cpuid_r c;
    uint32_t a, b;
    uint64_t v;

    load_idt();
    r->state = 1;
    lapic_wr(0xf0, 0x1ff);              /* APIC software-enabled */
    lapic_wr(0x80, 0);                  /* TPR: accept everything */
    r->apic_lapic = lapic_rd(0x20) >> 24;
    r->apic_cpuid = cpuid(1, 0).b >> 24;
    c = cpuid(0x40000000, 0);
    r->sig_ok = c.b == 0x6c65654b && c.c == 0x6c65654b && c.d == 0x6c65654b;
    hypercall(HC_MSR_COUNT, intercept_msr(), &a, &b);
    r->msr_before = a;
    for (int k = 0; k < 5; k++)
        rdmsr_safe(intercept_msr(), &v);
    hypercall(HC_MSR_COUNT, intercept_msr(), &a, &b);
    r->msr_after = a;
    r->filter_vec = filter_msr ? rdmsr_safe(filter_msr, &v) : -1;
    hypercall(HC_REGION, 0, &a, &b);
    r->region_base = a;
    if (has_arg("touch-region") && i == ncpus - 1) {
        r->state = 2;
        (void)*(volatile uint32_t *)a;  /* keel stops the run here */
    }
    r->exits_before = exits();
    r->state = 2;
    __asm__ volatile("sti");
    while (!ipi_done)
        __asm__ volatile("hlt");
    r->exits_after = exits();
    r->state = 3;
    if (i == ncpus - 1 && has_arg("exit-from-ap")) {
        while (!exit_request)
            __asm__ volatile("pause");
        /* Give the BSP time to be in its spin (not needed for the outcome:
         * keel stops it wherever it is). */
        for (unsigned long w = 0; w < 2000000ul; w++)
            __asm__ volatile("pause");
        guest_exit(exit_request - 1);   /* keel ends the run from this AP */
    }
    for (;;)
        __asm__ volatile("hlt");
}

static uint8_t madt_sum = 0xff;  /* the MADT's checksum byte sum (0 = valid, ACPI 5.2.6) */

/* The MADT's CPUs (ACPI 5.2.12), found through the RSDP in the BIOS area. */
static unsigned madt_cpus(void)
{
    const uint8_t *rsdp = 0;
    for (uint32_t a = 0xe0000; a < 0x100000; a += 16)
        if (!memcmp((const void *)a, "RSD PTR ", 8)) {
            rsdp = (const uint8_t *)a;
            break;
        }
    if (!rsdp)
        return 0;
    const uint8_t *rsdt = (const uint8_t *)*(const uint32_t *)(rsdp + 16);
    uint32_t len = *(const uint32_t *)(rsdt + 4), n = 0;
    for (uint32_t o = 36; o + 4 <= len; o += 4) {
        const uint8_t *t = (const uint8_t *)*(const uint32_t *)(rsdt + o);
        if (memcmp(t, "APIC", 4))
            continue;
        uint32_t tl = *(const uint32_t *)(t + 4);
        madt_sum = 0;
        for (uint32_t k = 0; k < tl; k++)
            madt_sum += t[k];
        for (uint32_t e = 44; e + 2 <= tl && t[e + 1] >= 2; e += t[e + 1])
            if (t[e] == 0 && (t[e + 4] & 3) && n < MAX_CPUS && t[e + 3] != bsp_apic)
                apic_of[1 + n++] = t[e + 3];
    }
    return n + 1;
}

int guest_main(void)
{
    uint32_t a, b, region;
    char name[64];

    filter_msr = (uint32_t)arg_u64("filter-msr", 0);
    for (unsigned v = 0; v < 32; v++)
        set_gate(v, exc_stub_table[v]);
    set_gate(0x40, (uint32_t)ipi_stub);
    set_gate(0x41, (uint32_t)ipi_stub);
    load_idt();
    outb(0x21, 0xff);                   /* PIC masked: only IPIs interrupt */
    outb(0xa1, 0xff);
    lapic_wr(0xf0, 0x1ff);
    lapic_wr(0x80, 0);
    bsp_apic = lapic_rd(0x20) >> 24;
    apic_of[0] = bsp_apic;
    ncpus = madt_cpus();
    info("MADT lists %u CPUs, BSP APIC ID %u", ncpus, bsp_apic);
    if (has_arg("x2apic")) {
        /* The BSP alone in x2APIC mode (SDM 11.12.1): its INIT/STARTUP go
         * through the ICR MSR 0x830, which keel must see as well. */
        if (!(cpuid(1, 0).c & (1u << 21))) {
            printf("SKIP smp-x2apic: CPUID has no x2APIC\n");
            return 0;
        }
        wrmsr(0x1b, rdmsr(0x1b) | (1u << 10));
        bsp_x2apic = true;
        check((rdmsr(0x802) & 0xff) == bsp_apic, "smp-x2apic-bsp", "x2APIC ID %u, xAPIC ID was %u",
              (unsigned)rdmsr(0x802), bsp_apic);
        /* An NMI to itself through the ICR MSR: with several vCPUs keel
         * carries out that WRMSR, so the NMI reaches keel's CPU outside the
         * guest and keel must deliver it to the guest at the next entry. */
        {
            unsigned long w;
            set_gate(2, (uint32_t)nmi_stub);
            nmi_count = 0;
            wrmsr(0x830, ((uint64_t)bsp_apic << 32) | 0x400);     /* delivery mode NMI, physical */
            for (w = 0; w < 10000000ul && !nmi_count; w++)
                __asm__ volatile("pause");
            check(nmi_count == 1, "smp-x2apic-self-nmi", "%u NMI(s) after an NMI to itself through MSR 0x830 "
                  "(want 1)", nmi_count);
            set_gate(2, exc_stub_table[2]);
        }
    }
    if (arg_value("expect-cpus")) {
        /* keel hid the CPUs it did not start: the MADT must not list them. */
        check(ncpus == arg_u64("expect-cpus", 0), "smp-madt-cpus", "the MADT lists %u CPUs, expected %u", ncpus,
              (unsigned)arg_u64("expect-cpus", 0));
        check(madt_sum == 0, "smp-madt-checksum", "the MADT's bytes sum to 0x%02x, not 0", madt_sum);
        if (!arg_value("poke-apic"))
            return 0;
    }
    check(ncpus >= 2, "smp-madt-cpus", "the MADT lists %u CPUs (run with --smp 2 or more)", ncpus);
    hypercall(HC_REGION, 0, &region, &b);

    memcpy((void *)SMP_TRAMP, smp_tramp_start, (size_t)(smp_tramp_end - smp_tramp_start));
    for (unsigned i = 1; i < ncpus; i++) {
        ap_current = i;
        ap_stack_top = (uint32_t)&ap_stacks[i][sizeof ap_stacks[i]];
        send_ipi(apic_of[i], 0x4500);                   /* INIT, level assert */
        send_ipi(apic_of[i], 0x8500);                   /* INIT de-assert */
        for (int s = 0; s < 2 && res[i].state == 0; s++) {
            send_ipi(apic_of[i], 0x4600 | (SMP_TRAMP >> 12));   /* STARTUP */
            for (unsigned long w = 0; w < 50000000ul && res[i].state == 0; w++)
                __asm__ volatile("pause");
        }
        if (has_arg("touch-region") && i == ncpus - 1)
            for (;;)    /* keel ends the run from that AP; print nothing meanwhile */
                __asm__ volatile("pause");
        for (unsigned long w = 0; w < 500000000ul && res[i].state < 2; w++)
            __asm__ volatile("pause");
        struct ap_res *r = &res[i];
        snprintf_g(name, sizeof name, "smp-cpu%u-started", i);
        if (!check(r->state >= 2, name, "AP %u (APIC ID %u) state %u after INIT-SIPI-SIPI", i, apic_of[i], r->state))
            continue;
        snprintf_g(name, sizeof name, "smp-cpu%u-keel-signature", i);
        check(r->sig_ok, name, "CPUID 0x40000000 is not keel's on AP %u", i);
        snprintf_g(name, sizeof name, "smp-cpu%u-apic-id-cpuid", i);
        check(r->apic_cpuid == r->apic_lapic && r->apic_lapic == apic_of[i], name,
              "CPUID 1 EBX[31:24]=%u, APIC ID register %u, MADT %u", r->apic_cpuid, r->apic_lapic, apic_of[i]);
        snprintf_g(name, sizeof name, "smp-cpu%u-msr-counted-per-vcpu", i);
        check(r->msr_after - r->msr_before == 5, name, "MSR 0x%x reads counted by AP %u's vCPU: %u (want 5)",
              intercept_msr(), i, (unsigned)(r->msr_after - r->msr_before));
        if (filter_msr) {
            snprintf_g(name, sizeof name, "smp-cpu%u-msr-filter-denied", i);
            check(r->filter_vec == 13, name, "RDMSR 0x%x on AP %u raised vector %d, want #GP", filter_msr, i,
                  r->filter_vec);
        }
        snprintf_g(name, sizeof name, "smp-cpu%u-keel-region", i);
        check(r->region_base == region && region != 0, name, "keel's region seen as 0x%x from AP %u, 0x%x from the BSP",
              r->region_base, i, region);
    }
    /* BSP's own vCPU: the MSR reads of the APs were not counted here. */
    hypercall(HC_MSR_COUNT, intercept_msr(), &a, &b);
    check(a == 0, "smp-bsp-msr-count-separate", "BSP's vCPU counted %u reads of MSR 0x%x (the APs' reads)", a,
          intercept_msr());

    /* IPI round trips: BSP -> AP (0x40), AP -> BSP (0x41), no exit on either side. */
    if (ncpus >= 2 && res[1].state >= 2 && !bsp_x2apic) {
        uint32_t e0 = exits(), e1;
        __asm__ volatile("sti");
        for (unsigned k = 0; k < IPI_ROUNDS; k++) {
            uint32_t want = bsp_replies + 1;
            send_ipi(apic_of[1], 0x40);
            for (unsigned long w = 0; w < 100000000ul && bsp_replies < want; w++)
                __asm__ volatile("pause");
        }
        e1 = exits();
        __asm__ volatile("cli");
        ipi_done = 1;
        send_ipi(apic_of[1], 0x40);     /* wake it from HLT to read its counter */
        for (unsigned long w = 0; w < 100000000ul && res[1].state < 3; w++)
            __asm__ volatile("pause");
        check(bsp_replies >= IPI_ROUNDS && res[1].ipis >= IPI_ROUNDS, "smp-ipi-round-trips",
              "%u of %u IPI round trips answered (AP saw %u)", bsp_replies, IPI_ROUNDS, res[1].ipis);
        if (has_arg("apic-trapped")) {
            /* smp.apic-trap=always: every ICR write and EOI exits; IPIs must still work. */
            info("APIC trapped: %u exits on the BSP, %u on AP 1 for %u IPI round trips", e1 - e0 - 1,
                 res[1].exits_after - res[1].exits_before - 1, IPI_ROUNDS);
        } else {
            check(e1 - e0 - 1 == 0, "smp-ipi-no-exits-bsp", "the BSP's vCPU took %u exits for %u IPI round trips",
                  e1 - e0 - 1, IPI_ROUNDS);
            check(res[1].state == 3 && res[1].exits_after - res[1].exits_before - 1 == 0, "smp-ipi-no-exits-ap",
                  "AP 1's vCPU took %u exits for %u IPIs", res[1].exits_after - res[1].exits_before - 1, IPI_ROUNDS);
        }
        printf("BENCH ipi-round-trip exits=%u rounds=%u\n", (e1 - e0 - 1) + (res[1].exits_after - res[1].exits_before - 1),
               IPI_ROUNDS);
    }
    /* Offline and restart AP 1 (what an OS does for CPU hot-unplug and
     * re-plug): INIT to a running CPU, then INIT-SIPI-SIPI again. */
    if (arg_value("poke-apic")) {
        /* A CPU keel hid, started by the guest directly (every vCPU is up, so
         * the APIC page is the guest's): it must not run guest code. */
        uint32_t id = (uint32_t)arg_u64("poke-apic", 0);
        unsigned spare = MAX_CPUS - 1;
        ap_current = spare;
        ap_stack_top = (uint32_t)&ap_stacks[spare][sizeof ap_stacks[spare]];
        send_ipi(id, 0x4500);
        send_ipi(id, 0x8500);
        for (unsigned long w = 0; w < 20000000ul; w++)
            __asm__ volatile("pause");
        send_ipi(id, 0x4600 | (SMP_TRAMP >> 12));
        send_ipi(id, 0x4600 | (SMP_TRAMP >> 12));
        for (unsigned long w = 0; w < 20000000ul && res[spare].state == 0; w++)
            __asm__ volatile("pause");
        check(res[spare].state == 0, "smp-hidden-cpu-stays-out", "the hidden CPU (APIC ID %u) ran guest code (state %u)",
              id, res[spare].state);
    }
    if (!has_arg("no-restart") && ncpus >= 2 && res[1].state >= 2) {
        ipi_done = 1;           /* the restarted AP goes straight to its final state */
        uint32_t s0;
        res[1].state = 0;
        ap_current = 1;
        send_ipi(apic_of[1], 0x4500);
        send_ipi(apic_of[1], 0x8500);
        for (unsigned long w = 0; w < 20000000ul; w++)
            __asm__ volatile("pause");
        if (has_arg("exit-after-init"))
            hypercall(HC_PING, 0, &s0, &b);
        for (int s = 0; s < 2 && res[1].state == 0; s++) {
            send_ipi(apic_of[1], 0x4600 | (SMP_TRAMP >> 12));
            for (unsigned long w = 0; w < 50000000ul && res[1].state == 0; w++)
                __asm__ volatile("pause");
        }
        for (unsigned long w = 0; w < 500000000ul && res[1].state < 3; w++)
            __asm__ volatile("pause");
        check(res[1].state == 3 && res[1].sig_ok && res[1].apic_cpuid == apic_of[1], "smp-cpu1-offline-restart",
              "AP 1 after INIT and INIT-SIPI-SIPI again: state %u, signature %s, CPUID APIC ID %u", res[1].state,
              res[1].sig_ok ? "keel's" : "not keel's", res[1].apic_cpuid);
    }
    if (has_arg("exit-from-ap") && ncpus >= 2) {
        /* The last AP ends the run; the BSP stays in the guest, spinning
         * with interrupts off, so only keel's own kick can stop it. */
        unsigned code = summary();
        __asm__ volatile("cli");
        ipi_done = 1;
        exit_request = code + 1;
        send_ipi(apic_of[ncpus - 1], 0x40);     /* wake it from HLT */
        for (;;)
            __asm__ volatile("pause");
    }
    return 0;
}
