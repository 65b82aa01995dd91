/* Physical page allocator over keel's region (a bitmap, one bit a page). */
#ifndef KEEL_LIB_PALLOC_H
#define KEEL_LIB_PALLOC_H
#include <stdint.h>
#include <stddef.h>

#define PAGE_SIZE 4096ull

/* Manage [base, base + npages*4K); `used_prefix` bytes at the start are
 * already in use (keel's image). */
void palloc_init(uint64_t base, uint64_t size, uint64_t used_prefix);
/* n contiguous zeroed pages aligned to `align` bytes (power of two >= 4K),
 * or 0 when the region is exhausted. Returns a physical address (identity-
 * mapped in keel, so it is also a pointer). */
uint64_t palloc_pages(size_t n, uint64_t align);
static inline uint64_t palloc_page(void) { return palloc_pages(1, PAGE_SIZE); }
void palloc_free(uint64_t addr, size_t n);
uint64_t palloc_free_bytes(void);
uint64_t palloc_total_bytes(void);

/* Where allocated memory is visible to keel (identity map: phys itself).
 * Unit tests override this through palloc_set_view() to point at a buffer. */
void palloc_set_view(uint8_t *view_of_base);
void *palloc_ptr(uint64_t phys);

#endif
