/* The vendor-neutral virtual CPU. */
#ifndef KEEL_VMM_VCPU_H
#define KEEL_VMM_VCPU_H
#include <stdint.h>
#include <stdbool.h>
#include "vmm/exit.h"

/* Guest general-purpose registers that the VMRUN/VMLAUNCH assembly saves
 * and restores. Order is ABI with the svm/vmx entry assembly: do not reorder.
 * RAX: on SVM it lives in the VMCB; vendor code keeps regs.rax in sync
 * around each exit. RSP stays in the VMCB/VMCS (no handler on the hot path
 * needs it): read and write it with vcpu_get_state/vcpu_set_state(VS_RSP);
 * regs.rsp is only the initial value handed to vcpu_create. */
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
    VS_DS_BASE, VS_ES_BASE, VS_SS_BASE,   /* data segment bases (string I/O outside 64-bit mode) */
    VS_COUNT
};

/* VS_CS_FLAGS bits: the descriptor's D/B and L bits (SDM 3.4.5). */
#define CS_FLAG_D 1u
#define CS_FLAG_L 2u

/* Exit statistics. Counting is one increment per exit; cycles are sampled
 * (the first exit and then every STATS_SAMPLE-th exit, whatever its kind,
 * is timed with two RDTSCs around its handler) so the hot path reads no
 * TSC: it decrements sample_in and tests for zero. */
#define STATS_SAMPLE 61         /* prime: no lock-step with periodic guest loops */
struct exit_stats {
    uint64_t count[EXIT_KIND_COUNT];
    uint64_t cycles[EXIT_KIND_COUNT];   /* TSC cycles in the handlers of the sampled exits */
    uint64_t sampled[EXIT_KIND_COUNT];  /* exits timed */
    uint64_t injected[32];              /* exceptions injected, by vector */
    uint32_t sample_in;                 /* exits until the next timed one */
};

/* The last exits of one vCPU (vmm/trace.h): written by the run loop with a
 * few stores per exit before the handler runs; the hooks that inject or
 * stop mark the entry's result. Printed by the monitor's `trace` and on a
 * fatal stop. */
#define EXIT_TRACE_LEN 64
_Static_assert((EXIT_TRACE_LEN & (EXIT_TRACE_LEN - 1)) == 0, "the ring index is masked");
enum trace_result { TRACE_RESUMED = 0, TRACE_STOPPED = 0xff };   /* else 0x80 | vector injected */
/* The hot exits (trace_hot: CPUID, RDMSR/WRMSR, VMMCALL/VMCALL) write
 * rip, detail's low half (the MSR index, else 0), kind and result: their
 * qualification says nothing the kind does not (SDM 28.2.1: none; APM
 * 15.11: EXITINFO1 is the read/write bit), so qual is left as it was and
 * never printed for them (trace_entry_has_qual). */
struct exit_trace_entry {
    uint64_t rip;       /* guest RIP at the exit */
    uint64_t qual;      /* EXITINFO1 / exit qualification (not for the hot kinds) */
    uint64_t detail;    /* MSR index, port, GPA: the first word of vm_exit.u */
    uint8_t kind;       /* enum exit_kind */
    uint8_t result;     /* enum trace_result */
};
_Static_assert(sizeof(struct exit_trace_entry) == 32, "two entries per cache line");
#define EXIT_TRACE_BYTES (EXIT_TRACE_LEN * sizeof(struct exit_trace_entry))
struct exit_trace {
    struct exit_trace_entry e[EXIT_TRACE_LEN];
    /* sizeof(entry) x exits recorded: masked, the byte offset of the next
     * entry, so the exit path scales nothing (vmm/trace.h). */
    uint64_t pos;
};

/* The instruction lengths vmm/insn.c decoded with paging off (SVM without
 * NRIPS, APM 15.7.1: the hardware gives none), one entry per hot exit
 * kind, so the vendor's decode checks its kind's entry at a fixed place:
 * the same linear address and the same 8 bytes there (the instruction and
 * what follows it, compared as one word: a change after the instruction
 * is a needless miss, never a wrong hit; the entry exists only where all
 * 8 bytes are guest RAM, and guest RAM stays guest RAM, so ptr stays
 * valid). Paging on is never cached: keel cannot see the guest change its
 * page tables. */
