/* Instruction length from the bytes at the guest's CS:RIP, for the exits
 * keel completes when the hardware does not say how long the instruction
 * was (SVM without NRIPS, APM 15.7.1). Pure: bytes in, length out. */
#ifndef KEEL_VMM_INSN_DECODE_H
#define KEEL_VMM_INSN_DECODE_H
#include <stdint.h>
#include <stdbool.h>

#define INSN_MAX_LEN 15     /* SDM 2.3.11 / APM Vol. 3 1.1: longer is #GP */

enum insn_op {
    INSN_OP_NONE = 0,
    INSN_CPUID,     /* 0F A2 */
    INSN_RDMSR,     /* 0F 32 */
    INSN_WRMSR,     /* 0F 30 */
    INSN_VMMCALL,   /* 0F 01 D9 */
    INSN_VMCALL,    /* 0F 01 C1 */
    INSN_XSETBV,    /* 0F 01 D1 */
    INSN_INVD,      /* 0F 08 */
    INSN_WBINVD,    /* 0F 09 */
    INSN_HLT,       /* F4 */
};

enum insn_status {
    INSN_OK = 0,
    INSN_TRUNCATED,     /* the instruction goes on past the bytes that could be read */
    INSN_TOO_LONG,      /* more than 15 bytes */
    INSN_UNKNOWN,       /* not one of enum insn_op */
};

struct insn {
    uint8_t len;        /* total length, prefixes included */
    uint8_t nprefix;    /* legacy prefixes and REX bytes */
    enum insn_op op;
};

/* Decode the instruction in b[0..avail): legacy prefixes (any number, any
 * order, SDM 2.1.1), then in 64-bit mode REX bytes (a REX not directly
 * before the opcode is ignored but still counts, SDM 2.2.1), then the
 * opcode. mode64: CS.L=1 in long mode (0x40-0x4F are REX only there). */
enum insn_status insn_decode(const uint8_t *b, unsigned avail, bool mode64, struct insn *out);
const char *insn_status_name(enum insn_status s);

#endif
