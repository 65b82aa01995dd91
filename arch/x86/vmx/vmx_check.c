/* The common VM-entry guest-state checks of SDM Vol. 3 26.3.1, each named,
 * so a failed VM entry (exit reason 33) says which rule broke. Not every
 * check of the SDM is here; the ones a hypervisor setting up a flat
 * protected-mode or long-mode guest can get wrong are. */
#include "arch/x86/vmx/vmx_lib.h"
#include "arch/x86/vmx/vmcs.h"

#define AR_TYPE(ar) ((ar) & 0xfu)
#define AR_S (1u << 4)
#define AR_DPL(ar) (((ar) >> 5) & 3u)
#define AR_P (1u << 7)
#define AR_L (1u << 13)
#define AR_DB (1u << 14)
#define AR_G (1u << 15)
#define AR_UNUSABLE (1u << 16)
#define AR_RESERVED 0xfffe0f00u     /* bits 11:8 and 31:17 */

#define X_EFER_OK (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)

struct checker {
    const char **msgs;
    unsigned max, n;
};

static void fail(struct checker *c, const char *msg)
{
    if (c->n < c->max)
        c->msgs[c->n] = msg;
    c->n++;
}

static bool limit_g_ok(const struct vmx_seg *s)
{
    if ((s->limit & 0xfff) != 0xfff && (s->ar & AR_G))
        return false;
    if ((s->limit & 0xfff00000u) && !(s->ar & AR_G))
        return false;
    return true;
}

