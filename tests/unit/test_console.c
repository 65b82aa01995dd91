/* Unit tests for the shared serial line (vmm/console.c), the monitor
 * (vmm/monitor.c), the live MSR watch (vmm/msr.c) and the exit trace ring
 * (vmm/trace.c), against a fake UART and the fake vendor hooks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fake_arch.h"
#include "vmm/console.h"
#include "vmm/monitor.h"
#include "vmm/console_port.h"
#include "vmm/msr_impl.h"
#include "vmm/trace.h"
#include "vmm/cpuid.h"
#include "lib/log.h"

#include "log_capture.h"

/* ---- fake UART: what went on the wire, what waits to be received ---- */
static char wirebuf[1 << 16];
static size_t wirelen;
static uint8_t rxbuf[256];
static size_t rx_head, rx_len;
static unsigned settles;

static void fput(uint8_t c) { if (wirelen < sizeof(wirebuf) - 1) wirebuf[wirelen++] = (char)c, wirebuf[wirelen] = 0; }
static int fget(void) { return rx_head < rx_len ? rxbuf[rx_head++] : -1; }
static void fsettle(void) { settles++; }
static const struct console_hw fhw = { fput, fput, fget, fsettle };

static struct console con;
static struct fake_vcpu fv;
static struct msr_vcpu_state st;
static struct cpu_policy pol;
static struct msr_config cfg;
static struct cpuid_snapshot host;
static struct guest_layout layout;
static struct vcpu *vcpus[1];
static struct monitor mon;
static unsigned resets;
#define V (&fv.v)

extern uint8_t *fake_mem;
void fake_mem_init(uint64_t size);

/* Hooks the monitor needs that keel provides elsewhere. */
const char *exception_name(unsigned vector);
const char *exception_name(unsigned vector) { return vector == 13 ? "#GP general protection" : "exception"; }
void vm_end_checks(struct vm *vm);
void vm_end_checks(struct vm *vm) { (void)vm; klog("end checks"); }
/* One vCPU here: the end of the run has no other CPU to stop. */
bool smp_end_run(struct vcpu *v);
bool smp_end_run(struct vcpu *v) { (void)v; return true; }
void vcpu_stop(struct vcpu *v, int code);
void vcpu_stop(struct vcpu *v, int code) { v->stop = true, v->stop_code = code; }
const char *const exit_kind_names[EXIT_KIND_COUNT] = {
#define X(k, s, h) [k] = s,
    EXIT_KINDS(X)
#undef X
};
static void fake_reset(void) { resets++; }

/* A second vCPU "on another CPU" (test_policy_posted_to_a_running_vcpu):
 * smp_kick records the kick; the monitor's wait (host_pause) lets that
 * vCPU reach its next entry when remote_exits says it exits. */
static struct fake_vcpu fv1;
static struct msr_vcpu_state st1;
static unsigned kicks;
static bool remote_exits;
bool smp_kick(struct vcpu *t);
bool smp_kick(struct vcpu *t) { (void)t; kicks++; return true; }
bool smp_kick_init(struct vcpu *t);
bool smp_kick_init(struct vcpu *t) { (void)t; return false; }
void host_pause(unsigned long n);
void host_pause(unsigned long n)
{
    (void)n;
    if (remote_exits && (fv1.v.entry_work & ENTRY_WORK_MSR))
        msr_before_entry_slow(&fv1.v);
}

/* Copy of the wire without CRs, for readable comparisons. */
static const char *wire(void)
{
    static char out[sizeof(wirebuf)];
    size_t i, n = 0;
    for (i = 0; i < wirelen; i++)
        if (wirebuf[i] != '\r')
            out[n++] = wirebuf[i];
    out[n] = 0;
    return out;
}

static unsigned count_in(const char *hay, const char *needle)
{
    unsigned n = 0;
    for (; (hay = strstr(hay, needle)); hay += strlen(needle))
        n++;
    return n;
}

static void wire_reset(void) { wirelen = 0, wirebuf[0] = 0; }

static void con_sink(const char *s, unsigned long n) { console_keel_write(&con, s, n); }

static void type(const char *s)
{
    for (; *s; s++)
        console_rx(&con, V, (uint8_t)*s);
}

static int guest_byte(void)
{
    uint8_t lsr = console_guest_lsr(&con, V, rx_head < rx_len ? 0x61 : 0x60);
    if (!(lsr & 1))
        return -1;
    return console_guest_rbr(&con, V);
}

