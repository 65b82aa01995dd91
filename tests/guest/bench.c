/* Exit-cost microbenchmark for `make bench`.
 *
 * Each operation runs in a loop of N iterations bracketed by RDTSC; the same
 * loop with the operation replaced by a NOP is the overhead. Under QEMU
 * `-icount shift=7,sleep=off` the TSC advances 128 per instruction executed
 * (guest and keel alike), under Bochs 1 per instruction, so
 *     (TSC(op loop) - TSC(nop loop)) / N / tsc-per-insn
 * is the number of instructions one operation costs beyond a NOP: for an
 * exiting instruction, keel's instructions per exit (world switch included).
 *
 * Words: tsc-per-insn=128|1 (default 128), iters=N (default 2000),
 * intercept-msr=0xIDX (the emulated MSR; default 0x1a0 Intel, 0x2ff AMD).
 * Output: "BENCH <name> <instructions/op>" lines (one decimal), or
 * "BENCH <name> n/a (<vector>)" when the operation faults (e.g. bare). */
#include "guest.h"

#define KERNEL_GS_BASE PASSTHROUGH_MSR
static uint32_t emul_msr; /* intercept_msr(): 0x1a0 on Intel, 0x2ff on AMD */

uint32_t misc_lo, misc_hi; /* named in the WRMSR loop asm */

/* The loops. Every op loop and its base loop differ only in the op. */
#define LOOP(body, ...)                                                       \
    do {                                                                      \
        uint32_t n_ = iters;                                                  \
        __asm__ volatile("1:\n\t" body "\n\tdec %%esi\n\tjnz 1b"              \
                         : "+S"(n_)                                           \
                         : __VA_ARGS__);                                      \
    } while (0)

static uint64_t t_cpuid(uint32_t iters, bool base)
{
    uint64_t t0 = rdtsc();
    if (base)
        LOOP("xor %%eax, %%eax\n\txor %%ecx, %%ecx\n\tnop", "i"(0) : "eax", "ebx", "ecx", "edx");
    else
        LOOP("xor %%eax, %%eax\n\txor %%ecx, %%ecx\n\tcpuid", "i"(0) : "eax", "ebx", "ecx", "edx");
    return rdtsc() - t0;
}

static uint64_t t_rdmsr(uint32_t iters, bool base, uint32_t idx)
{
    uint64_t t0 = rdtsc();
    if (base)
        LOOP("mov %1, %%ecx\n\tnop", "r"(idx) : "eax", "ecx", "edx");
    else
        LOOP("mov %1, %%ecx\n\trdmsr", "r"(idx) : "eax", "ecx", "edx");
    return rdtsc() - t0;
}

static uint64_t t_wrmsr(uint32_t iters, bool base, uint32_t idx)
{
    uint64_t t0 = rdtsc();
    if (base)
        LOOP("mov %1, %%ecx\n\tmov misc_lo, %%eax\n\tmov misc_hi, %%edx\n\tnop", "r"(idx)
             : "eax", "ecx", "edx", "memory");
    else
        LOOP("mov %1, %%ecx\n\tmov misc_lo, %%eax\n\tmov misc_hi, %%edx\n\twrmsr", "r"(idx)
             : "eax", "ecx", "edx", "memory");
    return rdtsc() - t0;
}

static uint64_t t_hypercall(uint32_t iters, bool base)
{
    uint64_t t0 = rdtsc();
    if (base)
        LOOP("xor %%eax, %%eax\n\tnop", "i"(0) : "eax", "ebx", "ecx", "edx");
    else if (guest_vendor == GV_AMD)
        LOOP("xor %%eax, %%eax\n\tvmmcall", "i"(0) : "eax", "ebx", "ecx", "edx");
    else
        LOOP("xor %%eax, %%eax\n\tvmcall", "i"(0) : "eax", "ebx", "ecx", "edx");
    return rdtsc() - t0;
}

enum op { OP_CPUID, OP_RDMSR_EMUL, OP_WRMSR_EMUL, OP_HYPERCALL, OP_RDMSR_PASS };
static const char *const op_names[] = { "cpuid", "rdmsr-emulated", "wrmsr-emulated", "hypercall",
                                        "rdmsr-passthrough" };

static uint64_t run_op(enum op op, uint32_t iters, bool base)
{
    switch (op) {
    case OP_CPUID: return t_cpuid(iters, base);
    case OP_RDMSR_EMUL: return t_rdmsr(iters, base, emul_msr);
    case OP_WRMSR_EMUL: return t_wrmsr(iters, base, emul_msr);
    case OP_HYPERCALL: return t_hypercall(iters, base);
    default: return t_rdmsr(iters, base, KERNEL_GS_BASE);
    }
}

/* Does the operation work here at all (no fault)? */
static int probe(enum op op)
{
    uint64_t v;
    switch (op) {
    case OP_CPUID: return 0;
    case OP_RDMSR_EMUL: return rdmsr_safe(emul_msr, &v);
    case OP_WRMSR_EMUL: return wrmsr_safe(emul_msr, ((uint64_t)misc_hi << 32) | misc_lo);
    case OP_HYPERCALL: return hypercall(HC_PING, 0, NULL, NULL);
    default: return rdmsr_safe(KERNEL_GS_BASE, &v);
    }
}

int guest_main(void)
{
    uint32_t tpi = (uint32_t)arg_u64("tsc-per-insn", 128);
    uint32_t iters = (uint32_t)arg_u64("iters", 2000);
    if (tpi == 0)
        tpi = 1;
    if (iters == 0 || iters > 1000000)
        iters = 2000;
    uint64_t misc;
    emul_msr = intercept_msr();
    if (!rdmsr_safe(emul_msr, &misc)) {
        misc_lo = (uint32_t)misc;
        misc_hi = (uint32_t)(misc >> 32);
    }
    printf("bench: vendor %s, %u iterations per operation, %u TSC per instruction\n",
           guest_vendor_str, iters, tpi);
    printf("bench: emulated MSR 0x%x, passed-through MSR 0x%x, hypercall %s (PING)\n", emul_msr,
           KERNEL_GS_BASE, guest_vendor == GV_AMD ? "VMMCALL" : "VMCALL");
    printf("bench: instructions per operation beyond a NOP (keel's cost per exit for exiting ones)\n");
    bool all_ok = true;
    for (enum op op = OP_CPUID; op <= OP_RDMSR_PASS; op++) {
        int vec = probe(op);
        if (vec) {
            printf("BENCH %s n/a (%s)\n", op_names[op], vector_name((uint32_t)vec));
            all_ok = false;
            continue;
        }
        run_op(op, 16, false); /* warm up */
        run_op(op, 16, true);
        uint64_t tb = run_op(op, iters, true);
        uint64_t to = run_op(op, iters, false);
        bool neg = to < tb;
        uint64_t diff = neg ? tb - to : to - tb;
        uint32_t rem;
        /* one decimal: diff * 10 / (iters * tpi) */
        uint64_t x10 = udiv64(diff * 10, iters * tpi, &rem);
        uint32_t r10;
        uint64_t whole = udiv64(x10, 10, &r10);
        printf("BENCH %s %s%llu.%u\n", op_names[op], neg && x10 ? "-" : "", (unsigned long long)whole, r10);
        printf("bench:   %s raw: op loop %llu TSC, nop loop %llu TSC\n", op_names[op],
               (unsigned long long)to, (unsigned long long)tb);
    }
    printf("bench: done\n");
    guest_exit(all_ok ? 0 : 1);
}
