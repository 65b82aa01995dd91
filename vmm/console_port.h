/* keel's shared serial line (vmm/console_port.c; design in docs/console.md). */
#ifndef KEEL_VMM_CONSOLE_PORT_H
#define KEEL_VMM_CONSOLE_PORT_H
#include <stdint.h>
#include <stdbool.h>
#include "vmm/vcpu.h"
#include "vmm/guest.h"
#include "vmm/console.h"
#include "vmm/monitor.h"

struct cpuid_snapshot;
struct vm;

/* The console of one VM: the line keel shares with that VM's guest, the
 * guest's view of the UART registers keel filters, and the monitor's
 * context. Lives in struct vm (vm->console); written by whichever vCPU's
 * exit touches the line: the guest's port I/O, or the poll, one CPU at a
 * time (`busy`). */
struct console_port {
    struct console line;            /* filter, arbiter, line editor (vmm/console.c) */
    struct monitor mon;             /* the monitor's view of the VM (vmm/monitor*.c) */
    bool active;                    /* shared (monitor on) and started */
    uint16_t base;                  /* the UART's first port */
    uint8_t guest_lcr, guest_ier;   /* what the guest last wrote (IER: with DLAB clear) */
    bool watching;                  /* RBR/THR and LSR exit right now */
    /* TSC value at which a sampled exit (vmm/run.c) polls the line; ~0
     * while it is not shared. Any CPU moves it on. */
    uint64_t poll_deadline;
    /* A CPU is in the line's input side or the monitor (console_poll,
     * console_port_io). Never waited for: a poll that finds it taken is
     * skipped; a guest access is not completed, so the guest executes it
     * again (and the vCPU reaches its next entry meanwhile). */
    volatile int busy;
};

/* Before the first entry: share the console port with the guest (monitor
 * on: three of its ports exit, keel's lines go through the arbiter) or
 * pass it through untouched (monitor off). Every vCPU of vm exists. */
void console_port_start(struct vm *vm, const struct cpuid_snapshot *host, bool monitor, bool debugcon);

/* Every vCPU's last trace-ring entries, for a failure inside keel (the
 * VM's fatal report, vmm/vm.c). Nothing if the port was never started. */
void console_port_print_traces(void);

/* An I/O exit on the console's ports: handled (true) or not keel's. */
bool console_port_io(struct vcpu *v);

/* OUTS to the THR (string I/O, OUTSB with or without REP; Intel SDM Vol. 2B
 * "OUTS/OUTSB/OUTSW/OUTSD", AMD APM Vol. 3): the instruction, decoded from
 * its bytes (prefixes 66/67/F2/F3, segment overrides, REX), as keel carries
 * it out. Pure; host-tested. */
struct outs_insn {
    uint8_t len;        /* instruction length */
    uint8_t size;       /* operand size in bytes: 1 (6E), 2 or 4 (6F) */
    uint8_t addr_size;  /* 2, 4 or 8 bytes: what RSI and RCX count in */
    bool rep;           /* F3 or F2 (both repeat OUTS: SDM "REP/REPE/REPZ...") */
    int8_t seg;         /* OUTS_SEG_*: the source segment (DS unless overridden) */
};
enum { OUTS_SEG_ES, OUTS_SEG_CS, OUTS_SEG_SS, OUTS_SEG_DS, OUTS_SEG_FS, OUTS_SEG_GS };
/* bytes: n instruction bytes at RIP; mode: 2/4/8 = the code segment's
 * default address size (16-bit, 32-bit, 64-bit mode). False if the bytes
 * are not an OUTS. */
bool outs_decode(const uint8_t *bytes, unsigned n, unsigned mode, struct outs_insn *d);

/* At most this many bytes per exit: a REP OUTS longer than that is
 * interrupted (RIP stays, RSI/RCX advanced) and the guest executes it again,
 * as the CPU itself may do between iterations (SDM Vol. 2B "REP": "the
 * instruction can be interrupted ... and resumes"). */
#define OUTS_MAX_PER_EXIT 64u

/* One step of REP OUTS: bytes to move now (<= OUTS_MAX_PER_EXIT), from the
 * count in RCX (masked to the address size, or 1 without REP); *done: the
 * instruction completes after these. */
unsigned outs_chunk(const struct outs_insn *d, uint64_t rcx, bool *done);
/* RSI or RCX after k units, within the address size (the upper bits of a
 * 16/32-bit register: 16-bit keeps bits 63:16, 32-bit zeroes 63:32 as any
 * 32-bit register write does, SDM Vol. 1 3.4.1.1). */
uint64_t outs_reg_advance(uint64_t reg, int64_t delta, unsigned addr_size);

#endif
