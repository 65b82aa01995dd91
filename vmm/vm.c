/* Setting up the one guest: backend, CPU policy, MSR engine, memory view,
 * loader, nested paging, vcpu; then run it and stop with its status. */
#include "vmm/vm.h"
#include "vmm/acpi.h"
#include "vmm/guest_acpi.h"
#include "vmm/iommu.h"
#include "vmm/madt.h"
#include "vmm/smp.h"
#include "vmm/cpuid.h"
#include "vmm/profile.h"
#include "vmm/msr.h"
#include "vmm/npt.h"
#include "vmm/options.h"
#include "vmm/run.h"
#include "vmm/stats.h"
#include "vmm/vendor.h"
#include "vmm/arch_hooks.h"
#include "vmm/console_port.h"
#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "arch/x86/smp.h"
#include "arch/x86/stop.h"
#include "arch/x86/virt_detect.h"
#include "lib/log.h"
#include "lib/palloc.h"
#include "lib/string.h"

/* The one VM and every vCPU live in keel's region (vm_run, create_ap_vcpus;
 * the per-CPU term of region_budget), not in the image; everything reaches
 * them through v->vm and the vCPU pointers. The boot CPU's vCPU is also
 * named here, for scripts/keel.gdb only. */
static struct vcpu *vcpu0 __attribute__((used));

/* The backend's share of keel's options, given to it once (the vendors
 * read no option themselves). */
static struct vendor_options vendor_options_from(const struct opt_values *o)
{
    struct vendor_options vo;
    const char *st = opt_str(o, "selftest");
    vo.selftest = !strcmp(st, "bad-guest-state")           ? VENDOR_SELFTEST_BAD_GUEST_STATE
                  : !strcmp(st, "unexplained-guest-state") ? VENDOR_SELFTEST_UNEXPLAINED
                                                           : VENDOR_SELFTEST_NONE;
    return vo;
}

static const struct vendor_ops *pick_backend(void)
{
    const char *want = opt_str(&keel_opts, "vendor"), *why = "";
    bool svm = svm_usable(&why), vmx;
    const char *why_vmx = "";
    vmx = vmx_usable(&why_vmx);
    if (!strcmp(want, "svm") || (!strcmp(want, "auto") && svm)) {
        if (!svm)
            keel_fatal("vendor=svm: SVM not usable: %s", why);
        return &svm_ops;
    }
    if (!vmx)
        keel_fatal("no usable hardware virtualization (SVM: %s; VMX: %s)", why, why_vmx);
    return &vmx_ops;
}

static void build_layout(struct vm *vm, const struct boot_info *bi, const struct placement *pl, uint64_t host_rsdp)
{
    unsigned i;
    struct guest_layout *g = &vm->layout;
    memset(g, 0, sizeof(*g));
    g->keel_base = pl->region_base;
    g->keel_end = pl->region_end;
    g->ram_top_below_4g = pl->region_base;
    g->scratch_base = pl->scratch_base;
    g->scratch_end = pl->scratch_end;
    g->rsdp_phys = host_rsdp;
    /* The guest's map: the host's, with keel's region carved out as
     * reserved and the ACPI copy's RAM above it typed ACPI. */
    for (i = 0; i < bi->nmmap && g->nmap + 4 <= sizeof(g->map) / sizeof(g->map[0]); i++) {
        struct mem_range r = bi->mmap[i];
        uint64_t end = r.base + r.len, top = pl->acpi_end > pl->region_end ? pl->acpi_end : pl->region_end;
        if (r.type == MEM_AVAILABLE && r.base < pl->region_end && pl->region_base < end) {
            if (r.base < pl->region_base)
                g->map[g->nmap++] = (struct mem_range){ r.base, pl->region_base - r.base, MEM_AVAILABLE };
            g->map[g->nmap++] = (struct mem_range){ pl->region_base, pl->region_end - pl->region_base,
                                                    MEM_RESERVED };
            if (top > pl->region_end)
                g->map[g->nmap++] = (struct mem_range){ pl->region_end, top - pl->region_end,
                                                        host_rsdp ? MEM_ACPI : MEM_AVAILABLE };
            if (end > top)
                g->map[g->nmap++] = (struct mem_range){ top, end - top, MEM_AVAILABLE };
        } else {
            g->map[g->nmap++] = r;
        }
    }
}