static int setup(void **state)
{
    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    cfg.filter.default_allow = true;
    memset(&pol, 0, sizeof(pol));
    pol.vendor = VENDOR_AMD;
    pol.feat[FEAT_MSR / 64] |= 1ull << (FEAT_MSR % 64);
    pol.feat[FEAT_APIC / 64] |= 1ull << (FEAT_APIC % 64);
    pol.feat[FEAT_LM / 64] |= 1ull << (FEAT_LM % 64);
    fake_host_reset();
    fake_vcpu_init(&fv);
    fv.v.policy = &pol;
    assert_int_equal(msr_vcpu_init(V, &st, &cfg), 0);
    vcpus[0] = V;
    memset(&layout, 0, sizeof(layout));
    layout.keel_base = 0x800000;
    layout.keel_end = 0xa00000;
    layout.nmap = 1;
    layout.map[0] = (struct mem_range){ 0, 0x800000, MEM_AVAILABLE };
    fake_mem_init(0x800000);
    memset(&host, 0, sizeof(host));
    mon = (struct monitor){ vcpus, 1, &layout, &host, &con, 0x3f8, 115200, false, fake_reset };
    console_init(&con, &fhw, true);
    console_set_exec(&con, monitor_exec, &mon);
    console_reset_sinks();
    console_add_sink(con_sink);
    wire_reset();
    rx_head = rx_len = 0;
    resets = 0;
    return 0;
}

/* ---- the input filter ---- */

static void test_guest_input_passes(void **state)
{
    (void)state;
    type("ls\r");
    assert_int_equal(guest_byte(), 'l');
    assert_int_equal(guest_byte(), 's');
    assert_int_equal(guest_byte(), '\r');
    assert_int_equal(guest_byte(), -1);
    assert_false(con.in_monitor);
}

static void test_one_or_two_ctrl_a_reach_the_guest(void **state)
{
    (void)state;
    type("\x01x\x01\x01y");
    assert_int_equal(guest_byte(), 1);
    assert_int_equal(guest_byte(), 'x');
    assert_int_equal(guest_byte(), 1);
    assert_int_equal(guest_byte(), 1);
    assert_int_equal(guest_byte(), 'y');
    assert_int_equal(guest_byte(), -1);
    assert_false(con.in_monitor);
}

static void test_held_ctrl_a_hides_data_ready(void **state)
{
    (void)state;
    type("\x01\x01");
    /* Held until the next byte says what they were: no DR for the guest. */
    assert_int_equal(console_guest_lsr(&con, V, 0x60) & 1, 0);
    type("z");
    assert_int_equal(console_guest_lsr(&con, V, 0x60) & 1, 1);
}

static void test_three_ctrl_a_switch_and_back(void **state)
{
    (void)state;
    type("\x01\x01\x01");
    assert_true(con.in_monitor);
    assert_non_null(strstr(wire(), "keel: monitor: input goes to keel now"));
    assert_non_null(strstr(wire(), "\nkeel> "));
    type("abc");
    assert_int_equal(guest_byte(), -1);          /* typed into the monitor, not the guest */
    type("\x01\x01\x01");
    assert_false(con.in_monitor);
    assert_non_null(strstr(wire(), "keel> abc\nkeel: monitor: input goes to the guest again\n"));
    type("q");
    assert_int_equal(guest_byte(), 'q');
}

static void test_quit_and_pulled_bytes(void **state)
{
    (void)state;
    memcpy(rxbuf, "\x01\x01\x01 quit \r\nk", 12);
    rx_len = 12;
    /* The guest looks at LSR: keel drains the chip through its filter;
     * only the 'k' after the monitor session is the guest's. */
    assert_int_equal(console_guest_lsr(&con, V, 0x61) & 1, 1);
    assert_false(con.in_monitor);
    assert_int_equal(guest_byte(), 'k');
    assert_non_null(strstr(wire(), "keel>  quit \nkeel: monitor: input goes to the guest again"));
}

/* keel's poll stops at the byte that gives input back: what follows stays
 * in the chip, whose interrupt then tells a listening guest. */
static void test_poll_leaves_guest_bytes_in_the_chip(void **state)
{
    (void)state;
    memcpy(rxbuf, "\x01\x01\x01quit\rab", 10);
    rx_len = 10;
    console_poll_rx(&con, V);
    assert_false(con.in_monitor);
    assert_int_equal(con.rx_count, 0);
    assert_int_equal(rx_head, 8);                 /* "ab" not taken */
    assert_int_equal(guest_byte(), 'a');          /* the guest's own read drains it */
}

static void test_monitor_off_passes_everything(void **state)
{
    (void)state;
    console_init(&con, &fhw, false);
    type("\x01\x01\x01");
    assert_false(con.in_monitor);
    assert_int_equal(guest_byte(), 1);
    assert_int_equal(guest_byte(), 1);
    assert_int_equal(guest_byte(), 1);
}

