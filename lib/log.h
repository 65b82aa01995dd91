/* keel's console output. Every line keel prints starts with "keel: ".
 * The sink is pluggable: serial ports in keel, a buffer in unit tests. */
#ifndef KEEL_LIB_LOG_H
#define KEEL_LIB_LOG_H
#include <stdarg.h>

typedef void (*console_sink_fn)(const char *s, unsigned long len);

/* Up to 3 sinks (e.g. COM1 and port 0xE9); lines go to all of them. */
void console_add_sink(console_sink_fn fn);
void console_reset_sinks(void);
/* Before keel stops: whatever a sink holds back (keel lines waiting for a
 * guest line to end, vmm/console.c) must reach the wire. One flush hook. */
void console_set_flush(void (*fn)(void));
void console_flush(void);

/* One line: "keel: " + formatted text + "\n". */
void klog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kvlog(const char *fmt, va_list ap);
/* Raw formatted output without the prefix (used to continue a line). */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
