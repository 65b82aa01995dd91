/* printf-style formatting into a buffer: %d %i %u %x %X %p %s %c %%, with
 * flags '-' and '0', a width, and length modifiers l/ll/z (and h, ignored). */
#ifndef KEEL_LIB_FORMAT_H
#define KEEL_LIB_FORMAT_H
#include <stdarg.h>
#include <stddef.h>

/* Returns the length the full output would have (like C99 vsnprintf);
 * writes at most size-1 characters plus a NUL when size > 0. */
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