static void test_rx_queue_full_counts_drops(void **state)
{
    unsigned i;
    (void)state;
    for (i = 0; i < CONSOLE_RXQ + 5; i++)
        console_rx(&con, V, 'a');
    assert_int_equal(con.rx_count, CONSOLE_RXQ);
    assert_int_equal(con.rx_dropped, 5);
}

/* ---- lines never split ---- */

static void test_keel_line_waits_for_the_guest_line(void **state)
{
    (void)state;
    console_guest_write(&con, 'a');
    console_guest_write(&con, 'b');
    klog("watch line");
    assert_string_equal(wire(), "ab");
    console_guest_write(&con, 'c');
    console_guest_write(&con, '\n');
    assert_string_equal(wire(), "abc\nkeel: watch line\n");
    assert_int_equal(con.lines_held, 1);
}

static void test_full_hold_buffer_breaks_the_guest_line(void **state)
{
    unsigned i;
    (void)state;
    console_guest_write(&con, '$');
    for (i = 0; i < 40; i++)
        klog("a line of keel output that is held while the guest line is open %u", i);
    assert_true(con.guest_breaks >= 1);
    assert_non_null(strstr(wire(), "$\nkeel: a line of keel output"));
    /* No keel line was cut: every one that went out is whole. */
    assert_true(count_in(wire(), "keel: a line") > 0);
    assert_int_equal(count_in(wire(), "keel: a line"), count_in(wire(), "is held while the guest line is open"));
    console_guest_write(&con, '\n');
    assert_int_equal(count_in(wire(), "keel: a line of keel output that is held while the guest line is open"), 40);
}

static void test_finish_writes_what_is_held(void **state)
{
    (void)state;
    console_guest_write(&con, 'x');
    klog("stats line");
    assert_string_equal(wire(), "x");
    console_finish(&con);
    assert_string_equal(wire(), "x\nkeel: stats line\n");
    type("\x01\x01\x01");
    console_guest_write(&con, 'y');
    wire_reset();
    console_finish(&con);
    assert_string_equal(wire(), "\ny\n");
    /* Stopping: keel's last lines are not held any more. */
    console_guest_write(&con, 'z');
    klog("exit status 0");
    assert_non_null(strstr(wire(), "keel: exit status 0\n"));
}

static void test_unwatched_output_holds_keel_lines_for_a_quiet_period(void **state)
{
    (void)state;
    console_set_watched(&con, false);       /* the guest ran without THR exits */
    klog("held");
    assert_string_equal(wire(), "");
    console_tick(&con);                     /* still unwatched: unknown */
    assert_string_equal(wire(), "");
    console_set_watched(&con, true);
    console_tick(&con);                     /* watched, and a quiet period: out it goes */
    assert_string_equal(wire(), "keel: held\n");
    console_set_watched(&con, false);
    klog("again");
    console_set_watched(&con, true);
    console_guest_write(&con, 'p');         /* now the guest's line is known to be open */
    console_tick(&con);
    console_tick(&con);
    assert_string_equal(wire(), "keel: held\np");
    console_guest_write(&con, '\n');
    assert_string_equal(wire(), "keel: held\np\nkeel: again\n");
    klog("after");
    assert_string_equal(wire(), "keel: held\np\nkeel: again\nkeel: after\n");
}

static void test_monitor_entry_ends_an_open_guest_line(void **state)
{
    (void)state;
    console_guest_write(&con, '~');
    console_guest_write(&con, ' ');
    type("\x01\x01\x01");
    assert_non_null(strstr(wire(), "~ \nkeel: monitor: input goes to keel now"));
    assert_int_equal(con.guest_breaks, 1);
}

static void test_guest_output_waits_for_the_prompt(void **state)
{
    (void)state;
    type("\x01\x01\x01");
    wire_reset();
    type("he");
    console_guest_write(&con, 'G');
    console_guest_write(&con, '\n');
    assert_string_equal(wire(), "he");           /* held while the prompt line is open */
    type("lp\r");
    assert_non_null(strstr(wire(), "help\nkeel: monitor: commands"));
    assert_non_null(strstr(wire(), "quit"));
    assert_non_null(strstr(wire(), "\nG\nkeel> "));   /* after the command's output, then the prompt */
}

static void test_async_keel_line_redraws_the_prompt(void **state)
{
    (void)state;
    type("\x01\x01\x01");
    type("sta");
    wire_reset();
    klog("msr watch: something");
    assert_string_equal(wire(), "\nkeel: msr watch: something\nkeel> sta");
    assert_int_equal(con.prompt_redraws, 1);
}

