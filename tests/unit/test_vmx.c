/* Unit tests for the pure parts of the VMX backend: control words from the
 * capability MSRs (values recorded from Bochs 2.7 corei7_skylake_x by
 * keel's own "vmx: caps" boot line, and synthetic ones), VM-instruction
 * error names, the SDM 26.3.1 guest-state checker, MTRR -> EPT memory
 * types and EPT entry encoding. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "arch/x86/vmx/vmx_lib.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_decode.h"

/* Recorded on Bochs 2.7 `cpu: model=corei7_skylake_x` (IA32_VMX_BASIC bit 55
 * set, so these are the TRUE_ MSRs 0x48d-0x490 and 0x48b):
 *   keel: vmx: caps basic=d810000000002b pin=7f00000016 proc=f7f9fffe04006172
 *         proc2=2177fff00000000 exit=7fffff00036dfb entry=ffff000011fb
 *   keel: vmx: caps misc=600401e0 ept_vpid=f0106334141 cr0_fixed=80000021/ffffffff
 *         cr4_fixed=2000/3727ff */
#define BOCHS_BASIC 0xd810000000002bull
#define BOCHS_PIN 0x7f00000016ull
#define BOCHS_PROC 0xf7f9fffe04006172ull
#define BOCHS_PROC2 0x2177fff00000000ull
#define BOCHS_EXIT 0x7fffff00036dfbull
#define BOCHS_ENTRY 0xffff000011fbull
#define BOCHS_MISC 0x600401e0ull

/* keel's own requests (vmx_controls.c); the secondary controls with every
 * policy bit desired, as the set-up checks them. */
static struct vmx_ctl_req req_proc2;     /* set in main() from vmx_req_proc2_base */

static void test_bochs_controls(void **state)
{
    struct vmx_ctl_result r;
    (void)state;
    assert_true(BOCHS_BASIC & VMX_BASIC_TRUE_CTLS);
    assert_int_equal(VMX_BASIC_REVISION(BOCHS_BASIC), 0x2b);

    assert_true(vmx_ctl_compute(BOCHS_PIN, &vmx_req_pin, &r));
    assert_int_equal(r.value, 0x16);        /* default-1 bits 1, 2, 4 only */
    assert_int_equal(r.missing_desired, 0);

    assert_true(vmx_ctl_compute(BOCHS_PROC, &vmx_req_proc, &r));
    assert_int_equal(r.value, 0xb600657a);  /* as written to the VMCS on Bochs */
    assert_int_equal(r.missing_desired, 0);
    assert_false(r.value & (PROC_CR3_LOAD_EXITING | PROC_CR3_STORE_EXITING | PROC_HLT_EXITING));

    assert_true(vmx_ctl_compute(BOCHS_PROC2, &req_proc2, &r));
    assert_int_equal(r.value, 0x1010aa);    /* EPT RDTSCP VPID UG INVPCID XSAVES */
    assert_int_equal(r.missing_desired, 0);

    assert_true(vmx_ctl_compute(BOCHS_EXIT, &vmx_req_exit, &r));
    assert_int_equal(r.value, 0x3f6fff);
    assert_false(r.value & EXIT_ACK_INT_ON_EXIT);

    assert_true(vmx_ctl_compute(BOCHS_ENTRY, &vmx_req_entry, &r));
    assert_int_equal(r.value, 0xd1ff);
    assert_false(r.value & ENTRY_IA32E_MODE_GUEST);
    /* Bochs stores EFER.LMA into "IA-32e mode guest" on exit. */
    assert_true(BOCHS_MISC & VMX_MISC_STORE_LMA);
}

static uint64_t cap(uint32_t must1, uint32_t may1)
{
    return ((uint64_t)may1 << 32) | must1;
}

