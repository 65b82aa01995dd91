/* keel's own GDT, TSS and IDT. The guest never runs on them: VMRUN/VM entry
 * switch to the guest's descriptors and back to these on every exit. */
#ifndef KEEL_ARCH_DESC_H
#define KEEL_ARCH_DESC_H
#include <stdint.h>
#include <stdbool.h>

#define KEEL_CS 0x08
#define KEEL_DS 0x10
#define KEEL_TSS 0x18

struct __attribute__((packed)) tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
};
_Static_assert(sizeof(struct tss64) == 104, "64-bit TSS is 104 bytes (SDM Vol 3 8.7)");

struct __attribute__((packed)) idt_gate {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
};
_Static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gate is 16 bytes (SDM Vol 3 6.14.1)");

struct __attribute__((packed)) desc_ptr {
    uint16_t limit;
    uint64_t base;
};

struct percpu;
/* The boot CPU: its per-CPU block, GDT, TSS, the shared IDT, GS base; it
 * runs on its boot stacks (boot/entry.asm) until desc_map_stacks. */
void desc_init(void);
/* Any CPU: load pc's GDT and TSS, the shared IDT, and GS base = pc. */
void desc_init_cpu(struct percpu *pc);
/* Give pc a stack and an IST stack in keel's region, each with an unmapped
 * guard page below it (paging_map_stack), and point its TSS's IST1 at the
 * new one. Boot CPU only (it allocates), after paging_relocate. False when
 * the region is exhausted. */
bool desc_map_stacks(struct percpu *pc);
/* This CPU's GDTR/IDTR/TR values, for the VMCS host-state area. */
uint64_t desc_gdt_base(void);
uint64_t desc_idt_base(void);
uint64_t desc_tss_base(void);

#endif