static void test_line_editor(void **state)
{
    (void)state;
    type("\x01\x01\x01");
    type("stx\x7f");
    assert_int_equal(con.line_len, 2);
    type("\x03");
    assert_int_equal(con.line_len, 0);
    wire_reset();
    type("bogus\r\n");
    assert_string_equal(wire(), "bogus\nkeel: monitor: unknown command 'bogus' ('help' lists them)\nkeel> ");
    wire_reset();
    type("\r");                                   /* an empty line: just the prompt again */
    assert_string_equal(wire(), "\nkeel> ");
}

/* ---- commands and their errors ---- */

static void run(const char *cmd)
{
    char line[CONSOLE_LINE];
    snprintf(line, sizeof(line), "%s", cmd);
    capture_start();
    monitor_exec(&mon, V, line);
}

static void test_split(void **state)
{
    char line[64] = "  msr  watch\ton 0x10 ";
    char *argv[4];
    (void)state;
    assert_int_equal(monitor_split(line, argv, 4), 4);
    assert_string_equal(argv[0], "msr");
    assert_string_equal(argv[3], "0x10");
    strcpy(line, "a b c d e");
    assert_int_equal(monitor_split(line, argv, 4), -1);
    strcpy(line, "   ");
    assert_int_equal(monitor_split(line, argv, 4), 0);
}

static void test_bad_commands_are_one_line(void **state)
{
    static const char *const bad[][2] = {
        { "nope", "keel: monitor: unknown command 'nope'" },
        { "stats 1", "keel: monitor: stats: no vcpu 1 (this VM has 1)" },
        { "stats x", "keel: monitor: stats: 'x' is not a vcpu number" },
        { "regs 0 1", "keel: monitor: regs: too many arguments" },
        { "trace 0 0", "keel: monitor: trace: n must be 1..64" },
        { "trace 0 65", "keel: monitor: trace: n must be 1..64" },
        { "msr foo", "keel: monitor: msr: unknown form 'foo'" },
        { "msr watch", "keel: monitor: msr: watch needs on or off" },
        { "msr watch on 0x20-0x10", "keel: monitor: msr: bad MSR range '0x20-0x10'" },
        { "msr watch off 0x10", "keel: monitor: msr: off takes no range" },
        { "filter", "keel: monitor: filter: missing argument" },
        { "filter add", "keel: monitor: filter: unknown form 'add'" },
        { "filter add deny:r:zz", "keel: monitor: filter: msr.filter: bad MSR index 'zz'" },
        { "filter add deny:r:1 cpu=3", "keel: monitor: filter: no vcpu 3" },
        { "filter del 0", "keel: monitor: filter: vcpu 0 has no range 0 (it has 0)" },
        { "filter default maybe", "keel: monitor: filter: msr.filter.default: bad value 'maybe'" },
        { "cpuid 0x1.x", "keel: monitor: cpuid: bad leaf '0x1.x'" },
        { "mem", "keel: monitor: mem: missing argument" },
        { "mem 0x900000", "keel: monitor: mem: [0x900000-0x900040) touches keel's region [0x800000-0xa00000): refused" },
        { "mem 0x7ffff0 64", "keel: monitor: mem: [0x7ffff0-0x800030) touches keel's region" },
        { "mem 0xb00000", "keel: monitor: mem: [0xb00000-0xb00040) is not guest RAM" },
        { "mem 0 0", "keel: monitor: mem: len must be 1..512" },
        { "log 1", "keel: monitor: log: too many arguments" },
        { "a b c d e f g h i", "keel: monitor: too many words (at most 8)" },
    };
    unsigned i;
    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        run(bad[i][0]);
        if (!strstr(logbuf, bad[i][1]))
            fail_msg("'%s' printed '%s', expected '%s'", bad[i][0], logbuf, bad[i][1]);
        assert_int_equal(log_count("\n"), 1);
    }
}

static void test_filter_commands_change_the_bitmaps(void **state)
{
    uint64_t val;
    unsigned bit = 0x1b;
    (void)state;
    assert_int_equal(msr_read(V, 0x1b, &val), MSR_OK);
    run("filter add deny:r:0x1b");
    assert_true(log_has("keel: filter:   0: deny:r:0x1b-0x1b"));
    assert_int_equal(msr_read(V, 0x1b, &val), MSR_GP);
    assert_true(fv.last_mi.read[0][bit / 8] & (1u << (bit % 8)));
    /* Added ranges go first: the newest decides. */
    run("filter add allow:r:0x10-0x20");
    assert_true(log_has("keel: filter:   0: allow:r:0x10-0x20"));
    assert_true(log_has("keel: filter:   1: deny:r:0x1b-0x1b"));
    assert_int_equal(msr_read(V, 0x1b, &val), MSR_OK);
    run("filter del 0");
    assert_int_equal(msr_read(V, 0x1b, &val), MSR_GP);
    run("filter del 0");
    assert_true(log_has("keel: filter: vcpu 0: 0 range(s), default allow"));
    assert_int_equal(msr_read(V, 0x1b, &val), MSR_OK);
    run("filter default deny cpu=0");
    assert_true(log_has("default deny"));
    assert_int_equal(msr_read(V, 0x1b, &val), MSR_GP);
    run("filter list");
    assert_true(log_has("keel: filter: vcpu 0: 0 range(s), default deny, denials so far 3"));
}

