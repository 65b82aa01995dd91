/* Unit tests for the VMX set-up decisions (arch/x86/vmx/vmx_setup.c) over
 * the capability MSRs recorded on Bochs 2.7 corei7_skylake_x (see
 * test_vmx.c for the boot line they come from), with each capability keel
 * depends on present and then removed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "arch/x86/vmx/vmx_lib.h"
#include "arch/x86/vmx/vmcs.h"

#define BOCHS_PIN 0x7f00000016ull
#define BOCHS_PROC 0xf7f9fffe04006172ull
#define BOCHS_PROC2 0x2177fff00000000ull
#define BOCHS_EXIT 0x7fffff00036dfbull
#define BOCHS_ENTRY 0xffff000011fbull
#define BOCHS_EPT_VPID 0xf0106334141ull


/* A capability MSR with the allowed-1 setting of `bits` removed. */
static uint64_t without1(uint64_t cap, uint32_t bits)
{
    return cap & ~((uint64_t)bits << 32);
}

static void test_eptp(void **state)
{
    uint64_t root = 0x1234000;
    (void)state;
    assert_int_equal(vmx_eptp_for(BOCHS_EPT_VPID, root), root | EPTP_WALK4 | MT_WB | EPTP_AD);
    /* No WB walk: UC only when the UC bit says so. */
    assert_int_equal(vmx_eptp_for(BOCHS_EPT_VPID & ~EPT_CAP_WB, root), root | EPTP_WALK4 | MT_UC | EPTP_AD);
    assert_int_equal(vmx_eptp_for(BOCHS_EPT_VPID & ~(EPT_CAP_WB | EPT_CAP_UC), root), 0);
    /* No A/D flags: EPTP bit 6 stays 0 (setting it is a VM-entry failure). */
    assert_int_equal(vmx_eptp_for(BOCHS_EPT_VPID & ~EPT_CAP_AD, root), root | EPTP_WALK4 | MT_WB);
    assert_int_equal(vmx_eptp_for(BOCHS_EPT_VPID & ~EPT_CAP_WALK4, root), 0);
    assert_int_equal(vmx_eptp_for(BOCHS_EPT_VPID, 0x1234fff) & ~0xfffull, root);
}

static void test_ept_leaves(void **state)
{
    (void)state;
    assert_true(vmx_ept_leaf_ok(BOCHS_EPT_VPID, 1));
    assert_true(vmx_ept_leaf_ok(BOCHS_EPT_VPID, 2));
    assert_true(vmx_ept_leaf_ok(BOCHS_EPT_VPID, 3));
    assert_false(vmx_ept_leaf_ok(BOCHS_EPT_VPID & ~EPT_CAP_2M, 2));
    assert_true(vmx_ept_leaf_ok(BOCHS_EPT_VPID & ~EPT_CAP_2M, 1));
    assert_false(vmx_ept_leaf_ok(BOCHS_EPT_VPID & ~EPT_CAP_1G, 3));
    assert_true(vmx_ept_leaf_ok(BOCHS_EPT_VPID & ~EPT_CAP_1G, 2));
    assert_false(vmx_ept_leaf_ok(BOCHS_EPT_VPID, 4));
    assert_false(vmx_ept_leaf_ok(0, 2));
}

static void test_invalidation_types(void **state)
{
    (void)state;
    assert_int_equal(vmx_invept_type(BOCHS_EPT_VPID), 1);
    assert_int_equal(vmx_invept_type(BOCHS_EPT_VPID & ~EPT_CAP_INVEPT_SINGLE), 2);
    assert_int_equal(vmx_invept_type(BOCHS_EPT_VPID & ~(EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL)), 0);
    assert_int_equal(vmx_invept_type(BOCHS_EPT_VPID & ~EPT_CAP_INVEPT), 0);
    assert_int_equal(vmx_invvpid_type(BOCHS_EPT_VPID), 1);
    assert_int_equal(vmx_invvpid_type(BOCHS_EPT_VPID & ~VPID_CAP_INVVPID_SINGLE), 2);
    /* Only the individual-address type: not one keel can flush a VPID with. */
    assert_int_equal(vmx_invvpid_type(BOCHS_EPT_VPID & ~(VPID_CAP_INVVPID_SINGLE | VPID_CAP_INVVPID_ALL)), 0);
    assert_int_equal(vmx_invvpid_type(BOCHS_EPT_VPID & ~VPID_CAP_INVVPID), 0);
}

