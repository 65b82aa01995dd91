/* Guest loading: the interface between keel's boot flow and the guest
 * loaders (vmm/loader.c dispatches to vmm/multiboot_guest.c, multiboot2_guest.c,
 * linux_guest.c; vmm/loader_mem.c is what they share). A loader recognises its format, places the
 * kernel and modules in guest-physical memory (identity-mapped by keel, so
 * guest-physical == host-physical), builds what the boot protocol wants
 * (multiboot info, Linux zero page) and returns the entry state. */
#ifndef KEEL_VMM_GUEST_H
#define KEEL_VMM_GUEST_H
#include <stdint.h>
#include <stdbool.h>
#include "boot/bootinfo.h"

/* The guest's view of memory. */
struct guest_layout {
    struct mem_range map[BOOT_MAX_MMAP + 4];  /* host map with keel's region as RESERVED */
    unsigned nmap;
    uint64_t keel_base, keel_end;             /* keel's region: never given to the guest */
    uint64_t ram_top_below_4g;                /* end of the highest available range < 4 GiB */
    /* Scratch guest RAM the loader may use to stage modules before placing
     * them (contents are lost once the guest runs). */
    uint64_t scratch_base, scratch_end;
    uint64_t rsdp_phys;                       /* ACPI RSDP, 0 if unknown */
    /* The bytes at rsdp_phys (20, or 36 for revision >= 2) for loaders that
     * hand the RSDP over by value (Multiboot2 ACPI tags); 0: none. */
    uint8_t rsdp[36];
    unsigned rsdp_len;
};

/* Both loaders enter the guest in 32-bit protected mode, flat 4 GiB code
 * and data segments, paging off, interrupts off (Multiboot spec section 3.2;
 * Linux boot protocol "32-bit boot protocol"). Only the GPRs differ. */
struct guest_entry {
    uint64_t rip;
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
    const char *kind;                         /* "multiboot" / "linux" for the report */
};

/* Access guest-physical memory from keel: a pointer for [gpa, gpa+len) or
 * NULL if that range is not guest RAM (outside RAM, or in keel's region).
 * keel: identity map; unit tests: a fake memory (tests/unit). */
void *guest_phys_ptr(const struct guest_layout *g, uint64_t gpa, uint64_t len);

/* Load the guest from the boot modules (mods[0] is the guest kernel, its
 * string its command line; the rest are passed on). Prints a clear
 * "keel: ..." message and returns false on bad input. */
bool guest_load(const struct boot_info *bi, const struct guest_layout *g, struct guest_entry *entry);

#endif
