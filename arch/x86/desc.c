#include "arch/x86/desc.h"
#include "arch/x86/cpu.h"
#include "arch/x86/paging.h"
#include "arch/x86/percpu.h"
#include "boot/layout.h"
#include "lib/string.h"

/* boot/entry.asm: the boot CPU's first stacks, in boot-only low memory. */
extern char boot_stack_bottom[], boot_stack_top[], boot_ist_bottom[], boot_ist_top[];
extern const uint64_t isr_stub_table[32];

/* The IDT is shared by every CPU; GDT and TSS are per CPU (struct percpu):
 * a TSS descriptor is marked busy by LTR, so CPUs cannot share one. */
static struct idt_gate idt[256] __attribute__((aligned(16)));
struct percpu percpu_boot;

/* IST1 is used for #DF, NMI and #MC so they run on a known-good stack even
 * if the fault came from a corrupted RSP (the guard page hit, for one). */
#define IST_CRITICAL 1

static void set_gate(int vec, uint64_t handler, uint8_t ist)
{
    idt[vec].offset_lo = (uint16_t)handler;
    idt[vec].selector = KEEL_CS;
    idt[vec].ist = ist;
    idt[vec].type_attr = 0x8E;      /* present, DPL0, 64-bit interrupt gate */
    idt[vec].offset_mid = (uint16_t)(handler >> 16);
    idt[vec].offset_hi = (uint32_t)(handler >> 32);
    idt[vec].reserved = 0;
}

void desc_init(void)
{
    percpu_boot.self = &percpu_boot;
    percpu_boot.stack_bottom = (uint64_t)boot_stack_bottom;
    percpu_boot.stack_top = (uint64_t)boot_stack_top;
    percpu_boot.ist_bottom = (uint64_t)boot_ist_bottom;
    percpu_boot.ist_top = (uint64_t)boot_ist_top;
    desc_init_cpu(&percpu_boot);
}

bool desc_map_stacks(struct percpu *pc)
{
    uint64_t stack = paging_map_stack(KEEL_STACK_SIZE), ist = paging_map_stack(KEEL_IST_SIZE);
    if (!stack || !ist)
        return false;
    pc->stack_bottom = stack;
    pc->stack_top = stack + KEEL_STACK_SIZE;
    pc->ist_bottom = ist;
    pc->ist_top = ist + KEEL_IST_SIZE;
    /* The CPU reads IST1 from the TSS at each delivery (SDM Vol 3 6.14.5),
     * so a loaded TSS takes the new stack from the next NMI/#DF/#MC on. */
    pc->tss.ist[IST_CRITICAL - 1] = pc->ist_top;
    return true;
}

void desc_init_cpu(struct percpu *pc)
{
    uint64_t *gdt = pc->gdt;
    uint64_t tss_base = (uint64_t)&pc->tss;
    struct tss64 *tssp = &pc->tss;
    struct desc_ptr gdtr, idtr;
    int i;

    gdt[0] = 0;
    gdt[1] = 0x00AF9A000000FFFFull;                 /* 64-bit code, DPL0 */
    gdt[2] = 0x00CF92000000FFFFull;                 /* data */
    /* 16-byte available 64-bit TSS descriptor (type 9). */
    gdt[3] = (sizeof(*tssp) - 1) | ((tss_base & 0xFFFFFF) << 16) | (0x89ull << 40) |
             ((tss_base >> 24) & 0xFF) << 56;
    gdt[4] = tss_base >> 32;

    memset(tssp, 0, sizeof(*tssp));
    tssp->ist[IST_CRITICAL - 1] = pc->ist_top;
    tssp->iomap_base = sizeof(*tssp);               /* no I/O bitmap */

    if (pc == &percpu_boot)
        for (i = 0; i < 32; i++)
            set_gate(i, isr_stub_table[i], (i == 2 || i == 8 || i == 18) ? IST_CRITICAL : 0);

    gdtr.limit = sizeof(pc->gdt) - 1;
    gdtr.base = (uint64_t)gdt;
    idtr.limit = sizeof(idt) - 1;
    idtr.base = (uint64_t)idt;
    __asm__ volatile("lgdt %0" ::"m"(gdtr));
    __asm__ volatile(
        "pushq %[cs]\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "movw %w[ds], %%ax\n\t"
        "movw %%ax, %%ds\n\t"
        "movw %%ax, %%es\n\t"
        "movw %%ax, %%ss\n\t"
        ::[cs] "i"(KEEL_CS), [ds] "i"(KEEL_DS) : "rax", "memory");
    __asm__ volatile("ltr %w0" ::"r"((uint16_t)KEEL_TSS));
    __asm__ volatile("lidt %0" ::"m"(idtr));
    wrmsr(MSR_GS_BASE, (uint64_t)pc);
}

uint64_t desc_gdt_base(void) { return (uint64_t)this_cpu()->gdt; }
uint64_t desc_idt_base(void) { return (uint64_t)idt; }
uint64_t desc_tss_base(void) { return (uint64_t)&this_cpu()->tss; }