static void test_synthetic_controls(void **state)
{
    struct vmx_ctl_result r;
    char names[200];
    (void)state;
    /* No VPID, no XSAVES: desired, reported missing, still usable. */
    assert_true(vmx_ctl_compute(cap(0, PROC2_EPT | PROC2_UNRESTRICTED_GUEST | PROC2_RDTSCP), &req_proc2, &r));
    assert_int_equal(r.value, PROC2_EPT | PROC2_UNRESTRICTED_GUEST | PROC2_RDTSCP);
    assert_int_equal(r.missing_desired, PROC2_VPID | PROC2_INVPCID | PROC2_XSAVES);
    vmx_ctl_names(VMX_CTL_PROC2, r.missing_desired, names, sizeof(names));
    assert_string_equal(names, "enable VPID, enable INVPCID, enable XSAVES/XRSTORS");

    /* No unrestricted guest: required, the word is unusable. */
    assert_false(vmx_ctl_compute(cap(0, PROC2_EPT | PROC2_VPID), &req_proc2, &r));
    assert_int_equal(r.missing_required, PROC2_UNRESTRICTED_GUEST);
    assert_false(r.value & PROC2_UNRESTRICTED_GUEST);

    /* Plain (non-TRUE) primary controls force CR3-load/store exiting on:
     * keel forbids them, so the word is reported unusable, by name. */
    assert_false(vmx_ctl_compute(cap(0x0401e172, 0xffffffff), &vmx_req_proc, &r));
    assert_int_equal(r.forced_forbidden, PROC_CR3_LOAD_EXITING | PROC_CR3_STORE_EXITING);
    vmx_ctl_names(VMX_CTL_PROC, r.forced_forbidden, names, sizeof(names));
    assert_string_equal(names, "CR3-load exiting, CR3-store exiting");
    /* The value is still one the CPU accepts. */
    assert_int_equal(r.value & 0x0401e172, 0x0401e172);

    /* A default-1 bit keel does not mention is set anyway. */
    assert_true(vmx_ctl_compute(cap(1u << 30, 0xffffffff), &(struct vmx_ctl_req){ 0, 0, 0 }, &r));
    assert_int_equal(r.value, 1u << 30);

    /* An allowed-1 of 0 wins over desired. */
    assert_true(vmx_ctl_compute(cap(0, 0), &(struct vmx_ctl_req){ 0, 0xff, 0 }, &r));
    assert_int_equal(r.value, 0);
    assert_int_equal(r.missing_desired, 0xff);

    /* Unnamed bits are printed by number; a tiny buffer is terminated. */
    vmx_ctl_names(VMX_CTL_PIN, (1u << 1) | PIN_NMI_EXITING, names, sizeof(names));
    assert_string_equal(names, "bit 1, NMI exiting");
    vmx_ctl_names(VMX_CTL_PIN, PIN_NMI_EXITING, names, 4);
    assert_int_equal(strlen(names), 3);
    assert_null(vmx_ctl_bit_name(VMX_CTL_COUNT, 0));
    assert_null(vmx_ctl_bit_name(VMX_CTL_PIN, 32));
    assert_string_equal(vmx_ctl_bit_name(VMX_CTL_ENTRY, 9), "IA-32e mode guest");
    assert_string_equal(vmx_ctl_word_name(VMX_CTL_EXIT), "VM-exit");
}

