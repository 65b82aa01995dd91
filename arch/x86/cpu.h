/* x86 CPU accessors. In host unit tests (KEEL_HOSTED) these are not used:
 * tests link fakes behind vmm/arch_hooks.h instead. */
#ifndef KEEL_ARCH_CPU_H
#define KEEL_ARCH_CPU_H
#include <stdint.h>
#include <stdbool.h>
#include "arch/x86/x86_defs.h"
#include "arch/x86/cpu_insn.h"

/* #GP-safe variants: an exception-table fixup turns a fault into false.
 * Implemented in arch/x86/msr_safe.S; used for any guest-chosen index. */
bool rdmsr_safe(uint32_t msr, uint64_t *val);
bool wrmsr_safe(uint32_t msr, uint64_t val);

#define DEFINE_CR_ACCESSORS(n)                                                    \
    static inline uint64_t read_cr##n(void)                                       \
    {                                                                             \
        uint64_t v;                                                               \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                         \
        return v;                                                                 \
    }                                                                             \
    static inline void write_cr##n(uint64_t v)                                    \
    {                                                                             \
        __asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory");                  \
    }
DEFINE_CR_ACCESSORS(0)
DEFINE_CR_ACCESSORS(2)
DEFINE_CR_ACCESSORS(3)
DEFINE_CR_ACCESSORS(4)

static inline uint64_t read_dr6(void)
{
    uint64_t v;
    __asm__ volatile("mov %%dr6, %0" : "=r"(v));
    return v;
}
static inline void write_dr6(uint64_t v) { __asm__ volatile("mov %0, %%dr6" ::"r"(v)); }

static inline uint64_t xgetbv(uint32_t idx)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(idx));
    return ((uint64_t)hi << 32) | lo;
}

static inline void xsetbv(uint32_t idx, uint64_t v)
{
    __asm__ volatile("xsetbv" ::"c"(idx), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline void cpu_halt_forever(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}

static inline uint64_t read_rflags(void)
{
    uint64_t f;
    __asm__ volatile("pushfq; popq %0" : "=r"(f));
    return f;
}

#endif
