/* SMP in vmm/: the guest's INIT-SIPI-SIPI kept virtual, so no guest code
 * ever runs on a CPU outside keel.
 *
 * keel starts every CPU itself at boot; each AP's vCPU then waits in keel.
 * While any vCPU waits, the local APIC page is left out of the nested page
 * tables: every guest access to it exits, keel decodes the MOV, completes it
 * on the physical APIC (the vCPU runs on its own CPU, so the register file
 * is the one the guest would reach) and keeps the ICR writes that send INIT
 * or STARTUP to a keel vCPU for itself. Once no vCPU waits, the page is
 * mapped again and IPIs, EOIs and the timer never exit. */
#include "vmm/smp.h"
#include "vmm/arch_hooks.h"
#include "vmm/exit_handlers.h"
#include "vmm/guest_walk.h"
#include "vmm/mmio_decode.h"
#include "vmm/run.h"
#include "vmm/vendor.h"
#include "vmm/vm.h"
#include "arch/x86/cpu.h"
#include "arch/x86/smp.h"
#include "arch/x86/stop.h"
#include "lib/log.h"

#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310

uint64_t smp_lapic_trap_page(const struct vm *vm)
{
    return vm->lapic_trapped ? vm->lapic_page : 0;
}

/* x86 register number -> struct guest_regs slot (vmm/vcpu.h order). */
static uint64_t *gpr(struct vcpu *v, unsigned reg)
{
    static const uint8_t slot[16] = { 0, 2, 3, 1, 15, 6, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14 };
    return &((uint64_t *)&v->regs)[slot[reg & 15]];
}

static void release_waiting(struct vm *vm)
{
    /* The last waiting vCPU is on its way: give the APIC page back. A
     * not-present entry is never cached (SDM 29.4.3.1, APM 15.25.9), so
     * making it present needs no flush. */
    if (__atomic_sub_fetch(&vm->waiting, 1, __ATOMIC_SEQ_CST) == 0 && !vm->apic_trap_always) {
        npt_set_page(&vm->npt, vm->lapic_page, vm->lapic_page);
        vm->lapic_trapped = 0;
    }
}

/* An ICR command (SDM Vol 3A 11.6.1): INIT and STARTUP aimed at keel's vCPUs
 * that wait in keel stay virtual; true if nothing is left to send. `dest`
 * is the destination field (xAPIC: ICR[63:56]; x2APIC: ICR[63:32]).
 * - To a vCPU waiting in keel: virtual (INIT marks it, STARTUP starts it).
 * - To a running vCPU, physical destination: STARTUP goes to the hardware
 *   (it starts a vCPU in the hardware wait-for-SIPI state, and a running
 *   CPU ignores it); INIT too where an INIT exits reliably into keel's
 *   wait-for-SIPI (vm->hw_wait_for_sipi, VMX); elsewhere it is dropped:
 *   a guest INIT must not reset a CPU keel holds (SVM, see docs/smp.md).
 * - To no vCPU of keel's (a CPU keel hid) or in logical destination mode:
 *   dropped, so the guest can never start a CPU outside keel. */
static bool icr_keep_virtual(struct vcpu *v, uint32_t lo, uint32_t dest)
{
    struct vm *vm = v->vm;
    unsigned mode = (lo >> 8) & 7, shorthand = (lo >> 18) & 3, i;

    if (mode != 5 && mode != 6)
        return false;
    if (shorthand == 0 && (lo & (1u << 11)))
        return true;            /* logical destination: not how an OS starts CPUs */
    for (i = 0; i < vm->ncpus; i++) {
        struct vcpu *t = vm->vcpus[i];
        bool hit = shorthand == 0 ? t->id == dest : shorthand == 1 ? t == v : shorthand == 2 ? true : t != v;
        if (!hit || t == v)
            continue;           /* INIT/SIPI to self: not a start-up (ignored) */
        if (!t->waiting) {
            if (shorthand == 0 && (mode == 6 || vm->hw_wait_for_sipi))
                return false;   /* a running vCPU: the hardware does it right */
            if (mode == 5 && (lo & (1u << 14)) && vm->apic_trap_always) {
                /* SVM, INIT to a running vCPU: keel's to deliver. Kick the
                 * CPU out of the guest with an NMI (intercepted there). */
                unsigned long n;
                t->init_pending = true;
                lapic_send_nmi(t->id);
                /* Done when the target waits: an OS may send the STARTUP
                 * right after (Linux skips the 10 ms on modern CPUs). */
                for (n = 0; n < 100000000ul && !t->waiting && !vm->stopping; n++)
                    __asm__ volatile("pause" ::: "memory");
            }
            continue;
        }
        if (mode == 5) {
            /* Level de-assert (bit 14 = 0) is only an arbitration sync. */
            if (lo & (1u << 14))
                t->init_seen = true;
        } else if (t->init_seen && !t->sipi) {
            t->sipi = 0x100 | (lo & 0xff);
        }
    }
    return true;
}

