/* AMD SVM backend (AMD APM Vol 2, chapter 15). Decodes #VMEXITs into the
 * neutral record and implements the vcpu hooks; vmm/ decides everything. */
#include "arch/x86/svm/vmcb.h"
#include "arch/x86/svm/svm_check.h"
#include "arch/x86/svm/svm_setup.h"
#include "arch/x86/svm/svm_decode.h"
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
#include "vmm/vendor.h"
#include "vmm/run.h"
#include "vmm/trace.h"
#include "vmm/arch_hooks.h"
#include "vmm/vm.h"

/* svm_entry.S: called from svm_pass's inline asm only (see there). It
 * VMLOADs keel's state from the page right after the guest VMCB
 * (struct svm_vcpu, vmcb_pa + PAGE_SIZE): per CPU, and no load of its own. */
void svm_vmrun(void);

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

static struct vendor_options opts;   /* from vmm/ at cpu_init */

static bool svm_cpu_init(const struct vendor_options *o)
{
    opts = *o;
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

/* The segment state both entry states share: DS/ES/SS/FS/GS all alike,
 * and GDTR/IDTR/LDTR/TR as after INIT (APM 14.1.3 table 14-1), CPL 0,
 * EFER.SVME set underneath for VMRUN. */
static void set_data_and_system_segs(struct vmcb_save *g, uint16_t sel, uint16_t attrib, uint32_t limit)
{
    set_seg(&g->ds, sel, attrib, limit, 0);
    set_seg(&g->es, sel, attrib, limit, 0);
    set_seg(&g->ss, sel, attrib, limit, 0);
    set_seg(&g->fs, sel, attrib, limit, 0);
    set_seg(&g->gs, sel, attrib, limit, 0);
    set_seg(&g->gdtr, 0, 0, 0xffff, 0);
    set_seg(&g->idtr, 0, 0, 0xffff, 0);
    set_seg(&g->ldtr, 0, 0x82, 0xffff, 0);
    set_seg(&g->tr, 0, 0x8b, 0xffff, 0);
    g->cpl = 0;
    g->efer = EFER_SVME;
}

/* The registers both starts (boot entry, INIT-SIPI) set alike, as after
 * INIT (APM 14.1.3 table 14-1): CR0, RIP and RSP as the caller chooses
 * (RSP lives in the VMCB: svm_pass copies only RAX), CR2/CR3/CR4 zero, and
 * XCR0 back to x87 only (it stays live in hardware, svm_set_state). */
static void set_start_regs(struct vmcb_save *g, uint64_t cr0, uint64_t rip, uint64_t rsp)
{
    g->cr0 = cr0;
    g->cr2 = 0;
    g->cr3 = 0;
    g->cr4 = 0;
    g->dr7 = X86_RESET_DR7;
    g->dr6 = X86_RESET_DR6;
    g->rflags = X86_RESET_RFLAGS;
    g->rip = rip;
    g->rsp = rsp;
    g->g_pat = X86_RESET_PAT;
    if (read_cr4() & CR4_OSXSAVE)
        xsetbv(0, X86_RESET_XCR0);
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
    /* Two pages: the guest VMCB, then keel's VMLOAD/VMSAVE state for the
     * CPU this vCPU is pinned to (vcpu_create runs on that CPU), which
     * svm_vmrun finds at vmcb_pa + PAGE_SIZE. */
    s->vmcb_pa = palloc_pages(2, PAGE_SIZE);
    if (!s->vmcb_pa || !msrpm || !iopm) {
        klog("svm: out of memory for VMCB/bitmaps");
        return false;
    }
    s->host_vmcb_pa = s->vmcb_pa + PAGE_SIZE;
    memset(palloc_ptr(s->host_vmcb_pa), 0, PAGE_SIZE);
    __asm__ volatile("vmsave %0" ::"a"(s->host_vmcb_pa) : "memory");
    s->vmcb = vm = palloc_ptr(s->vmcb_pa);
    v->hw = vm;                         /* for the run loop (svm_pass) */
    v->hw_pa = s->vmcb_pa;
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
    /* Several vCPUs: keel's kick to make a vCPU exit is an NMI (APM
     * 15.13.2): the end of the run parks every other CPU (vmm/smp.c), and
     * with smp.apic-trap=always keel delivers a guest INIT to a running
     * vCPU itself. A guest's own NMI then exits too and is reflected. */
    if (v->vm && v->vm->ncpus > 1)
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
    set_data_and_system_segs(g, 0x18, 0xc93, 0xffffffff);
    set_start_regs(g, CR0_PE | CR0_ET, e->rip, e->rsp);
    g->rax = e->rax;

    /* The GPRs: vcpu_reset_regs (vmm/vcpu_reset.c), before this. */

    if (v->index == 0 && opts.selftest == VENDOR_SELFTEST_BAD_GUEST_STATE) {
        klog("selftest: clearing the guest's EFER.SVME so VMRUN must fail its consistency checks");
        g->efer &= ~EFER_SVME;
    }
    if (opts.selftest == VENDOR_SELFTEST_UNEXPLAINED) {
        /* CR4.LA57 (bit 12) while the CPU has no 5-level paging: reserved,
         * but keel's checks do not know the host's CR4 feature bits. */
        klog("selftest: setting the guest's CR4.LA57, which a CPU without LA57 refuses");
        g->cr4 |= 1ull << 12;
    }
    return true;
}

/* Every exit but the hot three (svm_pass's decode): all of the record. */
static __attribute__((noinline)) void decode_slow(struct vcpu *v, struct svm_vcpu *s)
{
    struct vmcb_control *c = &s->vmcb->control;
    struct vm_exit *x = &v->exit;
    uint64_t code = c->exitcode;

    x->raw_code = code;
    x->advance = false;                 /* the no-NRIPS completion leaves it to the decode (cached_len) */
    x->raw_info1 = c->exitinfo1;
    x->raw_info2 = c->exitinfo2;
    x->rip = s->vmcb->save.rip;
    /* An event whose delivery the exit interrupted is delivered again. */
    s->pending_reinject = (c->exitintinfo & SVM_EVTINJ_VALID) ? c->exitintinfo : 0;
    if (s->pending_reinject)
        vcpu_entry_work_set(v, ENTRY_WORK_VENDOR);

    x->kind = svm_exit_kind(code, c->exitinfo1);
    svm_decode_info(x, code, c->exitinfo1, c->exitinfo2);
    if (x->kind == EXIT_IO) {
        /* EXITINFO2 holds the next RIP for IOIO exits, NRIPS or not; the
         * NRIPS loop completes through nRIP, so it gets the same value
         * (VMRUN reads nRIP only to inject a soft event, which the
         * re-injection plan sets again, APM 15.20). */
        x->insn_len = (uint8_t)(c->exitinfo2 - s->vmcb->save.rip);
        c->next_rip = c->exitinfo2;
        return;
    }
    /* nRIP is valid for instruction intercepts with NRIPS (APM 15.7.1);
     * without it the length is 0, "unknown": vmm/insn.c reads the
     * instruction from guest memory. */
    x->insn_len = has_nrips ? (uint8_t)(c->next_rip - s->vmcb->save.rip) : 0;
}

/* Without NRIPS, a hot exit's length: its kind's entry of the decoded-
 * length cache when paging is off and the same bytes are at the same
 * linear address (CS.base + EIP, 32 bits: no long mode without paging),
 * else 0 and the completion decodes (vcpu_insn_len). Stored with
 * exit.advance = false in one 16-bit store (insn_cache_len_pair): the no-
 * NRIPS completion leaves clearing advance to this, the next decode. The
 * miss stores in its own asm-fenced branch, so the hit is the compares and
 * one load and store, with no 0 kept ready for a shared store. */
static inline __attribute__((always_inline)) void cached_len(struct vcpu *v, const struct vmcb *vm, uint64_t rip,
                                                             const struct insn_cache *c)
{
    /* CS.base + EIP, 32 bits, as one 32-bit ADD to RIP's register: it
     * zero-extends (SDM Vol. 1 3.4.1.1), and GCC, which does not know that,
     * would zero-extend again for the 64-bit compare with c->la. */
    uint64_t la = rip;
    __asm__("addl %1, %k0" : "+r"(la) : "m"(vm->save.cs.base) : "cc");   /* its low 32 bits */
    if (__builtin_expect(!(vm->save.cr0 & CR0_PG), 1) && __builtin_expect(insn_cache_hit(c, la), 1)) {
        insn_cache_len_pair(&v->exit.insn_len, c);
        return;
    }
    __asm__ volatile("" ::: "memory");
    insn_cache_len_pair(&v->exit.insn_len, NULL);
}

/* One hot exit of kind k: the kind, its ring entry (the MSR index for
 * RDMSR/WRMSR: msr), without NRIPS its length from its cache entry c, and
 * with dispatch its handler. Inlined with constants. */
static inline __attribute__((always_inline)) void decode_hot(struct vcpu *v, const struct vmcb *vm, const bool nrips,
                                                            const bool dispatch, size_t k,
                                                            const struct insn_cache *c, const bool msr)
{
    uint64_t rip = vm->save.rip;        /* loaded once for the ring and the length */
    v->exit.kind = (enum exit_kind)k;
    if (msr)
        trace_hot(v, (enum exit_kind)k, rip, gpr_low32(&v->regs.rcx));
    else
        trace_hot_nodetail(v, (enum exit_kind)k, rip);
    if (!nrips)
        cached_len(v, vm, rip, c);
    if (dispatch)
        vcpu_dispatch_kind(v, k);
}

/* EXITCODE is code, as one CMP with the VMCB and a flag output (GCC
 * otherwise loads it into a register once and compares that: one
 * instruction more on every path). */
static inline __attribute__((always_inline)) bool exit_code_is(const struct vmcb *vm, uint32_t code)
{
    bool eq;
    __asm__("cmpq %2, %1" : "=@ccz"(eq) : "m"(vm->control.exitcode), "i"(code));
    return eq;
}

/* The hot exits (CPUID, RDMSR/WRMSR, VMMCALL) decode to the kind and the
 * length, and write their trace-ring entry (RIP, the MSR index) directly;
 * nothing else of the VMCB is read. EXITINTINFO is not read for them: an
 * instruction intercept is taken while the instruction executes, never
 * while an event is being delivered, so it cannot be valid then (APM Vol 2
 * 15.7.2). With NRIPS the completion takes nRIP (APM 15.7.1) and no length
 * is needed; without it the length comes from the decoded-length cache,
 * checked here where the kind is known (cached_len), or, 0, "unknown",
 * from the completion's decode (vcpu_insn_len). dispatch: run the handler
 * from the kind's branch (vcpu_dispatch_kind). RDMSR and WRMSR are two
 * branches (EXITINFO1 bit 0: 1 = WRMSR, APM 15.11), so each has its kind
 * and cache entry as constants. */
static inline __attribute__((always_inline)) void decode(struct vcpu *v, const struct vmcb *vm, const bool nrips,
                                                        const bool dispatch)
{
    /* Tested in the order of their budgets (README, Benchmarks): CPUID,
     * VMMCALL, then RDMSR/WRMSR, whose decode also reads EXITINFO1. */
    if (exit_code_is(vm, SVM_EXIT_CPUID)) {
        decode_hot(v, vm, nrips, dispatch, EXIT_CPUID, &v->insn_cache[INSN_CACHE_CPUID], false);
    } else if (exit_code_is(vm, SVM_EXIT_VMMCALL)) {
        decode_hot(v, vm, nrips, dispatch, EXIT_HYPERCALL, &v->insn_cache[INSN_CACHE_HYPERCALL], false);
    } else if (exit_code_is(vm, SVM_EXIT_MSR)) {
        if (vm->control.exitinfo1 & 1)
            decode_hot(v, vm, nrips, dispatch, EXIT_MSR_WRITE, &v->insn_cache[INSN_CACHE_WRMSR], true);
        else
            decode_hot(v, vm, nrips, dispatch, EXIT_MSR_READ, &v->insn_cache[INSN_CACHE_RDMSR], true);
    } else {
        decode_slow(v, svm(v));
        trace_record(v, v->exit.kind);
        if (dispatch)
            vcpu_dispatch(v);
    }
}

/* An event whose delivery the exit cut short (EXITINTINFO) goes in again;
 * soft events need their return address (svm_plan_event). */
static __attribute__((noinline)) void reinject(struct svm_vcpu *s, struct vmcb *vm)
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

/* An NMI keel took after its STGI (svm_entry.S) was the guest's: inject
 * it when the guest can take one now, else try again at the next entry. */
static void reflect_nmi(struct vcpu *v, struct vmcb *vm)
{
    if (!svm_nmi_injectable(vm->control.event_inj, vm->control.int_state)) {
        vcpu_entry_work_set(v, ENTRY_WORK_NMI);
        return;
    }
    vm->control.event_inj = SVM_EVT_VALID | ((uint64_t)SVM_EVT_TYPE_NMI << 8) | 2;
    /* Atomic: the NMI handler counts on this CPU in between. */
    if (__atomic_sub_fetch(&this_cpu()->nmis_pending, 1, __ATOMIC_SEQ_CST) != 0)
        vcpu_entry_work_set(v, ENTRY_WORK_NMI);
}

/* v->entry_work: stop, flush guest translations, re-inject a cut-short
 * event (decode_slow), switch class-(c) MSRs. False: leave the run loop.
 * ENTRY_WORK_TLB comes from another CPU (smp.c took a page out of the
 * shared NPT, APM 15.16.1): TLB_CONTROL = 1 for one VMRUN; ENTRY_WORK_VENDOR
 * brings this back at the next entry to set it to 0 again. */
static __attribute__((noinline)) bool entry_work(struct vcpu *v, struct svm_vcpu *s, struct vmcb *vm)
{
    if (v->entry_work & ENTRY_WORK_STOP)
        return false;
    if (v->entry_work & ENTRY_WORK_VENDOR) {
        if (s->pending_reinject && !(vm->control.event_inj & SVM_EVTINJ_VALID))
            reinject(s, vm);
        vm->control.tlb_control = 0;    /* the flush asked for below was done by the last VMRUN */
        if (!s->pending_reinject)
            vcpu_entry_work_clear(v, ENTRY_WORK_VENDOR);
    }
    if (v->entry_work & ENTRY_WORK_TLB) {
        vcpu_entry_work_clear(v, ENTRY_WORK_TLB);
        vm->control.tlb_control = 1;
        vcpu_entry_work_set(v, ENTRY_WORK_VENDOR);
    }
    if (v->entry_work & ENTRY_WORK_MSR)
        msr_before_entry_slow(v);
    /* Last, after a re-injection above has claimed EVENTINJ. The bit is
     * cleared before the count is read: an NMI in between sets it again. */
    if (v->entry_work & ENTRY_WORK_NMI) {
        vcpu_entry_work_clear(v, ENTRY_WORK_NMI);
        if (this_cpu_nmis_pending() != 0)
            reflect_nmi(v, vm);
    }
    return true;
}

/* vcpu_complete_insn, committed before the entry: RIP past the instruction
 * (nRIP, or without NRIPS the length from the decode or vcpu_insn_len), the
 * interrupt shadow (INTERRUPT_SHADOW, bit 0 of the VMCB interrupt state,
 * APM 15.21.5) ended, and the single-step trap if RFLAGS.TF is set. False:
 * no length, the run was stopped. */
static inline __attribute__((always_inline)) bool complete(struct vcpu *v, struct vmcb *vm, const bool nrips)
{
    if (nrips) {
        if (!v->exit.advance)
            return true;
        v->exit.advance = false;
        vm->save.rip = vm->control.next_rip;
    } else {
        /* insn_len and advance as one 16-bit load: above 0x100 is "advance
         * by a known length", the commonest case, with one compare; 0x100
         * (advance, length unknown: decode it) and below (no advance) go
         * out of the way. advance is cleared by the next decode (cached_len). */
        uint16_t pair;
        __builtin_memcpy(&pair, &v->exit.insn_len, sizeof(pair));
        if (__builtin_expect(pair <= 0x100, 0)) {
            if (!v->exit.advance)
                return true;
            if (!vcpu_insn_len(v))
                return false;
        }
        vm->save.rip += v->exit.insn_len;
    }
    vm->control.int_state &= ~1ull;
    if (__builtin_expect(vm->save.rflags & RFLAGS_TF, 0))
        vcpu_single_step_trap(v);
    return true;
}

/* The world switch (svm_entry.S) and RAX, which lives in the VMCB. */
static inline __attribute__((always_inline)) struct vcpu *world_switch(struct vcpu *v, struct vmcb *vm)
{
    vm->save.rax = v->regs.rax;
    {
        /* RBX: callee-saved, where the loop keeps v across its handler calls anyway. */
        register struct vcpu *rbx __asm__("rbx") = v;   /* &v->regs: regs is the first member */
        register uint64_t rax __asm__("rax") = v->hw_pa;
        __asm__ volatile("call svm_vmrun"
                         : "+b"(rbx), "+a"(rax)
                         :
                         : "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10", "r11", "r12", "r13", "r14",
                           "r15", "memory", "cc");
        v = rbx;
    }
    vm = v->hw;                         /* svm(v)->vmcb, one load */
    v->regs.rax = vm->save.rax;
    return v;
}

/* A pass with entry work (v->entry_work != 0): out of line. Only such a
 * pass can have loaded guest class-(c) MSR values (entry_work ->
 * msr_before_entry_slow), so only it restores keel's after the exit
 * (msr_after_exit): the passes without entry work test nothing for it.
 * A bit set remotely while the guest runs (a policy change) asks for the
 * next entry; this exit ran with keel's values. */
static VCPU_LOOP_ATTR struct vcpu *svm_pass_work(struct vcpu *v, bool nrips, bool first)
{
    struct vmcb *vm = v->hw;
    if (!entry_work(v, svm(v), vm))
        return NULL;
    v = world_switch(v, vm);
    vm = v->hw;
    if (first)
        vm->control.tlb_control = 0;    /* the first VMRUN flushed */
    decode(v, vm, nrips, false);
    msr_after_exit(v);
    vcpu_dispatch(v);
    return v;
}

/* One pass: complete, entry work (re-inject / reflect, switch MSRs: out
 * of line, svm_pass_work), world switch, decode and dispatch (in the
 * decode's branch of each hot kind, with the kind a constant). The world switch is a CALL from inline asm that names every
 * register but RSP as clobbered (svm_entry.S): keel's callee-saved
 * registers are saved once per run, not once per exit. The first pass of a
 * run (first = true) is peeled off: only it has the VMCB's TLB_CONTROL to
 * clear (vcpu_create asks the first VMRUN to flush). Returns NULL when the
 * run ends (a handler or the completion stopped it).
 *
 * Why keel's VMLOAD stays on every exit, before any handler: after #VMEXIT
 * the guest's TR, FS/GS, KERNEL_GS_BASE and SYSCALL/SYSENTER MSRs are still
 * loaded. GIF is 0 until the STGI after keel's VMLOAD (APM 15.17), so INTR,
 * NMI, SMI and INIT are held; but a #DF raised by a fault in keel itself is
 * not an interrupt GIF holds, and keel cannot show that every CPU holds #MC
 * with GIF = 0. Either would be delivered through the guest's TSS, on an
 * IST stack the guest chose. Handling CPUID/MSR/VMMCALL before VMSAVE +
 * keel's VMLOAD (and the guest's VMLOAD, CLGI, STGI next time) would save 5
 * of their instructions; not worth that risk. */
static inline __attribute__((always_inline)) struct vcpu *svm_pass(struct vcpu *v, const bool nrips,
                                                                   const bool first)
{
    struct vmcb *vm = v->hw;            /* svm(v)->vmcb, one load */

    if (!complete(v, vm, nrips))
        return NULL;
    /* NMIs to reflect are entry work too (ENTRY_WORK_NMI, set by keel's
     * NMI handler: svm_run's percpu.nmi_work). */
    /* One compare with memory: as a plain C test GCC keeps the byte it
     * loaded (known 0) as a constant for later, spilled across the world
     * switch. */
    __asm__ goto("cmpb $0, %0\n\tjne %l[work]" : : "m"(v->entry_work) : "cc" : work);
    v = world_switch(v, vm);
    vm = v->hw;
    if (first)
        vm->control.tlb_control = 0;    /* the first VMRUN flushed */
    decode(v, vm, nrips, true);
    return v;
work:
    return svm_pass_work(v, nrips, first);
}

/* The run loop, built twice, for CPUs with NRIPS and without, so neither
 * pays a test for the other (VCPU_LOOP_ATTR, vmm/run.h); each pass
 * dispatches its exit. */
static inline __attribute__((always_inline)) void svm_loop(struct vcpu *v, const bool nrips)
{
    for (v = svm_pass(v, nrips, true); v; v = svm_pass(v, nrips, false))
        ;
}

static VCPU_LOOP_ATTR void svm_loop_nrips(struct vcpu *v) { svm_loop(v, true); }
static VCPU_LOOP_ATTR void svm_loop_lengths(struct vcpu *v) { svm_loop(v, false); }

static void svm_run(struct vcpu *v)
{
    struct percpu *p = this_cpu();
    /* NMIs taken in keel become ENTRY_WORK_NMI while this loop runs. */
    p->nmi_work_bits = ENTRY_WORK_NMI;
    p->nmi_work = &v->entry_work;
    if (p->nmis_pending)
        vcpu_entry_work_set(v, ENTRY_WORK_NMI);
    if (has_nrips)
        svm_loop_nrips(v);
    else
        svm_loop_lengths(v);
    v->exit.advance = false;    /* the last completion's, without NRIPS not cleared by a decode */
    p->nmi_work = NULL;
}

static void svm_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
    struct svm_vcpu *s = svm(v);
    s->vmcb->control.event_inj = svm_exception_event(vector, has_error, error, s->vmcb->save.cr0 & CR0_PE);
}