static void test_insn_error_names(void **state)
{
    (void)state;
    assert_string_equal(vmx_insn_error_name(1), "VMCALL executed in VMX root operation");
    assert_string_equal(vmx_insn_error_name(4), "VMLAUNCH with non-clear VMCS");
    assert_string_equal(vmx_insn_error_name(5), "VMRESUME with non-launched VMCS");
    assert_string_equal(vmx_insn_error_name(7), "VM entry with invalid control field(s)");
    assert_string_equal(vmx_insn_error_name(8), "VM entry with invalid host-state field(s)");
    assert_string_equal(vmx_insn_error_name(11), "VMPTRLD with incorrect VMCS revision identifier");
    assert_string_equal(vmx_insn_error_name(12), "VMREAD/VMWRITE from/to unsupported VMCS component");
    assert_string_equal(vmx_insn_error_name(13), "VMWRITE to read-only VMCS component");
    assert_string_equal(vmx_insn_error_name(26), "VM entry with events blocked by MOV SS");
    assert_string_equal(vmx_insn_error_name(28), "invalid operand to INVEPT/INVVPID");
    /* Unused and out-of-range numbers. */
    assert_string_equal(vmx_insn_error_name(0), "unknown VM-instruction error");
    assert_string_equal(vmx_insn_error_name(14), "unknown VM-instruction error");
    assert_string_equal(vmx_insn_error_name(21), "unknown VM-instruction error");
    assert_string_equal(vmx_insn_error_name(27), "unknown VM-instruction error");
    assert_string_equal(vmx_insn_error_name(29), "unknown VM-instruction error");
    assert_string_equal(vmx_insn_error_name(0xffffffffu), "unknown VM-instruction error");
    /* Every defined number 1..28 except 14, 21, 27 has a name. */
    for (uint32_t e = 1; e <= 28; e++)
        if (e != 14 && e != 21 && e != 27)
            assert_string_not_equal(vmx_insn_error_name(e), "unknown VM-instruction error");
}

static void test_exit_reason_names(void **state)
{
    (void)state;
    assert_string_equal(vmx_exit_reason_name(VMX_EXIT_INVALID_GUEST_STATE), "VM-entry failure due to invalid guest state");
    assert_string_equal(vmx_exit_reason_name(VMX_EXIT_EPT_VIOLATION), "EPT violation");
    assert_string_equal(vmx_exit_reason_name(VMX_EXIT_TRIPLE_FAULT), "triple fault");
    assert_string_equal(vmx_exit_reason_name(35), "unknown exit reason");
    assert_string_equal(vmx_exit_reason_name(1000), "unknown exit reason");
    assert_string_equal(vmx_entry_fail_qual_name(33, 4), "invalid VMCS link pointer");
    assert_string_equal(vmx_entry_fail_qual_name(33, 2), "failure loading the PDPTEs (PAE paging)");
    assert_non_null(strstr(vmx_entry_fail_qual_name(34, 3), "MSR-load"));
}

/* ---- guest-state checker ---------------------------------------------------- */

/* The state keel's vcpu_create writes (multiboot entry) on Bochs. */
static void good_fields(struct vmx_guest_fields *f)
{
    static const struct vmx_seg data = { 0x10, 0xffffffff, 0xc093, 0 };
    memset(f, 0, sizeof(*f));
    f->cr0 = 0x31;
    f->cr4 = 0x2000;
    f->dr7 = 0x400;
    f->rflags = 2;
    f->rip = 0x400010;
    f->link_pointer = ~0ull;
    f->seg[SEG_ES] = data;
    f->seg[SEG_SS] = data;
    f->seg[SEG_DS] = data;
    f->seg[SEG_FS] = data;
    f->seg[SEG_GS] = data;
    f->seg[SEG_CS] = (struct vmx_seg){ 0x08, 0xffffffff, 0xc09b, 0 };
    f->seg[SEG_LDTR] = (struct vmx_seg){ 0, 0, 0x10000, 0 };
    f->seg[SEG_TR] = (struct vmx_seg){ 0, 0x67, 0x8b, 0 };
    f->entry_ctls = 0xd1ff;
    f->proc2_ctls = 0x1010aa;
    f->cr0_fixed0 = 0x80000021;
    f->cr0_fixed1 = 0xffffffff;
    f->cr4_fixed0 = 0x2000;
    f->cr4_fixed1 = 0x3727ff;
    f->vmx_misc = BOCHS_MISC;
}

struct check_case {
    const char *want;       /* substring of the first failure */
    void (*breakit)(struct vmx_guest_fields *);
};

