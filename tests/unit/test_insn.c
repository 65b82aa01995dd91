/* Unit tests: the instruction-length decoder on byte strings, the guest
 * page walk over a fake guest memory, and the one instruction-completed
 * path (RIP, interrupt shadow, single-step #DB, decode-or-stop). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "vmm/insn_decode.h"
#include "vmm/guest_walk.h"
#include "vmm/arch_hooks.h"
#include "vmm/exit_handlers.h"
#include "vmm/vm.h"
#include "log_capture.h"

extern uint8_t *fake_mem;
void fake_mem_init(uint64_t size);
void fake_mem_free(void);

/* ---- fakes for the hooks vmm/insn.c uses ---- */
static struct vm test_vm;
#define vm_layout (test_vm.layout)
static uint64_t st[VS_COUNT];
static unsigned nexc, exc_vec, stopped;

uint64_t vcpu_get_state(struct vcpu *v, enum vcpu_state s) { (void)v; return st[s]; }
bool vcpu_set_state(struct vcpu *v, enum vcpu_state s, uint64_t val) { (void)v; st[s] = val; return true; }
uint64_t vcpu_retire_insn(struct vcpu *v, uint8_t len)
{
    (void)v;
    st[VS_RIP] += len;
    st[VS_INTR_SHADOW] = 0;
    return st[VS_RFLAGS];
}
void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
    (void)v, (void)has_error, (void)error;
    nexc++;
    exc_vec = vector;
}
void vcpu_stop(struct vcpu *v, int code) { v->stop = true; v->stop_code = code; stopped++; }
const char *const exit_kind_names[EXIT_KIND_COUNT] = {
#define X(k, s, h) [k] = s,
    EXIT_KINDS(X)
#undef X
};

/* ---- decoder ---- */
struct dcase {
    const char *name;
    uint8_t b[20];
    unsigned n;
    bool m64;
    enum insn_status want;
    unsigned len;
    enum insn_op op;
};

static void test_decode(void **state)
{
    static const struct dcase c[] = {
        { "cpuid", { 0x0f, 0xa2 }, 2, false, INSN_OK, 2, INSN_CPUID },
        { "rdmsr", { 0x0f, 0x32 }, 2, false, INSN_OK, 2, INSN_RDMSR },
        { "wrmsr", { 0x0f, 0x30 }, 2, true, INSN_OK, 2, INSN_WRMSR },
        { "vmmcall", { 0x0f, 0x01, 0xd9 }, 3, false, INSN_OK, 3, INSN_VMMCALL },
        { "vmcall", { 0x0f, 0x01, 0xc1 }, 3, false, INSN_OK, 3, INSN_VMCALL },
        { "xsetbv", { 0x0f, 0x01, 0xd1 }, 3, false, INSN_OK, 3, INSN_XSETBV },
        { "invd", { 0x0f, 0x08 }, 2, false, INSN_OK, 2, INSN_INVD },
        { "wbinvd", { 0x0f, 0x09 }, 2, false, INSN_OK, 2, INSN_WBINVD },
        { "hlt", { 0xf4 }, 1, false, INSN_OK, 1, INSN_HLT },
        { "66 cpuid", { 0x66, 0x0f, 0xa2 }, 3, false, INSN_OK, 3, INSN_CPUID },
        { "2e 3e rdmsr", { 0x2e, 0x3e, 0x0f, 0x32 }, 4, false, INSN_OK, 4, INSN_RDMSR },
        { "all groups", { 0xf3, 0x26, 0x66, 0x67, 0x64, 0x65, 0x36, 0x0f, 0xa2 }, 9, false, INSN_OK, 9, INSN_CPUID },
        { "rex.w rdmsr (64)", { 0x48, 0x0f, 0x32 }, 3, true, INSN_OK, 3, INSN_RDMSR },
        { "66 rex vmmcall (64)", { 0x66, 0x41, 0x0f, 0x01, 0xd9 }, 5, true, INSN_OK, 5, INSN_VMMCALL },
        { "rex then legacy (64): rex ignored, counted", { 0x48, 0x66, 0x0f, 0xa2 }, 4, true, INSN_OK, 4, INSN_CPUID },
        { "0x48 outside 64-bit mode is DEC", { 0x48, 0x0f, 0xa2 }, 3, false, INSN_UNKNOWN, 0, 0 },
        { "13 prefixes + cpuid = 15", { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x0f, 0xa2 },
          15, false, INSN_OK, 15, INSN_CPUID },
        { "14 prefixes + cpuid = 16", { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x0f, 0xa2 },
          16, false, INSN_TOO_LONG, 0, 0 },
        { "13 prefixes + vmmcall = 16", { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x0f, 0x01, 0xd9 },
          16, false, INSN_TOO_LONG, 0, 0 },
        { "15 prefixes", { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x0f },
          16, false, INSN_TOO_LONG, 0, 0 },
        { "truncated after prefix", { 0x66 }, 1, false, INSN_TRUNCATED, 0, 0 },
        { "truncated after 0f", { 0x0f }, 1, false, INSN_TRUNCATED, 0, 0 },
        { "truncated group 7", { 0x0f, 0x01 }, 2, false, INSN_TRUNCATED, 0, 0 },
        { "nothing readable", { 0 }, 0, false, INSN_TRUNCATED, 0, 0 },
        { "other 0f", { 0x0f, 0x31 }, 2, false, INSN_UNKNOWN, 0, 0 },
        { "other group 7", { 0x0f, 0x01, 0xd8 }, 3, false, INSN_UNKNOWN, 0, 0 },
        { "one-byte nop", { 0x90 }, 1, false, INSN_UNKNOWN, 0, 0 },
    };
    (void)state;
    for (unsigned i = 0; i < sizeof c / sizeof c[0]; i++) {
        struct insn in = { 0 };
        enum insn_status s = insn_decode(c[i].b, c[i].n, c[i].m64, &in);
        if (s != c[i].want || (s == INSN_OK && (in.len != c[i].len || in.op != c[i].op)))
            fail_msg("%s: status %d len %u op %d, want %d %u %d", c[i].name, s, in.len, in.op, c[i].want,
                     c[i].len, c[i].op);
    }
}

