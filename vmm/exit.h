/* The neutral VM-exit record. Vendor code (arch/x86/svm, arch/x86/vmx)
 * decodes a hardware exit into this; vmm/ code decides what happens. */
#ifndef KEEL_VMM_EXIT_H
#define KEEL_VMM_EXIT_H
#include <stdint.h>
#include <stdbool.h>

/* Each exit kind: its name and the vmm/ handler exit_handlers[] runs for
 * it (vmm/exit.c, where the handlers are in scope); what keel does not
 * handle goes to handle_unhandled. */
#define EXIT_KINDS(X)                                                                   \
    X(EXIT_NONE, "none", handle_unhandled)                                              \
    X(EXIT_CPUID, "cpuid", handle_cpuid)                                                \
    X(EXIT_MSR_READ, "rdmsr", handle_rdmsr)                                             \
    X(EXIT_MSR_WRITE, "wrmsr", handle_wrmsr)                                            \
    X(EXIT_IO, "io", handle_io)                                                         \
    X(EXIT_HLT, "hlt", handle_unhandled) /* HLT is not intercepted */                   \
    X(EXIT_NPF, "npf", handle_npf) /* NPF (SVM) / EPT violation (VMX) */                \
    X(EXIT_NPT_MISCONFIG, "ept-misconfig", handle_unhandled)                            \
    X(EXIT_XSETBV, "xsetbv", handle_xsetbv)                                             \
    X(EXIT_INVD, "invd", handle_invd)                                                   \
    X(EXIT_WBINVD, "wbinvd", handle_wbinvd)                                             \
    X(EXIT_SHUTDOWN, "shutdown", handle_shutdown) /* SVM shutdown / VMX triple fault */ \
    X(EXIT_HYPERCALL, "hypercall", handle_hypercall) /* VMMCALL / VMCALL */             \
    X(EXIT_EXCEPTION, "exception", handle_unhandled) /* no exception is intercepted */  \
    X(EXIT_INIT, "init", smp_init_signal)                                               \
    X(EXIT_SIPI, "sipi", smp_sipi_signal)                                               \
    X(EXIT_INVALID_STATE, "invalid-state", handle_invalid_state)                        \
    X(EXIT_VMINSN, "vm-insn", handle_vminsn) /* VMRUN/VMLOAD/.., VMX instructions */    \
    X(EXIT_CR_ACCESS, "cr-access", handle_cr_access)                                    \
    X(EXIT_RDTSCP, "rdtscp", handle_rdtscp)                                             \
    X(EXIT_NMI, "nmi", smp_nmi_exit) /* SVM NMI intercept (smp.apic-trap=always) */     \
    X(EXIT_OTHER, "other", handle_unhandled)

enum exit_kind {
#define X(k, s, h) k,
    EXIT_KINDS(X)
#undef X
    EXIT_KIND_COUNT
};

extern const char *const exit_kind_names[EXIT_KIND_COUNT];

enum npf_access { NPF_READ = 1, NPF_WRITE = 2, NPF_EXEC = 4 };

/* Decode fills what the kind needs and no more (the exit path's budget):
 * kind always; raw_code/raw_info1/raw_info2 for every kind except the hot
 * instruction exits (CPUID, RDMSR/WRMSR, VMMCALL/VMCALL), which no handler
 * reports. */
struct vm_exit {
    enum exit_kind kind;
    uint64_t raw_code;       /* vendor exit code / basic exit reason */
    uint64_t raw_info1;      /* EXITINFO1 / exit qualification */
    uint64_t raw_info2;      /* EXITINFO2 / guest-linear address etc. */
    uint64_t rip;            /* guest RIP at the exit (for the trace ring) */
    uint8_t insn_len;        /* 0 if unknown (SVM without NRIPS): vcpu_insn_len reads the instruction */
    bool advance;            /* set by vcpu_complete_insn(): the vendor completes the
                              * instruction on its next entry and clears this (SVM
                              * without NRIPS: its next decode, with insn_len) */
    union {
        /* RDMSR/WRMSR: nothing; the index is ECX (v->regs.rcx), architecturally. */
        struct { uint16_t port; uint8_t size; bool in; bool string; bool rep; } io;
        struct { uint64_t gpa; uint32_t access; /* NPF_* */ } npf;
        struct { uint8_t vector; bool has_error; uint32_t error; } exc;
        /* gpr: the x86 register number (0 RAX, 1 RCX, 2 RDX, 3 RBX, 4 RSP,
         * 5 RBP, 6 RSI, 7 RDI, 8-15 R8-R15), not a struct guest_regs index. */
        struct { uint8_t cr; bool write; uint8_t gpr; } cr;
    } u;
};
_Static_assert(__builtin_offsetof(struct vm_exit, advance) == __builtin_offsetof(struct vm_exit, insn_len) + 1,
               "insn_len and advance: one 16-bit store (vmm/vcpu.h insn_cache_len_pair)");

#endif