static void setup_msr_config(struct vm *vm)
{
    char err[160];
    uint64_t v;
    if (!msr_filter_parse(opt_str(&keel_opts, "msr.filter"), opt_str(&keel_opts, "msr.filter.default"),
                          &vm->msr_cfg.filter, err, sizeof(err))) {
        klog("warning: msr.filter ignored: %s", err);
        msr_filter_parse("", "allow", &vm->msr_cfg.filter, err, sizeof(err));
    }
    if (!msr_unknown_parse(opt_str(&keel_opts, "msr.unknown"), &vm->msr_cfg.unknown))
        vm->msr_cfg.unknown = MSR_UNKNOWN_GP;
    vm->msr_cfg.host_has_spec_ctrl = rdmsr_safe(0x48, &v);
    vm->msr_cfg.host_spec_ctrl = vm->msr_cfg.host_has_spec_ctrl ? v : 0;
    vm->msr_cfg.host_spec_ctrl_supported = vm->msr_cfg.host_has_spec_ctrl
                                     ? msr_spec_ctrl_bits(vm->policy.vendor, vm->policy.host_feat) : 0;
    vm->msr_cfg.virt_mitigation = opt_flag(&keel_opts, "msr.virt-mitigation");
    vm->msr_cfg.host_has_tsc_aux = rdmsr_safe(0xc0000103, &v);
    vm->msr_cfg.host_tsc_aux = vm->msr_cfg.host_has_tsc_aux ? v : 0;
    vm->msr_cfg.apic_base = rdmsr_safe(MSR_APIC_BASE, &v) ? v : 0xfee00900;
}

/* The only I/O keel traps: ports that end the run, so it can report. */
static void trap_io_ports(struct vcpu *v, bool report)
{
    static const uint16_t ports[] = { 0xf4, 0xf5, 0xf6, 0xf7, 0x8900 };
    struct vm *vm = v->vm;
    unsigned i;
    for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
        vcpu_io_intercept(v, ports[i], true);
    if (vm->pm1a_cnt_port) {
        vcpu_io_intercept(v, vm->pm1a_cnt_port, true);
        vcpu_io_intercept(v, vm->pm1a_cnt_port + 1, true);
    }
    if (report)
        klog("I/O passed through except ports 0xf4-0xf7, 0x8900%s (ACPI RSDP %s)",
             vm->pm1a_cnt_port ? " and the ACPI PM1a control port" : "", vm->layout.rsdp_phys ? "found" : "not found");
}

/* Zeroed pages from keel's region for one object, or a clean stop. */
static void *region_alloc(size_t size, const char *what)
{
    size_t n = (size + PAGE_SIZE - 1) / PAGE_SIZE;
    uint64_t pa = palloc_pages(n, PAGE_SIZE);
    void *p;
    if (!pa)
        keel_fatal("out of memory in keel's region for %s", what);
    p = palloc_ptr(pa);
    memset(p, 0, n * PAGE_SIZE);
    return p;
}

/* A vCPU's MSR state with its CPU's lazy host-MSR cache, in keel's region
 * (per-CPU term of region_budget). Run on that vCPU's CPU, one CPU at a
 * time (create_ap_vcpus): keel's allocator is not shared. */
static void vcpu_msr_setup(struct vcpu *v)
{
    struct msr_vcpu_state *st = region_alloc(sizeof(*st), "a vCPU's MSR state");
    msr_vcpu_init(v, st, &v->vm->msr_cfg);     /* msr_cfg.cpu is NULL: st->own_cpu */
    msr_cpu_cache_prime(v->msr->cpu, &v->vm->msr_cfg);
}

/* The IOMMUs' registers are keel's: a guest access faults like an access
 * to keel's region (exit_npf.c names it). */
