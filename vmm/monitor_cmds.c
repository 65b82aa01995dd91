/* The monitor's commands (table in vmm/monitor.c). Each checks its
 * arguments, then prints klog lines; errors are one mon_bad() line. */
#include "vmm/monitor_impl.h"
#include "vmm/arch_hooks.h"
#include "vmm/console.h"
#include "vmm/cpuid.h"
#include "vmm/exit_handlers.h"
#include "vmm/msr.h"
#include "vmm/stats.h"
#include "vmm/run.h"
#include "vmm/smp.h"
#include "vmm/smp_limits.h"
#include "vmm/trace.h"
#include "lib/format.h"
#include "lib/log.h"
#include "lib/string.h"

/* Run one() on each vCPU that argv[1] selects (all if absent); returns
 * how many, 0 after a one-line error. */
static unsigned each_selected(struct monitor *m, const struct cmd *c, int argc, char **argv,
                              void (*one)(struct monitor *m, struct vcpu *v, void *arg), void *arg)
{
    struct sel s;
    unsigned i;
    if (!mon_sel_arg(m, c, argc, argv, 1, &s))
        return 0;
    for (i = s.first; i <= s.last; i++)
        one(m, m->vcpus[i], arg);
    return s.last - s.first + 1;
}

static void stats_one(struct monitor *m, struct vcpu *v, void *total)
{
    (void)m;
    klog("stats: vcpu %u", v->id);
    stats_print_counts(v);
    *(uint64_t *)total += exit_stats_total(v);
}

void cmd_stats(struct monitor *m, struct vcpu *cur, const struct cmd *c, int argc, char **argv)
{
    uint64_t total = 0;
    unsigned n = each_selected(m, c, argc, argv, stats_one, &total);
    (void)cur;
    if (n > 1)
        klog("stats: %lu exits on %u vcpus", total, n);
}

static bool read64(const struct guest_layout *g, uint64_t gpa, uint64_t *out)
{
    const uint64_t *p = guest_phys_ptr(g, gpa, 8);
    if (!p)
        return false;
    *out = *p;
    return true;
}

/* A present 32-bit paging entry: table[idx] read through rd. */
static bool entry32(bool (*rd)(const struct guest_layout *g, uint64_t gpa, uint64_t *out),
                    const struct guest_layout *g, uint64_t table, uint64_t idx, uint32_t *e)
{
    uint64_t q;
    if (!rd(g, table + idx * 4, &q))
        return false;
    *e = (uint32_t)q;
    return *e & 1;
}

bool monitor_gva_to_gpa(uint64_t cr0, uint64_t cr4, uint64_t efer, uint64_t cr3, uint64_t gva,
                        bool (*rd)(const struct guest_layout *g, uint64_t gpa, uint64_t *out),
                        const struct guest_layout *g, uint64_t *gpa)
{
    const uint64_t addr_mask = 0x000ffffffffff000ull;
    uint64_t e, table;
    int level, shift;
    if (!(cr0 & (1u << 31))) {              /* CR0.PG = 0: no translation */
        *gpa = gva;
        return true;
    }
    if (!(cr4 & (1u << 5))) {               /* 32-bit paging (SDM 4.3) */
        uint32_t pde, pte;
        if (!entry32(rd, g, cr3 & 0xfffff000u, (gva >> 22) & 0x3ff, &pde))
            return false;
        if ((pde & 0x80) && (cr4 & (1u << 4))) {
            *gpa = (pde & 0xffc00000u) | (gva & 0x3fffff);
            return true;
        }
        if (!entry32(rd, g, pde & 0xfffff000u, (gva >> 12) & 0x3ff, &pte))
            return false;
        *gpa = (pte & 0xfffff000u) | (gva & 0xfff);
        return true;
    }
    if (efer & (1u << 10)) {                /* EFER.LMA: 4- or 5-level (SDM 4.5) */
        level = (cr4 & (1u << 12)) ? 5 : 4;
        table = cr3 & addr_mask;
    } else {                                /* PAE (SDM 4.4): four PDPTEs at CR3[31:5] */
        if (!rd(g, (cr3 & 0xffffffe0u) + ((gva >> 30) & 3) * 8, &e) || !(e & 1))
            return false;
        table = e & addr_mask;
        level = 2;
    }
    for (; level >= 1; level--) {
        shift = 12 + 9 * (level - 1);
        if (!rd(g, table + ((gva >> shift) & 0x1ff) * 8, &e) || !(e & 1))
            return false;
        if (level == 1 || (level <= 3 && (e & 0x80))) {
            uint64_t page = (1ull << shift) - 1;
            *gpa = (e & addr_mask & ~page) | (gva & page);
            return true;
        }
        table = e & addr_mask;
    }
    return false;
}

