/* Printing the exit trace ring. The ring itself is filled by the run loop
 * (trace_record, vmm/trace.h). */
#include "vmm/trace.h"
#include "lib/format.h"
#include "lib/log.h"

static void detail_str(const struct exit_trace_entry *t, char *buf, size_t len)
{
    switch (t->kind) {
    case EXIT_MSR_READ:
    case EXIT_MSR_WRITE:
        ksnprintf(buf, len, "msr 0x%x", (uint32_t)t->detail);
        break;
    case EXIT_IO:
        ksnprintf(buf, len, "port 0x%x", (uint16_t)t->detail);
        break;
    case EXIT_NPF:
    case EXIT_NPT_MISCONFIG:
        ksnprintf(buf, len, "gpa 0x%lx", t->detail);
        break;
    case EXIT_EXCEPTION:
        ksnprintf(buf, len, "vector %u", (uint8_t)t->detail);
        break;
    default:
        buf[0] = 0;
        break;
    }
}

static void result_str(uint8_t r, char *buf, size_t len)
{
    if (r == TRACE_RESUMED)
        ksnprintf(buf, len, "resumed");
    else if (r == TRACE_STOPPED)
        ksnprintf(buf, len, "stopped");
    else if (r == (0x80 | 13))
        ksnprintf(buf, len, "#GP injected");
    else if (r == (0x80 | 6))
        ksnprintf(buf, len, "#UD injected");
    else
        ksnprintf(buf, len, "vector %u injected", r & 31);
}

void trace_print(const struct vcpu *v, unsigned n)
{
    uint64_t total = trace_count(v), i;
    if (n > EXIT_TRACE_LEN)
        n = EXIT_TRACE_LEN;
    if (n > total)
        n = (unsigned)total;
    klog("trace: vcpu %u, last %u of %lu exits (oldest first)", v->id, n, total);
    klog("trace: %8s %-14s %-18s %-18s %-16s %s", "exit#", "kind", "guest RIP", "qualification", "detail",
         "result");
    for (i = total - n; i < total; i++) {
        const struct exit_trace_entry *t = &v->trace.e[i & (EXIT_TRACE_LEN - 1)];
        char d[32], r[24], q[24];
        detail_str(t, d, sizeof(d));
        result_str(t->result, r, sizeof(r));
        if (trace_entry_has_qual(t))
            ksnprintf(q, sizeof(q), "0x%016lx", t->qual);
        else
            ksnprintf(q, sizeof(q), "-");
        klog("trace: %8lu %-14s 0x%016lx %-18s %-16s %s", i + 1,
             t->kind < EXIT_KIND_COUNT ? exit_kind_names[t->kind] : "?", t->rip, q, d, r);
    }
}
