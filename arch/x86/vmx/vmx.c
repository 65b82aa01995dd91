/* The Intel VMX backend's run path: VM entry (vmx_entry.S) and exit decode
 * into the neutral record (vmm/exit.h, vmx_decode.h), the run loop, the
 * state dump and the hooks of vmm/arch_hooks.h (get/set state, inject,
 * MSR bitmap). Set-up (VMXON, capabilities, the VMCS of a new vCPU) is
 * vmx_init.c. See docs/vmx.md; SDM Vol. 3 chapters 24-29. keel runs the
 * guest with every device and interrupt passed through: no external-
 * interrupt or NMI exiting, HLT runs in the guest. */
#include "arch/x86/vmx/vmx_internal.h"
#include "arch/x86/vmx/vmx_gprs.h"

struct vmx_state vmx;
#ifdef KEEL_VMINSN_COUNT
struct vmi_stats vmi;
#endif

/* ---- guest-state snapshot for the checker and the dump ---------------------------- */

static void read_guest_fields(struct vmx_guest_fields *f)
{
    unsigned i;
    memset(f, 0, sizeof(*f));
    f->cr0 = vmread(VMCS_GUEST_CR0);
    f->cr3 = vmread(VMCS_GUEST_CR3);
    f->cr4 = vmread(VMCS_GUEST_CR4);
    f->dr7 = vmread(VMCS_GUEST_DR7);
    f->efer = (vmx.entry & ENTRY_LOAD_EFER) ? vmread(VMCS_GUEST_EFER) : 0;
    f->rflags = vmread(VMCS_GUEST_RFLAGS);
    f->rip = vmread(VMCS_GUEST_RIP);
    f->debugctl = vmread(VMCS_GUEST_DEBUGCTL);
    f->link_pointer = vmread(VMCS_LINK_POINTER);
    f->interruptibility = (uint32_t)vmread(VMCS_GUEST_INTERRUPTIBILITY);
    f->activity = (uint32_t)vmread(VMCS_GUEST_ACTIVITY);
    for (i = 0; i < SEG_COUNT; i++) {
        f->seg[i].sel = (uint16_t)vmread(VMCS_GUEST_ES_SEL + 2 * i);
        f->seg[i].limit = (uint32_t)vmread(VMCS_GUEST_ES_LIMIT + 2 * i);
        f->seg[i].ar = (uint32_t)vmread(VMCS_GUEST_ES_AR + 2 * i);
        f->seg[i].base = vmread(VMCS_GUEST_ES_BASE + 2 * i);
    }
    f->gdtr_limit = (uint32_t)vmread(VMCS_GUEST_GDTR_LIMIT);
    f->idtr_limit = (uint32_t)vmread(VMCS_GUEST_IDTR_LIMIT);
    f->entry_ctls = (uint32_t)vmread(VMCS_ENTRY_CTLS);
    f->proc2_ctls = (uint32_t)vmread(VMCS_PROC_CTLS2);
    f->cr0_fixed0 = vmx.cr0_fixed0;
    f->cr0_fixed1 = vmx.cr0_fixed1;
    f->cr4_fixed0 = vmx.cr4_fixed0;
    f->cr4_fixed1 = vmx.cr4_fixed1;
    f->vmx_misc = vmx.misc;
}

unsigned vmx_report_checks(const char *when)
{
    struct vmx_guest_fields f;
    const char *msgs[16];
    unsigned n, i;
    read_guest_fields(&f);
    n = vmx_check_guest(&f, msgs, 16);
    for (i = 0; i < n && i < 16; i++)
        klog("vmx: %s check failed: SDM %s", when, msgs[i]);
    return n;
}

/* ---- enter and exit decode ----------------------------------------------------------- */

/* VMLAUNCH/VMRESUME did not enter (SDM 31.2, 31.4): with a current VMCS
 * it is VMfailValid and the VM-instruction error field says why; a VMREAD
 * that fails too means VMfailInvalid (no current VMCS). */
static __attribute__((noinline, cold)) void vmfail(struct vcpu *v, bool launched)
{
    struct vm_exit *x = &v->exit;
    uint64_t err;
    memset(x, 0, sizeof(*x));
    x->kind = EXIT_INVALID_STATE;
    if (!vmread_safe(VMCS_INSN_ERROR, &err)) {
        klog("vmx: %s failed: VMfailInvalid (no current VMCS)", launched ? "VMRESUME" : "VMLAUNCH");
        x->raw_code = VMX_RAW_VMFAIL;
    } else {
        x->raw_code = VMX_RAW_VMFAIL | (uint32_t)err;
        klog("vmx: %s failed: VM-instruction error %u (%s)", launched ? "VMRESUME" : "VMLAUNCH", (uint32_t)err,
             vmx_insn_error_name((uint32_t)err));
    }
    trace_record(v, x->kind);
}