static void b_cr0_ne(struct vmx_guest_fields *f) { f->cr0 &= ~0x20ull; }
static void b_cr0_pg_no_ug(struct vmx_guest_fields *f) { f->proc2_ctls &= ~PROC2_UNRESTRICTED_GUEST; }
static void b_cr0_pg_pe(struct vmx_guest_fields *f) { f->cr0 = 0x80000020; }
static void b_cr4_vmxe(struct vmx_guest_fields *f) { f->cr4 = 0; }
static void b_cr4_fixed1(struct vmx_guest_fields *f) { f->cr4 |= 1ull << 30; }
static void b_ia32e_no_pg(struct vmx_guest_fields *f) { f->entry_ctls |= ENTRY_IA32E_MODE_GUEST; f->efer = 0x500; }
static void b_lma(struct vmx_guest_fields *f) { f->efer = 0x500; }
static void b_efer_resv(struct vmx_guest_fields *f) { f->efer = 1ull << 12; }
static void b_lme_lma(struct vmx_guest_fields *f)
{
    f->cr0 |= 0x80000000;
    f->efer = 0x100;
}
static void b_cs_type(struct vmx_guest_fields *f) { f->seg[SEG_CS].ar = 0xc09a; }
static void b_cs_s(struct vmx_guest_fields *f) { f->seg[SEG_CS].ar &= ~0x10u; }
static void b_cs_g(struct vmx_guest_fields *f) { f->seg[SEG_CS].ar &= ~0x8000u; }
static void b_cs_dpl(struct vmx_guest_fields *f) { f->seg[SEG_CS].ar |= 0x60; }
static void b_ss_type(struct vmx_guest_fields *f) { f->seg[SEG_SS].ar = 0xc09b; }
static void b_ds_accessed(struct vmx_guest_fields *f) { f->seg[SEG_DS].ar = 0xc092; }
static void b_tr_zero(struct vmx_guest_fields *f) { f->seg[SEG_TR].ar = 0; }
static void b_tr_unusable(struct vmx_guest_fields *f) { f->seg[SEG_TR].ar = 0x1008b; }
static void b_tr_avail(struct vmx_guest_fields *f) { f->seg[SEG_TR].ar = 0x89; }
static void b_tr_ti(struct vmx_guest_fields *f) { f->seg[SEG_TR].sel = 4; }
static void b_ldtr(struct vmx_guest_fields *f) { f->seg[SEG_LDTR].ar = 0x02; f->seg[SEG_LDTR].limit = 0xfff; }
static void b_rflags_resv(struct vmx_guest_fields *f) { f->rflags |= 1ull << 3; }
static void b_rflags_bit1(struct vmx_guest_fields *f) { f->rflags = 0; }
static void b_rflags_vm(struct vmx_guest_fields *f) { f->rflags |= 1ull << 17; f->cr0 &= ~1ull; }
static void b_rip_high(struct vmx_guest_fields *f) { f->rip = 1ull << 32; }
static void b_link(struct vmx_guest_fields *f) { f->link_pointer = 0; }
static void b_activity(struct vmx_guest_fields *f) { f->activity = 4; }
static void b_activity_unsup(struct vmx_guest_fields *f) { f->activity = 3; f->vmx_misc = 0; }
static void b_sti_if(struct vmx_guest_fields *f) { f->interruptibility = 1; }
static void b_sti_movss(struct vmx_guest_fields *f) { f->interruptibility = 3; f->rflags |= 1u << 9; }
static void b_gdtr(struct vmx_guest_fields *f) { f->gdtr_limit = 0x10000; }
static void b_dr7(struct vmx_guest_fields *f) { f->dr7 = 1ull << 32; }