static void regs_one(struct monitor *m, struct vcpu *v, void *arg)
{
    const struct guest_regs *r = &v->regs;
    uint64_t rip = vcpu_get_state(v, VS_RIP), gpa;
    uint64_t cr0 = vcpu_get_state(v, VS_CR0), cr3 = vcpu_get_state(v, VS_CR3), cr4 = vcpu_get_state(v, VS_CR4);
    uint64_t efer = vcpu_get_state(v, VS_EFER);
    char bytes[64];
    (void)arg;
    /* RSP lives in the VMCB/VMCS, not in v->regs (vmm/vcpu.h). */
    klog("regs: vcpu %u rip %016lx rsp %016lx rflags %016lx cpl %lu", v->id, rip, vcpu_get_state(v, VS_RSP),
         vcpu_get_state(v, VS_RFLAGS), vcpu_get_state(v, VS_CPL));
    klog("regs: rax %016lx rbx %016lx rcx %016lx rdx %016lx", r->rax, r->rbx, r->rcx, r->rdx);
    klog("regs: rsi %016lx rdi %016lx rbp %016lx r8  %016lx", r->rsi, r->rdi, r->rbp, r->r8);
    klog("regs: r9  %016lx r10 %016lx r11 %016lx r12 %016lx", r->r9, r->r10, r->r11, r->r12);
    klog("regs: r13 %016lx r14 %016lx r15 %016lx", r->r13, r->r14, r->r15);
    klog("regs: cr0 %016lx cr2 %016lx cr3 %016lx cr4 %016lx", cr0, vcpu_get_state(v, VS_CR2), cr3, cr4);
    klog("regs: efer %016lx xcr0 %016lx pat %016lx", efer, vcpu_get_state(v, VS_XCR0), vcpu_get_state(v, VS_PAT));
    if (!monitor_gva_to_gpa(cr0, cr4, efer, cr3, rip, read64, m->layout, &gpa)) {
        klog("regs: code at rip: not mapped by the guest's page tables");
        return;
    }
    {   /* 15 bytes (the longest instruction), within one page */
        unsigned n = 15, i, k = 0;
        const uint8_t *p;
        if ((gpa & 0xfff) + n > 0x1000)
            n = (unsigned)(0x1000 - (gpa & 0xfff));
        p = guest_phys_ptr(m->layout, gpa, n);
        if (!p) {
            klog("regs: code at rip: gpa 0x%lx is not guest RAM", gpa);
            return;
        }
        for (i = 0; i < n; i++)
            k += (unsigned)ksnprintf(bytes + k, sizeof(bytes) - k, "%s%02x", i ? " " : "", p[i]);
        klog("regs: code at rip (gpa 0x%lx): %s", gpa, bytes);
    }
}

void cmd_regs(struct monitor *m, struct vcpu *cur, const struct cmd *c, int argc, char **argv)
{
    (void)cur;
    each_selected(m, c, argc, argv, regs_one, NULL);
}

static void trace_one(struct monitor *m, struct vcpu *v, void *n)
{
    (void)m;
    trace_print(v, (unsigned)*(uint64_t *)n);
}

void cmd_trace(struct monitor *m, struct vcpu *cur, const struct cmd *c, int argc, char **argv)
{
    uint64_t n = 16;
    (void)cur;
    if (argc > 2 && (!mon_num(argv[2], &n) || n == 0 || n > EXIT_TRACE_LEN)) {
        mon_bad(c, "n must be 1..%u, not '%s'", EXIT_TRACE_LEN, argv[2]);
        return;
    }
    each_selected(m, c, argc, argv, trace_one, &n);
}

/* ---- live MSR policy: filter and watch on running vCPUs ------------------ */

/* Pauses the monitor waits, at most, for the vCPUs it changed to take the
 * change (a bound so a vCPU that never exits cannot hang the monitor). */
#define POLICY_WAIT_PAUSES (1ul << 26)
#define POLICY_REKICK_PAUSES (1ul << 18)
_Static_assert(KEEL_MAX_CPUS <= 64, "policy_change keeps a bit per vCPU in a uint64_t");

/* What a policy command does to one vCPU's filter and watch. */
struct policy_edit {
    enum { EDIT_ADD, EDIT_DEL, EDIT_DEFAULT, EDIT_WATCH } op;
    struct msr_filter add;          /* EDIT_ADD: ranges; EDIT_DEFAULT: default_allow */
    uint64_t del;                   /* EDIT_DEL: range number */
    bool watch_on;
    uint32_t watch_first, watch_last;
};