/* An NMI taken in VMX root mode was the guest's: inject it when the guest
 * is not blocking NMIs (no NMI, STI or MOV-SS blocking: SDM 26.3.1.5) and no
 * other event is pending; otherwise try again at the next entry. The NMI
 * handler sets ENTRY_WORK_VENDOR (percpu.nmi_work, set up by vmx_run_loop),
 * so the loop's one entry_work test covers it. */
static void reflect_nmi(void)
{
    if (vmread(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID)
        return;
    if (vmread(VMCS_GUEST_INTERRUPTIBILITY) & 0xb)
        return;
    vmwrite(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_NMI | 2);
    this_cpu()->nmis_pending--;
}

static __attribute__((noinline, cold)) void reflect_nmi_work(struct vcpu *v)
{
    /* Cleared first: an NMI from here on sets it again. */
    vcpu_entry_work_clear(v, ENTRY_WORK_VENDOR);
    if (this_cpu_nmis_pending() != 0)
        reflect_nmi();
    if (this_cpu_nmis_pending() != 0)       /* blocked now, or a second one: at the next entry */
        vcpu_entry_work_set(v, ENTRY_WORK_VENDOR);
}

/* Every exit but the hot four: the whole record. */
static __attribute__((noinline)) void decode_slow(struct vcpu *v)
{
    struct vm_exit *x = &v->exit;
    uint32_t idt, reason = (uint32_t)vmread(VMCS_EXIT_REASON);

    x->raw_code = reason;
    x->raw_info1 = vmread(VMCS_EXIT_QUALIFICATION);
    x->raw_info2 = 0;
    x->rip = vmread(VMCS_GUEST_RIP);
    x->insn_len = (uint8_t)vmread(VMCS_EXIT_INSN_LEN);
    x->kind = vmx_exit_kind(reason);

    /* An exit in the middle of delivering an event (SDM 27.2.4): deliver it
     * again on the next entry unless a handler injects something else. */
    idt = (uint32_t)vmread(VMCS_IDT_VECTORING_INFO);
    if (idt & INTR_INFO_VALID) {
        vmwrite(VMCS_ENTRY_INTR_INFO, idt & ~0x7ffff000u);
        if (idt & INTR_INFO_ERROR_VALID)
            vmwrite(VMCS_ENTRY_EXCEPTION_ERROR, vmread(VMCS_IDT_VECTORING_ERROR));
        vmwrite(VMCS_ENTRY_INSN_LEN, x->insn_len);
    }

    vmx_decode_qual(x, x->raw_info1);
#ifdef KEEL_VMINSN_COUNT
    if (x->kind == EXIT_IO)
        vmi_print();
#endif
    switch (x->kind) {
    case EXIT_NPF:
    case EXIT_NPT_MISCONFIG:
        x->u.npf.gpa = vmread(VMCS_GUEST_PHYS_ADDR);
        if (x->raw_info1 & (1u << 7))   /* guest-linear address valid */
            x->raw_info2 = vmread(VMCS_GUEST_LINEAR_ADDR);
        break;
    case EXIT_EXCEPTION: {
        uint32_t info = (uint32_t)vmread(VMCS_EXIT_INTR_INFO);
        x->u.exc.vector = (uint8_t)info;
        x->u.exc.has_error = info & INTR_INFO_ERROR_VALID;
        x->u.exc.error = x->u.exc.has_error ? (uint32_t)vmread(VMCS_EXIT_INTR_ERROR) : 0;
        x->raw_info2 = info;
        break;
    }
    default:
        break;
    }
}

/* The hot exits (CPUID, RDMSR, WRMSR, VMCALL) decode to the kind: one
 * VMREAD; the completion reads the length. The IDT-vectoring field is not
 * read for them: an exit caused by executing an instruction does not
 * happen during event delivery, so it cannot be valid (SDM 27.2.4). Their
 * qualification is not read either: it is 0 for them (SDM 28.2.1). A full
 * exit reason equal to the basic one also means bit 31 (VM-entry failure)
 * is clear, so the VMREAD needs no check: the field always exists. */
_Static_assert(VMX_EXIT_WRMSR == VMX_EXIT_RDMSR + 1 && EXIT_MSR_WRITE == EXIT_MSR_READ + 1,
               "RDMSR/WRMSR decode as one range");
/* One hot exit: the kind, RIP (for the trace ring and for the completion,
 * which adds the length to it), the ring entry, keel's MSRs back. Inlined
 * once per kind so each writes its constants as immediates and goes on to
 * the dispatch without a shared tail. */
static inline __attribute__((always_inline)) void decode_hot(struct vcpu *v, enum exit_kind k, uint64_t detail)
{
    struct vm_exit *x = &v->exit;
    x->kind = k;
    x->rip = vmread(VMCS_GUEST_RIP);
    trace_hot(v, k, x->rip, (uint32_t)detail);
    msr_after_exit(v);
}

static inline __attribute__((always_inline)) void decode(struct vcpu *v)
{
    uint32_t reason = (uint32_t)vmread(VMCS_EXIT_REASON);
    uint32_t msr = reason - VMX_EXIT_RDMSR;     /* 0 RDMSR, 1 WRMSR */

    /* Tested in the order of their budgets (README, Benchmarks). */
    if (__builtin_expect(reason == VMX_EXIT_CPUID, 1)) {
        decode_hot(v, EXIT_CPUID, 0);
    } else if (reason == VMX_EXIT_VMCALL) {
        decode_hot(v, EXIT_HYPERCALL, 0);
    } else if (msr <= 1) {
        decode_hot(v, (enum exit_kind)(EXIT_MSR_READ + msr), (uint32_t)v->regs.rcx);
    } else {
        decode_slow(v);    /* reads the reason again: no copy kept on the hot path */
        trace_record(v, v->exit.kind);
        msr_after_exit(v);
    }
}

/* vcpu_complete_insn, committed before the entry: RIP += the exit's
 * instruction length; the instruction completed, so blocking by STI /
 * MOV SS ends with it (interruptibility bits 0-1, SDM 25.4.2); and the
 * single-step trap if RFLAGS.TF is set. */
static inline __attribute__((always_inline)) void complete_insn(struct vcpu *v)
{
    uint64_t intr;
    vmwrite(VMCS_GUEST_RIP, v->exit.rip + vmread(VMCS_EXIT_INSN_LEN));
    intr = vmread(VMCS_GUEST_INTERRUPTIBILITY);
    if (__builtin_expect(intr & 3, 0))
        vmwrite(VMCS_GUEST_INTERRUPTIBILITY, intr & ~3ull);
    if (__builtin_expect(vmread(VMCS_GUEST_RFLAGS) & RFLAGS_TF, 0))
        vcpu_single_step_trap(v);
}

/* CPUs that do not store EFER.LMA into the "IA-32e mode guest" control
 * on exit (IA32_VMX_MISC bit 5 = 0): keep it in step by hand. */
static __attribute__((noinline)) void fix_lma(void)
{
    uint64_t ec = vmread(VMCS_ENTRY_CTLS);
    bool lma = vmread(VMCS_GUEST_EFER) & EFER_LMA;
    if (!!(ec & ENTRY_IA32E_MODE_GUEST) != lma)
        vmwrite(VMCS_ENTRY_CTLS, lma ? ec | ENTRY_IA32E_MODE_GUEST : ec & ~ENTRY_IA32E_MODE_GUEST);
}

/* ENTRY_WORK_TLB, set by another CPU: it took a page out of the shared EPT
 * tables (SDM 29.4.3.1). */
static __attribute__((noinline)) void flush_ept(struct vcpu *v)
{
    vcpu_entry_work_clear(v, ENTRY_WORK_TLB);
    if (vmx.ept_vpid & EPT_CAP_INVEPT)
        invept((vmx.ept_vpid & EPT_CAP_INVEPT_SINGLE) ? 1 : 2, vvcpu(v)->eptp);
}

/* One pass: complete, entry work (stop, EPT flush, MSRs, NMIs), world
 * switch (inline asm naming every register but RSP and RBX as clobbered,
 * so keel's callee-saved registers are saved once per run), decode. The first pass
 * of a run (first = true) is peeled off: it runs the pre-entry checks and
 * VMLAUNCH; every later pass is a VMRESUME (an entry that fails ends the
 * run, so there is no relaunch). NULL: a handler stopped the run. Built
 * twice, with and without the LMA fix-up (fix_lma), so the common CPU pays
 * no test for it. */
_Static_assert(__builtin_offsetof(struct vcpu, regs) == 0, "vmx_entry.S: the vCPU is its regs");
_Static_assert(__builtin_offsetof(struct guest_regs, rsp) == VMX_R_RSP && __builtin_offsetof(struct guest_regs, rax) == VMX_R_RAX &&
                   __builtin_offsetof(struct guest_regs, rbx) == VMX_R_RBX && __builtin_offsetof(struct guest_regs, rcx) == 16 &&
                   __builtin_offsetof(struct guest_regs, rdi) == 40 && __builtin_offsetof(struct guest_regs, r8) == 56 &&
                   __builtin_offsetof(struct guest_regs, r15) == 112,
               "vmx_gprs.h: the offsets of struct guest_regs");
static inline __attribute__((always_inline)) struct vcpu *vmx_pass(struct vcpu *v, const bool first,
                                                                   const bool lma)
{
    bool exited;

    if (v->exit.advance) {
        v->exit.advance = false;
        complete_insn(v);
    }
    if (__builtin_expect(v->entry_work != 0, 0)) {
        if (v->entry_work & ENTRY_WORK_STOP)
            return NULL;
        if (v->entry_work & ENTRY_WORK_TLB)
            flush_ept(v);
        if (v->entry_work & ENTRY_WORK_MSR)
            msr_before_entry_slow(v);
        if (v->entry_work & ENTRY_WORK_VENDOR)
            reflect_nmi_work(v);
    }
    if (first)
        /* Once, before the first VMLAUNCH: name what the CPU would reject. */
        vmx_report_checks("pre-entry");
#ifdef KEEL_VMINSN_COUNT
    vmi_attribute(first ? EXIT_NONE : v->exit.kind);
#endif
    {
        /* &v->regs in RBX, back in RBX after a VM exit; "above" (CF = ZF = 0): a
         * VM exit, else VMfail (vmx_entry.S). The first entry calls
         * vmx_launch; every later one is inlined here (no CALL/RET per
         * exit) and lands on its own exit point, whose address is
         * vmx_exit_resume_<lma> (one per loop copy: HOST_RIP, set by
         * vmx_loop). */
        register struct vcpu *rbx __asm__("rbx") = v;
#define VMX_CLOBBERS \
    "rax", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "memory"
#define LOAD(r, o) "mov " #o "(%%rbx), %%" #r "\n\t"
#define PUSH(r, o) "push %%" #r "\n\t"
        if (first)
            __asm__ volatile("call vmx_launch" : "+b"(rbx), "=@cca"(exited) : : VMX_CLOBBERS);
        else
            __asm__ volatile("mov %%rsp, %c[rsp](%%rbx)\n\t" VMX_GPRS_R15_TO_RCX(LOAD)
                             "mov %c[rax](%%rbx), %%rax\n\t"
                             "mov %c[rbx](%%rbx), %%rbx\n\t"
                             "vmresume\n\t"
                             "jmp 1f\n"                 /* VMfail: the flags say which */
                             /* The landing point's address as data, so the
                              * text symbol stays the loop's (backtraces). */
                             ".pushsection .rodata\n\t.balign 8\n"
                             "vmx_exit_resume_%c[lma]:\n\t.quad 2f\n\t.popsection\n"
                             "2:\n\t" VMX_GPRS_R15_TO_RCX(PUSH)
                             "push %%rbx\n\t"
                             "push %%rax\n\t"
                             "mov %%rsp, %%rbx\n\t"
                             "mov %c[rsp](%%rbx), %%rsp\n"
                             "1:"
                             : "+b"(rbx), "=@cca"(exited)
                             : [rsp] "i"(VMX_R_RSP), [rax] "i"(VMX_R_RAX), [rbx] "i"(VMX_R_RBX), [lma] "i"(lma)
                             : VMX_CLOBBERS);
#undef LOAD
#undef PUSH
#undef VMX_CLOBBERS
        if (__builtin_expect(!exited, 0)) {
            /* RBX is the guest's then: the vCPU pinned to this CPU. */
            v = this_cpu()->vcpu;
            vmfail(v, !first);
            msr_after_exit(v);
            return v;
        }
        v = rbx;
    }
    decode(v);          /* and msr_after_exit, in each kind's copy */
    if (lma)
        fix_lma();
    return v;
}

/* The addresses of the inline VMRESUME's landing points, one per loop copy. */
extern const uint64_t vmx_exit_resume_0, vmx_exit_resume_1;

static inline __attribute__((always_inline)) void vmx_loop(struct vcpu *v, const bool lma)
{
    vvcpu(v);           /* this vCPU's VMCS is current */
    /* The VMLAUNCH lands on vmx_exit_point, every VMRESUME on this copy's
     * own point: two VMWRITEs per run, none per exit. */
    vmwrite(VMCS_HOST_RIP, (uint64_t)vmx_exit_point);
    v = vmx_pass(v, true, lma);
    if (v)
        vmwrite(VMCS_HOST_RIP, lma ? vmx_exit_resume_1 : vmx_exit_resume_0);
    for (; v; v = vmx_pass(v, false, lma))
        vcpu_dispatch(v);
}

/* Built twice, with and without the EFER.LMA fix-up. The attribute is
 * VCPU_LOOP_ATTR's (vmm/run.h; a second optimize attribute would replace
 * its own) plus no tail merging, so decode_hot's copies keep their
 * immediates. */
#define VMX_LOOP_ATTR __attribute__((noinline, optimize("omit-frame-pointer", "no-tree-tail-merge", "no-crossjumping")))
static VMX_LOOP_ATTR void vmx_loop_plain(struct vcpu *v) { vmx_loop(v, false); }
static VMX_LOOP_ATTR void vmx_loop_lma(struct vcpu *v) { vmx_loop(v, true); }

static void vmx_run_loop(struct vcpu *v)
{
    struct vmx_vcpu *vv = v->vendor;
    /* Every run starts with the peeled VMLAUNCH pass. An AP's vCPU runs
     * again after keel held it in its own wait-for-SIPI (vmm/smp.c, CPUs
     * without the hardware state): VMCLEAR puts its VMCS back in the
     * "clear" launch state (SDM 24.11.3) so that VMLAUNCH is right again. */
    if (vv->ran) {
        vmx.current = NULL;
        if (!vmx_insn_mem("vmclear", vv->vmcs_pa))
            keel_fatal("vmx: VMCLEAR of vcpu %u's VMCS failed", v->index);
    }
    vv->ran = true;
    /* NMIs that reach keel from now on mark the entry work; one that came
     * before is marked here. */
    {
        struct percpu *pc = this_cpu();
        pc->nmi_work_bits = ENTRY_WORK_VENDOR;
        pc->nmi_work = &v->entry_work;
        if (this_cpu_nmis_pending() != 0)
            vcpu_entry_work_set(v, ENTRY_WORK_VENDOR);
        if (vmx.fix_lma)
            vmx_loop_lma(v);
        else
            vmx_loop_plain(v);
        pc->nmi_work = NULL;
    }
}

/* ---- dump_state ------------------------------------------------------------------------ */

static void vmx_dump_state(struct vcpu *v)
{
    static const char *const seg_names[SEG_COUNT] = { "ES", "CS", "SS", "DS", "FS", "GS", "LDTR", "TR" };
    uint32_t reason, basic, err;
    uint64_t qual;
    unsigned i;

    vvcpu(v);
    reason = (uint32_t)vmread(VMCS_EXIT_REASON);
    basic = reason & 0xffff;
    qual = vmread(VMCS_EXIT_QUALIFICATION);
    err = (uint32_t)vmread(VMCS_INSN_ERROR);
    if (v->exit.raw_code & VMX_RAW_VMFAIL)
        klog("vmx: VM entry failed with VMfail: VM-instruction error %u (%s)", err, vmx_insn_error_name(err));
    else
        klog("vmx: exit reason %u (%s)%s, qualification 0x%lx", basic, vmx_exit_reason_name(basic),
             (reason & VMX_EXIT_REASON_ENTRY_FAIL) ? " [VM-entry failure]" : "", qual);
    if (reason & VMX_EXIT_REASON_ENTRY_FAIL && !(v->exit.raw_code & VMX_RAW_VMFAIL))
        klog("vmx: entry failure qualification %lu: %s", qual, vmx_entry_fail_qual_name(basic, qual));
    /* Only fields this CPU has (SDM Appendix B); a VMREAD that still fails
     * is named rather than printed as a value. */
    for (i = 0; i < vmx_dump_field_count; i++) {
        const struct vmx_field *f = &vmx_dump_fields[i];
        uint64_t val;
        if (!vmx_field_exists(f, vmx.cap)) {
            klog("vmx:   %-36s n/a (the CPU lacks \"%s\")", f->name, vmx_field_condition(f));
        } else if (!vmread_safe(f->enc, &val)) {
            uint64_t e = 0;
            vmread_safe(VMCS_INSN_ERROR, &e);
            klog("vmx:   %-36s VMREAD failed: VM-instruction error %lu (%s)", f->name, e,
                 vmx_insn_error_name((uint32_t)e));
        } else {
            klog("vmx:   %-36s 0x%lx", f->name, val);
        }
    }
    for (i = 0; i < SEG_COUNT; i++)
        klog("vmx:   guest %-4s selector 0x%04lx base 0x%lx limit 0x%lx access rights 0x%lx", seg_names[i],
             vmread(VMCS_GUEST_ES_SEL + 2 * i), vmread(VMCS_GUEST_ES_BASE + 2 * i),
             vmread(VMCS_GUEST_ES_LIMIT + 2 * i), vmread(VMCS_GUEST_ES_AR + 2 * i));
    klog("vmx:   guest GPRs rax=%lx rbx=%lx rcx=%lx rdx=%lx rsi=%lx rdi=%lx rbp=%lx", v->regs.rax, v->regs.rbx,
         v->regs.rcx, v->regs.rdx, v->regs.rsi, v->regs.rdi, v->regs.rbp);
}

static unsigned vmx_explain_entry_failure(struct vcpu *v)
{
    vvcpu(v);
    return vmx_report_checks("guest-state");
}

/* ---- hooks ------------------------------------------------------------------------------ */

static void vmx_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
    uint32_t info = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | vector;
    vvcpu(v);
    /* No error code is delivered in real mode (SDM 26.2.1.3). */
    if (has_error && (vmread(VMCS_GUEST_CR0) & CR0_PE)) {
        info |= INTR_INFO_ERROR_VALID;
        vmwrite(VMCS_ENTRY_EXCEPTION_ERROR, error);
    }
    vmwrite(VMCS_ENTRY_INTR_INFO, info);
}