static const struct check_case cases[] = {
    { "CR0 lacks a bit IA32_VMX_CR0_FIXED0", b_cr0_ne },
    { "CR0 lacks a bit IA32_VMX_CR0_FIXED0", b_cr0_pg_no_ug },
    { "CR0.PG = 1 requires CR0.PE = 1", b_cr0_pg_pe },
    { "CR4 lacks a bit IA32_VMX_CR4_FIXED0", b_cr4_vmxe },
    { "CR4 has a bit IA32_VMX_CR4_FIXED1 forbids", b_cr4_fixed1 },
    { "\"IA-32e mode guest\" requires CR0.PG = 1", b_ia32e_no_pg },
    { "IA32_EFER.LMA must equal the \"IA-32e mode guest\"", b_lma },
    { "IA32_EFER reserved bits", b_efer_resv },
    { "IA32_EFER.LMA must equal IA32_EFER.LME", b_lme_lma },
    { "CS access rights: type", b_cs_type },
    { "CS access rights: S must be 1", b_cs_s },
    { "CS limit and G flag disagree", b_cs_g },
    { "non-conforming code DPL must equal SS.DPL", b_cs_dpl },
    { "SS access rights: type must be 3 or 7", b_ss_type },
    { "DS/ES/FS/GS access rights: type must have the accessed bit", b_ds_accessed },
    { "TR access rights: type must be 11", b_tr_zero },
    { "TR must be usable", b_tr_unusable },
    { "TR access rights: type must be 11", b_tr_avail },
    { "TR selector TI flag must be 0", b_tr_ti },
    { "LDTR access rights", b_ldtr },
    { "RFLAGS reserved bits", b_rflags_resv },
    { "RFLAGS bit 1 must be 1", b_rflags_bit1 },
    { "RFLAGS.VM must be 0", b_rflags_vm },
    { "RIP bits 63:32 must be 0", b_rip_high },
    { "VMCS link pointer", b_link },
    { "activity state must be 0-3", b_activity },
    { "activity state not supported", b_activity_unsup },
    { "blocking by STI requires RFLAGS.IF = 1", b_sti_if },
    { "blocking by STI and by MOV SS", b_sti_movss },
    { "GDTR/IDTR limit", b_gdtr },
    { "DR7 bits 63:32", b_dr7 },
};

static void test_checker_good(void **state)
{
    struct vmx_guest_fields f;
    const char *msgs[8];
    (void)state;
    good_fields(&f);
    assert_int_equal(vmx_check_guest(&f, msgs, 8), 0);
    /* A 64-bit guest in IA-32e mode passes too. */
    f.cr0 = 0x80000031;
    f.cr4 = 0x2020;
    f.efer = 0x500;
    f.entry_ctls |= ENTRY_IA32E_MODE_GUEST;
    f.seg[SEG_CS].ar = 0xa09b;
    f.rip = 0xffffffff80000000ull;
    assert_int_equal(vmx_check_guest(&f, msgs, 8), 0);
}

static void test_checker_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct vmx_guest_fields f;
        const char *msgs[8] = { 0 };
        unsigned n;
        good_fields(&f);
        cases[i].breakit(&f);
        n = vmx_check_guest(&f, msgs, 8);
        if (n == 0 || !strstr(msgs[0], cases[i].want)) {
            print_error("case %zu: want \"%s\", got %u: \"%s\"\n", i, cases[i].want, n, n ? msgs[0] : "");
            fail();
        }
        assert_non_null(strstr(msgs[0], "26.3.1."));
    }
}

static void test_checker_bounded(void **state)
{
    struct vmx_guest_fields f;
    const char *msgs[2] = { 0 };
    (void)state;
    memset(&f, 0, sizeof(f));   /* everything wrong */
    f.cr0_fixed0 = 0x80000021;
    f.cr0_fixed1 = 0xffffffff;
    f.cr4_fixed0 = 0x2000;
    f.cr4_fixed1 = 0x3727ff;
    assert_true(vmx_check_guest(&f, msgs, 2) > 2);     /* counts all, writes 2 */
    assert_non_null(msgs[0]);
    assert_non_null(msgs[1]);
}

/* ---- MTRRs and EPT entries --------------------------------------------------- */

/* A typical BIOS setup: default WB, fixed ranges WB below 0xa0000, UC for
 * the VGA hole, WP for the ROMs; variable: 0xe0000000 + 512 MiB UC. */
