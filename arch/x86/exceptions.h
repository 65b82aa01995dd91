#ifndef KEEL_ARCH_EXCEPTIONS_H
#define KEEL_ARCH_EXCEPTIONS_H
#include <stdint.h>

/* Frame built by arch/x86/isr.S (lowest address first). */
struct exc_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct exc_frame) == 22 * 8, "frame layout is ABI with isr.S");

struct ex_table_entry {
    uint64_t fault_rip, fixup_rip;
};

void exception_dispatch(struct exc_frame *f);
/* NMIs taken while keel runs are counted per CPU: struct percpu.nmis_pending. */
const char *exception_name(unsigned vector);
/* Symbol lookup for backtraces (table generated at link time). */
const char *symbol_for(uint64_t addr, uint64_t *offset);
void print_backtrace(uint64_t rbp, uint64_t rip);

#endif
