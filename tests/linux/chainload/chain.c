/* chainload stub (see entry.S): parse the Multiboot v1 info QEMU gives,
 * describe the machine as keel would (guest_layout with the stub's own
 * image as "keel's region", staging area at the top of RAM below 4 GiB),
 * call guest_load() and enter the guest. Prints through COM1. */
#include <stdint.h>
#include <stddef.h>
#include "boot/bootinfo.h"
#include "vmm/guest.h"
#include "vmm/loader.h"
#include "lib/log.h"
#include "lib/string.h"

extern char __stub_start[], __stub_end[];
void chain_main(uint32_t magic, uint32_t info);
void jump_to_guest(uint32_t eip, uint32_t eax, uint32_t ebx, uint32_t esi) __attribute__((noreturn));

static struct boot_info bi;
static struct guest_layout gl;
static struct guest_entry ge;

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static void putc_serial(char c)
{
    while (!(inb(0x3fd) & 0x20))
        ;
    outb(0x3f8, (uint8_t)c);
}

static void serial_sink(const char *s, unsigned long n)
{
    while (n--) {
        if (*s == '\n')
            putc_serial('\r');
        putc_serial(*s++);
    }
}

static void finish(uint8_t code)
{
    while (!(inb(0x3fd) & 0x40))
        ;
    outb(0xf4, code);
    for (;;)
        __asm__ volatile("cli; hlt");
}

/* 64-bit division for the 32-bit build (no multilib libgcc here). */
uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t *rem);
uint64_t __udivdi3(uint64_t n, uint64_t d);
uint64_t __umoddi3(uint64_t n, uint64_t d);
uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t *rem)
{
    uint64_t q = 0, r = 0;
    int i;
    for (i = 63; i >= 0; i--) {
        r = (r << 1) | ((n >> i) & 1);
        if (r >= d) {
            r -= d;
            q |= 1ull << i;
        }
    }
    if (rem)
        *rem = r;
    return q;
}
uint64_t __udivdi3(uint64_t n, uint64_t d)
{
    return __udivmoddi4(n, d, NULL);
}
uint64_t __umoddi3(uint64_t n, uint64_t d)
{
    uint64_t r;
    __udivmoddi4(n, d, &r);
    return r;
}

/* keel's contract: a pointer for guest RAM outside keel's region. */
void *guest_phys_ptr(const struct guest_layout *g, uint64_t gpa, uint64_t len)
{
    unsigned i;
    uint64_t end = gpa + len;
    if (end < gpa || end > 0x100000000ull)
        return NULL;
    if (gpa < g->keel_end && g->keel_base < end)
        return NULL;
    for (i = 0; i < bi.nmmap; i++) {
        const struct mem_range *r = &bi.mmap[i];
        if (r->type == MEM_AVAILABLE && r->base <= gpa && end <= r->base + r->len)
            return (void *)(uintptr_t)gpa;
    }
    return NULL;
}

static uint32_t rd32(uint32_t a)
{
    return *(volatile uint32_t *)(uintptr_t)a;
}

static uint64_t find_rsdp(void)
{
    uint32_t a;
    for (a = 0xe0000; a < 0x100000; a += 16)
        if (memcmp((const void *)(uintptr_t)a, "RSD PTR ", 8) == 0)
            return a;
    return 0;
}

void chain_main(uint32_t magic, uint32_t info)
{
    uint32_t flags, i, total = 0;
    uint64_t top = 0;

    console_add_sink(serial_sink);
    if (magic != MB1_BOOT_MAGIC) {
        klog("chainload: not started by a multiboot loader (eax 0x%x)", magic);
        finish(125);
    }
    flags = rd32(info);
    if (flags & (1u << 6)) {
        uint32_t p = rd32(info + 48), end = p + rd32(info + 44);
        while (p < end && bi.nmmap < BOOT_MAX_MMAP) {
            struct mem_range *r = &bi.mmap[bi.nmmap++];
            r->base = *(volatile uint64_t *)(uintptr_t)(p + 4);
            r->len = *(volatile uint64_t *)(uintptr_t)(p + 12);
            r->type = rd32(p + 20);
            p += rd32(p) + 4;
        }
    }
    if (flags & (1u << 3)) {
        uint32_t m = rd32(info + 24);
        bi.nmods = rd32(info + 20);
        if (bi.nmods > BOOT_MAX_MODS)
            bi.nmods = BOOT_MAX_MODS;
        for (i = 0; i < bi.nmods; i++, m += 16) {
            bi.mods[i].start = rd32(m);
            bi.mods[i].end = rd32(m + 4);
            if (rd32(m + 8))
                kstrlcpy(bi.mods[i].cmdline, (const char *)(uintptr_t)rd32(m + 8), BOOT_MODSTR_MAX);
        }
    }
    bi.mb_version = 1;

    gl.keel_base = (uintptr_t)__stub_start & ~0xfffu;
    gl.keel_end = ((uintptr_t)__stub_end + 0xfff) & ~0xfffu;
    for (i = 0; i < bi.nmmap && i < BOOT_MAX_MMAP; i++) {
        gl.map[i] = bi.mmap[i];   /* the loader carves keel's region itself */
        if (bi.mmap[i].type == MEM_AVAILABLE && bi.mmap[i].base < 0x100000000ull) {
            uint64_t e = bi.mmap[i].base + bi.mmap[i].len;
            top = e > 0x100000000ull ? 0x100000000ull : e;
        }
    }
    gl.nmap = i;
    gl.ram_top_below_4g = top & ~0xfffull;
    for (i = 0; i < bi.nmods; i++)
        total += (uint32_t)((bi.mods[i].end - bi.mods[i].start + 0xfff) & ~0xfffull);
    gl.scratch_end = gl.ram_top_below_4g;
    gl.scratch_base = gl.scratch_end - total;
    gl.rsdp_phys = find_rsdp();
    klog("chainload: %u module(s), RAM top 0x%llx, staging [0x%llx, 0x%llx), RSDP 0x%llx",
         bi.nmods, (unsigned long long)gl.ram_top_below_4g, (unsigned long long)gl.scratch_base,
         (unsigned long long)gl.scratch_end, (unsigned long long)gl.rsdp_phys);

    if (!guest_present(&bi)) {
        klog("no guest given");
        finish(0);
    }
    if (!guest_load(&bi, &gl, &ge))
        finish(125);
    klog("chainload: entering the %s guest at 0x%llx", ge.kind, (unsigned long long)ge.rip);
    jump_to_guest((uint32_t)ge.rip, (uint32_t)ge.rax, (uint32_t)ge.rbx, (uint32_t)ge.rsi);
}