enum { INSN_CACHE_CPUID, INSN_CACHE_RDMSR, INSN_CACHE_WRMSR, INSN_CACHE_HYPERCALL, INSN_CACHE_KINDS };
#define INSN_CACHE_EMPTY (~0ull)   /* la of an empty entry: no 32-bit linear address */
struct insn_cache {
    uint64_t la;                /* linear address (paging off: CS.base + EIP, 32 bits) */
    const uint8_t *ptr;         /* keel's pointer to the 8 bytes (guest RAM) */
    uint64_t word;              /* the 8 bytes when decoded */
    uint64_t len;               /* the instruction's length (1-8) */
};

/* The entry for an exit kind, or -1: not a hot kind. */
static inline int insn_cache_slot(enum exit_kind k)
{
    return k == EXIT_CPUID ? INSN_CACHE_CPUID : k == EXIT_MSR_READ ? INSN_CACHE_RDMSR
         : k == EXIT_MSR_WRITE ? INSN_CACHE_WRMSR : k == EXIT_HYPERCALL ? INSN_CACHE_HYPERCALL : -1;
}

/* Where an entry's 8 bytes are: keel sees guest RAM through the identity
 * map (vmm/guest_mem.c guest_phys_ptr returns the address itself), so at
 * la itself and the hit loads no pointer; vcpu_insn_len fills an entry only
 * where ptr is that address. The host tests' guest memory is a buffer:
 * there ptr. */
static inline const uint8_t *insn_cache_bytes(const struct insn_cache *c, uint64_t la)
{
#ifdef KEEL_HOSTED
    (void)la;
    return c->ptr;
#else
    (void)c;
    return (const uint8_t *)(uintptr_t)la;
#endif
}

/* Hot path: whether the instruction at linear address la (paging off) is
 * still the one decoded: two compares and a load. */
static inline bool insn_cache_hit(const struct insn_cache *c, uint64_t la)
{
    uint64_t w;
    if (c->la != la)
        return false;
    __builtin_memcpy(&w, insn_cache_bytes(c, la), 8);
    return w == c->word;
}

/* The length (c's, or 0: unknown, c NULL) and exit.advance = false as one
 * 16-bit store: c->len's low 16 bits are the length and a 0 byte. */
static inline void insn_cache_len_pair(uint8_t *insn_len, const struct insn_cache *c)
{
    uint16_t pair = 0;
    if (c)
        __builtin_memcpy(&pair, &c->len, sizeof(pair));
    __builtin_memcpy(insn_len, &pair, sizeof(pair));
}

struct cpu_policy;
struct msr_vcpu_state;
struct cpuid_regs;
struct vm;

/* CPUID answers that depend on nothing of the guest's state, by leaf:
 * [0, 0x20) basic leaves, [0x20, 0x40) extended 0x80000000 + i. A pointer
 * into v->policy, or NULL (beyond the maximum leaf, subleaves, bits that
 * follow guest state or the CPU: the full lookup). Per vCPU, so an answer
 * that differs per CPU can be patched here; built by cpuid_fast_init(). */
#define CPUID_FAST_SLOTS 0x40u

#define ENTRY_WORK_STOP 0x01    /* vcpu_stop: leave the run loop */
#define ENTRY_WORK_MSR 0x02     /* class-(c) MSRs to switch (the MSR engine's `fast` is false) */
#define ENTRY_WORK_VENDOR 0x04  /* the vendor's own (SVM: an event to re-inject; VMX: an NMI to reflect) */
#define ENTRY_WORK_TLB 0x08     /* flush guest translations: another vCPU changed the shared NPT/EPT */
#define ENTRY_WORK_NMI 0x10     /* an NMI taken in keel is to be reflected (set by the NMI handler
                                 * where the vendor asks for it: percpu.nmi_work) */

