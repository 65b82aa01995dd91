/* AP start-up: trampoline, per-CPU blocks, INIT-SIPI-SIPI (SDM Vol 3
 * 10.4.4.1 "typical BSP initialization sequence"). */
#include "arch/x86/smp.h"
#include "arch/x86/ap_tramp.h"
#include "arch/x86/cpu.h"
#include "arch/x86/paging.h"
#include "boot/layout.h"
#include "lib/log.h"
#include "lib/palloc.h"
#include "lib/string.h"

extern const char ap_tramp_start[], ap_tramp_end[];
void ap_entry64(struct percpu *pc, uint64_t keel_cr3, uint64_t stack_top);
void ap_main(struct percpu *pc);

#define LAPIC_ID 0x20
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define ICR_INIT 0x500
#define ICR_STARTUP 0x600
#define ICR_NMI 0x400
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_TRIGGER_LEVEL (1u << 15)
#define ICR_PENDING (1u << 12)

static uint64_t tramp_tables;
static uint64_t tramp_saved;    /* a region page: what the trampoline page held */

static bool x2apic_mode(void)
{
    return (rdmsr(MSR_APIC_BASE) & APIC_BASE_EXTD) != 0;
}

static volatile uint32_t *lapic_reg(uint32_t off)
{
    uint64_t base = rdmsr(MSR_APIC_BASE) & 0xFFFFFF000ull;
    return (volatile uint32_t *)(uintptr_t)(base + off);
}

uint32_t lapic_read(uint32_t off)
{
    return *lapic_reg(off);
}

void lapic_write(uint32_t off, uint32_t val)
{
    *lapic_reg(off) = val;
}

uint32_t lapic_id(void)
{
    if (x2apic_mode())
        return (uint32_t)rdmsr(0x802);
    return lapic_read(LAPIC_ID) >> 24;
}

static void send_ipi(uint32_t apic_id, uint32_t lo)
{
    unsigned n;
    if (x2apic_mode()) {
        wrmsr(0x830, ((uint64_t)apic_id << 32) | lo);
        return;
    }
    {
        /* The guest shares this APIC: it may have written ICR_HI for an IPI
         * it has not sent yet (the exit came between its two writes). Its
         * destination is put back once keel's IPI has gone. */
        uint32_t guest_hi = lapic_read(LAPIC_ICR_HI);
        lapic_write(LAPIC_ICR_HI, apic_id << 24);
        lapic_write(LAPIC_ICR_LO, lo);
        for (n = 0; n < 1000000 && (lapic_read(LAPIC_ICR_LO) & ICR_PENDING); n++)
            __asm__ volatile("pause");
        lapic_write(LAPIC_ICR_HI, guest_hi);
    }
}

void lapic_send_nmi(uint32_t apic_id)
{
    send_ipi(apic_id, ICR_NMI);
}

void lapic_send_init(uint32_t apic_id)
{
    send_ipi(apic_id, ICR_INIT | ICR_LEVEL_ASSERT | ICR_TRIGGER_LEVEL);
}

bool smp_tramp_install(void)
{
    uint64_t pml4, pdpt, pd;
    uint64_t len = (uint64_t)(ap_tramp_end - ap_tramp_start);
    uint8_t *page = (uint8_t *)(uintptr_t)AP_TRAMP_BASE;
    __asm__("" : "+r"(page));       /* a physical address, not an object */

    if (len > PAGE_SIZE)
        return false;
    if (!tramp_tables) {
        pml4 = palloc_page();
        pdpt = palloc_page();
        pd = palloc_page();
        tramp_saved = palloc_page();
        if (!pml4 || !pdpt || !pd || !tramp_saved) {
            klog("smp: out of memory for the AP trampoline page tables");
            return false;
        }
        memset(palloc_ptr(pml4), 0, PAGE_SIZE);
        memset(palloc_ptr(pdpt), 0, PAGE_SIZE);
        memset(palloc_ptr(pd), 0, PAGE_SIZE);
        /* [0, 2 MiB) 1:1 and executable for the trampoline; keel's -2 GiB
         * window exactly as in keel's own tables. */
        ((uint64_t *)palloc_ptr(pml4))[0] = pdpt | 3;
        ((uint64_t *)palloc_ptr(pdpt))[0] = pd | 3;
        ((uint64_t *)palloc_ptr(pd))[0] = 0x83;
        ((uint64_t *)palloc_ptr(pml4))[511] = ((uint64_t *)palloc_ptr(paging_keel_cr3()))[511];
        tramp_tables = pml4;
    }
    memcpy(palloc_ptr(tramp_saved), page, PAGE_SIZE);
    memcpy(page, ap_tramp_start, len);
    return true;
}