/* Two vCPUs; the monitor runs in vcpu 0's exit and changes vcpu 1, which
 * may be in the guest on its CPU: vcpu 1's filter, row flags and bitmaps
 * change only when vcpu 1 itself reaches an entry. */
static void test_policy_posted_to_a_running_vcpu(void **state)
{
    struct vcpu *two[2] = { V, &fv1.v };
    uint64_t val;
    unsigned bit = 0x1b;
    (void)state;
    fake_vcpu_init(&fv1);
    fv1.v.policy = &pol;
    fv1.v.id = fv1.v.index = 1;
    assert_int_equal(msr_vcpu_init(&fv1.v, &st1, &cfg), 0);
    mon.vcpus = two, mon.nvcpus = 2;
    kicks = 0;
    /* vcpu 1 takes it at its next entry, while the monitor waits. */
    remote_exits = true;
    run("filter add deny:r:0x1b cpu=1");
    assert_int_equal(kicks, 1);
    assert_true(log_has("keel: filter: vcpu 1: 1 range(s)"));
    assert_false(log_has("has not exited since"));
    assert_int_equal(msr_read(&fv1.v, 0x1b, &val), MSR_GP);
    assert_true(fv1.last_mi.read[0][bit / 8] & (1u << (bit % 8)));
    assert_int_equal(msr_read(V, 0x1b, &val), MSR_OK);       /* vcpu 0 untouched */
    /* vcpu 1 never exits: posted, not applied; its exit path keeps the old
     * policy; a second change is refused until it takes the first. */
    remote_exits = false;
    run("filter del 0 cpu=1");
    assert_true(log_has("keel: filter: vcpu 1 has not exited since"));
    assert_true(fv1.v.entry_work & ENTRY_WORK_MSR);
    assert_int_equal(msr_read(&fv1.v, 0x1b, &val), MSR_GP);
    run("filter default deny cpu=1");
    assert_true(log_has("keel: monitor: filter: vcpu 1 has not taken the previous change yet"));
    msr_before_entry_slow(&fv1.v);                            /* its next entry */
    assert_true(msr_policy_taken(&fv1.v));
    assert_int_equal(msr_read(&fv1.v, 0x1b, &val), MSR_OK);
    /* A watch goes to every vCPU: vcpu 0 (the monitor's) at once. */
    remote_exits = true;
    run("msr watch on 0x1b");
    assert_true(st.watch_on && st1.watch_on);
    run("msr watch off");
    assert_false(st.watch_on || st1.watch_on);
    mon.vcpus = vcpus, mon.nvcpus = 1;
}

