/* Bit arrays (little-endian bit order, as the VMX/SVM MSR bitmaps use). */
#ifndef KEEL_LIB_BITMAP_H
#define KEEL_LIB_BITMAP_H
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

static inline void bitmap_set(uint8_t *map, size_t bit)
{
    map[bit >> 3] |= (uint8_t)(1u << (bit & 7));
}

static inline void bitmap_clear(uint8_t *map, size_t bit)
{
    map[bit >> 3] &= (uint8_t)~(1u << (bit & 7));
}

static inline bool bitmap_test(const uint8_t *map, size_t bit)
{
    return (map[bit >> 3] >> (bit & 7)) & 1;
}

static inline void bitmap_assign(uint8_t *map, size_t bit, bool on)
{
    if (on)
        bitmap_set(map, bit);
    else
        bitmap_clear(map, bit);
}

#endif