static void policy_edit(struct msr_live_policy *p, const struct policy_edit *e)
{
    struct msr_filter *f = &p->filter;
    switch (e->op) {
    case EDIT_ADD:
        /* New ranges go first: the first match wins, so what was just
         * added takes effect over what was there. */
        memmove(&f->r[e->add.count], &f->r[0], f->count * sizeof(f->r[0]));
        memcpy(&f->r[0], &e->add.r[0], e->add.count * sizeof(f->r[0]));
        f->count += e->add.count;
        break;
    case EDIT_DEL:
        memmove(&f->r[e->del], &f->r[e->del + 1], (f->count - e->del - 1) * sizeof(f->r[0]));
        f->count--;
        break;
    case EDIT_DEFAULT:
        f->default_allow = e->add.default_allow;
        break;
    case EDIT_WATCH:
        p->watch_on = e->watch_on;
        p->watch_first = e->watch_first;
        p->watch_last = e->watch_last;
        p->watch_restart = true;
        break;
    }
}

/* Change the filter/watch of vCPUs [s->first, s->last] while they run.
 * The vCPU in whose exit the monitor runs (cur) is not running: it is
 * changed at once. Every other one may be in the guest on its own CPU,
 * where its MSR bitmap is read by the CPU during guest execution (SDM Vol.
 * 3C 25.6.9, APM Vol. 2 15.11) and its filter by its exit path: the new
 * policy is posted to it and it regenerates its bitmaps itself at its next
 * entry (msr_post_policy); an NMI makes it exit where keel can send one
 * (smp_kick). The monitor waits, bounded, until each has taken it, so the
 * lines printed after this are the policy in force. False (one error line,
 * nothing changed) if a vCPU still has an earlier change to take. */
static bool policy_change(struct monitor *m, struct vcpu *cur, const struct cmd *c, const struct sel *s,
                          const struct policy_edit *e)
{
    unsigned i;
    unsigned long waited = 0;
    uint64_t remote = 0, kicked = 0, initkicked = 0;   /* bit i: vcpu i changed from here, kicked */
    for (i = s->first; i <= s->last; i++)
        if (!msr_policy_taken(m->vcpus[i])) {
            mon_bad(c, "vcpu %u has not taken the previous change yet (no exit since): nothing changed", i);
            return false;
        }
    for (i = s->first; i <= s->last; i++) {
        struct vcpu *v = m->vcpus[i];
        struct msr_live_policy p;
        msr_live_policy_get(v, &p);
        policy_edit(&p, e);
        if (v == cur) {
            msr_apply_policy(v, &p);
        } else {
            msr_post_policy(v, &p);
            remote |= 1ull << i;
            if (smp_kick(v))
                kicked |= 1ull << i;
        }
    }
    for (i = s->first; i <= s->last; i++) {
        while (!msr_policy_taken(m->vcpus[i]) && waited < POLICY_WAIT_PAUSES) {
            host_pause(256);
            waited += 256;
            /* A kick that landed in keel between the target's entry_work
             * test and its entry was absorbed without an exit: kick again.
             * Without a cheap kick (VMX), once: an INIT, if it still has not
             * exited by itself. */
            if ((remote >> i & 1) && !(waited % POLICY_REKICK_PAUSES)) {
                if (kicked >> i & 1)
                    smp_kick(m->vcpus[i]);
                else if (!(initkicked >> i & 1) && smp_kick_init(m->vcpus[i]))
                    initkicked |= 1ull << i;
            }
        }
        if (msr_policy_taken(m->vcpus[i]) && (remote >> i & 1))
            klog("%s: vcpu %u took the change at its next exit (%s)", c->name, i,
                 (kicked >> i & 1)       ? "made to exit with an NMI"
                 : (initkicked >> i & 1) ? "made to exit with an INIT"
                                         : "it exited by itself");
        else if (!msr_policy_taken(m->vcpus[i]))
            klog("%s: vcpu %u has not exited since: it takes the change before it next enters the guest (the "
                 "exit that brings it to keel is still handled under the old policy)", c->name, i);
    }
    return true;
}

