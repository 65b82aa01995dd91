/* Exit dispatch: one table indexed by the neutral exit kind. Every kind
 * has an entry; what keel does not handle goes to handle_unhandled, which
 * reports the exit and ends the run with status 125. */
#include "vmm/exit_handlers.h"
#include "vmm/arch_hooks.h"
#include "vmm/stats.h"
#include "vmm/smp.h"
#include "vmm/trace.h"
#include "vmm/cr_check.h"
#include "arch/x86/stop.h"
#include "lib/log.h"

const char *const exit_kind_names[EXIT_KIND_COUNT] = {
#define X(k, s, h) [k] = s,
    EXIT_KINDS(X)
#undef X
};

void vcpu_stop(struct vcpu *v, int code)
{
    if (!v->waiting)
        smp_end_run(v);
    v->stop = true;
    v->stop_code = code;
    vcpu_entry_work_set(v, ENTRY_WORK_STOP);     /* atomic: the monitor may stop another CPU's vCPU */
    trace_set_result(v, TRACE_STOPPED);
}

void handle_unhandled(struct vcpu *v)
{
    klog("unhandled exit: %s (vendor code 0x%lx, info1 0x%lx, info2 0x%lx) at guest RIP 0x%lx",
         exit_kind_names[v->exit.kind], v->exit.raw_code, v->exit.raw_info1, v->exit.raw_info2,
         vcpu_get_state(v, VS_RIP));
    vcpu_dump_state(v);
    vcpu_stop(v, KEEL_EXIT_FATAL);
    trace_print(v, 16);
}

/* INVD would throw away dirty cache lines, keel's included: do WBINVD's
 * job instead (what KVM and Xen do too), then complete the instruction. */
static void handle_invd(struct vcpu *v)
{
    host_wbinvd();
    vcpu_complete_insn(v);
}

static void handle_wbinvd(struct vcpu *v)
{
    host_wbinvd();
    vcpu_complete_insn(v);
}

/* The guest tried an SVM/VMX instruction: keel offers no nesting (the
 * guest's CPUID says so), so it gets the #UD real hardware would give. */
static void handle_vminsn(struct vcpu *v)
{
    vcpu_inject_ud(v);
}

/* RDTSCP is intercepted only when the guest's CPUID hides it. */
static void handle_rdtscp(struct vcpu *v)
{
    vcpu_inject_ud(v);
}

/* MOV to CR0/CR4 touching a bit keel owns (VMX guest/host masks: CR0.NE,
 * CR4.VMXE). The architectural #GP rules are checked here, for both vendors
 * (vmm/cr_check.c); then the vendor's set_state commits, and refuses (#GP)
 * only what its CPU cannot hold. */
static void handle_cr_access(struct vcpu *v)
{
    /* x86 register number -> struct guest_regs slot (vmm/vcpu.h order). */
    static const uint8_t slot[16] = { 0, 2, 3, 1, 15, 6, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14 };
    const struct vm_exit *e = &v->exit;
    uint64_t val = (e->u.cr.gpr & 15) == 4 ? vcpu_get_state(v, VS_RSP)
                                           : ((const uint64_t *)&v->regs)[slot[e->u.cr.gpr & 15]];

    if (!e->u.cr.write || (e->u.cr.cr != 0 && e->u.cr.cr != 4)) {
        handle_unhandled(v);
        return;
    }
    {
        const struct cr_state cs = { vcpu_get_state(v, VS_CR0), vcpu_get_state(v, VS_CR3),
                                     vcpu_get_state(v, VS_CR4), vcpu_get_state(v, VS_EFER),
                                     (vcpu_get_state(v, VS_CS_FLAGS) & CS_FLAG_L) != 0 };
        if (!(e->u.cr.cr ? cr4_write_ok(v->policy, &cs, val) : cr0_write_ok(v->policy, &cs, val))) {
            vcpu_inject_gp(v);
            return;
        }
    }
    if (!vcpu_set_state(v, e->u.cr.cr ? VS_CR4 : VS_CR0, val)) {
        vcpu_inject_gp(v);
        return;
    }
    vcpu_complete_insn(v);
}

static void handle_shutdown(struct vcpu *v)
{
    klog("guest triple fault (shutdown) at RIP 0x%lx; guest state:", vcpu_get_state(v, VS_RIP));
    vcpu_dump_state(v);
    vcpu_stop(v, KEEL_EXIT_FATAL);
    trace_print(v, 16);
}

static void handle_invalid_state(struct vcpu *v)
{
    klog("VM entry failed: invalid guest state (vendor code 0x%lx, qualification 0x%lx)", v->exit.raw_code,
         v->exit.raw_info1);
    /* Name the cause when a check knows it; say plainly when none does. */
    if (!vcpu_explain_entry_failure(v))
        klog("no check of APM 15.5.1 / SDM 26.3 failed that keel knows: dump follows");
    vcpu_dump_state(v);
    vcpu_stop(v, KEEL_EXIT_FATAL);
    trace_print(v, 16);
}

const exit_handler_fn exit_handlers[EXIT_KIND_COUNT] = {
#define X(k, s, h) [k] = h,
    EXIT_KINDS(X)
#undef X
};
_Static_assert(sizeof(exit_handlers) / sizeof(exit_handlers[0]) == EXIT_KIND_COUNT, "one handler per exit kind");