/* entry_work is written by other CPUs too (ENTRY_WORK_TLB from smp.c, a
 * monitor poweroff's ENTRY_WORK_STOP): every change is an atomic OR / AND
 * (LOCK-prefixed), so a remote request is never lost to a local plain
 * read-modify-write of another bit. The run loops read it plainly, once
 * per entry (any change lands before that read or is seen at the next). */

struct vcpu {
    struct guest_regs regs;      /* first member: the entry assembly uses offset 0 */
    struct vm_exit exit;
    struct exit_stats stats;
    struct vm *vm;                      /* the guest this vCPU belongs to (shared state) */
    const struct cpu_policy *policy;    /* guest capabilities (vmm/cpuid*) */
    struct msr_vcpu_state *msr;         /* virtual MSR values, filter, bitmaps (vmm/msr*) */
    void *vendor;                       /* struct svm_vcpu / struct vmx_vcpu */
    /* The vendor's per-vCPU hardware structure (SVM: the VMCB) and its
     * physical address, where its run loop wants them in one load each
     * rather than two through vendor; NULL / 0 where unused (VMX). */
    void *hw;
    uint64_t hw_pa;
    void *percpu;                       /* struct percpu of the CPU it is pinned to */
    uint32_t id;                        /* the physical CPU's initial APIC ID (CPUID answers it) */
    uint32_t index;                     /* 0 = the guest's boot CPU, then MADT order */
    bool stop;                          /* set by a handler: leave the run loop */
    /* Something to do before the next entry: the vendors' run loops test
     * this one byte instead of each condition (ENTRY_WORK_*); changed only
     * through vcpu_entry_work_set/clear (atomic: other CPUs set bits). */
    uint8_t entry_work;
    /* Wait-for-SIPI (SDM 10.4.4, 26.6.2): an AP vCPU sits in keel until
     * another vCPU's INIT and then STARTUP IPIs reach it. Written by the
     * sender's CPU, read by this one. */
    volatile bool waiting;              /* in wait-for-SIPI */
    volatile bool init_seen;            /* an INIT arrived since the last start */
    volatile bool init_pending;         /* a guest INIT keel delivers at this vCPU's next (NMI) exit */
    volatile bool hw_sipi_wait;         /* in the hardware wait-for-SIPI state (VMX): INIT and NMI do not reach it */
    volatile bool parked;               /* stopped for good at the end of the run (vmm/smp.c): counters final */
    volatile bool kick_init;            /* keel's INIT kick is on its way (smp_kick_init): its exit is no guest INIT */
    volatile uint32_t sipi;             /* 0x100 | vector: a STARTUP is pending */
    uint32_t starts;                    /* times the guest started this vCPU */
    int stop_code;                      /* exit status reported to the runner */
    struct exit_trace trace;
    struct insn_cache insn_cache[INSN_CACHE_KINDS];   /* vmm/insn.c; emptied by arch_vcpu_create */
    const struct cpuid_regs *cpuid_fast[CPUID_FAST_SLOTS];   /* vmm/cpuid_exit.c */
};

/* A GPR's low 32 bits as one 32-bit load (zero-extended by the CPU: no
 * extra move, unlike (uint32_t) of the 64-bit load); x86 is little-endian. */
static inline uint32_t gpr_low32(const uint64_t *r)
{
    uint32_t x;
    __builtin_memcpy(&x, r, sizeof(x));
    return x;
}

static inline void vcpu_entry_work_set(struct vcpu *v, uint8_t bits)
{
    __atomic_fetch_or(&v->entry_work, bits, __ATOMIC_SEQ_CST);
}
static inline void vcpu_entry_work_clear(struct vcpu *v, uint8_t bits)
{
    __atomic_fetch_and(&v->entry_work, (uint8_t)~bits, __ATOMIC_SEQ_CST);
}

/* The GPRs at the first entry, from the loader's entry state (vmm/vcpu_reset.c). */
struct guest_entry;
void vcpu_reset_regs(struct vcpu *v, const struct guest_entry *e);

#endif