static void compute(uint64_t exit_cap, uint64_t entry_cap, uint32_t *exit, uint32_t *entry)
{
    struct vmx_ctl_result r;
    vmx_ctl_compute(exit_cap, &vmx_req_exit, &r);
    *exit = r.value;
    vmx_ctl_compute(entry_cap, &vmx_req_entry, &r);
    *entry = r.value;
}

static void test_save_load_pairs(void **state)
{
    uint32_t exit, entry, dropped;
    (void)state;
    /* Bochs has every save control: nothing dropped. */
    compute(BOCHS_EXIT, BOCHS_ENTRY, &exit, &entry);
    assert_true(vmx_pair_save_load(&exit, &entry, &dropped));
    assert_int_equal(dropped, 0);
    assert_int_equal(entry, 0xd1ff);
    /* No "save IA32_EFER": "load IA32_EFER" on entry is not used. */
    compute(without1(BOCHS_EXIT, EXIT_SAVE_EFER), BOCHS_ENTRY, &exit, &entry);
    assert_true(vmx_pair_save_load(&exit, &entry, &dropped));
    assert_int_equal(dropped, ENTRY_LOAD_EFER);
    assert_false(entry & ENTRY_LOAD_EFER);
    assert_true(entry & ENTRY_LOAD_PAT);
    assert_true(exit & EXIT_LOAD_EFER);        /* keel's own EFER still comes back on exit */
    /* No "save IA32_PAT". */
    compute(without1(BOCHS_EXIT, EXIT_SAVE_PAT), BOCHS_ENTRY, &exit, &entry);
    assert_true(vmx_pair_save_load(&exit, &entry, &dropped));
    assert_int_equal(dropped, ENTRY_LOAD_PAT);
    /* No "save debug controls": refused (load debug controls is required). */
    compute(without1(BOCHS_EXIT, EXIT_SAVE_DEBUG_CONTROLS), BOCHS_ENTRY, &exit, &entry);
    assert_false(vmx_pair_save_load(&exit, &entry, &dropped));
    /* Neither load nor save of PAT: nothing to pair. */
    compute(without1(BOCHS_EXIT, EXIT_SAVE_PAT), without1(BOCHS_ENTRY, ENTRY_LOAD_PAT), &exit, &entry);
    assert_true(vmx_pair_save_load(&exit, &entry, &dropped));
    assert_int_equal(dropped, 0);
}

static void test_xss_bitmap(void **state)
{
    struct vmx_ctl_result r;
    struct vmx_ctl_req req = { PROC2_EPT | PROC2_UNRESTRICTED_GUEST, PROC2_VPID | PROC2_XSAVES, 0 };
    (void)state;
    /* Guest policy with XSAVES on Bochs: the control is set, the bitmap must be written. */
    vmx_ctl_compute(BOCHS_PROC2, &req, &r);
    assert_true(r.value & PROC2_XSAVES);
    assert_true(vmx_needs_xss_exit_bitmap(r.value));
    /* Policy without XSAVES, or a CPU without the control: no bitmap. */
    req.desired &= ~PROC2_XSAVES;
    vmx_ctl_compute(BOCHS_PROC2, &req, &r);
    assert_false(vmx_needs_xss_exit_bitmap(r.value));
    req.desired |= PROC2_XSAVES;
    vmx_ctl_compute(without1(BOCHS_PROC2, PROC2_XSAVES), &req, &r);
    assert_false(vmx_needs_xss_exit_bitmap(r.value));
}

static void test_pae(void **state)
{
    uint64_t pd[4] = { 0x1001, 0x2001, 0, 0xfffffffe };     /* not-present entries may hold anything */
    (void)state;
    assert_true(vmx_pae_paging(0x80000011, 0x20, 0));
    assert_false(vmx_pae_paging(0x80000011, 0x20, 0x500));  /* IA-32e: PML4, no PDPTEs */
    assert_false(vmx_pae_paging(0x80000011, 0, 0));         /* 32-bit paging */
    assert_false(vmx_pae_paging(0x11, 0x20, 0));            /* paging off */
    assert_true(vmx_pdptes_ok(pd, 36));
    pd[1] = 0x2003;                                         /* bit 1 reserved */
    assert_false(vmx_pdptes_ok(pd, 36));
    pd[1] = 0x2021;                                         /* bit 5 reserved */
    assert_false(vmx_pdptes_ok(pd, 36));
    pd[1] = 0x1000000001ull;                                /* bit 36: above MAXPHYADDR 36 */
    assert_false(vmx_pdptes_ok(pd, 36));
    assert_true(vmx_pdptes_ok(pd, 40));
    pd[1] = 0x2019;                                         /* PWT PCD (bits 3, 4) are allowed */
    assert_true(vmx_pdptes_ok(pd, 36));
}