/* Guest state that is one 64-bit VMCB field (APM Vol 2 Appendix B, table
 * B-2), read (VSF_GET) and written (VSF_SET) as it stands; the rest is
 * computed in svm_get_state / svm_set_state. */
#define VSF_GET 1u
#define VSF_SET 2u
#define VSF_RW (VSF_GET | VSF_SET)
struct vs_field {
    uint16_t off;       /* offset in struct vmcb */
    uint8_t flags;
};
#define VS_AT(f, fl) { (uint16_t)offsetof(struct vmcb, f), (fl) }
static const struct vs_field vs_fields[VS_COUNT] = {
    [VS_RIP] = VS_AT(save.rip, VSF_RW),
    [VS_RSP] = VS_AT(save.rsp, VSF_RW),
    [VS_RFLAGS] = VS_AT(save.rflags, VSF_RW),
    [VS_CR0] = VS_AT(save.cr0, VSF_RW),
    [VS_CR2] = VS_AT(save.cr2, VSF_RW),
    [VS_CR3] = VS_AT(save.cr3, VSF_RW),
    [VS_CR4] = VS_AT(save.cr4, VSF_RW),
    [VS_PAT] = VS_AT(save.g_pat, VSF_RW),
    [VS_DEBUGCTL] = VS_AT(save.dbgctl, VSF_GET),   /* written only with LBR virtualization */
    [VS_SYSENTER_CS] = VS_AT(save.sysenter_cs, VSF_RW),
    [VS_SYSENTER_ESP] = VS_AT(save.sysenter_esp, VSF_RW),
    [VS_SYSENTER_EIP] = VS_AT(save.sysenter_eip, VSF_RW),
    [VS_STAR] = VS_AT(save.star, VSF_RW),
    [VS_LSTAR] = VS_AT(save.lstar, VSF_RW),
    [VS_CSTAR] = VS_AT(save.cstar, VSF_RW),
    [VS_SFMASK] = VS_AT(save.sfmask, VSF_RW),
    [VS_FS_BASE] = VS_AT(save.fs.base, VSF_RW),
    [VS_GS_BASE] = VS_AT(save.gs.base, VSF_RW),
    [VS_KERNEL_GS_BASE] = VS_AT(save.kernel_gs_base, VSF_RW),
    [VS_TSC_OFFSET] = VS_AT(control.tsc_offset, VSF_RW),
    /* CET state: read only, no SVM shadow-stack support in keel yet. */
    [VS_S_CET] = VS_AT(save.s_cet, VSF_GET),
    [VS_SSP] = VS_AT(save.ssp, VSF_GET),
    [VS_INT_SSP_TAB] = VS_AT(save.isst_addr, VSF_GET),
    [VS_DR6] = VS_AT(save.dr6, VSF_RW),
    [VS_CS_BASE] = VS_AT(save.cs.base, VSF_GET),
    [VS_DS_BASE] = VS_AT(save.ds.base, VSF_GET),
    [VS_ES_BASE] = VS_AT(save.es.base, VSF_GET),
    [VS_SS_BASE] = VS_AT(save.ss.base, VSF_GET),
};

