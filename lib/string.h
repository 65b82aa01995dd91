/* Freestanding string and memory helpers (keel has no libc). */
#ifndef KEEL_LIB_STRING_H
#define KEEL_LIB_STRING_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);

/* Copy at most size-1 bytes and always NUL-terminate (size > 0). */
size_t kstrlcpy(char *dst, const char *src, size_t size);

/* Parse an unsigned number: decimal, or hex with 0x prefix. The whole
 * [s, s+len) must be consumed; false on empty, junk or overflow. */
bool parse_u64(const char *s, size_t len, uint64_t *out);

#endif
