/* The guest's general registers at its first entry: the boot protocol's
 * values (Multiboot: EAX magic, EBX info; Linux: ESI zero page), every
 * other GPR zero (SDM Vol. 3A Table 10-1 leaves them undefined or zero
 * after INIT; the protocols rely on nothing else). One place for both
 * vendors, as Jailhouse's vcpu_reset; the vendor sets RIP/RSP/segments in
 * its VMCB/VMCS. */
#include "vmm/vcpu.h"
#include "vmm/guest.h"
#include "lib/string.h"

void vcpu_reset_regs(struct vcpu *v, const struct guest_entry *e)
{
    memset(&v->regs, 0, sizeof(v->regs));
    v->regs.rax = e->rax;
    v->regs.rbx = e->rbx;
    v->regs.rcx = e->rcx;
    v->regs.rdx = e->rdx;
    v->regs.rsi = e->rsi;
    v->regs.rdi = e->rdi;
    v->regs.rbp = e->rbp;
}
