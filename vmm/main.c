/* keel's boot flow: console, boot info, options, placement, report, then
 * the VM. Everything before the VM is vendor-neutral. */
#include "arch/x86/cpu.h"
#include "arch/x86/desc.h"
#include "arch/x86/paging.h"
#include "arch/x86/percpu.h"
#include "arch/x86/stop.h"
#include "arch/x86/virt_detect.h"
#include "boot/layout.h"
#include "boot/mbinfo.h"
#include "boot/placement.h"
#include "lib/log.h"
#include "lib/palloc.h"
#include "arch/x86/uart.h"
#include "lib/string.h"
#include "vmm/acpi.h"
#include "vmm/madt.h"
#include "vmm/options.h"
#include "vmm/vm.h"

/* The boot information is parsed before keel's region exists, into
 * boot-only low memory (linker.ld's .boot.bss, guest RAM later), and copied
 * into the region once it is placed: the image holds neither. Reached only
 * through boot_info_early's address (C code must not address low memory
 * RIP-relative from the -2 GiB window). */
static struct boot_info boot_info_early __attribute__((section(".bss.boot")));
static struct boot_info *boot_info;     /* the region copy, for keel_run */
static struct placement placement;
static uint64_t boot_low_end;           /* end of keel as loaded: [KEEL_LOAD_PHYS, here) */

static const void *identity_reader(uint64_t addr, size_t len)
{
    /* The early tables identity-map 0..4 GiB. */
    if (addr + len < addr || addr + len > 0x100000000ull || addr == 0)
        return 0;
    return (const void *)(uintptr_t)addr;
}

static void console_from_options(void)
{
    const char *c = opt_str(&keel_opts, "console");
    uint64_t port = 0x3f8;
    if (!strcmp(c, "com1"))
        port = 0x3f8;
    else if (!strcmp(c, "com2"))
        port = 0x2f8;
    else if (!parse_u64(c, strlen(c), &port) || port == 0 || port > 0xfff8) {
        klog("warning: option 'console': bad value '%s' (com1, com2 or 0x<port>); using com1", c);
        port = 0x3f8;
    }
    if (port != serial_port() || opt_given(&keel_opts, "baud"))
        serial_init((uint16_t)port, (uint32_t)opt_u64(&keel_opts, "baud"));
    if (opt_flag(&keel_opts, "debugcon"))
        console_add_sink(debugcon_write);
}

static const char *mem_type_name(uint32_t t)
{
    static const char *const n[] = { "?", "available", "reserved", "ACPI", "NVS", "bad" };
    return t <= MEM_BAD ? n[t] : "?";
}

static void report_boot(const struct boot_info *bi)
{
    unsigned i;
    uint64_t avail = 0;
    klog("booted by %s (multiboot%s)", bi->loader_name[0] ? bi->loader_name : "an unnamed loader",
         bi->mb_version == 2 ? "2" : " v1");
    klog("command line: '%s'", bi->cmdline);
    if (bi->efi_systab)
        klog("EFI: %s system table at 0x%lx, memory map %u descriptors of %u bytes (version %u), boot services %s",
             bi->efi_systab64 ? "64-bit" : "32-bit", bi->efi_systab,
             bi->efi_desc_size ? bi->efi_mmap_len / bi->efi_desc_size : 0, bi->efi_desc_size,
             bi->efi_desc_version, bi->efi_bs_active ? "still running" : "exited");
    if (bi->mmap_from_efi)
        klog("memory map: from the EFI memory map (boot-services memory counted as RAM)");
    else
        klog("memory map:");
    for (i = 0; i < bi->nmmap; i++) {
        const struct mem_range *r = &bi->mmap[i];
        klog("  [%016lx-%016lx) %-9s %lu KiB", r->base, r->base + r->len, mem_type_name(r->type), r->len >> 10);
        if (r->type == MEM_AVAILABLE)
            avail += r->len;
    }
    klog("RAM available: %lu MiB", avail >> 20);
    for (i = 0; i < bi->nmods; i++)
        klog("module %u: [%08lx-%08lx) %lu KiB '%s'", i, bi->mods[i].start, bi->mods[i].end,
             (bi->mods[i].end - bi->mods[i].start) >> 10, bi->mods[i].cmdline);
}

