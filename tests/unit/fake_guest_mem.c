/* Fake guest memory for the loader unit tests: guest_phys_ptr() over a
 * calloc'd buffer standing for guest RAM at gpa 0 (keel's implementation
 * returns (void *)gpa after its checks). Like keel's, it refuses ranges
 * outside RAM and ranges touching keel's region. */
#include <stdint.h>
#include <stdlib.h>
#include "vmm/guest.h"

uint8_t *fake_mem;
uint64_t fake_mem_size;

void fake_mem_init(uint64_t size);
void fake_mem_free(void);

void fake_mem_init(uint64_t size)
{
    free(fake_mem);
    fake_mem = calloc(1, size);
    fake_mem_size = fake_mem ? size : 0;
}

void fake_mem_free(void)
{
    free(fake_mem);
    fake_mem = NULL;
    fake_mem_size = 0;
}

void *guest_phys_ptr(const struct guest_layout *g, uint64_t gpa, uint64_t len)
{
    uint64_t end = gpa + len;
    if (!fake_mem || end < gpa || end > fake_mem_size)
        return NULL;
    if (g && g->keel_end > g->keel_base && gpa < g->keel_end && g->keel_base < end)
        return NULL;
    return fake_mem + gpa;
}
