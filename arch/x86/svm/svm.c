/* AMD SVM backend (AMD APM Vol 2, chapter 15). Decodes #VMEXITs into the
 * neutral record and implements the vcpu hooks; vmm/ decides everything. */
#include "arch/x86/svm/vmcb.h"
#include "arch/x86/svm/svm_check.h"
#include "arch/x86/svm/svm_setup.h"
#include "arch/x86/exceptions.h"
#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "lib/bitmap.h"
#include "lib/log.h"
#include "lib/palloc.h"
#include "lib/string.h"
#include "vmm/cpu_policy.h"
#include "vmm/msr.h"
#include "vmm/npt.h"
#include "vmm/options.h"
#include "vmm/vendor.h"
#include "vmm/vm.h"

void svm_vmrun(struct guest_regs *regs, uint64_t guest_vmcb_pa, uint64_t host_vmcb_pa);

#define IOPM_PAGES 3            /* 12 KiB: one bit per port (APM 15.10.1) */
#define MSRPM_PAGES 2           /* 8 KiB (APM 15.11) */

struct svm_vcpu {
    struct vmcb *vmcb;
    uint64_t vmcb_pa;
    uint64_t host_vmcb_pa;      /* keel's VMLOAD/VMSAVE state (TR, FS, GS, ...) on this vCPU's CPU */
    uint8_t *msrpm;
    uint8_t *iopm;
    uint64_t pending_reinject;  /* EXITINTINFO of an event cut short by the exit */
};

/* Capabilities: the same on every CPU of the machine. */
static bool has_nrips, has_lbrv;
static struct svm_host_caps host_caps;     /* for the VMRUN consistency checks */

static inline struct svm_vcpu *svm(struct vcpu *v)
{
    return (struct svm_vcpu *)v->vendor;
}

static bool svm_cpu_init(void)
{
    struct cpuid_regs r;
    uint64_t hsave = palloc_page(), host = palloc_page();

    if (!hsave || !host) {
        klog("svm: out of memory for the host save areas");
        return false;
    }
    cpuid_count(0x8000000A, 0, &r);
    {
        struct svm_caps caps;
        svm_caps_from_cpuid(r.edx, &caps);
        has_nrips = caps.nrips;
        has_lbrv = caps.lbrv;
    }
    host_caps.flush_by_asid = (r.edx >> 6) & 1;
    if (this_cpu()->index == 0)
        klog("svm: revision %u, %u ASIDs, NPT %s, NRIPS %s, LBR virtualization %s", r.eax & 0xff, r.ebx,
         (r.edx & 1) ? "yes" : "no", has_nrips ? "yes" : "no (keel decodes instruction lengths at CS:RIP)",
         has_lbrv ? "yes" : "no");
    cpuid_count(0x80000001, 0, &r);
    host_caps.long_mode = (r.edx >> 29) & 1;
    cpuid_count(0x80000008, 0, &r);
    host_caps.maxphyaddr = r.eax & 0xff;
    /* XSETBV on the guest's behalf needs CR4.OSXSAVE in keel's own CR4. */
    cpuid_count(1, 0, &r);
    if ((r.ecx >> 26) & 1)
        write_cr4(read_cr4() | CR4_OSXSAVE);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
    wrmsr(MSR_VM_HSAVE_PA, hsave);
    this_cpu()->host_save_pa = hsave;
    this_cpu()->host_vmcb_pa = host;
    /* keel's GS base (this CPU's struct percpu) is in what VMSAVE keeps. */
    __asm__ volatile("vmsave %0" ::"a"(host) : "memory");
    return true;
}

/* NPT entries are ordinary long-mode page-table entries; the User bit is
 * required at every level (APM 15.25.5: nested walks are user accesses). */
static uint64_t npt_table_entry(uint64_t pa)
{
    return pa | 0x7;                    /* P | W | U */
}

static uint64_t npt_leaf_entry(uint64_t pa, int level)
{
    return pa | 0x7 | (level > 1 ? (1ull << 7) : 0);   /* WB via PAT index 0 */
}

static const struct npt_format svm_npt = { npt_table_entry, npt_leaf_entry };

