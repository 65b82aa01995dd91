/* keel's monitor: the commands a person at the serial line can give
 * (docs/console.md, README "The monitor"). Parser and command table are
 * pure: every command works on struct monitor and the vCPUs it lists. */
#ifndef KEEL_VMM_MONITOR_H
#define KEEL_VMM_MONITOR_H
#include <stdint.h>
#include <stdbool.h>
#include "vmm/vcpu.h"
#include "vmm/guest.h"

struct console;
struct cpuid_snapshot;

struct monitor {
    struct vcpu *const *vcpus;          /* the VM's vCPUs, vcpus[i]->id == i */
    unsigned nvcpus;
    const struct guest_layout *layout;  /* guest RAM and keel's region (mem, regs) */
    const struct cpuid_snapshot *host_cpuid;
    const struct console *con;          /* log: line statistics */
    uint16_t port;
    uint32_t baud;
    bool debugcon;
    void (*reset)(void);                /* machine reset; never returns in keel */
};

#define MONITOR_MAX_ARGS 8

/* Run one command line (console_exec_fn): split into words, look the
 * command up, check its arguments, run it. Output: klog lines; a bad
 * command or argument is one "monitor: ..." line. v: the vCPU in whose
 * exit the command runs. */
void monitor_exec(void *monitor, struct vcpu *v, char *line);

/* Split line in place into at most max words; returns the count, or -1
 * if there are more than max. */
int monitor_split(char *line, char **argv, int max);

/* Guest-virtual to guest-physical through the guest's own paging (none,
 * 32-bit, PAE, 4- and 5-level; Intel SDM Vol. 3A 4.3-4.5). read64 gets a
 * guest-physical qword; false if it cannot. False if not mapped. */
bool monitor_gva_to_gpa(uint64_t cr0, uint64_t cr4, uint64_t efer, uint64_t cr3, uint64_t gva,
                        bool (*read64)(const struct guest_layout *g, uint64_t gpa, uint64_t *out),
                        const struct guest_layout *g, uint64_t *gpa);

#endif
