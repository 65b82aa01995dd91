/* keel's instance of the shared serial line: the console on the UART keel
 * prints to, its I/O exits, the poll, and the monitor's context. Its state
 * is the VM's (struct vm.console, struct console_port): the line is shared
 * with that VM's guest and the monitor works on that VM's vCPUs. keel's
 * own output (lib/log.h sinks, the fatal report) has no VM in hand: it
 * reaches the port through the vCPU pinned to the CPU that prints. Logic
 * lives in vmm/console.c, vmm/monitor*.c; OUTS decoding in
 * vmm/console_outs.c. */
#include "vmm/console_port.h"
#include "vmm/console.h"
#include "vmm/monitor.h"
#include "vmm/arch_hooks.h"
#include "vmm/exit_handlers.h"
#include "vmm/guest_walk.h"
#include "vmm/vm.h"
#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "arch/x86/stop.h"
#include "arch/x86/x86_defs.h"
#include "vmm/trace.h"
#include "arch/x86/uart.h"
#include "lib/log.h"

/* Polls of a guest that does not listen: every 2^22 TSC ticks, at an exit
 * keel takes anyway (docs/console.md). */
#define POLL_TICKS (1ull << 22)

static void hw_out(uint8_t c)
{
    serial_out(UART_THR, c);
}

static void hw_settle(void)
{
    unsigned spins = 1u << 20;
    while (!(serial_in(UART_LSR) & UART_LSR_THRE) && --spins)
        ;
}

static const struct console_hw uart_hw = { serial_put, hw_out, serial_get, hw_settle };

/* The console of the VM whose vCPU runs on this CPU (every CPU keel runs
 * has one once the console is started), or NULL. */
static struct console_port *this_cpu_port(void)
{
    const struct vcpu *v = this_cpu()->vcpu;
    return v && v->vm && v->vm->console.active ? &v->vm->console : NULL;
}

/* RBR/THR and LSR exit only while keel must see the guest's side of the
 * line: the guest listens (IER.RDI: its reads must go through the
 * filter), the monitor is open (guest output waits behind the prompt), or
 * keel holds a line that must not split a guest line (docs/console.md).
 * Otherwise output costs no exit at all. */
static void update_intercepts(struct console_port *cp)
{
    bool want = cp->line.in_monitor || (cp->guest_ier & UART_IER_RDI) || cp->line.held_keel_len;
    unsigned i;
    if (want == cp->watching)
        return;
    cp->watching = want;
    for (i = 0; i < cp->mon.nvcpus; i++) {
        vcpu_io_intercept(cp->mon.vcpus[i], cp->base + UART_RBR, want);
        vcpu_io_intercept(cp->mon.vcpus[i], cp->base + UART_LSR, want);
    }
    console_set_watched(&cp->line, want);
}

static void sink(const char *s, unsigned long len)
{
    struct console_port *cp = this_cpu_port();
    if (cp)
        console_keel_write(&cp->line, s, len);
    else
        serial_write(s, len);
}

static void flush(void)
{
    struct console_port *cp = this_cpu_port();
    if (cp)
        console_finish(&cp->line);
}

/* Keyboard-controller reset (pulse of the CPU reset line, 8042 command
 * 0xFE), then the PCI reset control register 0xCF9 (full reset). */
static void machine_reset(void)
{
    serial_drain();
    outb(0x64, 0xfe);
    outb(0xcf9, 0x02);
    outb(0xcf9, 0x06);
    for (;;)
        __asm__ volatile("cli; hlt");
}

void console_port_print_traces(void)
{
    struct console_port *cp = this_cpu_port();
    unsigned i;
    for (i = 0; cp && i < cp->mon.nvcpus; i++)
        trace_print(cp->mon.vcpus[i], 16);
}

void console_port_start(struct vm *vm, const struct cpuid_snapshot *host, bool monitor, bool debugcon)
{
    struct console_port *cp = &vm->console;
    unsigned i;
    cp->poll_deadline = ~0ull;
    cp->base = serial_port();
    console_init(&cp->line, &uart_hw, monitor);
    cp->mon = (struct monitor){ vm->vcpus, vm->ncpus, &vm->layout, host, &cp->line, cp->base, serial_baud(),
                                debugcon, machine_reset };
    console_set_exec(&cp->line, monitor_exec, &cp->mon);
    if (!monitor) {
        klog("console: port 0x%x passed through to the guest (console.monitor=off)", cp->base);
        return;
    }
    cp->guest_lcr = serial_in(UART_LCR);
    cp->guest_ier = (cp->guest_lcr & UART_LCR_DLAB) ? 0 : serial_in(UART_IER);
    serial_set_guest_lcr(cp->guest_lcr);
    klog("console: port 0x%x shared with the guest: IER and LCR exit, RBR/THR and LSR while the guest listens "
         "or keel's monitor is open (Ctrl-A three times)", cp->base);
    for (i = 0; i < vm->ncpus; i++) {
        vcpu_io_intercept(vm->vcpus[i], cp->base + UART_IER, true);
        vcpu_io_intercept(vm->vcpus[i], cp->base + UART_LCR, true);
    }
    cp->watching = false;
    console_set_watched(&cp->line, false);
    update_intercepts(cp);
    console_reset_sinks();
    console_add_sink(sink);
    console_set_flush(flush);
    if (debugcon)
        console_add_sink(debugcon_write);
    /* From here on sink() finds the port through this CPU's vCPU. */
    __atomic_store_n(&cp->active, true, __ATOMIC_RELEASE);
    cp->poll_deadline = rdtsc() + POLL_TICKS;
}