/* OUTS decode (vmm/console_outs.c): prefixes, modes, what is not OUTS. */
static void test_outs_decode(void **state)
{
    struct outs_insn d;
    bool done;
    (void)state;
    assert_true(outs_decode((const uint8_t[]){ 0xf3, 0x6e }, 2, 4, &d));
    assert_int_equal(d.len, 2), assert_int_equal(d.size, 1), assert_int_equal(d.addr_size, 4);
    assert_true(d.rep), assert_int_equal(d.seg, OUTS_SEG_DS);
    /* addr16 rep fs outsb in 32-bit mode: SI/CX, FS. */
    assert_true(outs_decode((const uint8_t[]){ 0x67, 0xf3, 0x64, 0x6e }, 4, 4, &d));
    assert_int_equal(d.len, 4), assert_int_equal(d.addr_size, 2), assert_int_equal(d.seg, OUTS_SEG_FS);
    /* 64-bit mode: 67 gives 32-bit addresses; REX before the opcode. */
    assert_true(outs_decode((const uint8_t[]){ 0x67, 0x48, 0x6e }, 3, 8, &d));
    assert_int_equal(d.len, 3), assert_int_equal(d.addr_size, 4), assert_false(d.rep);
    /* 16-bit mode: 66 6F is OUTSD, plain 6F OUTSW; ES override. */
    assert_true(outs_decode((const uint8_t[]){ 0x66, 0x26, 0x6f }, 3, 2, &d));
    assert_int_equal(d.size, 4), assert_int_equal(d.addr_size, 2), assert_int_equal(d.seg, OUTS_SEG_ES);
    assert_true(outs_decode((const uint8_t[]){ 0x6f }, 1, 2, &d));
    assert_int_equal(d.size, 2);
    assert_false(outs_decode((const uint8_t[]){ 0xee }, 1, 4, &d));            /* OUT DX, AL */
    assert_false(outs_decode((const uint8_t[]){ 0xf3, 0x6c }, 2, 4, &d));      /* INSB */
    assert_false(outs_decode((const uint8_t[]){ 0xf3 }, 1, 4, &d));            /* cut short */
    /* Chunks: the count within the address size; long REPs resume. */
    d = (struct outs_insn){ 2, 1, 2, true, OUTS_SEG_DS };
    assert_int_equal(outs_chunk(&d, 0x12340005, &done), 5), assert_true(done);
    assert_int_equal(outs_chunk(&d, 0x10000, &done), 0), assert_true(done);      /* CX = 0 */
    d.addr_size = 8;
    assert_int_equal(outs_chunk(&d, 1000, &done), OUTS_MAX_PER_EXIT), assert_false(done);
    d.rep = false;
    assert_int_equal(outs_chunk(&d, 0, &done), 1), assert_true(done);
    /* Register updates: 16-bit keeps 63:16, 32-bit zero-extends, 64-bit wraps. */
    assert_int_equal(outs_reg_advance(0xabcdffffull, 1, 2), 0xabcd0000ull);
    assert_int_equal(outs_reg_advance(0xffffffff00000010ull, -1, 4), 0xfull);
    assert_int_equal(outs_reg_advance(0, -1, 8), ~0ull);
}

static void test_watch_intercepts_passthrough_then_restores(void **state)
{
    const uint32_t kgs = 0xc0000102;   /* KERNEL_GS_BASE: passed through by the table */
    unsigned bit = kgs - 0xc0000000u;
    uint64_t val;
    (void)state;
    assert_false(fv.last_mi.read[1][bit / 8] & (1u << (bit % 8)));
    run("msr watch on 0xc0000100-0xc0000102");
    assert_true(log_has("keel: msr watch: on for 0xc0000100-0xc0000102"));
    assert_true(fv.last_mi.read[1][bit / 8] & (1u << (bit % 8)));
    assert_true(fv.last_mi.write[1][bit / 8] & (1u << (bit % 8)));
    fv.state[VS_KERNEL_GS_BASE] = 0x1234;
    capture_start();
    assert_int_equal(msr_read(V, kgs, &val), MSR_OK);
    assert_int_equal(val, 0x1234);
    assert_true(log_has("keel: msr watch: vcpu 0 rdmsr 0xc0000102 IA32_KERNEL_GS_BASE = 0x1234 passed"));
    run("msr watch off");
    assert_false(fv.last_mi.read[1][bit / 8] & (1u << (bit % 8)));
    capture_start();
    assert_int_equal(msr_read(V, kgs, &val), MSR_OK);
    assert_false(log_has("msr watch:"));
}

static void test_watch_outcomes_and_rate_limit(void **state)
{
    uint64_t val;
    unsigned i;
    (void)state;
    run("msr watch on 0x1b");
    capture_start();
    assert_int_equal(msr_read(V, 0x1b, &val), MSR_OK);
    assert_true(log_has("rdmsr 0x0000001b IA32_APIC_BASE = 0x"));
    assert_true(log_has(" handled"));
    assert_int_equal(msr_write(V, 0x1b, 1ull << 63), MSR_GP);    /* reserved bit */
    assert_true(log_has("wrmsr 0x0000001b IA32_APIC_BASE <- 0x8000000000000000 #GP"));
    run("filter add deny:r:0x1b");
    capture_start();
    assert_int_equal(msr_read(V, 0x1b, &val), MSR_GP);
    assert_true(log_has("rdmsr 0x0000001b IA32_APIC_BASE = - filtered"));
    run("filter del 0");
    run("msr watch on 0x1b");
    capture_start();
    for (i = 0; i < 100; i++)
        (void)msr_read(V, 0x1b, &val);
    /* The first 32, then the 64th (saying 31 were not shown). */
    assert_int_equal(log_count("keel: msr watch: vcpu 0"), 33);
    assert_true(log_has("(31 not shown)"));
}

static void test_watch_unknown_msr(void **state)
{
    uint64_t val;
    (void)state;
    run("msr watch on 0x12345");
    capture_start();
    assert_int_equal(msr_read(V, 0x12345, &val), MSR_GP);
    assert_true(log_has("keel: msr watch: vcpu 0 rdmsr 0x00012345 (unknown) = - #GP"));
}

