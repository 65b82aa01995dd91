/* Internal to arch/x86/vmx/: the VMX backend's state, its per-vCPU part,
 * and the VMX instruction wrappers, shared by the set-up (vmx_init.c:
 * VMXON, capabilities, the VMCS of a new vCPU, INIT/STARTUP state) and the
 * run path (vmx.c: entry, exit decode, the hooks of vmm/arch_hooks.h). */
#ifndef KEEL_ARCH_VMX_INTERNAL_H
#define KEEL_ARCH_VMX_INTERNAL_H
#include "arch/x86/vmx/vmx.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_decode.h"
#include "arch/x86/vmx/vmx_lib.h"
#include "arch/x86/cpu.h"
#include "arch/x86/exceptions.h"
#include "arch/x86/desc.h"
#include "arch/x86/percpu.h"
#include "arch/x86/stop.h"
#include "lib/format.h"
#include "lib/log.h"
#include "lib/palloc.h"
#include "lib/string.h"
#include "vmm/cpu_policy.h"
#include "vmm/npt.h"
#include "vmm/vendor.h"
#include "vmm/run.h"
#include "vmm/trace.h"
#include "vmm/arch_hooks.h"
#include "vmm/vm.h"

#define VPID_GUEST 1

/* Guest segment access rights (SDM 24.4.1): accessed code/data, 4 KiB
 * granular, 32-bit; busy 32-bit TSS; unusable LDTR. */
#define AR_CODE32 0xc09b
#define AR_DATA32 0xc093
#define AR_TSS_BUSY 0x008b
#define AR_UNUSABLE 0x10000

/* vmx.raw_code marker for VMfail (not a VM exit): low bits = VM-instruction error. */
#define VMX_RAW_VMFAIL (1ull << 32)

struct vmx_vcpu {
    uint64_t vmcs_pa;
    uint8_t *msr_bitmap;        /* 4 KiB, physical = identity pointer */
    uint64_t io_bitmap_pa;      /* 8 KiB: bitmap A (ports 0-0x7fff), then B */
    uint64_t eptp;
    uint64_t xcr0;              /* guest XCR0 (software copy; left loaded in hardware) */
    uint32_t proc2;
    bool ran;                   /* vmx_run_loop ran it before (its VMCS was launched) */
};

struct vmx_state {
    uint64_t basic, misc, ept_vpid;
    uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
    uint64_t cap[VMX_CTL_COUNT];
    uint32_t pin, proc, exit, entry;    /* computed at cpu_init */
    uint64_t vmxon_pa;
    uint64_t host_cr0, host_cr3, host_cr4, host_efer, host_pat;
    uint64_t cr0_mask, cr4_mask;        /* guest/host masks: bits keel owns */
    struct vmx_mtrr mtrr;
    bool cet;                           /* load CET state on entry and exit */
    bool fix_lma;                       /* no IA32_VMX_MISC "store LMA": keep the control by hand */
    unsigned maxphyaddr;                /* CPUID 0x80000008 EAX[7:0], for PDPTE checks */
    struct vmx_vcpu *current;           /* the VMCS loaded with VMPTRLD */
};
extern struct vmx_state vmx;        /* vmx.c */

/* vmx_entry.S: vmx_launch is called from vmx_pass's inline asm only; the
 * VMLAUNCH lands on vmx_exit_point, HOST_RSP is &v->regs.rsp. */
void vmx_launch(void);
extern char vmx_exit_point[];

/* ---- VMX instructions ------------------------------------------------------ */

/* Measurement build (make KEEL_EXTRA_CFLAGS=-DKEEL_VMINSN_COUNT): count the
 * VMREADs and VMWRITEs of each exit, from the VM exit through the handler
 * to the next VM entry, by exit kind; printed at each I/O exit (the guest's
 * exit port). Under a nested hypervisor every one it does not shadow is an
 * exit to L0 (README "Cost when nested"). */
