/* keel's virtual and physical layout constants, shared by assembly and C. */
#ifndef KEEL_BOOT_LAYOUT_H
#define KEEL_BOOT_LAYOUT_H

/* keel is linked at KEEL_VBASE + KEEL_LOAD_PHYS (the -2 GiB "kernel" code
 * model), loaded by the boot loader at KEEL_LOAD_PHYS, and later moved by
 * itself to its region at the top of RAM below 4 GiB (same virtual
 * addresses, new physical backing). All RAM is identity-mapped as data. */
#define KEEL_VBASE 0xFFFFFFFF80000000
#define KEEL_LOAD_PHYS 0x100000
#define KEEL_REGION_ALIGN 0x200000          /* 2 MiB: large-page friendly */
/* keel's region is sized at boot from what keel allocates (boot/placement.c
 * region_budget): the image, per-CPU state, page tables, plus a margin. */
/* Per CPU keel starts (the MADT's enabled CPUs, vmm/main.c): measured on
 * QEMU SVM -smp 4, each AP takes ~115 KiB of the region (percpu block,
 * 32 KiB stack + 8 KiB IST with guard pages and their page tables, struct
 * vcpu, host save areas, VMCB + keel's VMLOAD page, MSRPM/IOPM, MSR state
 * and host-MSR cache); VMX's VMCS and bitmaps are smaller. The boot CPU
 * takes the same less its percpu block (in the image). */
#define KEEL_REGION_PER_CPU (128u << 10)
#define KEEL_REGION_MARGIN (512u << 10)     /* on-demand device mappings, later growth */
/* Guest RAM right above keel's region, typed ACPI in the guest's memory
 * map: the guest's copy of the ACPI root tables (vmm/acpi_copy.h). */
#define KEEL_GUEST_ACPI_SIZE 0x10000
#define KEEL_STACK_SIZE 0x8000              /* per stack, plus a guard page */
#define KEEL_IST_SIZE 0x2000                /* #DF/NMI/#MC: a dump and a stop, no deep calls */

#endif