static void bios_mtrrs(struct vmx_mtrr *m)
{
    uint64_t fixed[11];
    memset(m, 0, sizeof(*m));
    fixed[0] = 0x0606060606060606ull;                   /* 0-0x7ffff WB */
    fixed[1] = 0x0606060606060606ull;                   /* 0x80000-0x9ffff WB */
    fixed[2] = 0;                                       /* 0xa0000-0xbffff UC */
    for (int i = 3; i < 11; i++)
        fixed[i] = 0x0505050505050505ull;               /* 0xc0000-0xfffff WP */
    vmx_mtrr_set_fixed(m, fixed);
    m->fixed_supported = true;
    m->def_type = (1ull << 11) | (1ull << 10) | MT_WB;
    m->nvar = 2;
    m->var_base[0] = 0xe0000000ull | MT_UC;
    m->var_mask[0] = 0xfe0000000ull | (1ull << 11);     /* 36-bit physical, 512 MiB */
    m->var_base[1] = 0x10000000ull | MT_WT;             /* 4 KiB WT at 256 MiB */
    m->var_mask[1] = 0xffffff000ull | (1ull << 11);
}

static void test_mtrr_types(void **state)
{
    struct vmx_mtrr m;
    uint8_t t = 0xff;
    (void)state;
    bios_mtrrs(&m);
    assert_true(vmx_mtrr_type(&m, 0, 0x1000, &t));
    assert_int_equal(t, MT_WB);
    assert_true(vmx_mtrr_type(&m, 0xa0000, 0x1000, &t));
    assert_int_equal(t, MT_UC);
    assert_true(vmx_mtrr_type(&m, 0xf0000, 0x1000, &t));
    assert_int_equal(t, MT_WP);
    assert_true(vmx_mtrr_type(&m, 0x9f000, 0x1000, &t));
    assert_int_equal(t, MT_WB);
    /* The first 2 MiB mixes WB, UC and WP: not usable as one page. */
    assert_false(vmx_mtrr_type(&m, 0, 0x200000, &t));
    assert_true(vmx_mtrr_type(&m, 0x200000, 0x200000, &t));
    assert_int_equal(t, MT_WB);
    assert_true(vmx_mtrr_type(&m, 0x100000, 0x1000, &t));
    assert_int_equal(t, MT_WB);
    /* Whole 2 MiB / 1 GiB pages inside the UC range. */
    assert_true(vmx_mtrr_type(&m, 0xe0000000, 0x200000, &t));
    assert_int_equal(t, MT_UC);
    assert_true(vmx_mtrr_type(&m, 0xfee00000, 0x200000, &t));
    assert_int_equal(t, MT_UC);
    /* 1 GiB at 3 GiB: half WB, half UC. */
    assert_false(vmx_mtrr_type(&m, 0xc0000000, 0x40000000, &t));
    assert_true(vmx_mtrr_type(&m, 0x40000000, 0x40000000, &t));
    assert_int_equal(t, MT_WB);
    assert_false(vmx_mtrr_type(&m, 0, 0x40000000, &t));   /* fixed ranges and the WT page */
}

static void test_mtrr_small_and_overlap(void **state)
{
    struct vmx_mtrr m;
    uint8_t t;
    (void)state;
    bios_mtrrs(&m);
    /* The 4 KiB WT range at 256 MiB splits its 2 MiB page. */
    assert_false(vmx_mtrr_type(&m, 0x10000000, 0x200000, &t));
    assert_true(vmx_mtrr_type(&m, 0x10000000, 0x1000, &t));
    assert_int_equal(t, MT_WT);
    assert_true(vmx_mtrr_type(&m, 0x10001000, 0x1000, &t));
    assert_int_equal(t, MT_WB);
    /* Overlaps (SDM 12.11.4.1): UC wins; WT + WB = WT. */
    m.nvar = 3;
    m.var_base[2] = 0xe0000000ull | MT_WB;
    m.var_mask[2] = 0xff0000000ull | (1ull << 11);
    assert_true(vmx_mtrr_type(&m, 0xe0000000, 0x200000, &t));
    assert_int_equal(t, MT_UC);
    m.var_base[0] = 0xe0000000ull | MT_WT;
    assert_true(vmx_mtrr_type(&m, 0xe0000000, 0x200000, &t));
    assert_int_equal(t, MT_WT);
    m.var_base[0] = 0xe0000000ull | MT_WC;
    assert_true(vmx_mtrr_type(&m, 0xe0000000, 0x200000, &t));
    assert_int_equal(t, MT_UC);     /* undefined combination: the safe type */
    /* An invalid (V = 0) range is ignored. */
    m.var_mask[1] &= ~(1ull << 11);
    assert_true(vmx_mtrr_type(&m, 0x10000000, 0x200000, &t));
    assert_int_equal(t, MT_WB);
    /* Fixed ranges disabled (FE = 0): the variable ranges and default apply below 1 MiB. */
    m.def_type &= ~(1ull << 10);
    assert_true(vmx_mtrr_type(&m, 0, 0x200000, &t));
    assert_int_equal(t, MT_WB);
    /* MTRRs disabled (E = 0): everything UC. */
    m.def_type = MT_WB;
    assert_true(vmx_mtrr_type(&m, 0x200000, 0x200000, &t));
    assert_int_equal(t, MT_UC);
}