static void test_stats_regs_trace_cpuid_mem(void **state)
{
    uint64_t *pt = (uint64_t *)fake_mem;
    unsigned i;
    (void)state;
    V->stats.count[EXIT_CPUID] = 5;
    run("stats");
    assert_true(log_has("keel: stats: vcpu 0"));
    assert_true(log_has("keel: exit statistics: 5 exits"));
    assert_false(log_has("end checks"));         /* in the middle of a run */
    run("stats 0");
    assert_true(log_has("keel:   cpuid"));

    /* regs: long mode, RIP 0x400123 mapped by a 4-level walk to 0x5123. */
    pt[0x1000 / 8] = 0x2000 | 1;        /* PML4[0] */
    pt[0x2000 / 8] = 0x3000 | 1;        /* PDPT[0] */
    pt[0x3000 / 8 + 2] = 0x4000 | 1;    /* PD[2] (0x400000) */
    pt[0x4000 / 8] = 0x5000 | 1;        /* PT[0] */
    memcpy(fake_mem + 0x5123, "\x0f\xa2\x90", 3);
    fv.state[VS_RIP] = 0x400123;
    fv.state[VS_CR0] = 0x80000011;
    fv.state[VS_CR4] = 0x20;
    fv.state[VS_EFER] = 0x500;
    fv.state[VS_CR3] = 0x1000;
    V->regs.rax = 0xabc;
    run("regs");
    assert_true(log_has("keel: regs: vcpu 0 rip 0000000000400123"));
    assert_true(log_has("rax 0000000000000abc"));
    assert_true(log_has("keel: regs: code at rip (gpa 0x5123): 0f a2 90"));
    fv.state[VS_RIP] = 0x7fff0000;
    run("regs 0");
    assert_true(log_has("keel: regs: code at rip: not mapped"));

    for (i = 0; i < 70; i++) {
        /* As the vendors' decode records a hot exit (the MSR index in detail). */
        V->exit = (struct vm_exit){ .kind = EXIT_MSR_READ, .rip = 0x1000 + i, .raw_info1 = 0 };
        trace_hot(V, EXIT_MSR_READ, V->exit.rip, 0x10 + i);
        if (i == 69)
            trace_set_result(V, 0x80 | 13);
    }
    run("trace 0 2");
    assert_true(log_has("keel: trace: vcpu 0, last 2 of 70 exits"));
    assert_true(log_has("keel: trace:       69 rdmsr          0x0000000000001044"));
    assert_true(log_has("msr 0x54"));
    assert_true(log_has("msr 0x55         #GP injected"));
    /* A hot exit's qualification is not recorded: shown as "-". */
    assert_true(log_has("0x0000000000001045 -                  msr 0x55"));
    assert_false(log_has("msr 0x53"));
    run("trace");
    assert_int_equal(log_count("keel: trace: "), 18);

    run("mem 0x5120 8");
    assert_true(log_has("keel: mem: 0000000000005120: 00 00 00 0f a2 90 00 00"));
    run("log");
    assert_true(log_has("keel: log: every keel line (level all) to port 0x3f8 at 115200 baud; monitor on"));
    assert_true(log_has("keel: log: guest output watched (RBR/THR and LSR exit)"));
    run("help");
    assert_true(log_has("msr watch on|off [FIRST[-LAST]]"));
    run("reset");
    assert_int_equal(resets, 1);
    run("poweroff");
    assert_true(V->stop);
    assert_int_equal(V->stop_code, 0);
    assert_true(log_has("keel: guest exit 0 (monitor: poweroff)"));
    assert_true(log_has("keel: end checks"));           /* the end of the run */
}

static void test_trace_kinds_and_results(void **state)
{
    static const struct { enum exit_kind k; uint8_t result; const char *want; } rows[] = {
        { EXIT_IO, TRACE_RESUMED, "port 0x3f8       resumed" },
        { EXIT_NPF, TRACE_STOPPED, "gpa 0x3f8        stopped" },
        { EXIT_EXCEPTION, 0x80 | 6, "vector 248       #UD injected" },
        { EXIT_CPUID, 0x80 | 14, "vector 14 injected" },
        { EXIT_HLT, 0x80 | 13, "#GP injected" },
    };
    unsigned i;
    (void)state;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        V->exit = (struct vm_exit){ .kind = rows[i].k, .rip = 0x10 };
        V->exit.u.npf.gpa = 0x3f8;
        trace_record(V, rows[i].k);
        trace_set_result(V, rows[i].result);
    }
    capture_start();
    trace_print(V, 200);                        /* more than recorded: what there is */
    assert_true(log_has("keel: trace: vcpu 0, last 5 of 5 exits"));
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (!log_has(rows[i].want))
            fail_msg("missing '%s' in:\n%s", rows[i].want, logbuf);
}

