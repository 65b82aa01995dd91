/* keel's shared serial line (vmm/console_port.c; design in docs/console.md). */
#ifndef KEEL_VMM_CONSOLE_PORT_H
#define KEEL_VMM_CONSOLE_PORT_H
#include <stdbool.h>
#include "vmm/vcpu.h"
#include "vmm/guest.h"

struct cpuid_snapshot;

/* Before the first entry: share the console port with the guest (monitor
 * on: three of its ports exit, keel's lines go through the arbiter) or
 * pass it through untouched (monitor off). */
void console_port_start(struct vcpu *const *vcpus, unsigned n, const struct guest_layout *layout,
                        const struct cpuid_snapshot *host, bool monitor, bool debugcon);

/* An I/O exit on the console's ports: handled (true) or not keel's. */
bool console_port_io(struct vcpu *v);

#endif
