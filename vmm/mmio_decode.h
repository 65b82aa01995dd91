/* Decoding the one kind of instruction a guest uses on the local APIC page:
 * a 32-bit MOV (or XCHG) between a register or an immediate and memory
 * (SDM Vol 2: 89 /r, 8B /r, C7 /0, 87 /r, A1/A3 moffs; ModRM/SIB/displacement per
 * 2.1.5 and 2.2.1 for REX). Pure, so the host unit tests check it. keel
 * needs the register (or value) and the length; the address comes from the
 * nested page fault. */
#ifndef KEEL_VMM_MMIO_DECODE_H
#define KEEL_VMM_MMIO_DECODE_H
#include <stdint.h>
#include <stdbool.h>

struct mmio_insn {
    uint8_t len;
    bool write;             /* to memory */
    bool has_imm;           /* write of imm (else of / into register reg) */
    bool xchg;              /* XCHG: reg also receives the old value */
    uint8_t reg;            /* x86 register number 0-15 (0 RAX, 1 RCX, ... 4 RSP ...) */
    uint32_t imm;
};

/* b: up to n instruction bytes; long64: 64-bit code (REX exists, 32-bit
 * addressing would need 0x67). 32-bit default operand size is assumed
 * (0x66 is refused). False for anything else. */
static inline bool mmio_decode(const uint8_t *b, unsigned n, bool long64, struct mmio_insn *d)
{
    unsigned i = 0, mod, rm, need;
    uint8_t rex = 0, op, modrm;
    while (i < n && (b[i] == 0x2e || b[i] == 0x3e || b[i] == 0x26 || b[i] == 0x36 || b[i] == 0x64 ||
                     b[i] == 0x65 || b[i] == 0xf0))
        i++;    /* segment overrides, LOCK (XCHG) */
    if (i < n && long64 && (b[i] & 0xf0) == 0x40)
        rex = b[i++];
    if (i + 1 > n || (rex & 8))
        return false;   /* 64-bit operand: not an APIC register access */
    op = b[i++];
    if (op == 0xa1 || op == 0xa3) {
        /* MOV EAX, moffs / MOV moffs, EAX: the offset is 4 bytes, 8 in 64-bit mode. */
        need = i + (long64 ? 8 : 4);
        if (need > n)
            return false;
        d->write = op == 0xa3;
        d->has_imm = false;
        d->xchg = false;
        d->reg = 0;
        d->imm = 0;
        d->len = (uint8_t)need;
        return true;
    }
    if ((op != 0x89 && op != 0x8b && op != 0xc7 && op != 0x87) || i >= n)
        return false;
    modrm = b[i++];
    mod = modrm >> 6;
    rm = modrm & 7;
    if (mod == 3)
        return false;   /* register operand: not a memory access */
    d->reg = (uint8_t)(((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0));
    if (op == 0xc7 && ((modrm >> 3) & 7) != 0)
        return false;
    if (rm == 4) {      /* SIB */
        if (i >= n)
            return false;
        if (mod == 0 && (b[i] & 7) == 5)
            i += 4;     /* no base: disp32 */
        i++;
    } else if (mod == 0 && rm == 5) {
        i += 4;         /* disp32 (RIP-relative in 64-bit mode) */
    }
    i += mod == 1 ? 1 : mod == 2 ? 4 : 0;
    d->has_imm = op == 0xc7;
    d->xchg = op == 0x87;
    d->write = op != 0x8b;
    need = i + (d->has_imm ? 4 : 0);
    if (need > n || need > 15)
        return false;
    d->imm = 0;
    if (d->has_imm)
        d->imm = (uint32_t)b[i] | (uint32_t)b[i + 1] << 8 | (uint32_t)b[i + 2] << 16 | (uint32_t)b[i + 3] << 24;
    d->len = (uint8_t)need;
    return true;
}

#endif
