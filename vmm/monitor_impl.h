/* Inside the monitor: the command table's row type, argument helpers
 * (vmm/monitor.c) and the commands (vmm/monitor_cmds.c). */
#ifndef KEEL_VMM_MONITOR_IMPL_H
#define KEEL_VMM_MONITOR_IMPL_H
#include "vmm/monitor.h"

struct cmd;
typedef void (*cmd_fn)(struct monitor *m, struct vcpu *cur, const struct cmd *c, int argc, char **argv);

struct cmd {
    const char *name;
    const char *usage;
    const char *help;
    int min_args, max_args;     /* words after the command name */
    cmd_fn fn;
};

/* A vCPU selection: [cpu] arguments mean all vCPUs unless one is named. */
struct sel { unsigned first, last; };

/* One "monitor: NAME: message (usage: ...)" line. */
void mon_bad(const struct cmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool mon_num(const char *s, uint64_t *out);
/* A vCPU number that exists; else one error line and false. */
bool mon_cpu_arg(struct monitor *m, const struct cmd *c, const char *s, unsigned *out);
/* argv[at] if present names the vCPU; else all. */
bool mon_sel_arg(struct monitor *m, const struct cmd *c, int argc, char **argv, int at, struct sel *s);
/* A trailing "cpu=N" word (consumed from *argc) names the vCPU; else all. */
bool mon_sel_kw(struct monitor *m, const struct cmd *c, int *argc, char **argv, struct sel *s);
/* FIRST[-LAST] of 32-bit MSR indices, FIRST <= LAST. */
bool mon_msr_range(const char *s, uint32_t *first, uint32_t *last);

#define MON_CMD(name) void name(struct monitor *m, struct vcpu *cur, const struct cmd *c, int argc, char **argv)
MON_CMD(cmd_stats);
MON_CMD(cmd_regs);
MON_CMD(cmd_trace);
MON_CMD(cmd_msr);
MON_CMD(cmd_filter);
MON_CMD(cmd_cpuid);
MON_CMD(cmd_log);
MON_CMD(cmd_mem);
MON_CMD(cmd_poweroff);
MON_CMD(cmd_reset);

#endif