static void set_seg(struct vmcb_seg *s, uint16_t sel, uint16_t attrib, uint32_t limit, uint64_t base)
{
    s->selector = sel;
    s->attrib = attrib;
    s->limit = limit;
    s->base = base;
}

static void svm_io_intercept(struct vcpu *v, uint16_t port)
{
    bitmap_set(svm(v)->iopm, port);
}

static void svm_io_passthrough(struct vcpu *v, uint16_t port)
{
    bitmap_clear(svm(v)->iopm, port);
}

static bool svm_vcpu_create(struct vcpu *v, const struct guest_entry *e, uint64_t npt_root)
{
    uint64_t s_pa = palloc_page();
    struct svm_vcpu *s;
    struct vmcb *vm;
    struct vmcb_control *c;
    struct vmcb_save *g;
    uint64_t msrpm = palloc_pages(MSRPM_PAGES, PAGE_SIZE), iopm = palloc_pages(IOPM_PAGES, PAGE_SIZE);

    if (!s_pa) {
        klog("svm: out of memory for the vcpu");
        return false;
    }
    _Static_assert(sizeof(struct svm_vcpu) <= PAGE_SIZE, "struct svm_vcpu fits a page");
    s = palloc_ptr(s_pa);
    memset(s, 0, sizeof(*s));
    s->host_vmcb_pa = this_cpu()->host_vmcb_pa;
    s->vmcb_pa = palloc_page();
    if (!s->vmcb_pa || !msrpm || !iopm) {
        klog("svm: out of memory for VMCB/bitmaps");
        return false;
    }
    s->vmcb = vm = palloc_ptr(s->vmcb_pa);
    s->msrpm = palloc_ptr(msrpm);
    s->iopm = palloc_ptr(iopm);
    v->vendor = s;
    c = &vm->control;
    g = &vm->save;

    /* Until the MSR engine encodes its table, every MSR exits. */
    memset(s->msrpm, 0xff, MSRPM_PAGES * PAGE_SIZE);
    /* Devices belong to the guest: the IOPM starts empty and vmm/ asks
     * for the few ports it traps (svm_io_intercept). */

    {
        uint32_t m1, m2;
        svm_intercept_words(!policy_has(v->policy, FEAT_RDTSCP), &m1, &m2);
        c->intercept_misc1 = m1;
        c->intercept_misc2 = m2;
    }
    /* smp.apic-trap=always: keel delivers a guest INIT to a running vCPU
     * itself and needs that vCPU to exit: an NMI does it (APM 15.13.2). */
    if (v->vm && v->vm->apic_trap_always && v->vm->ncpus > 1)
        c->intercept_misc1 |= SVM_INTERCEPT1_NMI;
    c->iopm_base_pa = iopm;
    c->msrpm_base_pa = msrpm;
    c->guest_asid = 1;
    c->tlb_control = 1;                 /* flush everything on the first VMRUN */
    c->int_ctl = 0;                     /* V_INTR_MASKING off: physical interrupts go to the guest */
    c->np_enable = 1;
    c->n_cr3 = npt_root;
    if (has_lbrv)
        c->virt_ext = 1;                /* LBR virtualization: DEBUGCTL lives in the VMCB */

    /* Multiboot / Linux 32-bit entry state: flat protected mode, paging off. */
    set_seg(&g->cs, 0x10, 0xc9b, 0xffffffff, 0);
    set_seg(&g->ds, 0x18, 0xc93, 0xffffffff, 0);
    set_seg(&g->es, 0x18, 0xc93, 0xffffffff, 0);
    set_seg(&g->ss, 0x18, 0xc93, 0xffffffff, 0);
    set_seg(&g->fs, 0x18, 0xc93, 0xffffffff, 0);
    set_seg(&g->gs, 0x18, 0xc93, 0xffffffff, 0);
    set_seg(&g->gdtr, 0, 0, 0xffff, 0);
    set_seg(&g->idtr, 0, 0, 0xffff, 0);
    set_seg(&g->ldtr, 0, 0x82, 0xffff, 0);
    set_seg(&g->tr, 0, 0x8b, 0xffff, 0);
    g->cpl = 0;
    g->efer = EFER_SVME;
    g->cr0 = CR0_PE | CR0_ET;
    g->cr4 = 0;
    g->cr3 = 0;
    g->dr7 = 0x400;
    g->dr6 = 0xffff0ff0;
    g->rflags = 0x2;
    g->rip = e->rip;
    g->rsp = e->rsp;
    g->rax = e->rax;
    g->g_pat = 0x0007040600070406ull;   /* power-on PAT */

    memset(&v->regs, 0, sizeof(v->regs));
    v->regs.rax = e->rax;
    v->regs.rbx = e->rbx;
    v->regs.rcx = e->rcx;
    v->regs.rdx = e->rdx;
    v->regs.rsi = e->rsi;
    v->regs.rdi = e->rdi;
    v->regs.rbp = e->rbp;
    v->regs.rsp = e->rsp;

    if (v->index == 0 && !strcmp(opt_str(&keel_opts, "selftest"), "bad-guest-state")) {
        klog("selftest: clearing the guest's EFER.SVME so VMRUN must fail its consistency checks");
        g->efer &= ~EFER_SVME;
    }
    if (!strcmp(opt_str(&keel_opts, "selftest"), "unexplained-guest-state")) {
        /* CR4.LA57 (bit 12) while the CPU has no 5-level paging: reserved,
         * but keel's checks do not know the host's CR4 feature bits. */
        klog("selftest: setting the guest's CR4.LA57, which a CPU without LA57 refuses");
        g->cr4 |= 1ull << 12;
    }
    /* Start from the architectural XCR0 reset value (x87 only). */
    if (read_cr4() & CR4_OSXSAVE)
        xsetbv(0, 1);
    return true;
}