/* ---- page walk ---- */
#define MEM (8u << 20)
static void put64(uint64_t a, uint64_t v) { memcpy(fake_mem + a, &v, 8); }
static void put32(uint64_t a, uint32_t v) { memcpy(fake_mem + a, &v, 4); }

static void test_walk_modes(void **state)
{
    struct guest_paging pg;
    uint64_t gpa;
    (void)state;
    fake_mem_init(MEM);
    memset(&vm_layout, 0, sizeof vm_layout);

    /* Paging off: linear = physical (32 bits). */
    pg = (struct guest_paging){ 0x11, 0, 0, 0 };
    assert_true(guest_linear_to_phys(&vm_layout, &pg, 0x100000123ull, &gpa));
    assert_int_equal(gpa, 0x123);

    /* 32-bit paging: PD at 0x10000, PT at 0x11000; 0x00401234 -> 0x205234. */
    put32(0x10000 + 1 * 4, 0x11000 | 1);
    put32(0x11000 + 1 * 4, 0x205000 | 1);
    pg = (struct guest_paging){ 0x80000011, 0x10000, 0, 0 };
    assert_true(guest_linear_to_phys(&vm_layout, &pg, 0x00401234, &gpa));
    assert_int_equal(gpa, 0x205234);
    /* 4 MiB page with CR4.PSE: PDE 2 -> 0x400000. */
    put32(0x10000 + 2 * 4, 0x400000 | 0x81);
    pg.cr4 = 1 << 4;
    assert_true(guest_linear_to_phys(&vm_layout, &pg, 0x00812345, &gpa));
    assert_int_equal(gpa, 0x412345);
    /* Not present. */
    assert_false(guest_linear_to_phys(&vm_layout, &pg, 0x00c00000, &gpa));

    /* PAE: PDPT at 0x20000 (CR3 bits 31:5), PD 0x21000, PT 0x22000. */
    put64(0x20000 + 0 * 8, 0x21000 | 1);
    put64(0x21000 + 3 * 8, 0x22000 | 1);
    put64(0x22000 + 5 * 8, 0x333000 | 1);
    put64(0x21000 + 4 * 8, 0x600000 | 0x81);    /* 2 MiB page */
    pg = (struct guest_paging){ 0x80000011, 0x20000, 1 << 5, 0 };
    assert_true(guest_linear_to_phys(&vm_layout, &pg, (3u << 21) | (5u << 12) | 0x77, &gpa));
    assert_int_equal(gpa, 0x333077);
    assert_true(guest_linear_to_phys(&vm_layout, &pg, (4u << 21) | 0x12345, &gpa));
    assert_int_equal(gpa, 0x612345);

    /* Long mode, 4 levels: PML4 0x30000, PDPT 0x31000, PD 0x32000, PT 0x33000. */
    uint64_t la = 0xffff800000000000ull | (1ull << 30) | (2ull << 21) | (3ull << 12) | 0x9;
    put64(0x30000 + 256 * 8, 0x31000 | 1);
    put64(0x31000 + 1 * 8, 0x32000 | 1);
    put64(0x32000 + 2 * 8, 0x33000 | 1);
    put64(0x33000 + 3 * 8, 0x444000 | 1);
    pg = (struct guest_paging){ 0x80000011, 0x30000, 1 << 5, (1 << 8) | (1 << 10) };
    assert_true(guest_linear_to_phys(&vm_layout, &pg, la, &gpa));
    assert_int_equal(gpa, 0x444009);
    /* 1 GiB page at PDPTE 2 (physical 0x40000000 is beyond the fake memory, but translation needs no read). */
    put64(0x31000 + 2 * 8, 0x40000000ull | 0x81);
    assert_true(guest_linear_to_phys(&vm_layout, &pg, 0xffff800000000000ull | (2ull << 30) | 0x123456, &gpa));
    assert_int_equal(gpa, 0x40123456);
    fake_mem_free();
}