static uint64_t visible_cr(uint64_t hw, uint64_t shadow, uint64_t mask)
{
    return (hw & ~mask) | (shadow & mask);
}

/* The guest CET fields (SDM 25.4.1), there with the load-CET controls. */
static uint64_t cet_field(enum vcpu_state s)
{
    return s == VS_S_CET ? VMCS_GUEST_S_CET : s == VS_SSP ? VMCS_GUEST_SSP : VMCS_GUEST_INT_SSP_TAB;
}

static uint64_t vmx_get_state(struct vcpu *v, enum vcpu_state s)
{
    struct vmx_vcpu *vv = vvcpu(v);
    uint64_t val = 0;
    switch (s) {
    case VS_RIP: return vmread(VMCS_GUEST_RIP);
    case VS_RSP: return vmread(VMCS_GUEST_RSP);
    case VS_RFLAGS: return vmread(VMCS_GUEST_RFLAGS);
    case VS_CR0: return visible_cr(vmread(VMCS_GUEST_CR0), vmread(VMCS_CR0_SHADOW), vmx.cr0_mask);
    case VS_CR2: return read_cr2();
    case VS_CR3: return vmread(VMCS_GUEST_CR3);
    case VS_CR4: return visible_cr(vmread(VMCS_GUEST_CR4), vmread(VMCS_CR4_SHADOW), vmx.cr4_mask);
    case VS_XCR0: return vv->xcr0;
    case VS_EFER: return (vmx.entry & ENTRY_LOAD_EFER) ? vmread(VMCS_GUEST_EFER) : rdmsr(MSR_EFER);
    case VS_PAT: return (vmx.entry & ENTRY_LOAD_PAT) ? vmread(VMCS_GUEST_PAT) : rdmsr(MSR_PAT);
    case VS_DEBUGCTL: return vmread(VMCS_GUEST_DEBUGCTL);
    case VS_SYSENTER_CS: return vmread(VMCS_GUEST_SYSENTER_CS);
    case VS_SYSENTER_ESP: return vmread(VMCS_GUEST_SYSENTER_ESP);
    case VS_SYSENTER_EIP: return vmread(VMCS_GUEST_SYSENTER_EIP);
    /* Not switched by VMX and never used by keel: live in hardware. */
    case VS_STAR: return rdmsr(MSR_STAR);
    case VS_LSTAR: return rdmsr(MSR_LSTAR);
    case VS_CSTAR: return rdmsr_safe(MSR_CSTAR, &val) ? val : 0;
    case VS_SFMASK: return rdmsr(MSR_SFMASK);
    case VS_KERNEL_GS_BASE: return rdmsr(MSR_KERNEL_GS_BASE);
    case VS_FS_BASE: return vmread(VMCS_GUEST_FS_BASE);
    case VS_GS_BASE: return vmread(VMCS_GUEST_GS_BASE);
    case VS_TSC_OFFSET: return (vmx.proc & PROC_USE_TSC_OFFSETTING) ? vmread(VMCS_TSC_OFFSET) : 0;
    case VS_S_CET:
    case VS_SSP:
    case VS_INT_SSP_TAB: return vmx.cet ? vmread(cet_field(s)) : 0;
    case VS_CPL: return (vmread(VMCS_GUEST_SS_AR) >> 5) & 3;
    case VS_DR6: return read_dr6();    /* not switched: MOV-DR exiting is off, the guest owns DR6 */
    case VS_INTR_SHADOW: return vmread(VMCS_GUEST_INTERRUPTIBILITY) & 3;
    case VS_CS_BASE: return vmread(VMCS_GUEST_CS_BASE);
    case VS_DS_BASE: return vmread(VMCS_GUEST_DS_BASE);
    case VS_ES_BASE: return vmread(VMCS_GUEST_ES_BASE);
    case VS_SS_BASE: return vmread(VMCS_GUEST_SS_BASE);
    /* Access rights: L = bit 13, D/B = bit 14 (SDM 25.4.1, Table 25-2). */
    case VS_CS_FLAGS: val = vmread(VMCS_GUEST_CS_AR);
        return ((val >> 14) & 1 ? CS_FLAG_D : 0) | ((val >> 13) & 1 ? CS_FLAG_L : 0);
    default: return 0;
    }
}