static void decode(struct vcpu *v, struct svm_vcpu *s)
{
    struct vmcb_control *c = &s->vmcb->control;
    struct vm_exit *x = &v->exit;
    uint64_t code = c->exitcode;

    x->raw_code = code;
    x->raw_info1 = c->exitinfo1;
    x->raw_info2 = c->exitinfo2;
    x->rip = s->vmcb->save.rip;
    /* An event whose delivery the exit interrupted is delivered again. */
    s->pending_reinject = (c->exitintinfo & SVM_EVTINJ_VALID) ? c->exitintinfo : 0;

    switch (code) {
    case SVM_EXIT_CPUID:
        x->kind = EXIT_CPUID;
        break;
    case SVM_EXIT_MSR:
        x->kind = c->exitinfo1 ? EXIT_MSR_WRITE : EXIT_MSR_READ;
        x->u.msr.index = (uint32_t)v->regs.rcx;
        break;
    case SVM_EXIT_IOIO: {
        uint64_t i = c->exitinfo1;
        x->kind = EXIT_IO;
        x->u.io.port = (uint16_t)(i >> 16);
        x->u.io.in = i & 1;
        x->u.io.string = (i >> 2) & 1;
        x->u.io.rep = (i >> 3) & 1;
        x->u.io.size = (i & (1u << 4)) ? 1 : (i & (1u << 5)) ? 2 : 4;
        /* EXITINFO2 holds the next RIP for IOIO exits, NRIPS or not. */
        x->insn_len = (uint8_t)(c->exitinfo2 - s->vmcb->save.rip);
        return;
    }
    case SVM_EXIT_NPF:
        x->kind = EXIT_NPF;
        x->u.npf.gpa = c->exitinfo2;
        x->u.npf.access = ((c->exitinfo1 & 2) ? NPF_WRITE : NPF_READ) | ((c->exitinfo1 & 0x10) ? NPF_EXEC : 0);
        break;
    case SVM_EXIT_VMMCALL:
        x->kind = EXIT_HYPERCALL;
        break;
    case SVM_EXIT_XSETBV:
        x->kind = EXIT_XSETBV;
        break;
    case SVM_EXIT_INVD:
        x->kind = EXIT_INVD;
        break;
    case SVM_EXIT_WBINVD:
        x->kind = EXIT_WBINVD;
        break;
    case SVM_EXIT_HLT:
        x->kind = EXIT_HLT;
        break;
    case SVM_EXIT_SHUTDOWN:
        x->kind = EXIT_SHUTDOWN;
        break;
    case SVM_EXIT_INIT:
        x->kind = EXIT_INIT;
        break;
    case SVM_EXIT_NMI:
        x->kind = EXIT_NMI;     /* the NMI itself stays pending: keel takes it after STGI */
        break;
    case SVM_EXIT_RDTSCP:
        x->kind = EXIT_RDTSCP;
        break;
    case SVM_EXIT_VMRUN:
    case SVM_EXIT_VMLOAD:
    case SVM_EXIT_VMSAVE:
    case SVM_EXIT_STGI:
    case SVM_EXIT_CLGI:
    case SVM_EXIT_SKINIT:
    case SVM_EXIT_INVLPGA:
    case SVM_EXIT_MONITOR:
    case SVM_EXIT_MWAIT:
        x->kind = EXIT_VMINSN;
        break;
    default:
        /* VMEXIT_INVALID is -1; QEMU stores it as a 32-bit -1. */
        if ((uint32_t)code == 0xffffffffu) {
            x->kind = EXIT_INVALID_STATE;
            break;
        }
        if (code >= SVM_EXIT_EXCP_BASE && code < SVM_EXIT_EXCP_BASE + 32) {
            x->kind = EXIT_EXCEPTION;
            x->u.exc.vector = (uint8_t)(code - SVM_EXIT_EXCP_BASE);
        } else {
            x->kind = EXIT_OTHER;
        }
        break;
    }
    /* nRIP is valid for instruction intercepts with NRIPS (APM 15.7.1);
     * without it the length is 0, "unknown": vmm/insn.c reads the
     * instruction from guest memory. */
    x->insn_len = has_nrips ? (uint8_t)(c->next_rip - s->vmcb->save.rip) : 0;
}