/* A table pointer into keel's region is not followed. */
static void test_walk_refuses_keel_region(void **state)
{
    struct guest_paging pg = { 0x80000011, 0x10000, 0, 0 };
    uint64_t gpa;
    uint8_t buf[15];
    (void)state;
    fake_mem_init(MEM);
    memset(&vm_layout, 0, sizeof vm_layout);
    vm_layout.keel_base = 0x600000;
    vm_layout.keel_end = 0x800000;
    put32(0x10000, 0x600000 | 1);               /* PD entry 0 -> "page table" in keel's region */
    assert_false(guest_linear_to_phys(&vm_layout, &pg, 0x1000, &gpa));
    /* Code that reaches into keel's region: reading stops at its first byte. */
    pg.cr0 = 0x11;
    assert_int_equal(guest_read_linear(&vm_layout, &pg, 0x5ffffa, buf, 15), 6);
    fake_mem_free();
}

/* ---- the completion path ---- */
static struct vcpu vc;

static void reset_vcpu(enum exit_kind k, uint8_t len)
{
    memset(&vc, 0, sizeof vc);
    vc.vm = &test_vm;
    memset(st, 0, sizeof st);
    nexc = exc_vec = stopped = 0;
    vc.exit.kind = k;
    vc.exit.insn_len = len;
    st[VS_RFLAGS] = 2;
    st[VS_DR6] = 0xffff0ff0;
}

static void test_complete_basic(void **state)
{
    (void)state;
    reset_vcpu(EXIT_CPUID, 2);
    st[VS_RIP] = 0x1000;
    st[VS_INTR_SHADOW] = 1;     /* CPUID right after STI */
    vcpu_complete_insn(&vc);
    assert_int_equal(st[VS_RIP], 0x1002);
    assert_int_equal(st[VS_INTR_SHADOW], 0);
    assert_int_equal(nexc, 0);
    assert_int_equal(st[VS_DR6], 0xffff0ff0);
}

static void test_complete_single_step(void **state)
{
    (void)state;
    reset_vcpu(EXIT_MSR_READ, 3);
    st[VS_RIP] = 0x2000;
    st[VS_RFLAGS] = 0x102;
    st[VS_DR6] = 0xffff0ff3;    /* stale B0/B1 from an earlier breakpoint */
    vcpu_complete_insn(&vc);
    assert_int_equal(st[VS_RIP], 0x2003);
    assert_int_equal(nexc, 1);
    assert_int_equal(exc_vec, 1);
    assert_int_equal(st[VS_DR6], 0xffff4ff0);
}

static void test_complete_decodes_without_length(void **state)
{
    (void)state;
    fake_mem_init(MEM);
    memset(&vm_layout, 0, sizeof vm_layout);
    /* 32-bit flat protected mode, paging off: "2e 66 0f a2" at CS.base 0x1000 + EIP 0x234. */
    memcpy(fake_mem + 0x1234, "\x2e\x66\x0f\xa2", 4);
    reset_vcpu(EXIT_CPUID, 0);
    st[VS_CR0] = 0x11;
    st[VS_CS_BASE] = 0x1000;
    st[VS_CS_FLAGS] = CS_FLAG_D;
    st[VS_RIP] = 0x234;
    vcpu_complete_insn(&vc);
    assert_int_equal(st[VS_RIP], 0x238);
    assert_false(vc.stop);

    /* Long mode: REX.W RDMSR through 4-level tables; CS base ignored. */
    put64(0x30000, 0x31000 | 1);
    put64(0x31000, 0x32000 | 1);
    put64(0x32000, 0x33000 | 1);
    put64(0x33000 + 5 * 8, 0x150000 | 1);
    memcpy(fake_mem + 0x150ffe, "\x66\x48", 2);     /* crosses into the next page */
    put64(0x33000 + 6 * 8, 0x170000 | 1);
    memcpy(fake_mem + 0x170000, "\x0f\x32", 2);
    reset_vcpu(EXIT_MSR_READ, 0);
    st[VS_CR0] = 0x80000011;
    st[VS_CR3] = 0x30000;
    st[VS_CR4] = 1 << 5;
    st[VS_EFER] = (1 << 8) | (1 << 10);
    st[VS_CS_FLAGS] = CS_FLAG_L;
    st[VS_CS_BASE] = 0xdead0000;
    st[VS_RIP] = 0x5ffe;
    vcpu_complete_insn(&vc);
    assert_false(vc.stop);
    assert_int_equal(st[VS_RIP], 0x5ffe + 4);
    fake_mem_free();
}