static void icr_write(struct vcpu *v, uint32_t lo)
{
    if (!icr_keep_virtual(v, lo, lapic_read(APIC_ICR_HI) >> 24))
        lapic_write(APIC_ICR_LO, lo);
}

bool smp_x2apic_icr_write(struct vcpu *v, uint64_t val)
{
    if (icr_keep_virtual(v, (uint32_t)val, (uint32_t)(val >> 32)))
        return true;
    return wrmsr_safe(0x830, val);  /* the hardware raises #GP for reserved bits */
}

bool smp_lapic_access(struct vcpu *v, uint64_t gpa, bool write)
{
    uint8_t bytes[15];
    unsigned n, off = (unsigned)(gpa & 0xfff);
    uint64_t rip = vcpu_get_state(v, VS_RIP), la;
    struct guest_paging pg = { vcpu_get_state(v, VS_CR0), 0, 0, 0 };
    bool long64 = false;
    struct mmio_insn d;

    if (pg.cr0 & CR0_PG) {
        pg.cr3 = vcpu_get_state(v, VS_CR3);
        pg.cr4 = vcpu_get_state(v, VS_CR4);
        pg.efer = vcpu_get_state(v, VS_EFER);
        long64 = (pg.efer & EFER_LMA) && (vcpu_get_state(v, VS_CS_FLAGS) & CS_FLAG_L);
    }
    /* 64-bit mode: CS base is 0 (SDM 3.4.4); else linear = CS.base + EIP. */
    la = long64 ? rip : (uint32_t)(vcpu_get_state(v, VS_CS_BASE) + (uint32_t)rip);
    n = guest_read_linear(&v->vm->layout, &pg, la, bytes, sizeof(bytes));
    if (!mmio_decode(bytes, n, long64, &d) || d.write != write || (off & 3)) {
        klog("local APIC access at RIP 0x%lx: %u instruction bytes readable, first %02x %02x %02x %02x", rip, n,
             n > 0 ? bytes[0] : 0, n > 1 ? bytes[1] : 0, n > 2 ? bytes[2] : 0, n > 3 ? bytes[3] : 0);
        return false;
    }
    if (d.write) {
        uint32_t val = d.has_imm ? d.imm : (uint32_t)*gpr(v, d.reg);
        uint32_t old = d.xchg ? lapic_read(off) : 0;
        if (off == APIC_ICR_LO)
            icr_write(v, val);
        else
            lapic_write(off, val);
        if (d.xchg)
            *gpr(v, d.reg) = old;
    } else {
        *gpr(v, d.reg) = lapic_read(off);   /* a 32-bit load zero-extends */
    }
    /* Completed like any instruction keel carries out (single-step, shadow). */
    v->exit.insn_len = d.len;
    vcpu_complete_insn(v);
    return true;
}

/* A vCPU whose CPU keel stops at the end of the run acknowledges here and
 * halts for good where no INIT or interrupt restarts it (cpu_park_forever:
 * SVM CLGI, VMX root operation). Its exit counters are final from here on:
 * the reporting CPU reads them once every other vCPU is parked. */
static __attribute__((noreturn)) void smp_park(struct vcpu *v)
{
    __atomic_store_n(&v->parked, true, __ATOMIC_SEQ_CST);
    cpu_park_forever();
}

/* True on every CPU but the one that ends the run, once the end has begun. */
static bool stopped_by_other(const struct vm *vm)
{
    const struct vcpu *self = this_cpu()->vcpu;
    return vm->stopping && vm->stop_index != (int)self->index;
}

/* Quiet: parked by itself, or in the hardware wait-for-SIPI state (VMX),
 * where it runs nothing and no INIT or NMI reaches it (SDM 25.2, 26.6.2);
 * only a STARTUP would, and no running vCPU is left to send one. */