static void hide_iommu_registers(struct vm *vm)
{
    uint64_t b, e, a;
    unsigned i;
    for (i = 0; iommu_mmio(i, &b, &e); i++)
        for (a = b; a < e; a += 0x1000)
            if (!npt_set_page(&vm->npt, a, NPT_UNMAPPED))
                keel_fatal("out of memory in keel's region hiding the IOMMU registers from the guest");
}

/* FNV-1a over keel's code and read-only data: what a stray DMA into
 * keel's region would change without keel noticing otherwise. */
static uint64_t keel_image_hash(void)
{
    extern char __text_start[], __rodata_end[];
    const volatile uint8_t *p = (const uint8_t *)__text_start;
    uint64_t h = 0xcbf29ce484222325ull;
    for (; p < (const uint8_t *)__rodata_end; p++)
        h = (h ^ *p) * 0x100000001b3ull;
    return h;
}

void vm_end_checks(struct vm *vm)
{
    iommu_report();
    if (!vm)
        return;
    klog("keel's image (text and read-only data) %s", keel_image_hash() == vm->image_hash
                                                          ? "is unchanged"
                                                          : "CHANGED during the run");
}

/* AP hand-shake through percpu.online (written by the AP, read by the BSP). */
enum { AP_KEEL = 1, AP_VIRT_ON = 2, AP_READY = 3, AP_FAILED = 4 };
/* percpu.vcpu value telling a started AP it gets no vCPU. */
#define AP_PARK ((struct vcpu *)1)

/* On each AP: virtualization on, then (when the BSP has built the VM) its
 * vCPU, then wait for the guest's SIPI. */
static void ap_vm_main(struct percpu *pc)
{
    static const struct guest_entry parked = { .kind = "ap" };
    struct vcpu *v;
    if (!arch_cpu_init()) {
        pc->online = AP_FAILED;
        cpu_park_forever();
    }
    pc->online = AP_VIRT_ON;
    while (!(v = *(struct vcpu *volatile *)&pc->vcpu))
        __asm__ volatile("pause" ::: "memory");
    if (v == AP_PARK || !arch_vcpu_create(v, &parked, v->vm->npt.root)) {
        pc->online = AP_FAILED;
        cpu_park_forever();
    }
    trap_io_ports(v, false);
    vcpu_msr_setup(v);
    cpuid_fast_init(v);     /* every vCPU its own table (answers stay CPU-independent, see there) */
    v->waiting = true;
    __asm__ volatile("mfence" ::: "memory");
    pc->online = AP_READY;
    smp_ap_loop(v);
}

static bool keep_started(uint32_t apic_id, void *ctx)
{
    const struct vm *vm = ctx;
    unsigned i;
    for (i = 0; i < vm->ncpus; i++)
        if (vm->vcpus[i]->id == apic_id)
            return true;
    return false;
}

/* Start every CPU the MADT lists (SDM 10.4.4): each must reach keel with
 * virtualization on, or it is hidden from the guest. */
