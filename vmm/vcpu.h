/* The vendor-neutral virtual CPU. */
#ifndef KEEL_VMM_VCPU_H
#define KEEL_VMM_VCPU_H
#include <stdint.h>
#include <stdbool.h>
#include "vmm/exit.h"

/* Guest general-purpose registers that the VMRUN/VMLAUNCH assembly saves
 * and restores. Order is ABI with the svm/vmx entry assembly: do not reorder.
 * RAX and RSP: on SVM they live in the VMCB, on VMX RSP lives in the VMCS;
 * vendor code keeps regs.rax/rsp in sync around each exit. */
struct guest_regs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rsp;
};
_Static_assert(sizeof(struct guest_regs) == 16 * 8, "guest_regs layout is ABI with the entry assembly");

/* Guest state the vendor keeps in hardware structures (VMCB save area,
 * VMCS guest fields) or live in MSRs. Read and written through
 * vcpu_get_state()/vcpu_set_state() (vmm/arch_hooks.h) so vmm/ code never
 * touches the VMCB/VMCS. */
enum vcpu_state {
    VS_RIP, VS_RSP, VS_RFLAGS,
    VS_CR0, VS_CR2, VS_CR3, VS_CR4, VS_XCR0,
    VS_EFER, VS_PAT, VS_DEBUGCTL,
    VS_SYSENTER_CS, VS_SYSENTER_ESP, VS_SYSENTER_EIP,
    VS_STAR, VS_LSTAR, VS_CSTAR, VS_SFMASK,
    VS_FS_BASE, VS_GS_BASE, VS_KERNEL_GS_BASE,
    VS_TSC_OFFSET,     /* guest TSC = host TSC + offset */
    VS_S_CET, VS_SSP, VS_INT_SSP_TAB,   /* hardware-switched CET state where the vendor has it */
    VS_CPL,
    VS_DR6,            /* the guest's DR6 */
    VS_INTR_SHADOW,    /* STI / MOV SS interrupt shadow: bit 0 STI, bit 1 MOV SS */
    VS_CS_BASE,        /* CS segment base */
    VS_CS_FLAGS,       /* CS_FLAG_*: code-segment size bits */
    VS_COUNT
};

/* VS_CS_FLAGS bits: the descriptor's D/B and L bits (SDM 3.4.5). */
#define CS_FLAG_D 1u
#define CS_FLAG_L 2u

struct exit_stats {
    uint64_t count[EXIT_KIND_COUNT];
    uint64_t cycles[EXIT_KIND_COUNT];   /* TSC cycles spent in keel per kind */
    uint64_t total;
    uint64_t injected[32];              /* exceptions injected, by vector */
};

/* The last exits of one vCPU (vmm/trace.h): written by the run loop with a
 * few stores per exit before the handler runs; the hooks that inject or
 * stop mark the entry's result. Printed by the monitor's `trace` and on a
 * fatal stop. */
#define EXIT_TRACE_LEN 64
_Static_assert((EXIT_TRACE_LEN & (EXIT_TRACE_LEN - 1)) == 0, "the ring index is masked");
enum trace_result { TRACE_RESUMED = 0, TRACE_STOPPED = 0xff };   /* else 0x80 | vector injected */
struct exit_trace_entry {
    uint64_t rip;       /* guest RIP at the exit */
    uint64_t qual;      /* EXITINFO1 / exit qualification */
    uint64_t detail;    /* MSR index, port, GPA: the first word of vm_exit.u */
    uint8_t kind;       /* enum exit_kind */
    uint8_t result;     /* enum trace_result */
};
_Static_assert(sizeof(struct exit_trace_entry) == 32, "two entries per cache line");
struct exit_trace {
    struct exit_trace_entry e[EXIT_TRACE_LEN];
    uint64_t n;         /* exits recorded; entry n - 1 is the newest */
};

/* The last instruction vmm/insn.c decoded with paging off (SVM without
 * NRIPS): reused while the same bytes are at the same address. */
struct insn_cache {
    uint64_t la;
    const uint8_t *ptr;          /* keel's pointer to the bytes (guest RAM) */
    uint8_t len, kind;           /* len 0: empty */
    uint8_t bytes[15];
};

struct cpu_policy;
struct msr_vcpu_state;
struct vm;

struct vcpu {
    struct guest_regs regs;      /* first member: the entry assembly uses offset 0 */
    struct vm_exit exit;
    struct exit_stats stats;
    struct vm *vm;                      /* the guest this vCPU belongs to (shared state) */
    const struct cpu_policy *policy;    /* guest capabilities (vmm/cpuid*) */
    struct msr_vcpu_state *msr;         /* virtual MSR values, filter, bitmaps (vmm/msr*) */
    void *vendor;                       /* struct svm_vcpu / struct vmx_vcpu */
    void *percpu;                       /* struct percpu of the CPU it is pinned to */
    uint32_t id;                        /* the physical CPU's initial APIC ID (CPUID answers it) */
    uint32_t index;                     /* 0 = the guest's boot CPU, then MADT order */
    bool stop;                          /* set by a handler: leave the run loop */
    /* Wait-for-SIPI (SDM 10.4.4, 26.6.2): an AP vCPU sits in keel until
     * another vCPU's INIT and then STARTUP IPIs reach it. Written by the
     * sender's CPU, read by this one. */
    volatile bool waiting;              /* in wait-for-SIPI */
    volatile bool init_seen;            /* an INIT arrived since the last start */
    volatile bool init_pending;         /* a guest INIT keel delivers at this vCPU's next (NMI) exit */
    volatile uint32_t sipi;             /* 0x100 | vector: a STARTUP is pending */
    uint32_t starts;                    /* times the guest started this vCPU */
    volatile bool tlb_flush;            /* flush guest translations before the next entry */
    int stop_code;                      /* exit status reported to the runner */
    struct exit_trace trace;
    struct insn_cache insn_cache;       /* vmm/insn.c */
};

#endif