void cmd_msr(struct monitor *m, struct vcpu *cur, const struct cmd *c, int argc, char **argv)
{
    struct sel s;
    unsigned i;
    if (argc == 1) {
        msr_dump(m->vcpus[0]);
        return;
    }
    if (!strcmp(argv[1], "stats")) {
        if (argc > 3) {
            mon_bad(c, "too many arguments");
            return;
        }
        if (!mon_sel_arg(m, c, argc, argv, 2, &s))
            return;
        for (i = s.first; i <= s.last; i++)
            msr_print_stats(m->vcpus[i]);
        return;
    }
    if (!strcmp(argv[1], "watch")) {
        bool on;
        uint32_t first = 0, last = 0xffffffffu;
        if (argc < 3 || argc > 4 || (strcmp(argv[2], "on") && strcmp(argv[2], "off"))) {
            mon_bad(c, "watch needs on or off");
            return;
        }
        on = !strcmp(argv[2], "on");
        if (argc == 4 && (!on || !mon_msr_range(argv[3], &first, &last))) {
            mon_bad(c, on ? "bad MSR range '%s'" : "off takes no range ('%s')", argv[3]);
            return;
        }
        {
            struct sel all = { 0, m->nvcpus - 1 };
            struct policy_edit e = { .op = EDIT_WATCH, .watch_on = on, .watch_first = on ? first : 0,
                                     .watch_last = on ? last : 0 };
            if (!policy_change(m, cur, c, &all, &e))
                return;
        }
        if (on)
            klog("msr watch: on for 0x%x-0x%x on %u vcpu(s): passed-through MSRs there are intercepted while "
                 "watched", first, last, m->nvcpus);
        else
            klog("msr watch: off; intercepts as the table says");
        return;
    }
    if (argc == 2 && argv[1][0] >= '0' && argv[1][0] <= '9') {
        if (mon_sel_arg(m, c, argc, argv, 1, &s))
            msr_dump(m->vcpus[s.first]);
        return;
    }
    mon_bad(c, "unknown form '%s'", argv[1]);
}

static const char *acc_name(unsigned a)
{
    return a == MSR_ACC_R ? "r" : a == MSR_ACC_W ? "w" : "rw";
}

static void filter_list(struct vcpu *v)
{
    const struct msr_filter *f = &v->msr->filter;
    uint32_t k;
    klog("filter: vcpu %u: %u range(s), default %s, denials so far %lu", v->id, f->count,
         f->default_allow ? "allow" : "deny", v->msr->filter_denials);
    for (k = 0; k < f->count; k++)
        klog("filter:   %u: %s:%s:0x%x-0x%x", k, f->r[k].allow ? "allow" : "deny", acc_name(f->r[k].access),
             f->r[k].first, f->r[k].last);
}

void cmd_filter(struct monitor *m, struct vcpu *cur, const struct cmd *c, int argc, char **argv)
{
    struct sel s;
    struct policy_edit e;
    char err[120];
    unsigned i;
    if (!mon_sel_kw(m, c, &argc, argv, &s))
        return;
    if (!strcmp(argv[1], "list") && argc == 2) {
        for (i = s.first; i <= s.last; i++)
            filter_list(m->vcpus[i]);
        return;
    }
    if (!strcmp(argv[1], "add") && argc == 3) {
        e.op = EDIT_ADD;
        if (!msr_filter_parse(argv[2], NULL, &e.add, err, sizeof(err))) {
            mon_bad(c, "%s", err);
            return;
        }
        for (i = s.first; i <= s.last; i++)
            if (m->vcpus[i]->msr->filter.count + e.add.count > MSR_FILTER_MAX) {
                mon_bad(c, "vcpu %u would have more than %u ranges", i, MSR_FILTER_MAX);
                return;
            }
    } else if (!strcmp(argv[1], "del") && argc == 3) {
        e.op = EDIT_DEL;
        if (!mon_num(argv[2], &e.del)) {
            mon_bad(c, "'%s' is not a range number (see filter list)", argv[2]);
            return;
        }
        for (i = s.first; i <= s.last; i++)
            if (e.del >= m->vcpus[i]->msr->filter.count) {
                mon_bad(c, "vcpu %u has no range %s (it has %u)", i, argv[2], m->vcpus[i]->msr->filter.count);
                return;
            }
    } else if (!strcmp(argv[1], "default") && argc == 3) {
        e.op = EDIT_DEFAULT;
        if (!msr_filter_parse("", argv[2], &e.add, err, sizeof(err))) {
            mon_bad(c, "%s", err);
            return;
        }
    } else {
        mon_bad(c, "unknown form '%s'", argv[1]);
        return;
    }
    if (!policy_change(m, cur, c, &s, &e))
        return;
    for (i = s.first; i <= s.last; i++)
        filter_list(m->vcpus[i]);
}

