#include "lib/log.h"
#include "lib/format.h"

#define MAX_SINKS 3
static console_sink_fn sinks[MAX_SINKS];
static int nsinks;
static void (*flush_fn)(void);

void console_set_flush(void (*fn)(void))
{
    flush_fn = fn;
}

void console_flush(void)
{
    if (flush_fn)
        flush_fn();
}

void console_add_sink(console_sink_fn fn)
{
    if (nsinks < MAX_SINKS)
        sinks[nsinks++] = fn;
}

void console_reset_sinks(void)
{
    nsinks = 0;
}

/* One lock around a whole line, so lines from several CPUs never mix. Never
 * taken on the exit path (nothing there logs). A bounded wait: a CPU that
 * faulted while printing must not silence the others for good. */
static volatile int line_lock;

static void emit(const char *buf, int len)
{
    int i;
    unsigned long spins = 0;
    while (__atomic_exchange_n(&line_lock, 1, __ATOMIC_ACQUIRE) && spins++ < 100000000ul)
        __asm__ volatile("pause" ::: "memory");
    for (i = 0; i < nsinks; i++)
        sinks[i](buf, (unsigned long)len);
    __atomic_store_n(&line_lock, 0, __ATOMIC_RELEASE);
}

static void vemit(const char *prefix, const char *fmt, va_list ap, const char *suffix)
{
    char line[512];
    int n = 0, m;
    const char *p;
    for (p = prefix; *p; p++)
        line[n++] = *p;
    m = kvsnprintf(line + n, sizeof(line) - (unsigned)n - 1, fmt, ap);
    n += m < (int)(sizeof(line) - (unsigned)n - 1) ? m : (int)(sizeof(line) - (unsigned)n - 2);
    for (p = suffix; *p; p++)
        line[n++] = *p;
    emit(line, n);
}

void kvlog(const char *fmt, va_list ap)
{
    vemit("keel: ", fmt, ap, "\n");
}

void klog(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kvlog(fmt, ap);
    va_end(ap);
}

void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vemit("", fmt, ap, "");
    va_end(ap);
}
