/* keel's monitor: the command table, the word splitter and the argument
 * helpers. Commands (vmm/monitor_cmds.c) print klog lines; they run in the
 * exit context of the vCPU that delivered the command's Enter
 * (docs/console.md). */
#include "vmm/monitor_impl.h"
#include "lib/format.h"
#include "lib/log.h"
#include "lib/string.h"
#include <stdarg.h>

void mon_bad(const struct cmd *c, const char *fmt, ...)
{
    char msg[120];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    klog("monitor: %s: %s (usage: %s)", c->name, msg, c->usage);
}

int monitor_split(char *line, char **argv, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            return n;
        if (n == max)
            return -1;
        argv[n++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if (*p)
            *p++ = 0;
    }
}

bool mon_num(const char *s, uint64_t *out)
{
    return parse_u64(s, strlen(s), out);
}

/* A vCPU number that exists; else one error line. */
bool mon_cpu_arg(struct monitor *m, const struct cmd *c, const char *s, unsigned *out)
{
    uint64_t n;
    if (!mon_num(s, &n)) {
        mon_bad(c, "'%s' is not a vcpu number", s);
        return false;
    }
    if (n >= m->nvcpus) {
        mon_bad(c, "no vcpu %s (this VM has %u)", s, m->nvcpus);
        return false;
    }
    *out = (unsigned)n;
    return true;
}


bool mon_sel_arg(struct monitor *m, const struct cmd *c, int argc, char **argv, int at, struct sel *s)
{
    s->first = 0;
    s->last = m->nvcpus - 1;
    if (argc > at) {
        if (!mon_cpu_arg(m, c, argv[at], &s->first))
            return false;
        s->last = s->first;
    }
    return true;
}

/* "cpu=N" as the last word of a filter command. */
bool mon_sel_kw(struct monitor *m, const struct cmd *c, int *argc, char **argv, struct sel *s)
{
    s->first = 0;
    s->last = m->nvcpus - 1;
    if (*argc > 1 && !strncmp(argv[*argc - 1], "cpu=", 4)) {
        if (!mon_cpu_arg(m, c, argv[*argc - 1] + 4, &s->first))
            return false;
        s->last = s->first;
        (*argc)--;
    }
    return true;
}

/* FIRST[-LAST] of 32-bit MSR indices. */
bool mon_msr_range(const char *s, uint32_t *first, uint32_t *last)
{
    const char *d = strchr(s, '-');
    uint64_t a, b;
    if (!parse_u64(s, d ? (size_t)(d - s) : strlen(s), &a) || a > 0xffffffffull)
        return false;
    b = a;
    if (d && (!mon_num(d + 1, &b) || b > 0xffffffffull || b < a))
        return false;
    *first = (uint32_t)a;
    *last = (uint32_t)b;
    return true;
}

/* ---- commands ---------------------------------------------------------------- */

static void cmd_help(struct monitor *m, struct vcpu *cur, const struct cmd *c, int argc, char **argv);

static const struct cmd cmds[] = {
    { "help", "help", "this list", 0, 0, cmd_help },
    { "stats", "stats [cpu]", "exit counts per kind, per vcpu and total (as at guest exit)", 0, 1, cmd_stats },
    { "regs", "regs [cpu]", "guest registers, control registers, EFER, code bytes at RIP", 0, 1, cmd_regs },
    { "trace", "trace [cpu] [n]", "the last n exits (default 16, at most 64): kind, RIP, qualification, result",
      0, 2, cmd_trace },
    { "msr", "msr [cpu] | msr stats [cpu] | msr watch on|off [FIRST[-LAST]]",
      "the MSR table as applied; per-MSR counts; live lines for guest accesses", 0, 3, cmd_msr },
    { "filter", "filter list | add allow|deny:r|w|rw:FIRST[-LAST] | del N | default allow|deny [cpu=N]",
      "change the MSR filter of the running guest (msr.filter= grammar; added ranges go first)", 1, 4, cmd_filter },
    { "cpuid", "cpuid [leaf[.sub]]", "host vs guest CPUID (all leaves, or one)", 0, 1, cmd_cpuid },
    { "log", "log", "where keel's lines go and the shared line's counters", 0, 0, cmd_log },
    { "mem", "mem GPA [len]", "hex dump of guest-physical memory (len <= 512; not keel's region)", 1, 2, cmd_mem },
    { "poweroff", "poweroff", "end the run (status 0) with the exit statistics", 0, 0, cmd_poweroff },
    { "reset", "reset", "reset the machine", 0, 0, cmd_reset },
    { "quit", "quit", "give the line back to the guest (or Ctrl-A three times)", 0, 0, NULL },
};

static void cmd_help(struct monitor *m, struct vcpu *cur, const struct cmd *c, int argc, char **argv)
{
    unsigned i;
    (void)m, (void)cur, (void)c, (void)argc, (void)argv;
    klog("monitor: commands ([cpu]: one vcpu, default all):");
    for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        klog("monitor:   %-40s %s", cmds[i].usage, cmds[i].help);
}

void monitor_exec(void *ctx, struct vcpu *v, char *line)
{
    struct monitor *m = ctx;
    char *argv[MONITOR_MAX_ARGS];
    int argc = monitor_split(line, argv, MONITOR_MAX_ARGS);
    unsigned i;
    if (argc == 0)
        return;
    if (argc < 0) {
        klog("monitor: too many words (at most %u)", MONITOR_MAX_ARGS);
        return;
    }
    for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        const struct cmd *c = &cmds[i];
        if (strcmp(argv[0], c->name))
            continue;
        if (argc - 1 < c->min_args || argc - 1 > c->max_args) {
            mon_bad(c, argc - 1 < c->min_args ? "missing argument" : "too many arguments");
            return;
        }
        if (c->fn)
            c->fn(m, v, c, argc, argv);
        return;
    }
    klog("monitor: unknown command '%s' ('help' lists them)", argv[0]);
}