/* IA-32e mode follows EFER.LME && CR0.PG (SDM 10.8.5); VM entry needs
 * EFER.LMA and the "IA-32e mode guest" control to agree (26.3.1.1). */
static void sync_long_mode(void)
{
    uint64_t efer, ec, cr0 = vmread(VMCS_GUEST_CR0);
    bool lma;
    if (!(vmx.entry & ENTRY_LOAD_EFER))
        return;
    efer = vmread(VMCS_GUEST_EFER);
    lma = (efer & EFER_LME) && (cr0 & CR0_PG);
    vmwrite(VMCS_GUEST_EFER, lma ? efer | EFER_LMA : efer & ~EFER_LMA);
    ec = vmread(VMCS_ENTRY_CTLS);
    vmwrite(VMCS_ENTRY_CTLS, lma ? ec | ENTRY_IA32E_MODE_GUEST : ec & ~ENTRY_IA32E_MODE_GUEST);
}

/* PAE paging outside IA-32e mode with EPT: VM entry loads the guest's
 * PDPTEs from the VMCS, not from CR3 (SDM 26.3.2.4), so when keel carries
 * out a MOV to CR0/CR3/CR4 for the guest it must load them as the CPU would
 * have (SDM 4.4.1, 28.3.1). Read and checked before anything is committed:
 * false = the MOV #GPs (reserved bits in a present PDPTE, or CR3 not in
 * guest RAM). *need = false when the new state is not PAE paging. */
