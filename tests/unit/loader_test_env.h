/* Shared set-up for the guest loader unit tests (test_loader.c,
 * test_linux_loader.c): a 128 MiB fake guest RAM, a PC-like memory map
 * with keel's region at [120 MiB, 128 MiB) and the staging area below it,
 * klog captured into a buffer. */
#ifndef KEEL_TESTS_LOADER_TEST_ENV_H
#define KEEL_TESTS_LOADER_TEST_ENV_H
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "vmm/guest.h"
#include "vmm/loader.h"
#include "lib/log.h"

extern uint8_t *fake_mem;
extern uint64_t fake_mem_size;
void fake_mem_init(uint64_t size);
void fake_mem_free(void);

#define MIB (1024ull * 1024)
#define T_RAM (128 * MIB)
#define T_KEEL_BASE (120 * MIB)
#define T_KEEL_END (128 * MIB)
#define T_SCRATCH_BASE (96 * MIB)
#define T_SCRATCH_END (120 * MIB)
#define T_RSDP 0xf5a10ull

static char logbuf[1 << 16];
static size_t loglen;

static void log_sink(const char *s, unsigned long len)
{
    if (loglen + len >= sizeof(logbuf))
        len = sizeof(logbuf) - 1 - loglen;
    memcpy(logbuf + loglen, s, len);
    loglen += len;
    logbuf[loglen] = 0;
}

static bool log_has(const char *s)
{
    if (!strstr(logbuf, s)) {
        fprintf(stderr, "log lacks \"%s\"; log was:\n%s", s, logbuf);
        return false;
    }
    return true;
}

static struct boot_info bi;
static struct guest_layout gl;
static struct guest_entry ge;

static void map_set(struct guest_layout *g, unsigned i, uint64_t base, uint64_t len, uint32_t type)
{
    g->map[i].base = base;
    g->map[i].len = len;
    g->map[i].type = type;
}

/* The map keel would give: low RAM, EBDA/BIOS holes, RAM to keel's region
 * (carved out as RESERVED), a PCI hole reservation above. */
static void env_layout(void)
{
    memset(&gl, 0, sizeof(gl));
    map_set(&gl, 0, 0, 0x9fc00, MEM_AVAILABLE);
    map_set(&gl, 1, 0x9fc00, 0x400, MEM_RESERVED);
    map_set(&gl, 2, 0xf0000, 0x10000, MEM_RESERVED);
    map_set(&gl, 3, MIB, T_KEEL_BASE - MIB, MEM_AVAILABLE);
    map_set(&gl, 4, T_KEEL_BASE, T_KEEL_END - T_KEEL_BASE, MEM_RESERVED);
    map_set(&gl, 5, 0xfffc0000ull, 0x40000, MEM_RESERVED);
    gl.nmap = 6;
    gl.keel_base = T_KEEL_BASE;
    gl.keel_end = T_KEEL_END;
    gl.ram_top_below_4g = T_RAM;
    gl.scratch_base = T_SCRATCH_BASE;
    gl.scratch_end = T_SCRATCH_END;
    gl.rsdp_phys = T_RSDP;
}

static int env_setup(void **state)
{
    (void)state;
    fake_mem_init(T_RAM);
    memset(&bi, 0, sizeof(bi));
    memset(&ge, 0, sizeof(ge));
    bi.mb_version = 1;
    env_layout();
    loglen = 0;
    logbuf[0] = 0;
    console_reset_sinks();
    console_add_sink(log_sink);
    return 0;
}

static int env_teardown(void **state)
{
    (void)state;
    fake_mem_free();
    console_reset_sinks();
    return 0;
}

/* Put bytes in "host" memory as GRUB would and describe them as module i. */
static void add_module(uint64_t at, const void *data, uint64_t len, const char *str)
{
    unsigned i = bi.nmods++;
    memcpy(fake_mem + at, data, len);
    bi.mods[i].start = at;
    bi.mods[i].end = at + len;
    snprintf(bi.mods[i].cmdline, sizeof(bi.mods[i].cmdline), "%s", str);
}

static uint32_t rd32m(uint64_t gpa)
{
    uint32_t v;
    memcpy(&v, fake_mem + gpa, 4);
    return v;
}
static uint64_t rd64m(uint64_t gpa)
{
    uint64_t v;
    memcpy(&v, fake_mem + gpa, 8);
    return v;
}
static void put16(uint8_t *p, uint16_t v)
{
    memcpy(p, &v, 2);
}
static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}
static void put64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

#endif
