/* Instruction length decoder for the few instructions keel completes.
 * Only legacy prefixes, REX and the fixed opcodes matter: none of these
 * instructions has a ModRM memory operand or an immediate. */
#include "vmm/insn_decode.h"

static bool legacy_prefix(uint8_t c)
{
    switch (c) {
    case 0xf0: case 0xf2: case 0xf3:                        /* group 1: LOCK, REPNE, REP */
    case 0x2e: case 0x36: case 0x3e: case 0x26: case 0x64: case 0x65:  /* group 2: segments */
    case 0x66:                                              /* group 3: operand size */
    case 0x67:                                              /* group 4: address size */
        return true;
    default:
        return false;
    }
}

enum insn_status insn_decode(const uint8_t *b, unsigned avail, bool mode64, struct insn *out)
{
    unsigned i = 0, need;
    enum insn_op op = INSN_OP_NONE;

    for (;;) {
        if (i >= INSN_MAX_LEN)
            return INSN_TOO_LONG;
        if (i >= avail)
            return INSN_TRUNCATED;
        if (legacy_prefix(b[i]) || (mode64 && (b[i] & 0xf0) == 0x40)) {
            i++;
            continue;
        }
        break;
    }
    out->nprefix = (uint8_t)i;
    if (b[i] == 0xf4) {
        op = INSN_HLT;
        need = i + 1;
    } else if (b[i] == 0x0f) {
        if (i + 1 >= INSN_MAX_LEN)
            return INSN_TOO_LONG;
        if (i + 1 >= avail)
            return INSN_TRUNCATED;
        need = i + 2;
        switch (b[i + 1]) {
        case 0xa2: op = INSN_CPUID; break;
        case 0x32: op = INSN_RDMSR; break;
        case 0x30: op = INSN_WRMSR; break;
        case 0x08: op = INSN_INVD; break;
        case 0x09: op = INSN_WBINVD; break;
        case 0x01:
            /* Group 7 with a register-form ModRM: the ModRM byte names it. */
            if (i + 2 >= INSN_MAX_LEN)
                return INSN_TOO_LONG;
            if (i + 2 >= avail)
                return INSN_TRUNCATED;
            need = i + 3;
            op = b[i + 2] == 0xd9 ? INSN_VMMCALL : b[i + 2] == 0xc1 ? INSN_VMCALL
                 : b[i + 2] == 0xd1 ? INSN_XSETBV : INSN_OP_NONE;
            break;
        default:
            break;
        }
    } else {
        return INSN_UNKNOWN;
    }
    if (op == INSN_OP_NONE)
        return INSN_UNKNOWN;
    out->len = (uint8_t)need;
    out->op = op;
    return INSN_OK;
}

const char *insn_status_name(enum insn_status s)
{
    switch (s) {
    case INSN_OK: return "ok";
    case INSN_TRUNCATED: return "the instruction bytes cannot be read (not guest RAM or not mapped)";
    case INSN_TOO_LONG: return "longer than 15 bytes";
    case INSN_UNKNOWN: return "not the instruction the exit reports";
    default: return "?";
    }
}
