/* Multiboot2 header (Multiboot2 Specification 2.0 section 3.1): i386,
 * loaded by its ELF program headers; asks (optionally) for the ACPI and
 * EFI tags; page-aligned modules. Linked right after the Multiboot v1
 * header, so it lies in the first 32 KiB, 8-byte aligned. A loader that
 * knows both takes this one (keel does); lib/start.c accepts either. */
#define MB2_MAGIC 0xE85250D6
#define MB2_ARCH 0

        .section .multiboot2, "a"
        .align 8
mb2_header:
        .long MB2_MAGIC
        .long MB2_ARCH
        .long mb2_header_end - mb2_header
        .long -(MB2_MAGIC + MB2_ARCH + (mb2_header_end - mb2_header))
        .align 8
        .short 1, 1                     /* information request, optional */
        .long 8 + 5 * 4
        .long 12, 14, 15, 17, 6         /* EFI64 systab, ACPI old/new, EFI mmap, mmap */
        .align 8
        .short 6, 0                     /* module alignment */
        .long 8
        .align 8
        .short 0, 0                     /* end */
        .long 8
mb2_header_end:
