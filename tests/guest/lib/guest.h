/* keel guest library: what every guest test kernel links.
 *
 * Guests are Multiboot v1 ELF32 images loaded at 4 MiB, run in 32-bit
 * protected mode with paging off, talk over COM1 and end through the
 * debug-exit port 0xf4. See docs/guest-tests.md.
 *
 * Exceptions: every vector 0-31 has a handler. A probe arms a "fixup": the
 * EIP where execution resumes if the next instruction faults. The handler
 * then records the vector in guest_fault_vec and resumes there, so probes
 * return the vector (0 = no fault) instead of crashing. An exception with no
 * fixup armed is reported as FAIL with the register dump and ends the run.
 * Note: #DE is vector 0, the same as "no fault"; guest_fault_count tells
 * them apart where it matters. */
#ifndef KEEL_GUEST_H
#define KEEL_GUEST_H
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdarg.h>
/* Shared with keel (the Makefile puts the repository root on the include
 * path): the instruction accessors and the freestanding string helpers. */
#include "arch/x86/cpu_insn.h"
#include "lib/string.h"

#define GP_VECTOR 13
#define UD_VECTOR 6

/* ---- fault fixups (lib/idt.c, lib/entry.S) ---- */
extern volatile uint32_t guest_fixup_eip;   /* 0 = no probe armed */
extern volatile uint32_t guest_fault_vec;   /* vector of the last fixed-up fault */
extern volatile uint32_t guest_fault_err;   /* its error code (0 if none) */
extern volatile uint32_t guest_fault_count; /* faults fixed up so far */
extern volatile uint32_t guest_fault_eip;   /* EIP the CPU reported for it (fixups clear EFLAGS.TF) */
const char *vector_name(uint32_t vec);      /* "#GP", "#UD", ... */

/* Install an interrupt gate for vector vec >= 32 (NULL: not present). The
 * handler is an assembly stub ending in IRET. */
void idt_set_gate(uint8_t vec, void (*handler)(void));

/* Arm a fixup around ONE asm template: "insn" runs with the fixup armed;
 * whether it faults or not, execution continues after it and the macro's
 * value is the vector (0 = none). The operands are those of the insn. */
#define PROBE_ASM(insn)                                  \
    "movl $0, guest_fault_vec\n\t"                       \
    "movl $1f, guest_fixup_eip\n\t"                      \
    insn "\n"                                            \
    "1:\n\t"                                             \
    "movl $0, guest_fixup_eip\n\t"

/* RDMSR/WRMSR that return the vector (0 = ok). On a fault *val is untouched. */
int rdmsr_safe(uint32_t idx, uint64_t *val);
int wrmsr_safe(uint32_t idx, uint64_t val);
/* RDMSR with sentinel values preloaded in EAX/EDX; returns the vector and
 * what EAX/EDX hold afterwards (the sentinels if the read faulted correctly). */
int rdmsr_sentinel(uint32_t idx, uint32_t sent_lo, uint32_t sent_hi, uint32_t *lo, uint32_t *hi);

/* Instruction probes: return the vector (0 = executed). */
int rdtscp_safe(uint32_t *aux);
int rdpid_safe(uint32_t *aux);
int xgetbv_safe(uint32_t idx, uint64_t *val);
/* Generic: call fn() with a fixup armed around the call; returns the vector.
 * fn must not rely on state after the faulting instruction (the stack and
 * callee-saved registers are restored by the probe). */
int insn_safe(void (*fn)(void));

/* ---- CPU ---- */
/* rdmsr, wrmsr, rdtsc, cpuid_count, in/out: keel's own accessors. */
struct cpuid_r { uint32_t a, b, c, d; };
static inline struct cpuid_r cpuid(uint32_t leaf, uint32_t sub)
{
    struct cpuid_regs r;
    cpuid_count(leaf, sub, &r);
    return (struct cpuid_r){ r.eax, r.ebx, r.ecx, r.edx };
}

enum guest_vendor { GV_OTHER, GV_INTEL, GV_AMD };
extern enum guest_vendor guest_vendor;   /* from CPUID 0, set at start-up */
extern char guest_vendor_str[13];
const char *vendor_name(void);

/* A CPUID feature bit: leaf, subleaf, register (0=EAX..3=EDX), bit. */
struct feat { uint32_t leaf, sub; uint8_t reg, bit; const char *name; };
bool cpu_has(const struct feat *f);     /* respects the max (extended) leaf */
bool cpuid_leaf_ok(uint32_t leaf);      /* leaf <= max leaf of its range */
uint32_t cpuid_reg(uint32_t leaf, uint32_t sub, int reg);

/* Feature bits the tests use (lib/cpu.c). */
extern const struct feat F_FPU, F_TSC, F_MSR, F_PAE, F_CX8, F_APIC, F_SEP, F_MTRR, F_PGE, F_CMOV,
    F_PAT, F_CLFLUSH, F_MMX, F_FXSR, F_SSE, F_SSE2, F_SSE3, F_PCLMUL, F_MONITOR, F_VMX, F_SSSE3,
    F_FMA, F_CX16, F_PCID, F_SSE41, F_SSE42, F_X2APIC, F_MOVBE, F_POPCNT, F_AES, F_XSAVE, F_OSXSAVE,
    F_AVX, F_F16C, F_RDRAND, F_HYPERVISOR, F_TSC_ADJUST, F_BMI1, F_AVX2, F_SMEP, F_BMI2, F_INVPCID,
    F_AVX512F, F_AVX512DQ, F_AVX512CD, F_AVX512BW, F_AVX512VL, F_SHSTK, F_RDPID, F_IBT,
    F_SPEC_CTRL, F_STIBP, F_FLUSH_L1D, F_ARCH_CAP, F_SSBD, F_XSAVEOPT, F_XSAVEC, F_XSAVES,
    F_LAHF, F_SVM, F_ABM, F_SYSCALL, F_NX, F_RDTSCP, F_LM, F_AMD_IBPB, F_AMD_IBRS, F_AMD_STIBP,
    F_AMD_SSBD, F_AMD_VIRT_SSBD;

/* ---- hypercalls (VMMCALL on AMD, VMCALL otherwise) ---- */
#define HC_PING 0
#define HC_EXITS 1
#define HC_MSR_COUNT 2
#define HC_CPUID_EXITS 3
#define HC_REGION 4
#define HC_DMA_CHECK 5     /* EBX = 0 -> EAX = keel's DMA canary page; EBX = it -> EAX = its hash; EBX = DMA faults */
#define HC_PING_REPLY 0x6b65656cu
/* Returns the vector raised by the instruction (0 = none); a and b get EAX/EBX. */
int hypercall(uint32_t fn, uint32_t bx_in, uint32_t *a, uint32_t *b);

/* An MSR keel intercepts and emulates for this guest's vendor, for counting
 * and benchmarks: IA32_MISC_ENABLE (0x1a0) for Intel guests (it does not
 * exist on AMD), IA32_MTRR_DEF_TYPE (0x2ff, kept virtual) for AMD guests;
 * the command-line word intercept-msr=0xIDX overrides. */
uint32_t intercept_msr(void);
#define PASSTHROUGH_MSR 0xc0000102u /* IA32_KERNEL_GS_BASE */

/* ---- serial and formatting (lib/print.c) ---- */
void serial_init(void);
void putc_serial(char c);
/* %s %c %d %i %u %x %X %p %%, flags '0' '-', width, length l / ll. */
int vsnprintf_g(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf_g(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- reporting (lib/report.c) ---- */
void pass(const char *name);
void fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* check(): PASS or FAIL name with the detail; returns cond. */
bool check(bool cond, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
extern unsigned n_passed, n_failed;
/* Prints "SUMMARY: N passed, M failed"; returns the exit code finish() would use. */
unsigned summary(void);
/* Prints "SUMMARY: N passed, M failed" and exits 0 if none failed, else 1. */
__attribute__((noreturn)) void finish(void);
/* Waits for the UART to drain, writes code to port 0xf4, then "Shutdown" to 0x8900. */
__attribute__((noreturn)) void guest_exit(uint32_t code);

/* ---- multiboot and command line (lib/start.c) ---- */
struct mb_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
};
struct mb_mmap { uint32_t size; uint64_t addr, len; uint32_t type; } __attribute__((packed));
/* NULL if EAX was neither multiboot magic; under Multiboot2 a v1-style view
 * of the v2 tags (mem bounds, command line, modules, memory map). */
extern const struct mb_info *mbi;
#define MB2_BOOT_MAGIC 0x36D76289u
/* The Multiboot2 information (NULL under v1), and its first tag of `type`
 * after tag `after` (NULL: from the start), or NULL. */
extern const uint8_t *mb2i;
const uint8_t *mb2_tag(uint32_t type, const uint8_t *after);
extern uint32_t mb_magic;
#define MAX_ARGS 32
extern int argc;
extern const char *argv[MAX_ARGS];
/* Word present verbatim? */
bool has_arg(const char *word);
/* Value of "key=value" (key given without '='), or NULL. */
const char *arg_value(const char *key);
/* Parses decimal or 0x-hex; def if absent/malformed. */
uint64_t arg_u64(const char *key, uint64_t def);
/* keel's parse_u64 (lib/string.h) on a NUL-terminated string; false on NULL. */
bool parse_u64_str(const char *s, uint64_t *out);

/* Every kernel defines this; the library calls it after start-up. */
int guest_main(void);

/* ---- small libc: memset, memcpy, strlen, ... from keel's lib/string.c ---- */
/* 64-by-32 unsigned division without libgcc. */
uint64_t udiv64(uint64_t n, uint32_t d, uint32_t *rem);

/* xorshift64* PRNG */
static inline uint64_t prng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* Assembly helper (lib/entry.S): runs n CPUID(leaf, subleaf 0) with sentinels
 * in ESI/EDI/EBP and checks, after every one, EAX..EDX against the first
 * result and ESI/EDI/EBP/ESP against their sentinels. Returns 0 if everything
 * stayed intact, else the 1-based iteration of the first corruption, with the
 * registers at that point in cpuid_stress_regs (EAX EBX ECX EDX ESI EDI EBP
 * ESP) and the expected ones in cpuid_stress_want. */
#define STRESS_ESI 0x5e5e0001u
#define STRESS_EDI 0x5e5e0002u
#define STRESS_EBP 0x5e5e0003u
extern uint32_t cpuid_stress_regs[8], cpuid_stress_want[8];
uint32_t cpuid_stress(uint32_t n, uint32_t leaf);

#endif