/* An event whose delivery the exit cut short (EXITINTINFO) goes in again;
 * soft events need their return address (svm_plan_event). */
static void reinject(struct svm_vcpu *s, struct vmcb *vm)
{
    struct svm_event_plan p;
    svm_plan_event(s->pending_reinject, vm->save.cr0 & CR0_PE, has_nrips, vm->save.rip,
                   svm_soft_event_len(s->pending_reinject), &p);
    vm->control.event_inj = p.event_inj;
    vm->save.rip = p.rip;
    if (p.set_next_rip)
        vm->control.next_rip = p.next_rip;
    s->pending_reinject = 0;
}

static void svm_enter(struct vcpu *v)
{
    struct svm_vcpu *s = svm(v);
    struct vmcb *vm = s->vmcb;

    if (__builtin_expect(s->pending_reinject != 0, 0) && !(vm->control.event_inj & SVM_EVTINJ_VALID))
        reinject(s, vm);
    if (__builtin_expect(this_cpu()->nmis_pending != 0, 0) && svm_nmi_injectable(vm->control.event_inj, vm->control.int_state)) {
        /* An NMI keel took after its STGI (svm_entry.S) was the guest's. */
        vm->control.event_inj = SVM_EVT_VALID | ((uint64_t)SVM_EVT_TYPE_NMI << 8) | 2;
        this_cpu()->nmis_pending--;
    }
    if (__builtin_expect(v->tlb_flush, 0)) {
        /* Another vCPU took a page out of the shared NPT (APM 15.16.1). */
        v->tlb_flush = false;
        vm->control.tlb_control = 1;
    }
    vm->save.rax = v->regs.rax;
    vm->save.rsp = v->regs.rsp;
    svm_vmrun(&v->regs, s->vmcb_pa, s->host_vmcb_pa);
    v->regs.rax = vm->save.rax;
    v->regs.rsp = vm->save.rsp;
    vm->control.tlb_control = 0;
    decode(v, s);
}

/* Completion commit: RIP past the instruction, the interrupt shadow
 * (INTERRUPT_SHADOW, bit 0 of the VMCB interrupt state, APM 15.21.5) ended. */
static uint64_t svm_retire_insn(struct vcpu *v, uint8_t len)
{
    struct vmcb *vm = svm(v)->vmcb;
    vm->save.rip += len;
    vm->control.int_state &= ~1ull;
    return vm->save.rflags;
}

