/* Ending a run: every stop drains the console and tells the emulator. */
#ifndef KEEL_ARCH_STOP_H
#define KEEL_ARCH_STOP_H

/* Exit statuses keel reports (scripts/keel-run passes them on). */
#define KEEL_EXIT_OK 0
#define KEEL_EXIT_FATAL 125

/* Print "keel: exit status N" (flushed and drained) unless it was printed
 * already: it is keel's last line, said once. A stop that must announce it
 * before handing the machine to the platform (an ACPI power-off, which
 * may end the machine at once or not at all) calls this first; keel_exit
 * after it then adds nothing. */
void keel_exit_status(int code);

/* keel_exit_status(code), write N to the QEMU
 * isa-debug-exit port 0xf4, write "Shutdown" to Bochs' port 0x8900, then
 * halt forever with interrupts off (real hardware). */
__attribute__((noreturn)) void keel_exit(int code);

/* Set once a guest runs: prints what vmm/ knows of it (the vCPUs' exit
 * traces) when keel itself fails (keel_fatal, an exception in keel). */
extern void (*keel_fatal_report)(void);
void keel_fatal_report_once(void);

/* klog the message with a "fatal:" prefix, then keel_exit(125). */
__attribute__((noreturn, format(printf, 1, 2))) void keel_fatal(const char *fmt, ...);

#endif