#ifdef KEEL_VMINSN_COUNT
struct vmi_stats {
    uint64_t rd, wr, mark_rd, mark_wr;
    uint64_t n[EXIT_KIND_COUNT], krd[EXIT_KIND_COUNT], kwr[EXIT_KIND_COUNT];
};
extern struct vmi_stats vmi;
#define VMI_COUNT(f) (vmi.f++)
static inline void vmi_attribute(enum exit_kind k)
{
    vmi.n[k]++;
    vmi.krd[k] += vmi.rd - vmi.mark_rd;
    vmi.kwr[k] += vmi.wr - vmi.mark_wr;
    vmi.mark_rd = vmi.rd;
    vmi.mark_wr = vmi.wr;
}
static inline void vmi_print(void)
{
    unsigned k;
    for (k = 0; k < EXIT_KIND_COUNT; k++)
        if (vmi.n[k])
            klog("vmx: vm-insn count: %-14s %8lu exits  VMREAD %lu.%02lu  VMWRITE %lu.%02lu per exit", exit_kind_names[k],
                 vmi.n[k], vmi.krd[k] / vmi.n[k], vmi.krd[k] * 100 / vmi.n[k] % 100, vmi.kwr[k] / vmi.n[k],
                 vmi.kwr[k] * 100 / vmi.n[k] % 100);
}
#else
#define VMI_COUNT(f) ((void)0)
#endif

static inline uint64_t vmread(uint64_t field)
{
    uint64_t v;
    VMI_COUNT(rd);
    __asm__ volatile("vmread %[f], %[v]" : [v] "=r"(v) : [f] "r"(field) : "cc");
    return v;
}

/* VMREAD that reports VMfail (e.g. VM-instruction error 12, unsupported
 * VMCS component) instead of returning garbage; for the diagnostics. */
static inline bool vmread_safe(uint64_t field, uint64_t *val)
{
    bool bad;
    uint64_t v = 0;
    __asm__ volatile("vmread %[f], %[v]; setna %[b]" : [v] "+r"(v), [b] "=qm"(bad) : [f] "r"(field) : "cc");
    *val = v;
    return !bad;
}

static inline void vmwrite(uint64_t field, uint64_t val)
{
    VMI_COUNT(wr);
    __asm__ volatile("vmwrite %[v], %[f]" ::[v] "r"(val), [f] "r"(field) : "cc", "memory");
}

/* Setup-time VMWRITE: remembers the first field that failed. */
static uint64_t setup_bad_field = ~0ull;
static inline void vw(uint64_t field, uint64_t val)
{
    bool bad;
    __asm__ volatile("vmwrite %[v], %[f]; setna %[b]" : [b] "=qm"(bad) : [v] "r"(val), [f] "r"(field) : "cc", "memory");
    if (bad && setup_bad_field == ~0ull)
        setup_bad_field = field;
}

static inline bool vmx_insn_mem(const char *what, uint64_t pa)
{
    bool bad;
    if (!strcmp(what, "vmxon"))
        __asm__ volatile("vmxon %[p]; setna %[b]" : [b] "=qm"(bad) : [p] "m"(pa) : "cc", "memory");
    else if (!strcmp(what, "vmclear"))
        __asm__ volatile("vmclear %[p]; setna %[b]" : [b] "=qm"(bad) : [p] "m"(pa) : "cc", "memory");
    else
        __asm__ volatile("vmptrld %[p]; setna %[b]" : [b] "=qm"(bad) : [p] "m"(pa) : "cc", "memory");
    return !bad;
}

static inline bool invept(uint64_t type, uint64_t eptp)
{
    struct { uint64_t eptp, zero; } d = { eptp, 0 };
    bool bad;
    __asm__ volatile("invept %[d], %[t]; setna %[b]" : [b] "=qm"(bad) : [d] "m"(d), [t] "r"(type) : "cc", "memory");
    return !bad;
}

static inline bool invvpid(uint64_t type, uint16_t vpid)
{
    struct { uint64_t vpid, gla; } d = { vpid, 0 };
    bool bad;
    __asm__ volatile("invvpid %[d], %[t]; setna %[b]" : [b] "=qm"(bad) : [d] "m"(d), [t] "r"(type) : "cc", "memory");
    return !bad;
}

static inline void load_vmcs(struct vmx_vcpu *vv)
{
    if (vmx.current != vv) {
        vmx_insn_mem("vmptrld", vv->vmcs_pa);
        vmx.current = vv;
    }
}

static inline struct vmx_vcpu *vvcpu(struct vcpu *v)
{
    struct vmx_vcpu *vv = v->vendor;
    load_vmcs(vv);
    return vv;
}

/* vmx_init.c */
extern struct vendor_options vmx_opts;
bool vmx_cpu_init(const struct vendor_options *o);
bool vmx_vcpu_create(struct vcpu *v, const struct guest_entry *entry, uint64_t npt_root);
void vmx_sipi_reset(struct vcpu *v, uint8_t vector);
void vmx_io_intercept(struct vcpu *v, uint16_t port);
void vmx_io_passthrough(struct vcpu *v, uint16_t port);
extern const struct npt_format vmx_npt_format;
/* vmx.c */
unsigned vmx_report_checks(const char *when);

#endif