static inline uint64_t *vs_slot(struct vmcb *vm, const struct vs_field *f)
{
    return (uint64_t *)((uint8_t *)vm + f->off);
}

static uint64_t svm_get_state(struct vcpu *v, enum vcpu_state st)
{
    struct vmcb *vm = svm(v)->vmcb;
    if ((unsigned)st >= VS_COUNT)
        return 0;
    if (vs_fields[st].flags & VSF_GET)
        return *vs_slot(vm, &vs_fields[st]);
    switch (st) {
    case VS_XCR0: return (read_cr4() & CR4_OSXSAVE) ? xgetbv(0) : 1;
    case VS_EFER: return vm->save.efer & ~EFER_SVME;   /* SVME is keel's, not the guest's */
    case VS_CPL: return vm->save.cpl;
    case VS_INTR_SHADOW: return vm->control.int_state & 1;     /* APM 15.21.5: one shadow bit */
    /* VMCB attributes: descriptor bits 55:52 in attrib 11:8 (APM 15.5.1), L = 9, D/B = 10. */
    case VS_CS_FLAGS: return ((vm->save.cs.attrib >> 10) & 1 ? CS_FLAG_D : 0) |
                             ((vm->save.cs.attrib >> 9) & 1 ? CS_FLAG_L : 0);
    default: return 0;
    }
}

