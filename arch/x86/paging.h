/* keel's own page tables (not the guest's nested tables: vmm/npt.c). */
#ifndef KEEL_ARCH_PAGING_H
#define KEEL_ARCH_PAGING_H
#include <stdint.h>
#include <stdbool.h>

#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_U (1ull << 2)
#define PTE_PS (1ull << 7)
#define PTE_G (1ull << 8)
#define PTE_NX (1ull << 63)
#define PTE_ADDR_MASK 0x000FFFFFFFFFF000ull

/* Build keel's final page tables in its region and move keel there:
 * - identity map of [0, identity_end) as data (RW, NX), 2 MiB pages;
 * - the image (same virtual addresses as linked) backed by region_base,
 *   text RX, rodata R, data/bss RW NX.
 * Copies the image and switches CR3 in one step; returns on the new copy.
 * The caller's stack is outside the image (the boot stacks, identity-mapped
 * in both tables): keel's stacks are in its stack window (paging_map_stack). */
void paging_relocate(uint64_t region_base, uint64_t identity_end);

/* Physical address of a keel virtual address (image or identity). */
uint64_t virt_to_phys(const void *p);
uint64_t keel_image_phys(void);
uint64_t keel_image_size(void);
bool cpu_has_nx(void);
/* Map a fresh zeroed stack of `bytes` (guard page below it) in keel's
 * address space; returns its lowest address, 0 if out of memory. Boot CPU
 * only (it allocates). */
uint64_t paging_map_stack(uint64_t bytes);
/* keel's page-table root (CR3), the same on every CPU. */
uint64_t paging_keel_cr3(void);

#endif