static bool quiet(const struct vcpu *t)
{
    return t->parked || t->hw_sipi_wait;
}

/* The kick that brings a CPU out of the guest into keel, which then sees
 * ENTRY_WORK_STOP (or vm->stopping at the exit) and parks. VMX: INIT, which
 * exits from VMX non-root operation (SDM 25.2) and is held in root
 * operation (SDM 24.8), so it never resets a CPU keel holds. SVM: an NMI
 * (intercepted whenever there are several vCPUs, APM 15.13.2): a CPU in
 * keel with GIF = 1 would take an INIT as a reset (APM 15.17). */
static void kick(const struct vm *vm, const struct vcpu *t)
{
    if (vm->hw_wait_for_sipi)
        lapic_send_init(t->id);
    else
        lapic_send_nmi(t->id);
}

/* Bounded spins, not timed waits (nothing here depends on their length but
 * the give-up): each round kicks every vCPU not yet quiet again, because an
 * NMI that lands in keel just after its run loop tested entry_work is
 * reflected into the guest (svm.c reflect_nmi) instead of making it exit. */
#define STOP_ROUNDS 200u
#define STOP_ROUND_SPINS 1000000ul

/* Park every other vCPU before the report is read: each is asked to stop
 * (ENTRY_WORK_STOP: its run loop leaves at the next entry) and kicked out
 * of the guest; it acknowledges in smp_park. A CPU that does not within
 * the bound gets an INIT as a last resort (on SVM that resets it: an AP
 * then sits in wait-for-SIPI, outside the guest), with a line saying so. */
static void stop_others(struct vm *vm, const struct vcpu *self)
{
    unsigned i, round, left = 0;
    unsigned long n;

    for (i = 0; i < vm->ncpus; i++)
        if (vm->vcpus[i] != self)
            vcpu_entry_work_set(vm->vcpus[i], ENTRY_WORK_STOP);
    for (round = 0; round < STOP_ROUNDS; round++) {
        left = 0;
        for (i = 0; i < vm->ncpus; i++)
            if (vm->vcpus[i] != self && !quiet(vm->vcpus[i])) {
                kick(vm, vm->vcpus[i]);
                left++;
            }
        if (!left)
            return;
        for (n = 0; n < STOP_ROUND_SPINS; n++) {
            for (i = 0; i < vm->ncpus && (vm->vcpus[i] == self || quiet(vm->vcpus[i])); i++)
                ;
            if (i == vm->ncpus)
                return;
            __asm__ volatile("pause" ::: "memory");
        }
    }
    for (i = 0; i < vm->ncpus; i++) {
        struct vcpu *t = vm->vcpus[i];
        if (t == self || quiet(t))
            continue;
        klog("smp: vcpu %u (APIC ID %u) did not stop within %u kicks: %s; its counts below may still change",
             t->index, t->id, STOP_ROUNDS,
             vm->hw_wait_for_sipi ? "its INIT stays pending" : "sending it INIT (it leaves keel)");
        if (!vm->hw_wait_for_sipi)
            lapic_send_init(t->id);
    }
}

bool smp_end_run(struct vcpu *v)
{
    struct vm *vm = v->vm;
    const struct vcpu *self;
    if (!vm || vm->ncpus <= 1)
        return true;
    /* Decided by the CPU running this, not by v: the monitor's poweroff
     * stops every vCPU (and prints every report) from one CPU. */
    self = this_cpu()->vcpu;
    if (__atomic_exchange_n(&vm->stopping, 1, __ATOMIC_SEQ_CST)) {
        /* stop_index is -1 until the first CPU has written it: never this
         * CPU's index unless this CPU is that first one. */
        if (vm->stop_index != (int)self->index)
            smp_park(this_cpu()->vcpu);     /* another CPU ends the run and reports */
        return true;
    }
    vm->stop_index = (int)self->index;
    stop_others(vm, self);
    return true;
}

void smp_run_ended(struct vcpu *v)
{
    struct vm *vm = v->vm;
    if (vm && vm->ncpus > 1 && stopped_by_other(vm))
        smp_park(v);
}