static void test_ept_entries(void **state)
{
    (void)state;
    assert_int_equal(vmx_ept_table_entry(0x1234000), 0x1234007);
    assert_int_equal(vmx_ept_table_entry(0x1234fff), 0x1234007);    /* low bits dropped */
    assert_int_equal(vmx_ept_leaf(0x200000, 2, MT_WB), 0x200000 | 7 | (6 << 3) | 0x80);
    assert_int_equal(vmx_ept_leaf(0x5000, 1, MT_UC), 0x5000 | 7);
    assert_int_equal(vmx_ept_leaf(0x40000000, 3, MT_WP), 0x40000000 | 7 | (5 << 3) | 0x80);
    /* Never the "ignore PAT" bit: the guest's PAT still applies (SDM 29.3.7.2). */
    assert_false(vmx_ept_leaf(0x200000, 2, MT_WB) & (1u << 6));
}

/* ---- exit decode ------------------------------------------------------------------ */

static void test_exit_kinds(void **state)
{
    (void)state;
    assert_int_equal(vmx_exit_kind(10), EXIT_CPUID);
    assert_int_equal(vmx_exit_kind(31), EXIT_MSR_READ);
    assert_int_equal(vmx_exit_kind(32), EXIT_MSR_WRITE);
    assert_int_equal(vmx_exit_kind(30), EXIT_IO);
    assert_int_equal(vmx_exit_kind(12), EXIT_HLT);
    assert_int_equal(vmx_exit_kind(48), EXIT_NPF);
    assert_int_equal(vmx_exit_kind(49), EXIT_NPT_MISCONFIG);
    assert_int_equal(vmx_exit_kind(55), EXIT_XSETBV);
    assert_int_equal(vmx_exit_kind(13), EXIT_INVD);
    assert_int_equal(vmx_exit_kind(54), EXIT_WBINVD);
    assert_int_equal(vmx_exit_kind(2), EXIT_SHUTDOWN);
    assert_int_equal(vmx_exit_kind(18), EXIT_HYPERCALL);
    assert_int_equal(vmx_exit_kind(0), EXIT_EXCEPTION);
    assert_int_equal(vmx_exit_kind(3), EXIT_INIT);
    assert_int_equal(vmx_exit_kind(4), EXIT_SIPI);
    assert_int_equal(vmx_exit_kind(28), EXIT_CR_ACCESS);
    assert_int_equal(vmx_exit_kind(51), EXIT_RDTSCP);
    assert_int_equal(vmx_exit_kind(0x80000021), EXIT_INVALID_STATE);    /* 33 + entry failure */
    assert_int_equal(vmx_exit_kind(0x80000022), EXIT_INVALID_STATE);    /* 34 MSR loading */
    assert_int_equal(vmx_exit_kind(0x80000029), EXIT_INVALID_STATE);    /* 41 machine check */
    for (uint32_t r = 19; r <= 27; r++)
        assert_int_equal(vmx_exit_kind(r), EXIT_VMINSN);
    assert_int_equal(vmx_exit_kind(36), EXIT_VMINSN);   /* MWAIT -> #UD in vmm/ */
    assert_int_equal(vmx_exit_kind(39), EXIT_VMINSN);   /* MONITOR */
    assert_int_equal(vmx_exit_kind(11), EXIT_VMINSN);   /* GETSEC */
    assert_int_equal(vmx_exit_kind(1), EXIT_OTHER);     /* external interrupt: never enabled */
    assert_int_equal(vmx_exit_kind(35), EXIT_OTHER);
    assert_int_equal(vmx_exit_kind(0xffff), EXIT_OTHER);
}