void smp_tramp_remove(void)
{
    uint8_t *page = (uint8_t *)(uintptr_t)AP_TRAMP_BASE;
    __asm__("" : "+r"(page));
    memcpy(page, palloc_ptr(tramp_saved), PAGE_SIZE);
}

struct percpu *smp_percpu_alloc(unsigned index, uint32_t apic_id)
{
    uint64_t pa = palloc_pages((sizeof(struct percpu) + PAGE_SIZE - 1) / PAGE_SIZE, PAGE_SIZE);
    struct percpu *pc;
    if (!pa)
        return 0;
    pc = palloc_ptr(pa);
    memset(pc, 0, sizeof(*pc));
    pc->self = pc;
    pc->index = index;
    pc->apic_id = apic_id;
    if (!desc_map_stacks(pc))
        return 0;
    return pc;
}

static bool wait_online(struct percpu *pc, unsigned long spins)
{
    unsigned long n;
    for (n = 0; n < spins; n++) {
        if (pc->online)
            return true;
        __asm__ volatile("pause" ::: "memory");
    }
    return pc->online != 0;
}

bool smp_start_ap(struct percpu *pc, void (*main)(struct percpu *))
{
    uint8_t *data = (uint8_t *)(uintptr_t)(AP_TRAMP_BASE + (uint64_t)(ap_tramp_end - ap_tramp_start) - AP_TD_SIZE);
    uint32_t tcr3 = (uint32_t)tramp_tables, efer = (uint32_t)(rdmsr(MSR_EFER) & ((1u << 8) | (1u << 11)));
    uint64_t percpu_p = (uint64_t)pc, kcr3 = paging_keel_cr3(), entry = (uint64_t)ap_entry64;
    unsigned i;
    __asm__("" : "+r"(data));

    pc->main = main;
    memcpy(data + AP_TD_TCR3, &tcr3, 4);
    memcpy(data + AP_TD_EFER, &efer, 4);
    memcpy(data + AP_TD_PERCPU, &percpu_p, 8);
    memcpy(data + AP_TD_KCR3, &kcr3, 8);
    memcpy(data + AP_TD_STACK, &pc->stack_top, 8);
    memcpy(data + AP_TD_ENTRY, &entry, 8);
    __asm__ volatile("mfence" ::: "memory");

    /* INIT, then up to two STARTUPs (SDM 10.4.4.1). The waits are bounded
     * spins, not timed delays: emulators deliver at once, hardware well
     * within them; nothing depends on their length but the give-up. */
    send_ipi(pc->apic_id, ICR_INIT | ICR_LEVEL_ASSERT | ICR_TRIGGER_LEVEL);
    send_ipi(pc->apic_id, ICR_INIT | ICR_TRIGGER_LEVEL);     /* de-assert (older APICs need it) */
    for (i = 0; i < 100000; i++)
        __asm__ volatile("pause");
    for (i = 0; i < 2; i++) {
        send_ipi(pc->apic_id, ICR_STARTUP | (AP_TRAMP_BASE >> 12));
        if (wait_online(pc, i == 0 ? 2000000ul : 200000000ul))
            return true;
    }
    return false;
}

/* First C code on an AP, on its own stack with keel's page tables. */
void ap_main(struct percpu *pc)
{
    desc_init_cpu(pc);
    pc->online = 1;
    pc->main(pc);
    cpu_halt_forever();
}

void cpu_park_forever(void)
{
    /* SVM: with GIF = 0 an INIT is held, not taken (APM 15.17); VMX root
     * operation blocks INIT by itself (SDM 24.8). A CPU with neither can
     * only halt, and a guest INIT-SIPI could still restart it. */
    __asm__ volatile("cli");
    if (rdmsr(MSR_EFER) & EFER_SVME)
        __asm__ volatile("clgi" ::: "memory");
    for (;;)
        __asm__ volatile("hlt");
}