#define CR0_PDPTE_BITS (CR0_PG | CR0_CD | CR0_NW)
#define CR4_PDPTE_BITS (CR4_PSE | CR4_PAE | CR4_PGE | CR4_SMEP)
static bool read_pdptes(const struct guest_layout *g, uint64_t cr0, uint64_t cr3, uint64_t cr4, bool lma,
                        bool relevant, uint64_t pd[4], bool *need)
{
    const uint64_t *src;
    *need = relevant && vmx_pae_paging(cr0, cr4, lma ? EFER_LMA : 0);
    if (!*need)
        return true;
    src = guest_phys_ptr(g, cr3 & 0xffffffe0ull, 4 * sizeof(uint64_t));
    if (!src)
        return false;
    memcpy(pd, src, 4 * sizeof(uint64_t));
    return vmx_pdptes_ok(pd, vmx.maxphyaddr);
}

static void write_pdptes(const uint64_t pd[4])
{
    vmwrite(VMCS_GUEST_PDPTE0, pd[0]);
    vmwrite(VMCS_GUEST_PDPTE1, pd[1]);
    vmwrite(VMCS_GUEST_PDPTE2, pd[2]);
    vmwrite(VMCS_GUEST_PDPTE3, pd[3]);
}

/* EFER.LMA once CR0 = cr0 (IA-32e mode = EFER.LME && CR0.PG, SDM 10.8.5). */
static bool lma_after(uint64_t cr0)
{
    if (!(vmx.entry & ENTRY_LOAD_EFER))
        return vmread(VMCS_ENTRY_CTLS) & ENTRY_IA32E_MODE_GUEST;
    return (vmread(VMCS_GUEST_EFER) & EFER_LME) && (cr0 & CR0_PG);
}