static void start_cpus(struct vm *vm, uint32_t bsp_id)
{
    const uint8_t *table;
    uint32_t len;
    unsigned i;
    const char *err;
    uint64_t t0 = rdtsc();

    vm->ncpus = 1;
    vm->vcpus[0]->id = bsp_id;
    if (!vm->layout.rsdp_phys || !(table = acpi_find_table(vm->layout.rsdp_phys, "APIC", &len))) {
        klog("smp: no ACPI MADT: the guest gets the boot CPU only");
        return;
    }
    err = madt_parse(table, len, &vm->madt);
    if (err)
        keel_fatal("%s", err);
    if (vm->madt.over_limit)
        klog("smp: the MADT lists %u CPUs; keel's limit is %u (KEEL_MAX_CPUS): the other %u are hidden from the guest",
             vm->madt.ncpus + vm->madt.over_limit, KEEL_MAX_CPUS, vm->madt.over_limit);
    if (vm->madt.ncpus > 1 && !smp_tramp_install()) {
        klog("smp: no usable trampoline page at 0x7000: the guest gets the boot CPU only");
        vm->madt.ncpus = 1;
    }
    for (i = 0; i < vm->madt.ncpus; i++) {
        const struct madt_cpu *c = &vm->madt.cpus[i];
        struct percpu *pc;
        struct vcpu *v;
        if (c->apic_id == bsp_id)
            continue;
        if (!c->enabled) {
            klog("smp: CPU with APIC ID %u is online-capable, not enabled: keel does not hot-add CPUs; hidden", c->apic_id);
            continue;
        }
        pc = smp_percpu_alloc(vm->ncpus, c->apic_id);
        if (!pc) {
            klog("smp: out of memory for CPU %u's stacks; hidden from the guest", c->apic_id);
            continue;
        }
        if (!smp_start_ap(pc, ap_vm_main)) {
            klog("smp: CPU with APIC ID %u did not answer INIT-SIPI-SIPI; hidden from the guest", c->apic_id);
            continue;
        }
        while (pc->online == AP_KEEL)
            __asm__ volatile("pause" ::: "memory");
        if (pc->online != AP_VIRT_ON) {
            klog("smp: CPU with APIC ID %u could not enable %s; parked in keel and hidden from the guest",
                 c->apic_id, arch_name());
            continue;
        }
        if (i == vm->madt.ncpus - 1 && !strcmp(opt_str(&keel_opts, "selftest"), "hide-ap")) {
            pc->vcpu = AP_PARK;
            klog("smp: CPU with APIC ID %u gets no vCPU (selftest=hide-ap): parked in keel and hidden from the guest",
                 c->apic_id);
            continue;
        }
        v = region_alloc(sizeof(*v), "an AP's vCPU");
        v->id = c->apic_id;
        v->index = vm->ncpus;
        v->percpu = pc;
        vm->vcpus[vm->ncpus++] = v;
        klog("smp: cpu %u (APIC ID %u) online in keel, %s on", v->index, v->id, arch_name());
    }
    if (vm->madt.ncpus > 1)
        smp_tramp_remove();
    klog("smp: %u CPU%s under keel (started in %lu TSC cycles)", vm->ncpus, vm->ncpus == 1 ? "" : "s",
         rdtsc() - t0);
}

/* The MADT the guest reads (keel's ACPI copy, or the firmware's table when
 * there is no copy) lists only the CPUs keel runs a vCPU on. */
static void hide_unstarted_cpus(struct vm *vm)
{
    uint8_t *table;
    uint32_t len;
    unsigned hidden;
    /* keel's identity map is writable: the rewrite edits the table in place. */
    if (!vm->layout.rsdp_phys || !(table = (uint8_t *)(uintptr_t)acpi_find_table(vm->layout.rsdp_phys, "APIC", &len)))
        return;
    hidden = madt_hide_cpus(table, len, keep_started, vm);
    if (hidden)
        klog("smp: the guest's MADT (at %lx) lists only the %u CPU%s under keel: %u entr%s rewritten in place",
             (uint64_t)(uintptr_t)table, vm->ncpus, vm->ncpus == 1 ? "" : "s", hidden, hidden == 1 ? "y" : "ies");
}

/* After the VM exists: each AP creates its vCPU, one at a time (keel's
 * allocator is not shared between CPUs). */
static void create_ap_vcpus(struct vm *vm)
{
    unsigned i;
    for (i = 1; i < vm->ncpus; i++) {
        struct vcpu *v = vm->vcpus[i];
        struct percpu *pc = v->percpu;
        v->vm = vm;
        v->policy = vm->vcpus[0]->policy;
        __asm__ volatile("mfence" ::: "memory");
        pc->vcpu = v;
        while (pc->online == AP_VIRT_ON)
            __asm__ volatile("pause" ::: "memory");
        if (pc->online != AP_READY)
            keel_fatal("smp: cpu %u (APIC ID %u): could not create its vCPU", i, v->id);
    }
    if (vm->ncpus > 1) {
        klog("smp: local APIC page trapped %s", vm->apic_trap_always
             ? "always (smp.apic-trap: every guest APIC write exits; keel delivers INIT to running vCPUs)"
             : "until every vCPU has started (then IPIs, EOIs and timers never exit)");
        /* Every AP waits for its SIPI: trap the APIC page until they are up. */
        vm->waiting = (int)vm->ncpus - 1;
        vm->lapic_trapped = 1;
        if (!npt_set_page(&vm->npt, vm->lapic_page, NPT_UNMAPPED))
            keel_fatal("out of memory in keel's region splitting the nested page tables");
    }
}