static void test_exit_qualifications(void **state)
{
    struct vm_exit x;
    (void)state;
    /* OUT DX, AL to 0xf4 (size 1, out): port in 31:16. */
    memset(&x, 0, sizeof(x));
    x.kind = EXIT_IO;
    vmx_decode_qual(&x, 0x00f40000 | (1 << 6));
    assert_int_equal(x.u.io.port, 0xf4);
    assert_int_equal(x.u.io.size, 1);
    assert_false(x.u.io.in);
    /* REP INSD from 0x8900: size 4 (3), in, string, rep. */
    vmx_decode_qual(&x, 0x89000000ull | 3 | 8 | 16 | 32);
    assert_int_equal(x.u.io.port, 0x8900);
    assert_int_equal(x.u.io.size, 4);
    assert_true(x.u.io.in && x.u.io.string && x.u.io.rep);
    /* IN AX: size 2. */
    vmx_decode_qual(&x, 0x00600000 | 1 | 8);
    assert_int_equal(x.u.io.size, 2);
    assert_int_equal(x.u.io.port, 0x60);
    /* EPT violation: write (bit 1) with the GPA readable (bit 3) etc. -> only R/W/X kept. */
    x.kind = EXIT_NPF;
    vmx_decode_qual(&x, 0x182 | (1 << 3));
    assert_int_equal(x.u.npf.access, NPF_WRITE);
    vmx_decode_qual(&x, 0x84);
    assert_int_equal(x.u.npf.access, NPF_EXEC);
    vmx_decode_qual(&x, 0x81);
    assert_int_equal(x.u.npf.access, NPF_READ);
    /* MOV CR4, RBX (gpr 3): cr 4, type 0 (to CR). */
    x.kind = EXIT_CR_ACCESS;
    vmx_decode_qual(&x, 4 | (0 << 4) | (3 << 8));
    assert_int_equal(x.u.cr.cr, 4);
    assert_true(x.u.cr.write);
    assert_int_equal(x.u.cr.gpr, 3);
    /* MOV R12, CR0: type 1 (from CR). */
    vmx_decode_qual(&x, 0 | (1 << 4) | (12 << 8));
    assert_int_equal(x.u.cr.cr, 0);
    assert_false(x.u.cr.write);
    assert_int_equal(x.u.cr.gpr, 12);
    /* Kinds without a qualification are left alone. */
    x.kind = EXIT_CPUID;
    x.u.npf.gpa = 0x1234;
    vmx_decode_qual(&x, ~0ull);
    assert_int_equal(x.u.npf.gpa, 0x1234);
}

int main(void)
{
    req_proc2 = vmx_req_proc2_base;
    req_proc2.desired |= PROC2_POLICY;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bochs_controls),
        cmocka_unit_test(test_synthetic_controls),
        cmocka_unit_test(test_insn_error_names),
        cmocka_unit_test(test_exit_reason_names),
        cmocka_unit_test(test_checker_good),
        cmocka_unit_test(test_checker_cases),
        cmocka_unit_test(test_checker_bounded),
        cmocka_unit_test(test_mtrr_types),
        cmocka_unit_test(test_mtrr_small_and_overlap),
        cmocka_unit_test(test_ept_entries),
        cmocka_unit_test(test_exit_kinds),
        cmocka_unit_test(test_exit_qualifications),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