/* Paging off: the decode is cached, and a change of the bytes is seen. */
static void test_complete_cache(void **state)
{
    (void)state;
    fake_mem_init(MEM);
    memset(&vm_layout, 0, sizeof vm_layout);
    memcpy(fake_mem + 0x2000, "\x66\x2e\x0f\xa2", 4);
    reset_vcpu(EXIT_CPUID, 0);
    st[VS_CR0] = 0x11;
    st[VS_RIP] = 0x2000;
    vcpu_complete_insn(&vc);
    assert_int_equal(st[VS_RIP], 0x2004);
    assert_int_equal(vc.insn_cache[INSN_CACHE_CPUID].len, 4);
    assert_int_equal(vc.insn_cache[INSN_CACHE_CPUID].la, 0x2000);
    /* Same place again: the cached length. */
    vc.exit.insn_len = 0;
    st[VS_RIP] = 0x2000;
    vcpu_complete_insn(&vc);
    assert_int_equal(st[VS_RIP], 0x2004);
    /* The guest rewrote its code: "0f a2 90 90" is two bytes long. */
    memcpy(fake_mem + 0x2000, "\x0f\xa2\x90\x90", 4);
    vc.exit.insn_len = 0;
    st[VS_RIP] = 0x2000;
    vcpu_complete_insn(&vc);
    assert_int_equal(st[VS_RIP], 0x2002);
    /* Another exit kind at the same address is decoded, not taken from the cache. */
    memcpy(fake_mem + 0x2000, "\x0f\x32", 2);
    vc.exit.kind = EXIT_MSR_READ;
    vc.exit.insn_len = 0;
    st[VS_RIP] = 0x2000;
    vcpu_complete_insn(&vc);
    assert_false(vc.stop);
    assert_int_equal(st[VS_RIP], 0x2002);
    assert_int_equal(vc.insn_cache[INSN_CACHE_RDMSR].len, 2);
    /* Paging on: nothing cached. */
    vc.insn_cache[INSN_CACHE_RDMSR].la = INSN_CACHE_EMPTY;
    put64(0x30000, 0x31000 | 1);
    put64(0x31000, 0x32000 | 1);
    put64(0x32000, 0x33000 | 1);
    put64(0x33000 + 2 * 8, 0x2000 | 1);
    vc.exit.insn_len = 0;
    st[VS_CR0] = 0x80000011;
    st[VS_CR3] = 0x30000;
    st[VS_CR4] = 1 << 5;
    st[VS_EFER] = (1 << 8) | (1 << 10);
    st[VS_CS_FLAGS] = CS_FLAG_L;
    st[VS_RIP] = 0x2000;
    vcpu_complete_insn(&vc);
    assert_int_equal(st[VS_RIP], 0x2002);
    assert_true(vc.insn_cache[INSN_CACHE_RDMSR].la == INSN_CACHE_EMPTY);
    fake_mem_free();
}

static void test_complete_stops_when_unreadable(void **state)
{
    (void)state;
    fake_mem_init(MEM);
    memset(&vm_layout, 0, sizeof vm_layout);
    /* RIP beyond guest RAM. */
    reset_vcpu(EXIT_CPUID, 0);
    st[VS_CR0] = 0x11;
    st[VS_RIP] = MEM + 0x1000;
    capture_start();
    vcpu_complete_insn(&vc);
    assert_true(vc.stop);
    assert_int_equal(vc.stop_code, 125);
    assert_int_equal(st[VS_RIP], MEM + 0x1000);     /* not moved */
    assert_true(log_has("cannot complete the guest's cpuid"));
    /* The bytes are not the instruction the exit names: stop, never guess. */
    memcpy(fake_mem + 0x3000, "\x0f\x32", 2);
    reset_vcpu(EXIT_CPUID, 0);
    st[VS_CR0] = 0x11;
    st[VS_RIP] = 0x3000;
    vcpu_complete_insn(&vc);
    assert_true(vc.stop);
    assert_int_equal(st[VS_RIP], 0x3000);
    fake_mem_free();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_walk_modes),
        cmocka_unit_test(test_walk_refuses_keel_region),
        cmocka_unit_test(test_complete_basic),
        cmocka_unit_test(test_complete_single_step),
        cmocka_unit_test(test_complete_decodes_without_length),
        cmocka_unit_test(test_complete_cache),
        cmocka_unit_test(test_complete_stops_when_unreadable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
