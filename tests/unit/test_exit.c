/* Unit tests: every exit handler of vmm/exit*.c, vmm/cpuid_exit.c and
 * vmm/hypercall.c against the fake vendor (tests/unit/fake_arch.c): the
 * table has a handler per kind, each one's architectural outcome (state
 * written, #GP/#UD injected, instruction completed or not, run stopped with
 * which status) and what keel prints. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "fake_arch.h"
#include "vmm/exit_handlers.h"
#include "vmm/arch_hooks.h"
#include "vmm/msr_impl.h"
#include "vmm/cpuid.h"
#include "vmm/vm.h"
#include "vmm/guest.h"
#include "vmm/run.h"
#include "arch/x86/stop.h"
#include "log_capture.h"

/* ---- what keel provides elsewhere ------------------------------------------- */
static unsigned dumps, explained, wbinvds, console_claims;
static uint32_t port_in_value;
static struct { uint16_t port; unsigned size; uint32_t val; } outs[8];
static unsigned nouts;
static uint64_t npt_ondemand_ok, npt_ondemand_calls;

void vcpu_dump_state(struct vcpu *v) { (void)v; dumps++; }
unsigned vcpu_explain_entry_failure(struct vcpu *v) { (void)v; explained++; return 0; }

void host_wbinvd(void) { wbinvds++; }
void host_pause(unsigned long n) { (void)n; }
uint32_t host_port_in(uint16_t port, unsigned size) { (void)port, (void)size; return port_in_value; }
void host_port_out(uint16_t port, unsigned size, uint32_t val)
{
    if (nouts < 8)
        outs[nouts].port = port, outs[nouts].size = size, outs[nouts].val = val;
    nouts++;
}
bool console_port_io(struct vcpu *v) { (void)v; return console_claims != 0; }
void serial_drain(void) {}
/* arch/x86/stop.c: the one "exit status" line; counted, and when. */
static unsigned exit_status_lines, exit_status_at_out;
void keel_exit_status(int code)
{
    exit_status_lines++;
    exit_status_at_out = nouts;
    klog("exit status %d", code);
}
bool iommu_mmio(unsigned i, uint64_t *base, uint64_t *end)
{
    if (i)
        return false;
    *base = 0xfed90000, *end = 0xfed91000;
    return true;
}
unsigned long iommu_poll(void) { return 7; }
bool npt_map_on_demand(struct npt *n, uint64_t gpa) { (void)n, (void)gpa; npt_ondemand_calls++; return npt_ondemand_ok; }
bool npt_set_page(struct npt *n, uint64_t gpa, uint64_t how) { (void)n, (void)gpa, (void)how; return true; }
/* SMP (vmm/smp.c) is not this test's: one vCPU, nothing to stop or start. */
static unsigned end_runs, lapic_accesses;
bool smp_end_run(struct vcpu *v) { (void)v; end_runs++; return true; }
void smp_init_signal(struct vcpu *v) { vcpu_stop(v, KEEL_EXIT_OK); }
void smp_sipi_signal(struct vcpu *v) { (void)v; }
void smp_nmi_exit(struct vcpu *v) { (void)v; }
bool smp_lapic_access(struct vcpu *v, uint64_t gpa, bool write) { (void)v, (void)gpa, (void)write; lapic_accesses++; return true; }

const char *exception_name(unsigned vector);
const char *exception_name(unsigned vector) { return vector == 13 ? "#GP" : "exception"; }
void vm_end_checks(struct vm *vm) { (void)vm; }

static struct vm vm0;

/* ---- a vCPU -------------------------------------------------------------------- */
static struct fake_vcpu fv;
static struct msr_vcpu_state st;
static struct cpu_policy pol;
static struct msr_config cfg;
#define V (&fv.v)

static void give(enum cpu_feature f) { pol.feat[f / 64] |= 1ull << (f % 64); }

