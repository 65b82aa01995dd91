/* Capture keel's console output in host unit tests. */
#ifndef KEEL_TEST_LOG_CAPTURE_H
#define KEEL_TEST_LOG_CAPTURE_H
#include <string.h>
#include "lib/log.h"

static char captured[65536];
static size_t captured_len;

static void capture_sink(const char *s, unsigned long len)
{
    if (captured_len + len < sizeof(captured)) {
        memcpy(captured + captured_len, s, len);
        captured_len += len;
        captured[captured_len] = 0;
    }
}

static inline void capture_start(void)
{
    console_reset_sinks();
    console_add_sink(capture_sink);
    captured_len = 0;
    captured[0] = 0;
}

static inline int captured_has(const char *needle)
{
    return strstr(captured, needle) != NULL;
}

#endif