static const struct vmx_field *field(uint32_t enc)
{
    for (unsigned i = 0; i < vmx_dump_field_count; i++)
        if (vmx_dump_fields[i].enc == enc)
            return &vmx_dump_fields[i];
    fail_msg("field 0x%x not in the dump table", enc);
    return NULL;
}

static void test_dump_fields(void **state)
{
    uint64_t cap[VMX_CTL_COUNT] = { BOCHS_PIN, BOCHS_PROC, BOCHS_PROC2, BOCHS_EXIT, BOCHS_ENTRY };
    (void)state;
    /* Bochs has every field keel dumps but the CET ones. */
    for (unsigned i = 0; i < vmx_dump_field_count; i++)
        assert_true(vmx_field_exists(&vmx_dump_fields[i], cap) == (vmx_dump_fields[i].enc != VMCS_GUEST_S_CET));
    /* Guest PAT exists with load PAT or save PAT; gone with both removed. */
    cap[VMX_CTL_ENTRY] = without1(BOCHS_ENTRY, ENTRY_LOAD_PAT);
    assert_true(vmx_field_exists(field(VMCS_GUEST_PAT), cap));
    cap[VMX_CTL_EXIT] = without1(BOCHS_EXIT, EXIT_SAVE_PAT);
    assert_false(vmx_field_exists(field(VMCS_GUEST_PAT), cap));
    assert_string_equal(vmx_field_condition(field(VMCS_GUEST_PAT)), "load IA32_PAT");
    assert_true(vmx_field_exists(field(VMCS_GUEST_EFER), cap));
    assert_string_equal(vmx_field_condition(field(VMCS_GUEST_S_CET)), "load CET state");
    /* XSS-exiting bitmap, VPID, EPT fields follow the secondary controls... */
    cap[VMX_CTL_PROC2] = without1(BOCHS_PROC2, PROC2_XSAVES | PROC2_VPID);
    assert_false(vmx_field_exists(field(VMCS_XSS_EXIT_BITMAP), cap));
    assert_false(vmx_field_exists(field(VMCS_VPID), cap));
    assert_true(vmx_field_exists(field(VMCS_EPT_POINTER), cap));
    /* ...which exist only with "activate secondary controls". */
    cap[VMX_CTL_PROC] = without1(BOCHS_PROC, PROC_SECONDARY_CONTROLS);
    assert_false(vmx_field_exists(field(VMCS_PROC_CTLS2), cap));
    assert_false(vmx_field_exists(field(VMCS_EPT_POINTER), cap));
    assert_false(vmx_field_exists(field(VMCS_GUEST_PDPTE0), cap));
    assert_true(vmx_field_exists(field(VMCS_GUEST_RIP), cap));
    assert_string_equal(vmx_field_condition(field(VMCS_GUEST_RIP)), "");
}

/* The assembled launch stub (vmx_entry.S) does no VMREAD/VMWRITE: HOST_RSP is
 * written once at vcpu_create, the exit pushes the GPRs into the vCPU. */
extern const uint8_t vmx_launch[], vmx_exit_point[], vmx_entry_end[];

static void test_entry_stub_writes_nothing(void **state)
{
    const uint8_t *p = vmx_launch;
    long n = vmx_entry_end - vmx_launch, vmlaunch = -1;
    (void)state;
    assert_true(n > 0 && n < 1024);
    assert_true(&vmx_exit_point[0] > &vmx_launch[0] && &vmx_exit_point[0] < &vmx_entry_end[0]);
    for (long i = 0; i + 1 < n; i++) {
        assert_false(p[i] == 0x0f && (p[i + 1] == 0x79 || p[i + 1] == 0x78));   /* VMWRITE, VMREAD */
        if (i + 2 < n && p[i] == 0x0f && p[i + 1] == 0x01 && p[i + 2] == 0xc2)
            vmlaunch = i;
    }
    assert_true(vmlaunch >= 0);     /* the scan did see the stub */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eptp),
        cmocka_unit_test(test_ept_leaves),
        cmocka_unit_test(test_invalidation_types),
        cmocka_unit_test(test_save_load_pairs),
        cmocka_unit_test(test_xss_bitmap),
        cmocka_unit_test(test_pae),
        cmocka_unit_test(test_dump_fields),
        cmocka_unit_test(test_entry_stub_writes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