static int setup(void **state)
{
    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    cfg.filter.default_allow = true;
    memset(&pol, 0, sizeof(pol));
    pol.vendor = VENDOR_INTEL;
    pol.maxphyaddr = 36;
    give(FEAT_MSR); give(FEAT_APIC); give(FEAT_LM); give(FEAT_PAE); give(FEAT_FXSR); give(FEAT_SSE);
    give(FEAT_XSAVE); give(FEAT_PCID);
    pol.xcr0_mask = XCR0_X87 | XCR0_SSE;
    fake_host_reset();
    fake_vcpu_init(&fv);
    fv.v.policy = &pol;
    assert_int_equal(msr_vcpu_init(V, &st, &cfg), 0);
    memset(&vm0, 0, sizeof(vm0));
    vm0.layout.keel_base = 0xe000000, vm0.layout.keel_end = 0xf000000;
    vm0.pm1a_cnt_port = 0x604;
    vm0.npt_top = 0x100000000ull;
    vm0.ncpus = 1;
    vm0.vcpus[0] = V;
    fv.v.vm = &vm0;
    end_runs = lapic_accesses = 0;
    dumps = explained = wbinvds = console_claims = nouts = 0;
    port_in_value = 0;
    npt_ondemand_ok = 0, npt_ondemand_calls = 0;
    fv.state[VS_RIP] = 0x1000;
    capture_start();
    return 0;
}

static void run(enum exit_kind k)
{
    fv.v.exit.kind = k;
    exit_handlers[k](V);
}

static bool logged(const char *s) { return strstr(logbuf, s) != NULL; }

/* ---- the table ------------------------------------------------------------------ */
static void test_every_kind_has_a_handler(void **state)
{
    unsigned k;
    (void)state;
    for (k = 0; k < EXIT_KIND_COUNT; k++)
        assert_non_null(exit_handlers[k]);
    assert_ptr_equal(exit_handlers[EXIT_HLT], handle_unhandled);   /* not intercepted */
}

static void test_unhandled_reports_and_stops(void **state)
{
    (void)state;
    fv.v.exit.raw_code = 0x77;
    run(EXIT_OTHER);
    assert_true(fv.v.stop);
    assert_int_equal(fv.v.stop_code, KEEL_EXIT_FATAL);
    assert_int_equal(dumps, 1);
    assert_int_equal(fv.rip_advances, 0);
    assert_true(logged("unhandled exit: "));
    assert_true(logged("vendor code 0x77"));
}

/* ---- exit.c --------------------------------------------------------------------- */
static void test_invd_wbinvd_write_back(void **state)
{
    (void)state;
    run(EXIT_INVD);
    run(EXIT_WBINVD);
    assert_int_equal(wbinvds, 2);            /* INVD does WBINVD's job: keel's dirty lines survive */
    assert_int_equal(fv.rip_advances, 2);
    assert_false(fv.v.stop);
}

static void test_rdtscp_hidden_is_ud(void **state)
{
    (void)state;
    run(EXIT_RDTSCP);
    assert_int_equal(fv.nexc, 1);
    assert_int_equal(fv.exc[0].vector, 6);
    assert_int_equal(fv.rip_advances, 0);
}

static void test_vminsn_ud(void **state)
{
    (void)state;
    run(EXIT_VMINSN);
    assert_int_equal(fv.nexc, 1);
    assert_int_equal(fv.exc[0].vector, 6);
    assert_int_equal(fv.rip_advances, 0);
}

static void test_shutdown_and_invalid_state_stop_125(void **state)
{
    (void)state;
    run(EXIT_SHUTDOWN);
    assert_true(fv.v.stop);
    assert_int_equal(fv.v.stop_code, KEEL_EXIT_FATAL);
    assert_true(logged("guest triple fault (shutdown) at RIP 0x1000"));
    assert_int_equal(dumps, 1);
    fv.v.stop = false;
    run(EXIT_INVALID_STATE);
    assert_true(fv.v.stop);
    assert_int_equal(explained, 1);
    assert_true(logged("no check of APM 15.5.1 / SDM 26.3 failed that keel knows"));
    assert_int_equal(dumps, 2);
}

/* The APIC page while a vCPU waits for its SIPI: out of the map, each
 * access completed by vmm/smp.c; once mapped again the access just reruns. */