static void svm_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
    struct svm_vcpu *s = svm(v);
    s->vmcb->control.event_inj = svm_exception_event(vector, has_error, error, s->vmcb->save.cr0 & CR0_PE);
}

static uint64_t svm_get_state(struct vcpu *v, enum vcpu_state st)
{
    struct vmcb *vm = svm(v)->vmcb;
    switch (st) {
    case VS_RIP: return vm->save.rip;
    case VS_RSP: return v->regs.rsp;
    case VS_RFLAGS: return vm->save.rflags;
    case VS_CR0: return vm->save.cr0;
    case VS_CR2: return vm->save.cr2;
    case VS_CR3: return vm->save.cr3;
    case VS_CR4: return vm->save.cr4;
    case VS_XCR0: return (read_cr4() & CR4_OSXSAVE) ? xgetbv(0) : 1;
    case VS_EFER: return vm->save.efer & ~EFER_SVME;   /* SVME is keel's, not the guest's */
    case VS_PAT: return vm->save.g_pat;
    case VS_DEBUGCTL: return vm->save.dbgctl;
    case VS_SYSENTER_CS: return vm->save.sysenter_cs;
    case VS_SYSENTER_ESP: return vm->save.sysenter_esp;
    case VS_SYSENTER_EIP: return vm->save.sysenter_eip;
    case VS_STAR: return vm->save.star;
    case VS_LSTAR: return vm->save.lstar;
    case VS_CSTAR: return vm->save.cstar;
    case VS_SFMASK: return vm->save.sfmask;
    case VS_FS_BASE: return vm->save.fs.base;
    case VS_GS_BASE: return vm->save.gs.base;
    case VS_KERNEL_GS_BASE: return vm->save.kernel_gs_base;
    case VS_TSC_OFFSET: return vm->control.tsc_offset;
    case VS_S_CET: return vm->save.s_cet;
    case VS_SSP: return vm->save.ssp;
    case VS_INT_SSP_TAB: return vm->save.isst_addr;
    case VS_CPL: return vm->save.cpl;
    case VS_DR6: return vm->save.dr6;
    case VS_INTR_SHADOW: return vm->control.int_state & 1;     /* APM 15.21.5: one shadow bit */
    case VS_CS_BASE: return vm->save.cs.base;
    /* VMCB attributes: descriptor bits 55:52 in attrib 11:8 (APM 15.5.1), L = 9, D/B = 10. */
    case VS_CS_FLAGS: return ((vm->save.cs.attrib >> 10) & 1 ? CS_FLAG_D : 0) |
                             ((vm->save.cs.attrib >> 9) & 1 ? CS_FLAG_L : 0);
    default: return 0;
    }
}

static bool svm_set_state(struct vcpu *v, enum vcpu_state st, uint64_t val)
{
    struct vmcb *vm = svm(v)->vmcb;
    switch (st) {
    case VS_RIP: vm->save.rip = val; return true;
    case VS_RSP: v->regs.rsp = val; return true;
    case VS_RFLAGS: vm->save.rflags = val; return true;
    case VS_CR0: vm->save.cr0 = val; return true;
    case VS_CR2: vm->save.cr2 = val; return true;
    case VS_CR3: vm->save.cr3 = val; return true;
    case VS_CR4: vm->save.cr4 = val; return true;
    case VS_XCR0:
        if (!(read_cr4() & CR4_OSXSAVE))
            return false;
        xsetbv(0, val);         /* keel uses no XSAVE state: the guest's XCR0 stays live */
        return true;
    case VS_EFER: vm->save.efer = val | EFER_SVME; return true;
    case VS_PAT: vm->save.g_pat = val; return true;
    case VS_DEBUGCTL:
        if (!has_lbrv)
            return false;       /* without LBR virtualization there is no guest copy */
        vm->save.dbgctl = val;
        return true;
    case VS_SYSENTER_CS: vm->save.sysenter_cs = val; return true;
    case VS_SYSENTER_ESP: vm->save.sysenter_esp = val; return true;
    case VS_SYSENTER_EIP: vm->save.sysenter_eip = val; return true;
    case VS_STAR: vm->save.star = val; return true;
    case VS_LSTAR: vm->save.lstar = val; return true;
    case VS_CSTAR: vm->save.cstar = val; return true;
    case VS_SFMASK: vm->save.sfmask = val; return true;
    case VS_FS_BASE: vm->save.fs.base = val; return true;
    case VS_GS_BASE: vm->save.gs.base = val; return true;
    case VS_KERNEL_GS_BASE: vm->save.kernel_gs_base = val; return true;
    case VS_TSC_OFFSET: vm->control.tsc_offset = val; return true;
    case VS_DR6: vm->save.dr6 = val; return true;
    case VS_INTR_SHADOW: vm->control.int_state = (vm->control.int_state & ~1ull) | (val ? 1 : 0); return true;
    default: return false;      /* CET state: no SVM shadow-stack support in keel yet */
    }
}

