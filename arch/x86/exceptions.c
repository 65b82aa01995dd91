/* Exceptions in keel itself: a fault at a listed instruction (rdmsr_safe &
 * co.) resumes at its fixup; anything else is a keel bug, reported in full
 * on the console before a clean stop with status 125. */
#include "arch/x86/exceptions.h"
#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "arch/x86/stop.h"
#include "lib/log.h"
#include "lib/string.h"

extern const struct ex_table_entry __ex_table_start[], __ex_table_end[];

/* scripts/gensyms.sh: offset from the -2 GiB link base, name offset in keel_symnames. */
struct ksym {
    uint32_t off, name;
};
extern const struct ksym keel_syms[];
extern const char keel_symnames[];
extern const unsigned long keel_nsyms;
extern char __text_start[], __text_end[];

static const char *const names[32] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
    "#BR bound range", "#UD invalid opcode", "#NM device not available",
    "#DF double fault", "coprocessor segment overrun", "#TS invalid TSS",
    "#NP segment not present", "#SS stack fault", "#GP general protection",
    "#PF page fault", "reserved", "#MF x87 error", "#AC alignment check",
    "#MC machine check", "#XM SIMD error", "#VE virtualization", "#CP control protection",
    "reserved", "reserved", "reserved", "reserved", "reserved", "reserved",
    "#HV hypervisor injection", "#VC VMM communication", "#SX security", "reserved",
};

const char *exception_name(unsigned vector)
{
    return vector < 32 ? names[vector] : "interrupt";
}

const char *symbol_for(uint64_t addr, uint64_t *offset)
{
    unsigned long lo = 0, hi = keel_nsyms;
    uint64_t base = 0xffffffff80000000ull;     /* KEEL_VBASE */
    if (addr < base || addr - base >= 0xffffffffull)
        hi = 0;
    /* keel_syms is sorted by address: find the last symbol <= addr. */
    while (lo < hi) {
        unsigned long mid = (lo + hi) / 2;
        if (keel_syms[mid].off <= addr - base)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0) {
        *offset = 0;
        return "?";
    }
    *offset = addr - base - keel_syms[lo - 1].off;
    return keel_symnames + keel_syms[lo - 1].name;
}

static bool on_keel_stack(uint64_t p)
{
    const struct percpu *c = this_cpu();
    return (p >= c->stack_bottom && p + 16 <= c->stack_top) || (p >= c->ist_bottom && p + 16 <= c->ist_top);
}

static void print_frame_line(unsigned depth, uint64_t rip)
{
    uint64_t off;
    const char *name = symbol_for(rip, &off);
    klog("  #%u %016lx %s+0x%lx", depth, rip, name, off);
}

void print_backtrace(uint64_t rbp, uint64_t rip)
{
    unsigned depth = 0;
    klog("backtrace:");
    print_frame_line(depth++, rip);
    /* Frame pointers are kept (-fno-omit-frame-pointer): [rbp] = caller's
     * rbp, [rbp+8] = return address. Only follow frames on keel's stacks. */
    while (depth < 24 && on_keel_stack(rbp)) {
        uint64_t *fp = (uint64_t *)rbp;
        uint64_t ret = fp[1];
        if (ret < (uint64_t)__text_start || ret >= (uint64_t)__text_end)
            break;
        print_frame_line(depth++, ret);
        if (fp[0] <= rbp)
            break;
        rbp = fp[0];
    }
}

void exception_dispatch(struct exc_frame *f)
{
    const struct ex_table_entry *e;
    uint64_t off = 0;
    const char *name;

    /* VMX runs keel with NMI exiting off, so an NMI for the guest can land
     * between exit and entry; on SVM GIF=0 holds them until VMRUN. */
    if (f->vector == 2) {
        struct percpu *pc = this_cpu();
        unsigned k = pc->kick_nmis;
        uint8_t *w;
        /* keel's own kick (smp_kick) is not the guest's. NMIs are not
         * nested, so nothing else changes these counts on this CPU now. */
        if (k && __atomic_compare_exchange_n(&pc->kick_nmis, &k, k - 1, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
            return;
        w = pc->nmi_work;
        pc->nmis_pending++;
        if (w)      /* atomic: other CPUs set entry_work bits too (vmm/vcpu.h) */
            __atomic_fetch_or(w, pc->nmi_work_bits, __ATOMIC_SEQ_CST);
        return;
    }
    /* A #DB right after a VMRUN instruction (0F 01 D8): Bochs 2.7 keeps the
     * guest's pending single-step trap across an instruction-intercept
     * #VMEXIT (it clears it only for exception intercepts) and delivers it
     * to keel. The hardware discards it: the intercepted instruction did not
     * complete, and keel's completion path raises the guest's #DB itself
     * (vmm/insn.c). keel never sets TF or debug registers, so drop it. */
    if (f->vector == 1 && !strcmp(symbol_for(f->rip, &off), "svm_vmrun") && off >= 3 &&
        !memcmp((const void *)(f->rip - 3), "\x0f\x01\xd8", 3)) {
        write_dr6(read_dr6() & ~(1ull << 14));
        return;
    }
    for (e = __ex_table_start; e < __ex_table_end; e++) {
        if (e->fault_rip == f->rip && f->vector == 13) {
            f->rip = e->fixup_rip;
            return;
        }
    }

    klog("fatal: exception %lu (%s) in keel, error code 0x%lx", f->vector,
         exception_name((unsigned)f->vector), f->error);
    name = symbol_for(f->rip, &off);
    klog("  RIP %04lx:%016lx  %s+0x%lx", f->cs, f->rip, name, off);
    klog("  RSP %04lx:%016lx  RFLAGS %016lx", f->ss, f->rsp, f->rflags);
    klog("  CR0 %016lx  CR2 %016lx  CR3 %016lx  CR4 %016lx", read_cr0(), read_cr2(), read_cr3(),
         read_cr4());
    klog("  RAX %016lx  RBX %016lx  RCX %016lx  RDX %016lx", f->rax, f->rbx, f->rcx, f->rdx);
    klog("  RSI %016lx  RDI %016lx  RBP %016lx  R8  %016lx", f->rsi, f->rdi, f->rbp, f->r8);
    klog("  R9  %016lx  R10 %016lx  R11 %016lx  R12 %016lx", f->r9, f->r10, f->r11, f->r12);
    klog("  R13 %016lx  R14 %016lx  R15 %016lx", f->r13, f->r14, f->r15);
    print_backtrace(f->rbp, f->rip);
    keel_fatal_report_once();
    keel_exit(KEEL_EXIT_FATAL);
}