static bool rd(const struct guest_layout *g, uint64_t gpa, uint64_t *out)
{
    (void)g;
    if (gpa + 8 > 0x800000)
        return false;
    memcpy(out, fake_mem + gpa, 8);
    return true;
}

static void test_gva_walk_modes(void **state)
{
    uint64_t *pt = (uint64_t *)fake_mem, gpa = 0;
    (void)state;
    /* Paging off: identity. */
    assert_true(monitor_gva_to_gpa(0x11, 0, 0, 0, 0x1234, NULL, &layout, &gpa));
    assert_int_equal(gpa, 0x1234);
    /* 32-bit paging with a 4 MiB page (CR4.PSE), and a 4 KiB page. */
    {
        uint32_t *pd = (uint32_t *)(fake_mem + 0x6000), *ptab = (uint32_t *)(fake_mem + 0x7000);
        pd[3] = 0x00400000u | 0x81;
        pd[4] = 0x7000 | 1;
        ptab[5] = 0x9000 | 1;
        assert_true(monitor_gva_to_gpa(0x80000001, 0x10, 0, 0x6000, 0x00c01234, rd, &layout, &gpa));
        assert_int_equal(gpa, 0x401234);
        assert_true(monitor_gva_to_gpa(0x80000001, 0x10, 0, 0x6000, 0x01005678, rd, &layout, &gpa));
        assert_int_equal(gpa, 0x9678);
        assert_false(monitor_gva_to_gpa(0x80000001, 0x10, 0, 0x6000, 0x01405678, rd, &layout, &gpa));
    }
    /* PAE with a 2 MiB page. */
    pt[0x8000 / 8 + 1] = 0xa000 | 1;           /* PDPTE[1] */
    pt[0xa000 / 8 + 3] = 0x600000 | 0x81;      /* PDE[3], PS */
    assert_true(monitor_gva_to_gpa(0x80000001, 0x20, 0, 0x8000, 0x40000000ull + 3 * 0x200000 + 0x1234, rd, &layout,
                                   &gpa));
    assert_int_equal(gpa, 0x601234);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_guest_input_passes, setup),
        cmocka_unit_test_setup(test_one_or_two_ctrl_a_reach_the_guest, setup),
        cmocka_unit_test_setup(test_held_ctrl_a_hides_data_ready, setup),
        cmocka_unit_test_setup(test_three_ctrl_a_switch_and_back, setup),
        cmocka_unit_test_setup(test_quit_and_pulled_bytes, setup),
        cmocka_unit_test_setup(test_monitor_off_passes_everything, setup),
        cmocka_unit_test_setup(test_rx_queue_full_counts_drops, setup),
        cmocka_unit_test_setup(test_keel_line_waits_for_the_guest_line, setup),
        cmocka_unit_test_setup(test_full_hold_buffer_breaks_the_guest_line, setup),
        cmocka_unit_test_setup(test_monitor_entry_ends_an_open_guest_line, setup),
        cmocka_unit_test_setup(test_finish_writes_what_is_held, setup),
        cmocka_unit_test_setup(test_unwatched_output_holds_keel_lines_for_a_quiet_period, setup),
        cmocka_unit_test_setup(test_guest_output_waits_for_the_prompt, setup),
        cmocka_unit_test_setup(test_async_keel_line_redraws_the_prompt, setup),
        cmocka_unit_test_setup(test_line_editor, setup),
        cmocka_unit_test_setup(test_split, setup),
        cmocka_unit_test_setup(test_bad_commands_are_one_line, setup),
        cmocka_unit_test_setup(test_filter_commands_change_the_bitmaps, setup),
        cmocka_unit_test_setup(test_watch_intercepts_passthrough_then_restores, setup),
        cmocka_unit_test_setup(test_watch_outcomes_and_rate_limit, setup),
        cmocka_unit_test_setup(test_watch_unknown_msr, setup),
        cmocka_unit_test_setup(test_stats_regs_trace_cpuid_mem, setup),
        cmocka_unit_test_setup(test_gva_walk_modes, setup),
        cmocka_unit_test_setup(test_trace_kinds_and_results, setup),
        cmocka_unit_test(test_outs_decode),
        cmocka_unit_test_setup(test_poll_leaves_guest_bytes_in_the_chip, setup),
        cmocka_unit_test_setup(test_policy_posted_to_a_running_vcpu, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