void cmd_cpuid(struct monitor *m, struct vcpu *cur, const struct cmd *c, int argc, char **argv)
{
    uint64_t leaf, sub = 0;
    char *dot;
    struct cpuid_regs g, h;
    bool has;
    if (argc == 1) {
        policy_dump(cur->policy, m->host_cpuid);
        return;
    }
    dot = strchr(argv[1], '.');
    if (!parse_u64(argv[1], dot ? (size_t)(dot - argv[1]) : strlen(argv[1]), &leaf) || leaf > 0xffffffffull ||
        (dot && (!mon_num(dot + 1, &sub) || sub > 0xffffffffull))) {
        mon_bad(c, "bad leaf '%s'", argv[1]);
        return;
    }
    policy_cpuid(cur->policy, (uint32_t)leaf, (uint32_t)sub, &g);
    has = cpuid_snapshot_get(m->host_cpuid, (uint32_t)leaf, (uint32_t)sub, &h);
    if (has)
        klog("cpuid: %08lX.%02lX host %08X %08X %08X %08X | guest %08X %08X %08X %08X%s", leaf, sub, h.eax, h.ebx,
             h.ecx, h.edx, g.eax, g.ebx, g.ecx, g.edx, memcmp(&h, &g, sizeof(g)) ? " *" : "");
    else
        klog("cpuid: %08lX.%02lX host -------- -------- -------- -------- | guest %08X %08X %08X %08X", leaf, sub,
             g.eax, g.ebx, g.ecx, g.edx);
}

void cmd_log(struct monitor *m, struct vcpu *cur, const struct cmd *c, int argc, char **argv)
{
    const struct console *k = m->con;
    (void)cur, (void)c, (void)argc, (void)argv;
    klog("log: every keel line (level all) to port 0x%x at %u baud%s; monitor %s", m->port, m->baud,
         m->debugcon ? " and the 0xE9 debug console" : "", k && k->monitor_enabled ? "on" : "off");
    if (k) {
        klog("log: guest output %s", k->out_watched ? "watched (RBR/THR and LSR exit)" : "not watched (no exits)");
        klog("log: keel lines held for an open guest line %lu, guest lines ended by keel %lu, prompt redraws %lu, "
             "received bytes dropped %lu", k->lines_held, k->guest_breaks, k->prompt_redraws, k->rx_dropped);
    }
}

void cmd_mem(struct monitor *m, struct vcpu *cur, const struct cmd *c, int argc, char **argv)
{
    uint64_t gpa, len = 64, off;
    const uint8_t *p;
    (void)cur;
    if (!mon_num(argv[1], &gpa)) {
        mon_bad(c, "bad address '%s'", argv[1]);
        return;
    }
    if (argc > 2 && (!mon_num(argv[2], &len) || len == 0 || len > 512)) {
        mon_bad(c, "len must be 1..512, not '%s'", argv[2]);
        return;
    }
    if (gpa + len < gpa || (gpa < m->layout->keel_end && m->layout->keel_base < gpa + len)) {
        mon_bad(c, "[0x%lx-0x%lx) touches keel's region [0x%lx-0x%lx): refused", gpa, gpa + len,
            m->layout->keel_base, m->layout->keel_end);
        return;
    }
    p = guest_phys_ptr(m->layout, gpa, len);
    if (!p) {
        mon_bad(c, "[0x%lx-0x%lx) is not guest RAM", gpa, gpa + len);
        return;
    }
    for (off = 0; off < len; off += 16) {
        char hex[52], asc[20];
        unsigned i, k = 0, n = len - off < 16 ? (unsigned)(len - off) : 16;
        for (i = 0; i < n; i++) {
            k += (unsigned)ksnprintf(hex + k, sizeof(hex) - k, "%02x ", p[off + i]);
            asc[i] = p[off + i] >= 0x20 && p[off + i] < 0x7f ? (char)p[off + i] : '.';
        }
        asc[n] = 0;
        klog("mem: %016lx: %-48s|%s|", gpa + off, hex, asc);
    }
}

void cmd_poweroff(struct monitor *m, struct vcpu *cur, const struct cmd *c, int argc, char **argv)
{
    unsigned i;
    (void)c, (void)argc, (void)argv;
    /* One report: stats_print parks the other vCPUs and prints every
     * vCPU's counts, naming the one this CPU runs as where the run ended. */
    stats_print(cur ? cur : m->vcpus[0]);
    klog("guest exit 0 (monitor: poweroff)");
    for (i = 0; i < m->nvcpus; i++)
        vcpu_stop(m->vcpus[i], 0);
}

void cmd_reset(struct monitor *m, struct vcpu *cur, const struct cmd *c, int argc, char **argv)
{
    (void)cur, (void)argc, (void)argv;
    if (!m->reset) {
        mon_bad(c, "no reset method");
        return;
    }
    klog("monitor: resetting the machine");
    m->reset();
}