/* keel failed on this CPU (keel_fatal, an exception in keel): no other CPU
 * may go on running the guest. Park them as at any end of the run
 * (smp_end_run: bounded, INIT as the fallback), then print every vCPU's
 * trace, which for the parked ones ends with keel's kick. */
static void vm_fatal_report(void)
{
    struct vcpu *self = this_cpu()->vcpu;
    if (self)
        smp_end_run(self);
    console_port_print_traces();
}

void vm_run(const struct boot_info *bi, const struct placement *pl)
{
    struct guest_entry entry;
    struct vm *vm = region_alloc(sizeof(*vm), "the VM");
    struct vcpu *v = region_alloc(sizeof(*v), "the boot CPU's vCPU");
    uint64_t npt_root, top = 0x100000000ull, host_rsdp;
    unsigned i;
    int code;

    /* Boot-time and per-vCPU state lives in keel's region, not in its
     * image (the region is sized for it: boot/placement.c region_budget). */
    struct cpuid_snapshot *host_cpuid = region_alloc(sizeof(*host_cpuid), "the host CPUID snapshot");

    {
        const struct vendor_options vo = vendor_options_from(&keel_opts);
        arch_select(pick_backend(), &vo);      /* the door keeps a copy */
    }
    klog("backend: %s", arch_name());
    if (!arch_cpu_init())
        keel_fatal("%s: could not enable hardware virtualization", arch_name());
    vm->stop_index = -1;
    vm->hw_wait_for_sipi = arch_has_wait_for_sipi();
    /* SVM has no INIT keel can hold (docs/smp.md): keep the page trapped
     * there unless told otherwise; VMX's INIT exit makes that unneeded. */
    vm->apic_trap_always = !strcmp(opt_str(&keel_opts, "smp.apic-trap"), "always") ||
                           (!strcmp(opt_str(&keel_opts, "smp.apic-trap"), "auto") && !vm->hw_wait_for_sipi);
    percpu_boot.apic_id = lapic_id();
    percpu_boot.vcpu = v;
    v->percpu = &percpu_boot;
    v->vm = vm;
    vm->vcpus[0] = v;
    vcpu0 = v;
    vm->lapic_page = rdmsr(MSR_APIC_BASE) & 0xFFFFFF000ull;
    host_rsdp = acpi_rsdp();
    iommu_probe(host_rsdp);
    build_layout(vm, bi, pl, host_rsdp);
    start_cpus(vm, percpu_boot.apic_id);
    /* SVM intercepts NMIs whenever there are several vCPUs (svm.c: keel's
     * kicks to running vCPUs); on VMX keel leaves the pin-based NMI-exiting
     * control off (the guest's NMIs stay exit-free) and kicks with INIT,
     * which causes a VM exit in non-root operation and is blocked in root
     * operation (SDM Vol. 3C, "Other Causes of VM Exits", "VMX Operation"). */
    vm->nmi_exits = vm->ncpus > 1 && !vm->hw_wait_for_sipi;
    vm->selftest_fail_ap = !strcmp(opt_str(&keel_opts, "selftest"), "fail-on-ap");

    cpuid_snapshot_host(host_cpuid);
    if (opt_flag(&keel_opts, "cpuid.raw"))
        cpuid_snapshot_print(host_cpuid);
    if (opt_flag(&keel_opts, "profiles"))
        policy_print_profiles();
    if (policy_init_pmu(&vm->policy, host_cpuid, opt_str(&keel_opts, "profile"), opt_str(&keel_opts, "cpuid"), vm->ncpus,
                        strcmp(opt_str(&keel_opts, "pmu"), "passthrough") ? PMU_OFF : PMU_PASSTHROUGH))
        klog("warning: falling back to profile 'host' without overrides");
    if (opt_flag(&keel_opts, "cpuid.dump"))
        policy_dump(&vm->policy, host_cpuid);
    v->policy = &vm->policy;
    cpuid_fast_init(v);

    if (vm->layout.rsdp_phys && !acpi_pm1a_cnt_port(vm->layout.rsdp_phys, &vm->pm1a_cnt_port))
        vm->pm1a_cnt_port = 0;
    if (host_rsdp)
        vm->layout.rsdp_phys = guest_acpi_build(host_rsdp, pl->acpi_base, pl->acpi_end);
    hide_unstarted_cpus(vm);
    if (vm->layout.rsdp_phys) {
        /* What the guest is pointed at (the copy, or the firmware's), by value
         * for the Multiboot2 ACPI tags. keel's identity map covers it. */
        const uint8_t *r = (const uint8_t *)(uintptr_t)vm->layout.rsdp_phys;
        __asm__("" : "+r"(r));
        vm->layout.rsdp_len = r[15] >= 2 ? 36 : 20;
        memcpy(vm->layout.rsdp, r, vm->layout.rsdp_len);
    }
    if (!guest_load(bi, &vm->layout, &entry))
        keel_fatal("could not load the guest");
    klog("guest: %s kernel, entry 0x%lx", entry.kind, entry.rip);

    for (i = 0; i < bi->nmmap; i++)
        if (bi->mmap[i].type == MEM_AVAILABLE && bi->mmap[i].base + bi->mmap[i].len > top)
            top = bi->mmap[i].base + bi->mmap[i].len;
    npt_root = npt_build(&vm->npt, arch_npt_format(), top, pl->region_base, pl->region_end);
    vm->npt_top = top;
    if (!npt_root)
        keel_fatal("out of memory in keel's region building nested page tables");
    hide_iommu_registers(vm);
    guest_acpi_map_bios_rsdp(&vm->npt);
    guest_acpi_map_efi_config(&vm->npt, bi->efi_systab64 ? bi->efi_systab : 0, pl->region_base, pl->region_end);
    klog("nested paging: identity map of [0-%lx) minus keel's region%s, %u table pages", top,
         iommu_owned() ? " and the IOMMU registers" : "", vm->npt.pages);
    iommu_enable(top, pl->region_base, pl->region_end);
    vm->image_hash = keel_image_hash();
    vm->dma_canary = palloc_page();
    if (vm->dma_canary)
        memset(palloc_ptr(vm->dma_canary), 0xa5, 4096);

    if (!arch_vcpu_create(v, &entry, npt_root))
        keel_fatal("%s: could not create the vcpu", arch_name());
    trap_io_ports(v, true);
    setup_msr_config(vm);
    if (vm->ncpus > 1)
        vm->msr_cfg.x2apic_icr_write = smp_x2apic_icr_write;
    vcpu_msr_setup(v);
    if (opt_flag(&keel_opts, "msr.dump"))
        msr_dump(v);
    create_ap_vcpus(vm);

    /* What the set-up took, against region_budget (boot/placement.c):
     * from here on keel allocates only on demand (margin). */
    klog("keel's region: %lu KiB in use after set-up, %lu KiB free", (palloc_total_bytes() - palloc_free_bytes()) >> 10,
         palloc_free_bytes() >> 10);
    klog("entering the guest");
    /* last before the first entry: from here on keel's lines share the line */
    console_port_start(vm, host_cpuid, !strcmp(opt_str(&keel_opts, "console.monitor"), "on"), opt_flag(&keel_opts, "debugcon"));
    keel_fatal_report = vm_fatal_report;
    code = vcpu_run(v);
    keel_exit(code);
}