static bool vmx_set_state(struct vcpu *v, enum vcpu_state s, uint64_t val)
{
    struct vmx_vcpu *vv = vvcpu(v);
    uint64_t pd[4];
    bool pae;
    switch (s) {
    case VS_RIP: vmwrite(VMCS_GUEST_RIP, val); return true;
    case VS_RSP: vmwrite(VMCS_GUEST_RSP, val); return true;
    case VS_RFLAGS: vmwrite(VMCS_GUEST_RFLAGS, val | 2); return true;
    case VS_CR0:
        /* The architectural #GP rules were checked by vmm/cr_check.c; here
         * only what this CPU cannot hold (IA32_VMX_CR0_FIXED1, SDM A.7) and
         * the PDPTEs of PAE paging. */
        if (val & ~vmx.cr0_fixed1 & ~vmx.cr0_mask)
            return false;
        if (!read_pdptes(&v->vm->layout, val, vmread(VMCS_GUEST_CR3), vmread(VMCS_GUEST_CR4), lma_after(val),
                         ((val ^ vmx_get_state(v, VS_CR0)) & CR0_PDPTE_BITS) != 0, pd, &pae))
            return false;
        vmwrite(VMCS_GUEST_CR0, (val | (vmx.cr0_fixed0 & ~(CR0_PE | CR0_PG))) & vmx.cr0_fixed1);
        vmwrite(VMCS_CR0_SHADOW, val);
        sync_long_mode();
        if (pae)
            write_pdptes(pd);
        return true;
    case VS_CR2: write_cr2(val); return true;
    case VS_CR3:
        if (!read_pdptes(&v->vm->layout, vmread(VMCS_GUEST_CR0), val, vmread(VMCS_GUEST_CR4),
                         vmread(VMCS_ENTRY_CTLS) & ENTRY_IA32E_MODE_GUEST, true, pd, &pae))
            return false;
        vmwrite(VMCS_GUEST_CR3, val);
        if (pae)
            write_pdptes(pd);
        return true;
    case VS_CR4:
        /* Checked by vmm/cr_check.c (CR4.VMXE is reserved: the guest's CPUID
         * has no VMX); here only IA32_VMX_CR4_FIXED1 (SDM A.8) and PDPTEs. */
        if (val & ~vmx.cr4_fixed1)
            return false;
        if (!read_pdptes(&v->vm->layout, vmread(VMCS_GUEST_CR0), vmread(VMCS_GUEST_CR3), val,
                         vmread(VMCS_ENTRY_CTLS) & ENTRY_IA32E_MODE_GUEST,
                         ((val ^ vmx_get_state(v, VS_CR4)) & CR4_PDPTE_BITS) != 0, pd, &pae))
            return false;
        vmwrite(VMCS_GUEST_CR4, (val | vmx.cr4_fixed0) & vmx.cr4_fixed1);
        vmwrite(VMCS_CR4_SHADOW, val);
        if (pae)
            write_pdptes(pd);
        return true;
    case VS_XCR0:   /* checked by policy_xcr0_valid (vmm/cpuid_exit.c) */
        xsetbv(0, val);     /* keel uses no XSAVE state: the guest's value stays loaded */
        vv->xcr0 = val;
        return true;
    case VS_EFER:
        if (!(vmx.entry & ENTRY_LOAD_EFER))
            return false;
        vmwrite(VMCS_GUEST_EFER, val);
        sync_long_mode();
        return true;
    case VS_PAT:
        if (!(vmx.entry & ENTRY_LOAD_PAT))
            return false;
        vmwrite(VMCS_GUEST_PAT, val);
        return true;
    case VS_DEBUGCTL: vmwrite(VMCS_GUEST_DEBUGCTL, val); return true;
    case VS_SYSENTER_CS: vmwrite(VMCS_GUEST_SYSENTER_CS, val); return true;
    case VS_SYSENTER_ESP: vmwrite(VMCS_GUEST_SYSENTER_ESP, val); return true;
    case VS_SYSENTER_EIP: vmwrite(VMCS_GUEST_SYSENTER_EIP, val); return true;
    case VS_STAR: return wrmsr_safe(MSR_STAR, val);
    case VS_LSTAR: return wrmsr_safe(MSR_LSTAR, val);
    case VS_CSTAR: return wrmsr_safe(MSR_CSTAR, val);
    case VS_SFMASK: return wrmsr_safe(MSR_SFMASK, val);
    case VS_KERNEL_GS_BASE: return wrmsr_safe(MSR_KERNEL_GS_BASE, val);
    case VS_FS_BASE: vmwrite(VMCS_GUEST_FS_BASE, val); return true;
    case VS_GS_BASE: vmwrite(VMCS_GUEST_GS_BASE, val); return true;
    case VS_TSC_OFFSET:
        if (!(vmx.proc & PROC_USE_TSC_OFFSETTING))
            return false;
        vmwrite(VMCS_TSC_OFFSET, val);
        return true;
    case VS_S_CET:
    case VS_SSP:
    case VS_INT_SSP_TAB:
        if (!vmx.cet)       /* no "load CET state" controls: the fields do not exist */
            return false;
        vmwrite(cet_field(s), val);
        return true;
    case VS_DR6: write_dr6(val); return true;
    case VS_INTR_SHADOW: {
        /* Bits 0 (STI) and 1 (MOV SS) of the interruptibility state. */
        uint64_t intr = vmread(VMCS_GUEST_INTERRUPTIBILITY);
        if ((intr & 3) != (val & 3))
            vmwrite(VMCS_GUEST_INTERRUPTIBILITY, (intr & ~3ull) | (val & 3));
        return true;
    }
    default:
        return false;
    }
}

/* The 4 KiB MSR bitmap comes from the MSR engine's neutral maps (the same
 * source as SVM's permission map): vmm/msr_encode.c, SDM 25.6.9. MSRs
 * outside 0-0x1fff and 0xc0000000-0xc0001fff always exit. The engine
 * reports its bitmaps only after vcpu_create (vmm/vm.c: msr_vcpu_init
 * follows it), so the bitmap page always exists here. */

static void vmx_msr_intercepts_changed(struct vcpu *v, const struct msr_intercepts *mi)
{
    struct vmx_vcpu *vv = v->vendor;
    msr_encode_vmx_bitmap(mi, vv->msr_bitmap);
}

static bool vmx_wait_for_sipi(struct vcpu *v)
{
    if (!(vmx.misc & (1ull << 8)))
        return false;
    load_vmcs(v->vendor);
    vw(VMCS_GUEST_ACTIVITY, 3);
    vw(VMCS_GUEST_INTERRUPTIBILITY, 0);
    vw(VMCS_ENTRY_INTR_INFO, 0);
    return true;
}

const struct vendor_ops vmx_ops = VENDOR_OPS(vmx, &vmx_npt_format, vmx_run_loop, vmx_wait_for_sipi);
