#include "arch/x86/stop.h"
#include "arch/x86/cpu.h"
#include "lib/log.h"
#include "arch/x86/uart.h"
#include "lib/format.h"
#include <stdarg.h>

void (*keel_fatal_report)(void);

void keel_fatal_report_once(void)
{
    void (*fn)(void) = keel_fatal_report;
    keel_fatal_report = 0;      /* a fault inside the report must not loop */
    if (fn)
        fn();
}

/* Machine-wide, like the console: set once, by the CPU that ends the run. */
static bool exit_status_said;

void keel_exit_status(int code)
{
    if (__atomic_exchange_n(&exit_status_said, true, __ATOMIC_SEQ_CST))
        return;
    console_flush();
    klog("exit status %d", code);
    serial_drain();
}

void keel_exit(int code)
{
    const char *s = "Shutdown";
    __asm__ volatile("cli");
    keel_exit_status(code);
    /* QEMU isa-debug-exit (iobase=0xf4): QEMU exits with (code << 1) | 1. */
    outl(0xf4, (uint32_t)code);
    /* Bochs: the bytes "Shutdown" on port 0x8900 end the simulation. */
    while (*s)
        outb(0x8900, (uint8_t)*s++);
    cpu_halt_forever();
    __builtin_unreachable();
}

void keel_fatal(const char *fmt, ...)
{
    char buf[400];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    klog("fatal: %s", buf);
    keel_fatal_report_once();
    keel_exit(KEEL_EXIT_FATAL);
}