static void test_npf_lapic_page(void **state)
{
    (void)state;
    vm0.lapic_page = 0xfee00000;
    vm0.lapic_trapped = 1;
    fv.v.exit.u.npf.gpa = 0xfee00300, fv.v.exit.u.npf.access = NPF_WRITE;
    run(EXIT_NPF);
    assert_int_equal(lapic_accesses, 1);
    assert_false(fv.v.stop);
    vm0.lapic_trapped = 0;
    run(EXIT_NPF);
    assert_int_equal(lapic_accesses, 1);
    assert_false(fv.v.stop);
}

/* MOV to CR0/CR4 (register operand in RBX = slot 1). */
static void cr_write(unsigned cr, uint64_t val)
{
    fv.v.exit.u.cr.cr = (uint8_t)cr;
    fv.v.exit.u.cr.gpr = 3;
    fv.v.exit.u.cr.write = true;
    fv.v.regs.rbx = val;
    run(EXIT_CR_ACCESS);
}

static void test_cr_access_validate_then_commit(void **state)
{
    (void)state;
    fv.state[VS_CR0] = CR0_PE | CR0_ET | CR0_NE;
    cr_write(0, CR0_PE | CR0_ET);                      /* CR0.NE cleared: allowed, committed */
    assert_int_equal(fv.state[VS_CR0], CR0_PE | CR0_ET);
    assert_int_equal(fv.rip_advances, 1);
    assert_int_equal(fv.nexc, 0);
    cr_write(0, CR0_PG | CR0_ET);                      /* PG without PE: #GP, nothing written */
    assert_int_equal(fv.nexc, 1);
    assert_int_equal(fv.exc[0].vector, 13);
    assert_int_equal(fv.set_calls[VS_CR0], 1);
    assert_int_equal(fv.rip_advances, 1);
    cr_write(4, CR4_VMXE);                             /* no VMX in the guest's CPUID: #GP */
    assert_int_equal(fv.nexc, 2);
    assert_int_equal(fv.set_calls[VS_CR4], 0);
    cr_write(4, CR4_OSXSAVE | CR4_OSFXSR);             /* XSAVE offered: committed */
    assert_int_equal(fv.state[VS_CR4], CR4_OSXSAVE | CR4_OSFXSR);
    fv.no_state[VS_CR4] = true;                        /* the vendor cannot hold it: #GP */
    cr_write(4, CR4_PAE);
    assert_int_equal(fv.nexc, 3);
    fv.v.exit.u.cr.write = false;                      /* reads are not intercepted */
    run(EXIT_CR_ACCESS);
    assert_true(fv.v.stop);
}

/* ---- cpuid_exit.c: XSETBV --------------------------------------------------------- */
static void do_xsetbv(uint64_t val)
{
    fv.v.regs.rax = (uint32_t)val, fv.v.regs.rdx = val >> 32, fv.v.regs.rcx = 0;
    run(EXIT_XSETBV);
}

static void test_xsetbv(void **state)
{
    (void)state;
    do_xsetbv(XCR0_X87 | XCR0_SSE);                       /* CR4.OSXSAVE clear: #UD */
    assert_int_equal(fv.nexc, 1);
    assert_int_equal(fv.exc[0].vector, 6);
    fv.state[VS_CR4] = CR4_OSXSAVE;
    do_xsetbv(XCR0_X87 | XCR0_SSE);
    assert_int_equal(fv.state[VS_XCR0], XCR0_X87 | XCR0_SSE);
    assert_int_equal(fv.rip_advances, 1);
    do_xsetbv(XCR0_X87 | XCR0_SSE | XCR0_AVX);            /* AVX not in this guest's mask: #GP */
    assert_int_equal(fv.nexc, 2);
    assert_int_equal(fv.exc[1].vector, 13);
    assert_int_equal(fv.set_calls[VS_XCR0], 1);
    fv.state[VS_CPL] = 3;                              /* CPL > 0: #GP */
    do_xsetbv(XCR0_X87);
    assert_int_equal(fv.nexc, 3);
    assert_int_equal(fv.rip_advances, 1);
}

/* ---- hypercall.c ------------------------------------------------------------------- */
static void hc(uint64_t fn, uint64_t rbx)
{
    fv.v.regs.rax = fn, fv.v.regs.rbx = rbx;
    run(EXIT_HYPERCALL);
}

