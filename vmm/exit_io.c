/* I/O exits. Everything is passed through to the guest except the ports a
 * guest uses to end a run, which keel traps so it can report first:
 *  - 0xf4: QEMU's isa-debug-exit (a write ends the run with that code);
 *  - 0x8900: Bochs' shutdown port (the bytes "Shutdown" power off).
 * keel then ends the run itself with the same meaning on either emulator. */
#include "vmm/exit_handlers.h"
#include "vmm/arch_hooks.h"
#include "vmm/stats.h"
#include "lib/log.h"
#include "arch/x86/stop.h"
#include "arch/x86/uart.h"
#include "vmm/vm.h"
#include "vmm/console_port.h"

#define PORT_DEBUG_EXIT 0xf4
#define PORT_BOCHS_SHUTDOWN 0x8900

static void guest_ended(struct vcpu *v, int code, const char *how)
{
    stats_print(v);
    klog("guest exit %d (%s)", code, how);
    vcpu_stop(v, code);
}

void handle_io(struct vcpu *v)
{
    const struct vm_exit *e = &v->exit;
    uint32_t mask = e->u.io.size == 1 ? 0xff : e->u.io.size == 2 ? 0xffff : 0xffffffffu;
    uint32_t val = (uint32_t)v->regs.rax & mask;

    if (console_port_io(v))
        return;
    if (e->u.io.string) {
        handle_unhandled(v);
        return;
    }
    if (e->u.io.in) {
        /* Reads of trapped ports see the device as the guest would. */
        uint32_t in = host_port_in(e->u.io.port, e->u.io.size);
        v->regs.rax = (v->regs.rax & ~(uint64_t)mask) | (in & mask);
        vcpu_complete_insn(v);
        return;
    }
    if (e->u.io.port >= PORT_DEBUG_EXIT && e->u.io.port < PORT_DEBUG_EXIT + 4) {
        vcpu_complete_insn(v);
        guest_ended(v, (int)(val & 0xff), "debug-exit port 0xf4");
        return;
    }
    if (e->u.io.port == PORT_BOCHS_SHUTDOWN && e->u.io.size == 1) {
        static const char word[] = "Shutdown";
        v->vm->shutdown_matched = (char)val == word[v->vm->shutdown_matched] ? v->vm->shutdown_matched + 1
                           : (char)val == word[0]              ? 1
                                                               : 0;
        vcpu_complete_insn(v);
        if (v->vm->shutdown_matched == sizeof(word) - 1)
            guest_ended(v, 0, "shutdown port 0x8900");
        return;
    }
    if (e->u.io.port == v->vm->pm1a_cnt_port && e->u.io.size >= 2 && (val & (1u << 13))) {
        /* SLP_EN: the guest is entering a sleep state (ACPI 4.8.3.2.1);
         * keel runs one guest once, so this is its power-off. Report
         * first, then let the write through so real hardware powers off. */
        stats_print(v);
        klog("guest exit 0 (ACPI sleep/power-off through PM1a_CNT port 0x%x)", e->u.io.port);
        keel_exit_status(0);    /* said once: keel_exit adds nothing if the platform does not power off */
        host_port_out(e->u.io.port, e->u.io.size, val);
        /* The platform powers off a little after the write (QEMU handles it
         * in its main loop): give it that time before keel's own exit path
         * (the debug-exit port) would end the run with another status. */
        host_pause(200000000ul);
        vcpu_complete_insn(v);
        vcpu_stop(v, 0);
        return;
    }
    /* Any other trapped port: forward to the hardware. */
    host_port_out(e->u.io.port, e->u.io.size, val);
    vcpu_complete_insn(v);
}
