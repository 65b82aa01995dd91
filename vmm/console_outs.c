/* OUTS to the console's ports, decoded from the instruction's bytes (the
 * same on both vendors: neither exit record names the segment override,
 * and VMX reports the address size only with INS/OUTS instruction
 * information, SDM Vol. 3C 28.2.5). Pure: host-tested. */
#include "vmm/console_port.h"

bool outs_decode(const uint8_t *bytes, unsigned n, unsigned mode, struct outs_insn *d)
{
    unsigned i, opsize = mode == 2 ? 2 : 4;
    d->rep = false;
    d->seg = OUTS_SEG_DS;
    d->addr_size = (uint8_t)mode;
    for (i = 0; i < n && i < 15; i++) {
        switch (bytes[i]) {
        case 0x66: opsize = mode == 2 ? 4 : 2; continue;
        case 0x67: d->addr_size = mode == 4 ? 2 : 4; continue;   /* 16<->32; 64-bit mode: 32 */
        case 0xf2: case 0xf3: d->rep = true; continue;
        case 0xf0: continue;                                    /* LOCK: #UD, the CPU decides first */
        case 0x26: d->seg = OUTS_SEG_ES; continue;
        case 0x2e: d->seg = OUTS_SEG_CS; continue;
        case 0x36: d->seg = OUTS_SEG_SS; continue;
        case 0x3e: d->seg = OUTS_SEG_DS; continue;
        case 0x64: d->seg = OUTS_SEG_FS; continue;
        case 0x65: d->seg = OUTS_SEG_GS; continue;
        default: break;
        }
        /* REX (64-bit mode only) must come right before the opcode; it does
         * not change OUTS (no 64-bit port I/O). */
        if (mode == 8 && (bytes[i] & 0xf0) == 0x40 && i + 1 < n)
            i++;
        if (bytes[i] != 0x6e && bytes[i] != 0x6f)
            return false;
        d->size = bytes[i] == 0x6e ? 1 : (uint8_t)opsize;
        d->len = (uint8_t)(i + 1);
        return true;
    }
    return false;
}

static uint64_t mask_of(unsigned addr_size)
{
    return addr_size == 8 ? ~0ull : addr_size == 4 ? 0xffffffffull : 0xffffull;
}

unsigned outs_chunk(const struct outs_insn *d, uint64_t rcx, bool *done)
{
    uint64_t count = d->rep ? rcx & mask_of(d->addr_size) : 1;
    if (count > OUTS_MAX_PER_EXIT) {
        *done = false;
        return OUTS_MAX_PER_EXIT;
    }
    *done = true;
    return (unsigned)count;
}

uint64_t outs_reg_advance(uint64_t reg, int64_t delta, unsigned addr_size)
{
    uint64_t m = mask_of(addr_size), r = reg + (uint64_t)delta;
    if (addr_size == 2)
        return (reg & ~m) | (r & m);
    return r & m;
}