static struct region_budget budget;

/* Bytes in whole pages: what one palloc'd object takes of the region. */
static uint64_t pages_of(uint64_t bytes)
{
    return (bytes + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
}

static void report_acpi(struct boot_info *bi)
{
    uint64_t pa = acpi_locate_rsdp(bi);
    const char *tag = bi->rsdp_tag == 15 ? "multiboot2 ACPI new tag, " : bi->rsdp_tag == 14 ? "multiboot2 ACPI old tag, " : "";
    if (pa) {
        const uint8_t *r = (const uint8_t *)(uintptr_t)pa;
        char oem[7];
        memcpy(oem, r + 9, 6);
        oem[6] = 0;
        klog("ACPI RSDP at 0x%lx (revision %u, OEM '%s'): %sfound through the %s", pa, r[15], oem, tag,
             bi->rsdp_source);
    } else {
        klog("ACPI RSDP not found (%s%s)", tag, bi->rsdp_source);
    }
}

/* The CPUs keel will start (vm_run's start_cpus, after the region is
 * placed): the enabled CPUs the MADT lists, at most KEEL_MAX_CPUS; 1
 * without a usable MADT. The region's per-CPU term is sized from this. */
static unsigned madt_cpus_to_start(struct boot_info *bi)
{
    static struct madt_info madt;      /* boot only; too big for the stack */
    uint64_t rsdp = acpi_locate_rsdp(bi);
    const uint8_t *table;
    uint32_t len;
    unsigned i, n = 0;
    if (!rsdp || !(table = acpi_find_table(rsdp, "APIC", &len)) || madt_parse(table, len, &madt))
        return 1;
    for (i = 0; i < madt.ncpus; i++)
        n += madt.cpus[i].enabled;
    return n ? n : 1;
}

static void report_region(void)
{
    klog("keel's region: [%08lx-%08lx) %lu MiB reserved (top of RAM below 4 GiB)", placement.region_base,
         placement.region_end, (placement.region_end - placement.region_base + (1u << 20) - 1) >> 20);
    klog("keel's region: sized %lu KiB = image %lu + boot info and VM %lu + per-CPU %lu x %u + page tables %lu + "
         "nested page tables %lu + margin %lu KiB; %lu KiB more up to the end of its RAM range (2 MiB-aligned base)",
         budget.total >> 10, budget.image >> 10, budget.shared >> 10, (uint64_t)KEEL_REGION_PER_CPU >> 10, budget.cpus,
         budget.keel_tables >> 10, budget.npt_tables >> 10, budget.margin >> 10,
         (placement.region_end - placement.region_base - budget.total) >> 10);
    klog("keel image: %lu KiB at %08lx; region free: %lu KiB", keel_image_size() >> 10, keel_image_phys(),
         palloc_free_bytes() >> 10);
    klog("guest RAM: [00100000-%08lx) free for the guest (plus RAM above 4 GiB)", placement.region_base);
}

__attribute__((noinline)) static void selftest_fault(void)
{
    uint64_t v;
    klog("selftest: reading keel's stack guard page on purpose");
    v = *(volatile uint64_t *)(this_cpu()->stack_bottom - PAGE_SIZE + 8);
    /* Not reached; the call keeps this frame around the read, so the
     * backtrace shows the caller. */
    klog("selftest: the guard page read 0x%lx", v);
    __asm__ volatile("" ::: "memory");  /* no tail call either */
}

/* arch/x86/relocate.S */
__attribute__((noreturn)) void run_on_stack(uint64_t stack_top, void (*fn)(void));

/* The rest of the boot, on the boot CPU's stack in keel's region (guard
 * page below it): the boot stacks' low memory is the guest's from here. */
__attribute__((noreturn)) static void keel_run(void)
{
    /* Nothing runs from the load range any more (the AP trampoline is in
     * the image, the stacks and the boot information were moved): clear
     * it so the guest, whose RAM it becomes, finds no copy of keel's image,
     * boot stacks or parsed boot information there. Identity-mapped RW. */
    memset((void *)(uintptr_t)KEEL_LOAD_PHYS, 0, boot_low_end - KEEL_LOAD_PHYS);
    report_region();

    if (!strcmp(opt_str(&keel_opts, "selftest"), "fault"))
        selftest_fault();

    if (boot_info->nmods == 0) {
        klog("no guest given: boot report done");
        keel_exit(KEEL_EXIT_OK);
    }
    vm_run(boot_info, &placement);
}

/* keel's entry to C (boot/entry.asm), on the boot stack in low memory. */
void keel_main(uint32_t magic, uint64_t info_phys);
void keel_main(uint32_t magic, uint64_t info_phys)
{
    const char *err;
    uint64_t identity_end = 0, region_size, bi_pa;
    unsigned i;
    struct boot_info *bi = &boot_info_early;
    __asm__("" : "+r"(bi));             /* a low address: no RIP-relative access */

    serial_init(0x3f8, 115200);
    console_add_sink(serial_write);
    desc_init();
    kprintf("\n");
    klog("keel %s: bare-metal x86-64 micro-hypervisor", KEEL_VERSION);

    err = mbinfo_parse(magic, info_phys, identity_reader, bi);
    if (err)
        keel_fatal("%s", err);
    opt_parse(&keel_opts, keel_options, keel_options_count, bi->cmdline);
    console_from_options();
    if (opt_flag(&keel_opts, "help"))
        opt_print_help(&keel_opts);

    report_boot(bi);
    report_acpi(bi);
    virt_report_cpu();

    err = mbinfo_validate(bi);
    if (err)
        keel_fatal("%s", err);

    for (i = 0; i < bi->nmmap; i++) {
        uint64_t e = bi->mmap[i].base + bi->mmap[i].len;
        /* RAM only: MMIO above 4 GiB is the guest's business, not keel's. */
        if (bi->mmap[i].type == MEM_AVAILABLE && e > identity_end)
            identity_end = e;
    }
    /* Every CPU keel starts (vm_run) takes its per-CPU term; the guest's
     * ACPI copy goes right above the region (below). */
    region_budget(&budget, keel_image_size(), pages_of(sizeof(struct boot_info)) + pages_of(sizeof(struct vm)),
                  madt_cpus_to_start(bi), identity_end);
    region_size = budget.total + KEEL_GUEST_ACPI_SIZE;
    /* Busy while booting: the boot-only memory and the image above it, as loaded. */
    boot_low_end = keel_image_phys() + keel_image_size();
    err = place_keel(bi, region_size, KEEL_LOAD_PHYS, boot_low_end, &placement);
    if (err)
        keel_fatal("%s", err);
    /* The guest's ACPI copy sits right above keel's region, so it is
     * below 4 GiB (the RSDT holds 32-bit pointers) and out of the way of
     * the loaders, which place the guest from low memory up. */
    placement.acpi_end = placement.region_end;
    placement.region_end -= KEEL_GUEST_ACPI_SIZE;
    placement.acpi_base = placement.region_end;
    palloc_init(placement.region_base, placement.region_end - placement.region_base, keel_image_size());
    paging_relocate(placement.region_base, identity_end);

    bi_pa = palloc_pages(pages_of(sizeof(*bi)) / PAGE_SIZE, PAGE_SIZE);
    if (!bi_pa || !desc_map_stacks(&percpu_boot))
        keel_fatal("out of memory in keel's region for the boot information and the boot CPU's stacks");
    boot_info = palloc_ptr(bi_pa);
    memcpy(boot_info, bi, sizeof(*bi));
    run_on_stack(percpu_boot.stack_top, keel_run);
}