static void test_hypercalls(void **state)
{
    (void)state;
    hc(0, 0);
    assert_int_equal(fv.v.regs.rax, 0x6b65656c);
    fv.v.stats.count[EXIT_CPUID] = 41;
    hc(3, 0);
    assert_int_equal(fv.v.regs.rax, 41);
    hc(4, 0);
    assert_int_equal(fv.v.regs.rax, 0xe000000);
    assert_int_equal(fv.v.regs.rbx, 0x1000000);
    hc(5, 0);                                          /* no canary page: RAX = 0, RBX = blocked count */
    assert_int_equal(fv.v.regs.rax, 0);
    assert_int_equal(fv.v.regs.rbx, 7);
    hc(5, 0x1234);                                     /* not the canary page: ~0 */
    assert_int_equal(fv.v.regs.rax, ~0ull);
    hc(2, MSR_APIC_BASE);                              /* counts for an MSR keel handles */
    assert_int_equal(fv.v.regs.rax, 0);
    assert_int_equal(fv.v.regs.rbx, 0);
    hc(99, 0);
    assert_int_equal(fv.v.regs.rax, ~0ull);
    fv.v.stats.count[EXIT_CPUID] = 5, fv.v.stats.count[EXIT_IO] = 2;
    hc(1, 0);                                          /* total exits */
    assert_int_equal(fv.v.regs.rax, exit_stats_total(V));
    assert_true(fv.v.regs.rax >= 7);
    assert_int_equal(fv.rip_advances, 8);
    assert_int_equal(fv.nexc, 0);
}

/* ---- exit_io.c ---------------------------------------------------------------------- */
static void io(uint16_t port, unsigned size, bool in, uint32_t val)
{
    fv.v.exit.u.io.port = port;
    fv.v.exit.u.io.size = (uint8_t)size;
    fv.v.exit.u.io.in = in;
    fv.v.exit.u.io.string = false;
    fv.v.regs.rax = val;
    run(EXIT_IO);
}

static void test_io_debug_exit(void **state)
{
    (void)state;
    io(0xf4, 1, false, 0x103);                         /* the low byte is the code */
    assert_true(fv.v.stop);
    assert_int_equal(fv.v.stop_code, 3);
    assert_true(logged("guest exit 3 (debug-exit port 0xf4)"));
    assert_int_equal(nouts, 0);
}

static void test_io_bochs_shutdown_word(void **state)
{
    const char *w = "ShutShutdown";
    (void)state;
    for (; *w; w++) {
        assert_false(fv.v.stop);
        io(0x8900, 1, false, (uint8_t)*w);
    }
    assert_true(fv.v.stop);
    assert_int_equal(fv.v.stop_code, 0);
    assert_true(logged("shutdown port 0x8900"));
}

static void test_io_pm1a_sleep_and_forwarding(void **state)
{
    (void)state;
    exit_status_lines = 0;
    io(0x604, 2, false, 0x2000 | (5 << 10));           /* SLP_EN: power-off, forwarded after the report */
    assert_int_equal(exit_status_lines, 1);            /* announced once, before the write reaches the platform */
    assert_int_equal(exit_status_at_out, 0);
    assert_true(fv.v.stop);
    assert_int_equal(fv.v.stop_code, 0);
    assert_int_equal(nouts, 1);
    assert_int_equal(outs[0].port, 0x604);
    assert_int_equal(outs[0].val, 0x2000 | (5 << 10));
    assert_true(logged("ACPI sleep/power-off through PM1a_CNT port 0x604"));
    fv.v.stop = false;
    io(0x605, 1, false, 0xab);                         /* another trapped port: forwarded */
    assert_int_equal(nouts, 2);
    assert_int_equal(outs[1].size, 1);
    assert_false(fv.v.stop);
    port_in_value = 0x5a;
    io(0x605, 1, true, 0x11223344);                    /* IN: AL replaced, the rest kept */
    assert_int_equal(fv.v.regs.rax, 0x1122335a);
    fv.v.exit.u.io.string = true;                      /* INS/OUTS are not emulated */
    run(EXIT_IO);
    assert_true(fv.v.stop);
    assert_int_equal(fv.v.stop_code, KEEL_EXIT_FATAL);
}