void smp_init_signal(struct vcpu *v)
{
    struct vm *vm = v->vm;
    unsigned i;

    if (stopped_by_other(vm))
        smp_park(v);                /* keel's end-of-run kick (VMX), or a guest INIT meanwhile */
    if (__atomic_exchange_n(&v->kick_init, false, __ATOMIC_SEQ_CST))
        return;                     /* keel's kick (smp_kick_init): only the exit was wanted */
    if (v->index == 0) {
        /* The guest's BSP has nobody to wait for: keel runs one guest once. */
        klog("guest INIT (CPU reset request) on vcpu 0 at RIP 0x%lx: keel runs one guest once; stopping",
             vcpu_get_state(v, VS_RIP));
        vcpu_stop(v, KEEL_EXIT_OK);
        return;
    }
    /* An AP taken offline (SDM 10.4.4): back to wait-for-SIPI. Where the
     * hardware has that state (VMX), the guest's next STARTUP exits with its
     * vector (smp_sipi_signal). Elsewhere keel traps the APIC page again;
     * the vCPUs that may have it in their TLBs flush at their next entry. */
    if (vcpu_wait_for_sipi(v)) {
        v->init_seen = true;
        v->hw_sipi_wait = true;     /* before the next entry: stop_others counts it quiet */
        return;
    }
    v->sipi = 0;
    v->init_seen = true;
    v->waiting = true;
    if (__atomic_add_fetch(&vm->waiting, 1, __ATOMIC_SEQ_CST) == 1) {
        npt_set_page(&vm->npt, vm->lapic_page, NPT_UNMAPPED);
        vm->lapic_trapped = 1;
        /* Set from this CPU while the others may be mid-exit: an atomic OR
         * into the byte their run loops test before each entry (vmm/vcpu.h). */
        for (i = 0; i < vm->ncpus; i++)
            vcpu_entry_work_set(vm->vcpus[i], ENTRY_WORK_TLB);
    }
    vcpu_stop(v, KEEL_EXIT_OK);
}

void smp_nmi_exit(struct vcpu *v)
{
    /* Keel's kick: the end of the run (stop_others), or a guest INIT
     * (icr_keep_virtual); any other NMI is the guest's and the vendor
     * reflects it at the next entry. */
    if (stopped_by_other(v->vm))
        smp_park(v);
    if (v->init_pending) {
        v->init_pending = false;
        smp_init_signal(v);
    }
}

bool smp_kick(struct vcpu *t)
{
    struct percpu *pc = t->percpu;
    if (!t->vm->nmi_exits || !pc || pc == this_cpu())
        return false;
    __atomic_fetch_add(&pc->kick_nmis, 1, __ATOMIC_SEQ_CST);
    lapic_send_nmi(t->id);
    return true;
}

bool smp_kick_init(struct vcpu *t)
{
    struct percpu *pc = t->percpu;
    if (!t->vm->hw_wait_for_sipi || t->vm->ncpus < 2 || !pc || pc == this_cpu() || t->waiting ||
        t->hw_sipi_wait || t->parked || t->vm->stopping)
        return false;
    __atomic_store_n(&t->kick_init, true, __ATOMIC_SEQ_CST);
    lapic_send_init(t->id);
    return true;
}

void smp_sipi_signal(struct vcpu *v)
{
    /* A STARTUP reached a vCPU in the hardware wait-for-SIPI state: the exit
     * qualification holds the vector (SDM 28.2.1). */
    v->hw_sipi_wait = false;
    vcpu_sipi_reset(v, (uint8_t)v->exit.raw_info1);
    v->starts++;
    v->init_seen = false;
}

__attribute__((noreturn)) void smp_ap_loop(struct vcpu *v)
{
    struct vm *vm = v->vm;
    for (;;) {
        int code;
        while (!v->sipi && !vm->stopping)
            __asm__ volatile("pause" ::: "memory");
        if (vm->stopping)
            smp_park(v);
        if (vm->selftest_fail_ap)
            keel_fatal("selftest=fail-on-ap: keel fails on vcpu %u (APIC ID %u) at the guest's STARTUP",
                       v->index, v->id);
        vcpu_sipi_reset(v, (uint8_t)v->sipi);
        v->starts++;
        v->init_seen = false;
        v->sipi = 0;
        v->waiting = false;
        release_waiting(vm);
        code = vcpu_run(v);
        if (!v->waiting)
            keel_exit(code);
        v->stop = false;
        vcpu_entry_work_clear(v, ENTRY_WORK_STOP);
    }
}