static bool line_try_lock(struct console_port *cp)
{
    int free = 0;
    return __atomic_compare_exchange_n(&cp->busy, &free, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static void line_unlock(struct console_port *cp)
{
    __atomic_store_n(&cp->busy, 0, __ATOMIC_RELEASE);
}

void console_poll(struct vcpu *v, uint64_t tsc)
{
    struct console_port *cp = &v->vm->console;
    cp->poll_deadline = tsc + POLL_TICKS;
    if (!cp->active)
        return;
    /* One CPU at a time: the line, its input queue and the monitor are one
     * object; a CPU that finds it taken leaves it (never waits). */
    if (!line_try_lock(cp))
        return;
    /* Drain only when the guest does not listen (or the monitor has the
     * input): a listening guest reads the bytes itself, through keel. */
    if (cp->line.in_monitor || !(cp->guest_ier & UART_IER_RDI))
        console_poll_rx(&cp->line, v);
    if (!cp->watching)
        cp->line.guest_unknown = true;      /* it ran unwatched for a while */
    console_tick(&cp->line);
    update_intercepts(cp);
    line_unlock(cp);
}

/* One guest write of a console register (OUT, or one byte of OUTS). */
static void port_out(struct console_port *cp, unsigned off, uint8_t val)
{
    switch (off) {
    case UART_RBR:                              /* THR; DLL while DLAB is set */
        if (cp->guest_lcr & UART_LCR_DLAB)
            serial_out(UART_RBR, val);
        else
            console_guest_write(&cp->line, val);
        break;
    case UART_IER:                              /* DLM while DLAB is set */
        serial_out(UART_IER, val);
        if (!(cp->guest_lcr & UART_LCR_DLAB))
            cp->guest_ier = val;
        break;
    case UART_LCR:
        serial_out(UART_LCR, val);
        cp->guest_lcr = val;
        serial_set_guest_lcr(val);
        break;
    default:
        serial_out(off, val);
        break;
    }
}

static uint8_t port_in(struct console_port *cp, struct vcpu *v, unsigned off)
{
    switch (off) {
    case UART_RBR:
        return (cp->guest_lcr & UART_LCR_DLAB) ? serial_in(UART_RBR) : console_guest_rbr(&cp->line, v);
    case UART_LSR:
        return console_guest_lsr(&cp->line, v, serial_in(UART_LSR));
    default:
        return serial_in(off);
    }
}

static uint64_t addr_mask(unsigned addr_size)
{
    return addr_size == 8 ? ~0ull : addr_size == 4 ? 0xffffffffull : 0xffffull;
}

static uint64_t seg_base(struct vcpu *v, int seg, bool mode64)
{
    switch (seg) {
    case OUTS_SEG_FS: return vcpu_get_state(v, VS_FS_BASE);
    case OUTS_SEG_GS: return vcpu_get_state(v, VS_GS_BASE);
    default: break;
    }
    if (mode64)
        return 0;                               /* SDM Vol. 3A 3.4.4: ES/CS/SS/DS bases are 0 */
    switch (seg) {
    case OUTS_SEG_ES: return vcpu_get_state(v, VS_ES_BASE);
    case OUTS_SEG_CS: return vcpu_get_state(v, VS_CS_BASE);
    case OUTS_SEG_SS: return vcpu_get_state(v, VS_SS_BASE);
    default: return vcpu_get_state(v, VS_DS_BASE);
    }
}

/* A string I/O exit on a console port (the RBR/THR while watched, IER and
 * LCR always). OUTSB is carried out byte by byte as the guest's register
 * writes: each byte read from guest memory through the guest's paging
 * (guest_read_linear: guest RAM only, never keel's region), RSI moved by
 * one per byte (down with RFLAGS.DF), RCX counted down under REP, both
 * within the address size. INS and word/dword OUTS on these ports are not
 * emulated: a clear stop (status 125). No segment-limit check: keel runs
 * guests with flat segments (docs/console.md). */
static void port_string(struct console_port *cp, struct vcpu *v, unsigned off)
{
    const struct vm_exit *e = &v->exit;
    uint64_t rip = vcpu_get_state(v, VS_RIP), cr0 = vcpu_get_state(v, VS_CR0), la, base;
    struct guest_paging pg = { cr0, 0, 0, 0 };
    unsigned mode = 4, n, i;
    uint8_t bytes[15], buf[OUTS_MAX_PER_EXIT];
    bool mode64 = false, done;
    int64_t step;
    struct outs_insn d;

    if (cr0 & CR0_PG) {
        pg.cr3 = vcpu_get_state(v, VS_CR3);
        pg.cr4 = vcpu_get_state(v, VS_CR4);
        pg.efer = vcpu_get_state(v, VS_EFER);
    }
    if (!(cr0 & CR0_PE))
        mode = 2;
    else if ((pg.efer & EFER_LMA) && (vcpu_get_state(v, VS_CS_FLAGS) & CS_FLAG_L))
        mode = 8, mode64 = true;
    else if (!(vcpu_get_state(v, VS_CS_FLAGS) & CS_FLAG_D))
        mode = 2;
    la = mode64 ? rip : (uint32_t)(vcpu_get_state(v, VS_CS_BASE) + (mode == 2 ? (uint16_t)rip : (uint32_t)rip));
    n = guest_read_linear(&v->vm->layout, &pg, la, bytes, sizeof(bytes));
    if (e->u.io.in || e->u.io.size != 1 || !outs_decode(bytes, n, mode, &d) || d.size != 1) {
        klog("console: the guest's %s%s to port 0x%x at RIP 0x%lx (%u-byte units) is not emulated: only OUTSB "
             "(REP or not) to the console's ports is; stopping", e->u.io.rep ? "REP " : "",
             e->u.io.in ? "INS" : "OUTS", e->u.io.port, rip, e->u.io.size);
        vcpu_stop(v, KEEL_EXIT_FATAL);
        return;
    }
    n = outs_chunk(&d, v->regs.rcx, &done);
    step = (vcpu_get_state(v, VS_RFLAGS) & RFLAGS_DF) ? -1 : 1;
    base = seg_base(v, d.seg, mode64);
    for (i = 0; i < n; i++) {
        uint64_t ea = outs_reg_advance(v->regs.rsi, step * (int64_t)i, d.addr_size) & addr_mask(d.addr_size);
        uint64_t src = mode64 ? base + ea : (uint32_t)(base + ea);
        if (guest_read_linear(&v->vm->layout, &pg, src, &buf[i], 1) != 1) {
            klog("console: the guest's OUTSB at RIP 0x%lx reads linear 0x%lx, which is not guest RAM or not "
                 "mapped: not emulated (no #PF injection); stopping", rip, src);
            vcpu_stop(v, KEEL_EXIT_FATAL);
            return;
        }
    }
    /* The guest checked LSR for room once at most: wait for THR empty
     * before each byte (bounded), as a UART with a FIFO of one would make
     * a careful guest do; an emulated UART drops what overruns it. */
    for (i = 0; i < n; i++) {
        if (off == UART_RBR)
            hw_settle();
        port_out(cp, off, buf[i]);
    }
    v->regs.rsi = outs_reg_advance(v->regs.rsi, step * (int64_t)n, d.addr_size);
    if (d.rep)
        v->regs.rcx = outs_reg_advance(v->regs.rcx, -(int64_t)n, d.addr_size);
    if (done) {
        v->exit.insn_len = d.len;
        vcpu_complete_insn(v);
    }
    /* Not done: RIP stays on the REP OUTSB, which runs again with what is
     * left in RCX (an interrupted REP string instruction). */
}

bool console_port_io(struct vcpu *v)
{
    struct console_port *cp = &v->vm->console;
    const struct vm_exit *e = &v->exit;
    unsigned off = (unsigned)(uint16_t)(e->u.io.port - cp->base);
    if (!cp->active || off >= 8)
        return false;
    if (off != UART_RBR && off != UART_IER && off != UART_LCR && off != UART_LSR)
        return false;
    if (!e->u.io.string && e->u.io.size != 1)
        return false;
    /* Another CPU has the line (a guest access, a poll, a monitor command
     * that may wait for this vCPU's next entry): leave the instruction
     * uncompleted, the guest runs it again. As on the bus, one access to
     * the UART at a time, in some order. */
    if (!line_try_lock(cp))
        return true;
    if (e->u.io.string) {
        port_string(cp, v, off);
    } else if (e->u.io.in) {
        v->regs.rax = (v->regs.rax & ~0xffull) | port_in(cp, v, off);
        vcpu_complete_insn(v);
    } else {
        port_out(cp, off, (uint8_t)v->regs.rax);
        vcpu_complete_insn(v);
    }
    update_intercepts(cp);
    line_unlock(cp);
    return true;
}
