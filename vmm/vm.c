/* Setting up the one guest: backend, CPU policy, MSR engine, memory view,
 * loader, nested paging, vcpu; then run it and stop with its status. */
#include "vmm/vm.h"
#include "vmm/acpi.h"
#include "vmm/guest_acpi.h"
#include "vmm/iommu.h"
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
#include "arch/x86/stop.h"
#include "arch/x86/virt_detect.h"
#include "lib/log.h"
#include "lib/palloc.h"
#include "lib/string.h"

struct guest_layout vm_layout;
uint16_t vm_pm1a_cnt_port;
uint64_t vm_npt_top;
static uint64_t vm_image_hash;
uint64_t vm_dma_canary;
/* Weak until the VMX backend lands in this tree. */
extern const struct vendor_ops vmx_ops __attribute__((weak));

static struct vcpu vcpu0;
static struct cpu_policy guest_policy;
static struct msr_config msr_cfg;

/* The backend's share of keel's options, given to it once (the vendors
 * read no option themselves). */
static const struct vendor_options *vendor_options_from(const struct opt_values *o)
{
    static struct vendor_options vo;
    const char *st = opt_str(o, "selftest");
    vo.selftest = !strcmp(st, "bad-guest-state")           ? VENDOR_SELFTEST_BAD_GUEST_STATE
                  : !strcmp(st, "unexplained-guest-state") ? VENDOR_SELFTEST_UNEXPLAINED
                                                           : VENDOR_SELFTEST_NONE;
    return &vo;
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

static void build_layout(const struct boot_info *bi, const struct placement *pl, uint64_t host_rsdp)
{
    unsigned i;
    struct guest_layout *g = &vm_layout;
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

static void setup_msr_config(void)
{
    char err[160];
    uint64_t v;
    if (!msr_filter_parse(opt_str(&keel_opts, "msr.filter"), opt_str(&keel_opts, "msr.filter.default"),
                          &msr_cfg.filter, err, sizeof(err))) {
        klog("warning: msr.filter ignored: %s", err);
        msr_filter_parse("", "allow", &msr_cfg.filter, err, sizeof(err));
    }
    if (!msr_unknown_parse(opt_str(&keel_opts, "msr.unknown"), &msr_cfg.unknown))
        msr_cfg.unknown = MSR_UNKNOWN_GP;
    msr_cfg.host_has_spec_ctrl = rdmsr_safe(0x48, &v);
    msr_cfg.host_spec_ctrl = msr_cfg.host_has_spec_ctrl ? v : 0;
    msr_cfg.host_spec_ctrl_supported = msr_cfg.host_has_spec_ctrl
                                     ? msr_spec_ctrl_bits(guest_policy.vendor, guest_policy.host_feat) : 0;
    msr_cfg.virt_mitigation = opt_flag(&keel_opts, "msr.virt-mitigation");
    msr_cfg.host_has_tsc_aux = rdmsr_safe(0xc0000103, &v);
    msr_cfg.host_tsc_aux = msr_cfg.host_has_tsc_aux ? v : 0;
    msr_cfg.apic_base = rdmsr_safe(MSR_APIC_BASE, &v) ? v : 0xfee00900;
}

/* The only I/O keel traps: ports that end the run, so it can report. */
static void trap_io_ports(struct vcpu *v)
{
    static const uint16_t ports[] = { 0xf4, 0xf5, 0xf6, 0xf7, 0x8900 };
    unsigned i;
    for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
        vcpu_io_intercept(v, ports[i], true);
    if (vm_layout.rsdp_phys && acpi_pm1a_cnt_port(vm_layout.rsdp_phys, &vm_pm1a_cnt_port)) {
        vcpu_io_intercept(v, vm_pm1a_cnt_port, true);
        vcpu_io_intercept(v, vm_pm1a_cnt_port + 1, true);
    }
    {
        unsigned cpus = vm_layout.rsdp_phys ? acpi_cpu_count(vm_layout.rsdp_phys) : 0;
        if (cpus > 1)
            klog("warning: the ACPI MADT lists %u CPUs; keel virtualizes only the boot CPU, so a guest that "
                 "starts the others runs them outside keel: boot it with one CPU (Linux: nosmp or maxcpus=1)",
                 cpus);
    }
    klog("I/O passed through except ports 0xf4-0xf7, 0x8900%s (ACPI RSDP %s)",
         vm_pm1a_cnt_port ? " and the ACPI PM1a control port" : "", vm_layout.rsdp_phys ? "found" : "not found");
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

/* The IOMMUs' registers are keel's: a guest access faults like an access
 * to keel's region (exit_npf.c names it). */
static void hide_iommu_registers(void)
{
    uint64_t b, e, a;
    unsigned i;
    for (i = 0; iommu_mmio(i, &b, &e); i++)
        for (a = b; a < e; a += 0x1000)
            if (!npt_set_page(a, NPT_UNMAPPED))
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

void vm_end_checks(void)
{
    iommu_report();
    klog("keel's image (text and read-only data) %s", keel_image_hash() == vm_image_hash
                                                          ? "is unchanged"
                                                          : "CHANGED during the run");
}

void vm_run(const struct boot_info *bi, const struct placement *pl)
{
    struct guest_entry entry;
    struct vcpu *v = &vcpu0;
    uint64_t npt_root, top = 0x100000000ull, host_rsdp;
    unsigned i;
    int code;

    /* Boot-time and per-vCPU state lives in keel's region, not in its
     * image (the region is sized for it: boot/placement.c region_budget). */
    struct cpuid_snapshot *host_cpuid = region_alloc(sizeof(*host_cpuid), "the host CPUID snapshot");
    struct msr_vcpu_state *msr_state = region_alloc(sizeof(*msr_state), "the vCPU's MSR state");

    arch_select(pick_backend(), vendor_options_from(&keel_opts));
    klog("backend: %s", arch_name());
    if (!arch_cpu_init())
        keel_fatal("%s: could not enable hardware virtualization", arch_name());

    cpuid_snapshot_host(host_cpuid);
    if (opt_flag(&keel_opts, "cpuid.raw"))
        cpuid_snapshot_print(host_cpuid);
    if (opt_flag(&keel_opts, "profiles"))
        policy_print_profiles();
    if (policy_init_pmu(&guest_policy, host_cpuid, opt_str(&keel_opts, "profile"), opt_str(&keel_opts, "cpuid"), 1,
                        strcmp(opt_str(&keel_opts, "pmu"), "passthrough") ? PMU_OFF : PMU_PASSTHROUGH))
        klog("warning: falling back to profile 'host' without overrides");
    if (opt_flag(&keel_opts, "cpuid.dump"))
        policy_dump(&guest_policy, host_cpuid);
    v->policy = &guest_policy;
    cpuid_fast_init(v);

    host_rsdp = acpi_rsdp();
    iommu_probe(host_rsdp);
    build_layout(bi, pl, host_rsdp);
    if (host_rsdp)
        vm_layout.rsdp_phys = guest_acpi_build(host_rsdp, pl->acpi_base, pl->acpi_end);
    if (vm_layout.rsdp_phys) {
        /* What the guest is pointed at (the copy, or the firmware's), by value
         * for the Multiboot2 ACPI tags. keel's identity map covers it. */
        const uint8_t *r = (const uint8_t *)(uintptr_t)vm_layout.rsdp_phys;
        __asm__("" : "+r"(r));
        vm_layout.rsdp_len = r[15] >= 2 ? 36 : 20;
        memcpy(vm_layout.rsdp, r, vm_layout.rsdp_len);
    }
    if (!guest_load(bi, &vm_layout, &entry))
        keel_fatal("could not load the guest");
    klog("guest: %s kernel, entry 0x%lx", entry.kind, entry.rip);

    for (i = 0; i < bi->nmmap; i++)
        if (bi->mmap[i].type == MEM_AVAILABLE && bi->mmap[i].base + bi->mmap[i].len > top)
            top = bi->mmap[i].base + bi->mmap[i].len;
    npt_root = npt_build(arch_npt_format(), top, pl->region_base, pl->region_end);
    vm_npt_top = top;
    if (!npt_root)
        keel_fatal("out of memory in keel's region building nested page tables");
    hide_iommu_registers();
    guest_acpi_map_bios_rsdp();
    klog("nested paging: identity map of [0-%lx) minus keel's region%s, %u table pages", top,
         iommu_owned() ? " and the IOMMU registers" : "", npt_table_pages());
    iommu_enable(top, pl->region_base, pl->region_end);
    vm_image_hash = keel_image_hash();
    vm_dma_canary = palloc_page();
    if (vm_dma_canary)
        memset(palloc_ptr(vm_dma_canary), 0xa5, 4096);

    if (!arch_vcpu_create(v, &entry, npt_root))
        keel_fatal("%s: could not create the vcpu", arch_name());
    trap_io_ports(v);
    setup_msr_config();
    msr_vcpu_init(v, msr_state, &msr_cfg);
    if (opt_flag(&keel_opts, "msr.dump"))
        msr_dump(v);

    klog("entering the guest");
    {   /* last before the first entry: from here on keel's lines share the line */
        static struct vcpu *const vcpus[] = { &vcpu0 };
        console_port_start(vcpus, 1, &vm_layout, host_cpuid, !strcmp(opt_str(&keel_opts, "console.monitor"), "on"),
                           opt_flag(&keel_opts, "debugcon"));
    }
    code = vcpu_run(v);
    keel_exit(code);
}