static void test_io_console_first(void **state)
{
    (void)state;
    console_claims = 1;
    io(0xf4, 1, false, 1);
    assert_false(fv.v.stop);                           /* the shared console took the access */
}

/* ---- exit_npf.c ---------------------------------------------------------------------- */
static void npf(uint64_t gpa, uint32_t acc)
{
    fv.v.exit.u.npf.gpa = gpa;
    fv.v.exit.u.npf.access = acc;
    run(EXIT_NPF);
}

static void test_npf(void **state)
{
    (void)state;
    npf(0xe001000, NPF_WRITE);                          /* keel's region */
    assert_true(fv.v.stop);
    assert_int_equal(fv.v.stop_code, KEEL_EXIT_FATAL);
    assert_true(logged("guest write access to keel's region [0e000000-0f000000)"));
    fv.v.stop = false;
    npf(0xfed90010, 0);                                 /* the IOMMU's registers */
    assert_true(fv.v.stop);
    assert_true(logged("read access to the IOMMU's registers [fed90000-fed91000)"));
    fv.v.stop = false;
    npt_ondemand_ok = 1;
    npf(0x200000000ull, 0);                             /* device memory above the map, below MAXPHYADDR */
    assert_false(fv.v.stop);
    assert_int_equal(npt_ondemand_calls, 1);
    assert_true(logged("mapped guest-physical [200000000-200200000)"));
    npf(0x1000000000ull, NPF_EXEC);                     /* beyond MAXPHYADDR 36: unmapped */
    assert_true(fv.v.stop);
    assert_true(logged("guest execute access to unmapped guest-physical address 0x1000000000"));
}

/* Hypercall 5 with a canary page: its address, then its FNV-1a hash, which
 * changes when one byte of the page does. */
static void test_hypercall_dma_canary(void **state)
{
    static uint8_t page[4096];
    uint64_t h1, h2;
    (void)state;
    memset(page, 0xa5, sizeof(page));
    vm0.dma_canary = (uint64_t)(uintptr_t)page;
    hc(5, 0);
    assert_int_equal(fv.v.regs.rax, vm0.dma_canary);
    hc(5, vm0.dma_canary);
    h1 = fv.v.regs.rax;
    assert_int_not_equal(h1, ~0ull);
    page[4095] ^= 1;
    hc(5, vm0.dma_canary);
    h2 = fv.v.regs.rax;
    assert_int_not_equal(h1, h2);
    hc(5, vm0.dma_canary + 4096);                       /* any other page: ~0, nothing read */
    assert_int_equal(fv.v.regs.rax, ~0ull);
    assert_int_equal(fv.v.regs.rbx, 7);
}

/* vmm/vcpu_reset.c: the loader's GPRs, everything else zero (both vendors). */
static void test_vcpu_reset_regs(void **state)
{
    struct guest_entry e = { .rip = 0x100000, .rax = 0x36d76289, .rbx = 0x9000, .rsi = 0x7000, .rsp = 0x8000 };
    (void)state;
    memset(&fv.v.regs, 0xee, sizeof(fv.v.regs));
    vcpu_reset_regs(V, &e);
    assert_int_equal(fv.v.regs.rax, 0x36d76289);
    assert_int_equal(fv.v.regs.rbx, 0x9000);
    assert_int_equal(fv.v.regs.rsi, 0x7000);
    assert_int_equal(fv.v.regs.rcx, 0);
    assert_int_equal(fv.v.regs.rdi, 0);
    assert_int_equal(fv.v.regs.r8, 0);
    assert_int_equal(fv.v.regs.r15, 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, setup)
    const struct CMUnitTest tests[] = {
        T(test_every_kind_has_a_handler), T(test_unhandled_reports_and_stops), T(test_invd_wbinvd_write_back),
        T(test_rdtscp_hidden_is_ud), T(test_vminsn_ud), T(test_shutdown_and_invalid_state_stop_125),
        T(test_npf_lapic_page), T(test_cr_access_validate_then_commit), T(test_xsetbv),
        T(test_hypercalls), T(test_hypercall_dma_canary), T(test_io_debug_exit), T(test_io_bochs_shutdown_word),
        T(test_io_pm1a_sleep_and_forwarding), T(test_io_console_first), T(test_npf), T(test_vcpu_reset_regs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