static bool canonical(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

static void check_cr(struct checker *c, const struct vmx_guest_fields *f, bool ug, bool ia32e)
{
    uint64_t f0 = f->cr0_fixed0;
    if (ug)
        f0 &= ~(CR0_PE | CR0_PG);
    if ((f->cr0 & f0) != f0)
        fail(c, "26.3.1.1: CR0 lacks a bit IA32_VMX_CR0_FIXED0 requires (PE/PG exempt only with unrestricted guest)");
    if (f->cr0 & ~f->cr0_fixed1)
        fail(c, "26.3.1.1: CR0 has a bit IA32_VMX_CR0_FIXED1 forbids");
    if ((f->cr0 & CR0_PG) && !(f->cr0 & CR0_PE))
        fail(c, "26.3.1.1: CR0.PG = 1 requires CR0.PE = 1");
    if ((f->cr4 & f->cr4_fixed0) != f->cr4_fixed0)
        fail(c, "26.3.1.1: CR4 lacks a bit IA32_VMX_CR4_FIXED0 requires (CR4.VMXE)");
    if (f->cr4 & ~f->cr4_fixed1)
        fail(c, "26.3.1.1: CR4 has a bit IA32_VMX_CR4_FIXED1 forbids");
    if (ia32e && (!(f->cr0 & CR0_PG) || !(f->cr4 & CR4_PAE)))
        fail(c, "26.3.1.1: \"IA-32e mode guest\" requires CR0.PG = 1 and CR4.PAE = 1");
    if (!ia32e && (f->cr4 & CR4_PCIDE))
        fail(c, "26.3.1.1: CR4.PCIDE = 1 requires \"IA-32e mode guest\"");
    if (f->cr3 >> 52)
        fail(c, "26.3.1.1: CR3 has bits beyond the physical-address width");
    if ((f->entry_ctls & ENTRY_LOAD_DEBUG_CONTROLS) && (f->dr7 >> 32))
        fail(c, "26.3.1.1: DR7 bits 63:32 must be 0 (\"load debug controls\")");
    if (f->entry_ctls & ENTRY_LOAD_EFER) {
        if (f->efer & ~X_EFER_OK)
            fail(c, "26.3.1.1: IA32_EFER reserved bits must be 0 (\"load IA32_EFER\")");
        if (!!(f->efer & EFER_LMA) != ia32e)
            fail(c, "26.3.1.1: IA32_EFER.LMA must equal the \"IA-32e mode guest\" entry control");
        if ((f->cr0 & CR0_PG) && !!(f->efer & EFER_LMA) != !!(f->efer & EFER_LME))
            fail(c, "26.3.1.1: with CR0.PG = 1, IA32_EFER.LMA must equal IA32_EFER.LME");
    }
}

static void check_segments(struct checker *c, const struct vmx_guest_fields *f, bool ug, bool ia32e)
{
    const struct vmx_seg *cs = &f->seg[SEG_CS], *ss = &f->seg[SEG_SS];
    const struct vmx_seg *tr = &f->seg[SEG_TR], *ldtr = &f->seg[SEG_LDTR];
    bool pe = f->cr0 & CR0_PE;
    unsigned t = AR_TYPE(cs->ar), i;
    static const int data_segs[] = { SEG_ES, SEG_DS, SEG_FS, SEG_GS };

    if (tr->sel & 4)
        fail(c, "26.3.1.2: TR selector TI flag must be 0");
    if (!(ldtr->ar & AR_UNUSABLE) && (ldtr->sel & 4))
        fail(c, "26.3.1.2: LDTR selector TI flag must be 0");
    if (!ug && (ss->sel & 3) != (cs->sel & 3))
        fail(c, "26.3.1.2: SS.RPL must equal CS.RPL (without unrestricted guest)");
    if (!canonical(tr->base) || !canonical(f->seg[SEG_FS].base) || !canonical(f->seg[SEG_GS].base))
        fail(c, "26.3.1.2: TR/FS/GS base must be canonical");
    if (cs->base >> 32)
        fail(c, "26.3.1.2: CS base bits 63:32 must be 0");

    /* CS */
    if (!(t == 9 || t == 11 || t == 13 || t == 15 || (ug && t == 3)))
        fail(c, "26.3.1.2: CS access rights: type must be 9/11/13/15 (accessed code; 3 only with unrestricted guest)");
    if (!(cs->ar & AR_S))
        fail(c, "26.3.1.2: CS access rights: S must be 1 (code/data)");
    if (!(cs->ar & AR_P))
        fail(c, "26.3.1.2: CS access rights: P must be 1");
    if (cs->ar & AR_UNUSABLE)
        fail(c, "26.3.1.2: CS must be usable");
    if (cs->ar & AR_RESERVED & ~AR_UNUSABLE)
        fail(c, "26.3.1.2: CS access rights: reserved bits 11:8 and 31:17 must be 0");
    if (t == 3 && AR_DPL(cs->ar) != 0)
        fail(c, "26.3.1.2: CS access rights: type 3 requires DPL 0");
    if ((t == 9 || t == 11) && AR_DPL(cs->ar) != AR_DPL(ss->ar))
        fail(c, "26.3.1.2: CS access rights: non-conforming code DPL must equal SS.DPL");
    if ((t == 13 || t == 15) && AR_DPL(cs->ar) > AR_DPL(ss->ar))
        fail(c, "26.3.1.2: CS access rights: conforming code DPL must be <= SS.DPL");
    if (ia32e && (cs->ar & AR_L) && (cs->ar & AR_DB))
        fail(c, "26.3.1.2: CS access rights: L = 1 requires D/B = 0 in IA-32e mode");
    if (!limit_g_ok(cs))
        fail(c, "26.3.1.2: CS limit and G flag disagree");

    /* SS */
    if (!(ss->ar & AR_UNUSABLE)) {
        if (AR_TYPE(ss->ar) != 3 && AR_TYPE(ss->ar) != 7)
            fail(c, "26.3.1.2: SS access rights: type must be 3 or 7 (read/write accessed data)");
        if (!(ss->ar & AR_S) || !(ss->ar & AR_P))
            fail(c, "26.3.1.2: SS access rights: S and P must be 1");
        if (ss->ar & AR_RESERVED & ~AR_UNUSABLE)
            fail(c, "26.3.1.2: SS access rights: reserved bits must be 0");
        if (!limit_g_ok(ss))
            fail(c, "26.3.1.2: SS limit and G flag disagree");
        if (!ug && AR_DPL(ss->ar) != (ss->sel & 3u))
            fail(c, "26.3.1.2: SS.DPL must equal SS.RPL (without unrestricted guest)");
    }
    if ((t == 3 || !pe) && AR_DPL(ss->ar) != 0)
        fail(c, "26.3.1.2: SS.DPL must be 0 when CS type is 3 or CR0.PE = 0");

    for (i = 0; i < sizeof(data_segs) / sizeof(data_segs[0]); i++) {
        const struct vmx_seg *s = &f->seg[data_segs[i]];
        if (s->ar & AR_UNUSABLE)
            continue;
        if (!(AR_TYPE(s->ar) & 1))
            fail(c, "26.3.1.2: DS/ES/FS/GS access rights: type must have the accessed bit");
        if ((AR_TYPE(s->ar) & 8) && !(AR_TYPE(s->ar) & 2))
            fail(c, "26.3.1.2: DS/ES/FS/GS access rights: code segment must be readable");
        if (!(s->ar & AR_S) || !(s->ar & AR_P))
            fail(c, "26.3.1.2: DS/ES/FS/GS access rights: S and P must be 1");
        if (s->ar & AR_RESERVED)
            fail(c, "26.3.1.2: DS/ES/FS/GS access rights: reserved bits must be 0");
        if (!limit_g_ok(s))
            fail(c, "26.3.1.2: DS/ES/FS/GS limit and G flag disagree");
    }

    /* TR */
    if (tr->ar & AR_UNUSABLE)
        fail(c, "26.3.1.2: TR must be usable (access rights bit 16 = 0)");
    if (!(AR_TYPE(tr->ar) == 11 || (!ia32e && AR_TYPE(tr->ar) == 3)))
        fail(c, "26.3.1.2: TR access rights: type must be 11 (busy 32/64-bit TSS; 3 = busy 16-bit outside IA-32e)");
    if (tr->ar & AR_S)
        fail(c, "26.3.1.2: TR access rights: S must be 0 (system descriptor)");
    if (!(tr->ar & AR_P))
        fail(c, "26.3.1.2: TR access rights: P must be 1");
    if (tr->ar & AR_RESERVED & ~AR_UNUSABLE)
        fail(c, "26.3.1.2: TR access rights: reserved bits must be 0");
    if (!limit_g_ok(tr))
        fail(c, "26.3.1.2: TR limit and G flag disagree");

    /* LDTR */
    if (!(ldtr->ar & AR_UNUSABLE)) {
        if (AR_TYPE(ldtr->ar) != 2 || (ldtr->ar & AR_S) || !(ldtr->ar & AR_P))
            fail(c, "26.3.1.2: LDTR access rights: usable LDTR needs type 2, S = 0, P = 1");
        if (!limit_g_ok(ldtr))
            fail(c, "26.3.1.2: LDTR limit and G flag disagree");
    }

    if ((f->gdtr_limit >> 16) || (f->idtr_limit >> 16))
        fail(c, "26.3.1.3: GDTR/IDTR limit bits 31:16 must be 0");
}

static void check_rip_rflags(struct checker *c, const struct vmx_guest_fields *f, bool ia32e)
{
    bool pe = f->cr0 & CR0_PE;
    if ((!ia32e || !(f->seg[SEG_CS].ar & AR_L)) && (f->rip >> 32))
        fail(c, "26.3.1.4: RIP bits 63:32 must be 0 outside 64-bit mode");
    if (f->rflags & RFLAGS_RESERVED)
        fail(c, "26.3.1.4: RFLAGS reserved bits (63:22, 15, 5, 3) must be 0");
    if (!(f->rflags & 2))
        fail(c, "26.3.1.4: RFLAGS bit 1 must be 1");
    if ((ia32e || !pe) && (f->rflags & RFLAGS_VM))
        fail(c, "26.3.1.4: RFLAGS.VM must be 0 in IA-32e mode or with CR0.PE = 0");
}

static void check_nonreg(struct checker *c, const struct vmx_guest_fields *f)
{
    uint32_t intr = f->interruptibility;
    if (f->activity > 3)
        fail(c, "26.3.1.5: activity state must be 0-3");
    else if (f->activity && !(f->vmx_misc & (1ull << (5 + f->activity))))
        fail(c, "26.3.1.5: activity state not supported (IA32_VMX_MISC bits 8:6)");
    if (f->activity == 1 && AR_DPL(f->seg[SEG_SS].ar) != 0)
        fail(c, "26.3.1.5: HLT activity state requires SS.DPL = 0");
    if (intr >> 5)
        fail(c, "26.3.1.5: interruptibility-state bits 31:5 must be 0");
    if ((intr & 3) == 3)
        fail(c, "26.3.1.5: blocking by STI and by MOV SS cannot both be set");
    if ((intr & 1) && !(f->rflags & RFLAGS_IF))
        fail(c, "26.3.1.5: blocking by STI requires RFLAGS.IF = 1");
    if (f->link_pointer != ~0ull)
        fail(c, "26.3.1.5: VMCS link pointer must be FFFFFFFF_FFFFFFFFH (keel uses no shadow VMCS)");
}

unsigned vmx_check_guest(const struct vmx_guest_fields *f, const char **msgs, unsigned max)
{
    struct checker c = { msgs, max, 0 };
    bool ug = f->proc2_ctls & PROC2_UNRESTRICTED_GUEST;
    bool ia32e = f->entry_ctls & ENTRY_IA32E_MODE_GUEST;
    check_cr(&c, f, ug, ia32e);
    check_segments(&c, f, ug, ia32e);
    check_rip_rflags(&c, f, ia32e);
    check_nonreg(&c, f);
    return c.n;
}
