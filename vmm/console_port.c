/* keel's instance of the shared serial line: the console on the UART keel
 * prints to, its I/O exits, the poll, and the monitor's context. The line
 * is one physical device of the machine (not VM state), so it is one
 * object here; the monitor context points at the vCPUs of the one VM keel
 * runs (console_port_start). Logic lives in vmm/console.c, vmm/monitor*.c. */
#include "vmm/console_port.h"
#include "vmm/console.h"
#include "vmm/monitor.h"
#include "vmm/arch_hooks.h"
#include "arch/x86/cpu.h"
#include "arch/x86/stop.h"
#include "vmm/trace.h"
#include "arch/x86/uart.h"
#include "lib/log.h"

/* Polls of a guest that does not listen: every 2^22 TSC ticks, at an exit
 * keel takes anyway (docs/console.md). */
#define POLL_TICKS (1ull << 22)

uint64_t console_poll_deadline = ~0ull;

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

static struct console line;
static struct monitor mon;
static bool active;
static uint16_t base;
static uint8_t guest_lcr, guest_ier;
static bool watching;                   /* RBR/THR and LSR exit right now */

/* RBR/THR and LSR exit only while keel must see the guest's side of the
 * line: the guest listens (IER.RDI: its reads must go through the
 * filter), the monitor is open (guest output waits behind the prompt), or
 * keel holds a line that must not split a guest line (docs/console.md).
 * Otherwise output costs no exit at all. */
static void update_intercepts(void)
{
    bool want = line.in_monitor || (guest_ier & UART_IER_RDI) || line.held_keel_len;
    unsigned i;
    if (want == watching)
        return;
    watching = want;
    for (i = 0; i < mon.nvcpus; i++) {
        vcpu_io_intercept(mon.vcpus[i], base + UART_RBR, want);
        vcpu_io_intercept(mon.vcpus[i], base + UART_LSR, want);
    }
    console_set_watched(&line, want);
}

static void sink(const char *s, unsigned long len)
{
    console_keel_write(&line, s, len);
}

static void flush(void)
{
    console_finish(&line);
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

static void fatal_report(void)
{
    unsigned i;
    for (i = 0; i < mon.nvcpus; i++)
        trace_print(mon.vcpus[i], 16);
}

void console_port_start(struct vcpu *const *vcpus, unsigned n, const struct guest_layout *layout,
                        const struct cpuid_snapshot *host, bool monitor, bool debugcon)
{
    unsigned i;
    base = serial_port();
    console_init(&line, &uart_hw, monitor);
    mon = (struct monitor){ vcpus, n, layout, host, &line, base, serial_baud(), debugcon, machine_reset };
    console_set_exec(&line, monitor_exec, &mon);
    keel_fatal_report = fatal_report;
    if (!monitor) {
        klog("console: port 0x%x passed through to the guest (console.monitor=off)", base);
        return;
    }
    guest_lcr = serial_in(UART_LCR);
    guest_ier = (guest_lcr & UART_LCR_DLAB) ? 0 : serial_in(UART_IER);
    serial_set_guest_lcr(guest_lcr);
    klog("console: port 0x%x shared with the guest: IER and LCR exit, RBR/THR and LSR while the guest listens "
         "or keel's monitor is open (Ctrl-A three times)", base);
    for (i = 0; i < n; i++) {
        vcpu_io_intercept(vcpus[i], base + UART_IER, true);
        vcpu_io_intercept(vcpus[i], base + UART_LCR, true);
    }
    watching = false;
    console_set_watched(&line, false);
    update_intercepts();
    console_reset_sinks();
    console_add_sink(sink);
    console_set_flush(flush);
    if (debugcon)
        console_add_sink(debugcon_write);
    active = true;
    console_poll_deadline = rdtsc() + POLL_TICKS;
}

void console_poll(struct vcpu *v, uint64_t tsc)
{
    console_poll_deadline = tsc + POLL_TICKS;
    if (!active)
        return;
    /* Drain only when the guest does not listen (or the monitor has the
     * input): a listening guest reads the bytes itself, through keel. */
    if (line.in_monitor || !(guest_ier & UART_IER_RDI))
        console_pull(&line, v);
    if (!watching)
        line.guest_unknown = true;      /* it ran unwatched for a while */
    console_tick(&line);
    update_intercepts();
}

bool console_port_io(struct vcpu *v)
{
    const struct vm_exit *e = &v->exit;
    unsigned off = (unsigned)(uint16_t)(e->u.io.port - base);
    uint8_t val = (uint8_t)v->regs.rax, in = 0;
    if (!active || off >= 8)
        return false;
    if (e->u.io.string || e->u.io.size != 1)
        return false;
    switch (off) {
    case UART_RBR:
        if (guest_lcr & UART_LCR_DLAB) {
            if (e->u.io.in)
                in = serial_in(UART_RBR);
            else
                serial_out(UART_RBR, val);
        } else if (e->u.io.in) {
            in = console_guest_rbr(&line, v);
        } else {
            console_guest_write(&line, val);
        }
        break;
    case UART_IER:                              /* DLM while DLAB is set */
        if (e->u.io.in) {
            in = serial_in(UART_IER);
        } else {
            serial_out(UART_IER, val);
            if (!(guest_lcr & UART_LCR_DLAB))
                guest_ier = val;
        }
        break;
    case UART_LCR:
        if (e->u.io.in) {
            in = serial_in(UART_LCR);
        } else {
            serial_out(UART_LCR, val);
            guest_lcr = val;
            serial_set_guest_lcr(val);
        }
        break;
    case UART_LSR:
        if (e->u.io.in)
            in = console_guest_lsr(&line, v, serial_in(UART_LSR));
        else
            serial_out(UART_LSR, val);
        break;
    default:
        return false;
    }
    if (e->u.io.in)
        v->regs.rax = (v->regs.rax & ~0xffull) | in;
    vcpu_complete_insn(v);
    update_intercepts();
    return true;
}