static bool svm_set_state(struct vcpu *v, enum vcpu_state st, uint64_t val)
{
    struct vmcb *vm = svm(v)->vmcb;
    if ((unsigned)st >= VS_COUNT)
        return false;
    if (vs_fields[st].flags & VSF_SET) {
        *vs_slot(vm, &vs_fields[st]) = val;
        return true;
    }
    switch (st) {
    case VS_XCR0:
        if (!(read_cr4() & CR4_OSXSAVE))
            return false;
        xsetbv(0, val);         /* keel uses no XSAVE state: the guest's XCR0 stays live */
        return true;
    case VS_EFER: vm->save.efer = val | EFER_SVME; return true;
    case VS_DEBUGCTL:
        if (!has_lbrv)
            return false;       /* without LBR virtualization there is no guest copy */
        vm->save.dbgctl = val;
        return true;
    case VS_INTR_SHADOW: vm->control.int_state = (vm->control.int_state & ~1ull) | (val ? 1 : 0); return true;
    default: return false;      /* CET state, CPL, CS: not written through this hook */
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
    set_data_and_system_segs(g, 0, 0x93, 0xffff);
    set_start_regs(g, CR0_ET | CR0_NW | CR0_CD, 0, 0);
    vm->control.event_inj = 0;
    svm(v)->pending_reinject = 0;
    /* Nothing to re-inject; TLB_CONTROL = 1 below survives to the first
     * VMRUN of the new start, whose pass sets it back to 0. */
    vcpu_entry_work_clear(v, ENTRY_WORK_VENDOR | ENTRY_WORK_TLB);
    this_cpu()->nmis_pending = 0;       /* keel's own kick NMI (smp_nmi_exit) is not the new start's */
    vm->control.tlb_control = 1;
    memset(&v->regs, 0, sizeof(v->regs));
    cpuid_count(1, 0, &r);
    v->regs.rdx = r.eax;
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

const struct vendor_ops svm_ops = VENDOR_OPS(svm, &svm_npt, svm_run, NULL);
