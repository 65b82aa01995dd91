/* Capture keel's console output (klog) in host unit tests. */
#ifndef KEEL_TEST_LOG_CAPTURE_H
#define KEEL_TEST_LOG_CAPTURE_H
#include <stdbool.h>
#include <string.h>
#include "lib/log.h"

static char logbuf[1 << 18];
static size_t loglen;

static inline void log_sink(const char *s, unsigned long n)
{
    if (loglen + n < sizeof(logbuf)) {
        memcpy(logbuf + loglen, s, n);
        loglen += n;
        logbuf[loglen] = 0;
    }
}

static inline void log_reset(void)
{
    loglen = 0;
    logbuf[0] = 0;
}

/* Make the capture the only console sink and empty it. */
static inline void capture_start(void)
{
    console_reset_sinks();
    console_add_sink(log_sink);
    log_reset();
}

static inline bool log_has(const char *needle)
{
    return strstr(logbuf, needle) != NULL;
}

static inline unsigned log_count(const char *needle)
{
    unsigned n = 0;
    const char *p = logbuf;
    while ((p = strstr(p, needle))) {
        n++;
        p += strlen(needle);
    }
    return n;
}

#endif