/* INIT then STARTUP (APM Vol 2 14.1.3 table 14-1; SDM Vol 3 10.4.4): real
 * mode, CS = vector << 8, IP 0, EDX = family/model/stepping, caches as
 * after INIT; EFER.SVME stays set underneath for VMRUN. */
static void svm_sipi_reset(struct vcpu *v, uint8_t vector)
{
    struct vmcb *vm = svm(v)->vmcb;
    struct vmcb_save *g = &vm->save;
    struct cpuid_regs r;

    set_seg(&g->cs, (uint16_t)(vector << 8), 0x9b, 0xffff, (uint64_t)vector << 12);
    set_seg(&g->ds, 0, 0x93, 0xffff, 0);
    set_seg(&g->es, 0, 0x93, 0xffff, 0);
    set_seg(&g->ss, 0, 0x93, 0xffff, 0);
    set_seg(&g->fs, 0, 0x93, 0xffff, 0);
    set_seg(&g->gs, 0, 0x93, 0xffff, 0);
    set_seg(&g->gdtr, 0, 0, 0xffff, 0);
    set_seg(&g->idtr, 0, 0, 0xffff, 0);
    set_seg(&g->ldtr, 0, 0x82, 0xffff, 0);
    set_seg(&g->tr, 0, 0x8b, 0xffff, 0);
    g->cpl = 0;
    g->efer = EFER_SVME;
    g->cr0 = CR0_ET | (1ull << 29) | (1ull << 30);     /* ET, NW, CD */
    g->cr2 = 0;
    g->cr3 = 0;
    g->cr4 = 0;
    g->dr7 = 0x400;
    g->dr6 = 0xffff0ff0;
    g->rflags = 0x2;
    g->rip = 0;
    g->g_pat = 0x0007040600070406ull;
    vm->control.event_inj = 0;
    svm(v)->pending_reinject = 0;
    this_cpu()->nmis_pending = 0;       /* keel's own kick NMI (smp_nmi_exit) is not the new start's */
    vm->control.tlb_control = 1;
    memset(&v->regs, 0, sizeof(v->regs));
    cpuid_count(1, 0, &r);
    v->regs.rdx = r.eax;
    if (read_cr4() & CR4_OSXSAVE)
        xsetbv(0, 1);
}

static void svm_msr_intercepts_changed(struct vcpu *v, const struct msr_intercepts *mi)
{
    msr_encode_svm_msrpm(mi, svm(v)->msrpm);
}

static void svm_dump_state(struct vcpu *v)
{
    svm_dump_vmcb(svm(v)->vmcb);
}

static unsigned svm_explain_entry_failure(struct vcpu *v)
{
    return svm_explain_vmcb(svm(v)->vmcb, &host_caps);
}

const struct vendor_ops svm_ops = {
    .name = "svm",
    .cpu_init = svm_cpu_init,
    .npt = &svm_npt,
    .vcpu_create = svm_vcpu_create,
    .enter = svm_enter,
    .dump_state = svm_dump_state,
    .explain_entry_failure = svm_explain_entry_failure,
    .retire_insn = svm_retire_insn,
    .inject_exception = svm_inject_exception,
    .get_state = svm_get_state,
    .set_state = svm_set_state,
    .msr_intercepts_changed = svm_msr_intercepts_changed,
    .io_intercept = svm_io_intercept,
    .sipi_reset = svm_sipi_reset,
    .io_passthrough = svm_io_passthrough,
};
