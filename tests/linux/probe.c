#define _GNU_SOURCE
/* keel's Linux test-guest probe: prints what the guest sees of the CPU.
 * Built hosted (static) by scripts/build-linux-guest.sh into the initramfs.
 *   PROBE cpuid vendor=<12 chars> hv=<12 chars|none> max=0x...
 *   PROBE msr 0x<index> = 0x<value>   or   PROBE msr 0x<index> fault
 * `probe msr INDEX [CPU]` reads one MSR on CPU (default 0) through
 * /dev/cpu/CPU/msr: Linux runs the RDMSR on that CPU (PROBE msr ... line as
 * above, with " cpu N" after the index when CPU is given).
 * `probe exit CODE` instead writes CODE to the debug-exit port 0xf4, which
 * keel traps to end the run (used where ACPI power-off is not available,
 * e.g. Bochs' BIOS tables).
 */
#include <fcntl.h>
#include <stdint.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/io.h>
#include <unistd.h>

static void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

static void sig(char out[13], uint32_t b, uint32_t c, uint32_t d)
{
    memcpy(out, &b, 4);
    memcpy(out + 4, &c, 4);
    memcpy(out + 8, &d, 4);
    out[12] = 0;
    for (int i = 0; i < 12; i++)
        if (out[i] < 0x20 || out[i] > 0x7e)
            out[i] = '.';
}

static int debug_exit(int code)
{
    if (ioperm(0xf4, 4, 1) != 0) {
        perror("PROBE exit: ioperm");
        return 1;
    }
    printf("PROBE exit %d through port 0xf4\n", code);
    fflush(stdout);
    /* The console is interrupt-driven: let the kernel empty its tty buffer
     * before the run ends. Poll the UART (no sleeping: nothing here may
     * depend on timers) until its transmitter has stayed empty for a while. */
    if (ioperm(0x3f8, 8, 1) == 0) {
        unsigned long spins, quiet = 0;
        for (spins = 0; spins < 50000000ul && quiet < 200000ul; spins++)
            quiet = (inb(0x3fd) & 0x40) ? quiet + 1 : 0;
    }
    outl((unsigned)code, 0xf4);
    return 1;   /* only reached without a debug-exit device or hypervisor */
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "exit"))
        return debug_exit(atoi(argv[2]));
    if ((argc == 3 || argc == 4) && !strcmp(argv[1], "msr")) {
        uint32_t index = (uint32_t)strtoul(argv[2], NULL, 0);
        uint64_t v = 0;
        int cpu = argc == 4 ? atoi(argv[3]) : 0;
        char dev[40], at[20] = "";
        int fd1;
        snprintf(dev, sizeof(dev), "/dev/cpu/%d/msr", cpu);
        if (argc == 4)
            snprintf(at, sizeof(at), " cpu %d", cpu);
        fd1 = open(dev, O_RDONLY);
        if (fd1 < 0) {
            printf("PROBE msr unavailable (no %s)\n", dev);
            return 1;
        }
        if (pread(fd1, &v, sizeof(v), index) == (ssize_t)sizeof(v))
            printf("PROBE msr 0x%x%s = 0x%llx\n", index, at, (unsigned long long)v);
        else
            printf("PROBE msr 0x%x%s fault\n", index, at);
        close(fd1);
        return 0;
    }
    static const uint32_t msrs[] = { 0x10, 0x1b, 0xc0000080, 0x1a0, 0x3a, 0x40000000 };
    uint32_t a, b, c, d, hvmax;
    char vendor[13], hv[13];
    int fd;
    cpu_set_t set0;

    cpuid(0, &a, &b, &c, &d);
    sig(vendor, b, d, c);  /* vendor order: EBX EDX ECX */
    cpuid(1, &a, &b, &c, &d);
    int hvbit = (c >> 31) & 1;
    cpuid(0x40000000, &hvmax, &b, &c, &d);
    sig(hv, b, c, d);
    printf("PROBE cpuid vendor=%s hv=%s hvbit=%d hvmax=0x%x\n", vendor, hvbit ? hv : "none",
           hvbit, hvmax);

    /* Every online CPU, pinned in turn: each must answer with keel's
     * signature and its own APIC ID (CPUID 1 EBX[31:24]). */
    {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        for (long cpu = 0; cpu < n && cpu < CPU_SETSIZE; cpu++) {
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET(cpu, &set);
            if (sched_setaffinity(0, sizeof(set), &set)) {
                printf("PROBE cpu %ld: sched_setaffinity failed\n", cpu);
                continue;
            }
            cpuid(1, &a, &b, &c, &d);
            uint32_t apic = b >> 24;
            cpuid(0x40000000, &hvmax, &b, &c, &d);
            sig(hv, b, c, d);
            printf("PROBE cpu %ld apic=%u hv=%s\n", cpu, apic, hv);
        }
        CPU_ZERO(&set0);
        CPU_SET(0, &set0);
        sched_setaffinity(0, sizeof(set0), &set0);
    }

    fd = open("/dev/cpu/0/msr", O_RDONLY);
    if (fd < 0) {
        printf("PROBE msr unavailable (no /dev/cpu/0/msr)\n");
        fflush(stdout);
        return 1;
    }
    for (unsigned i = 0; i < sizeof(msrs) / sizeof(msrs[0]); i++) {
        uint64_t v = 0;
        if (pread(fd, &v, sizeof(v), msrs[i]) == (ssize_t)sizeof(v))
            printf("PROBE msr 0x%x = 0x%llx\n", msrs[i], (unsigned long long)v);
        else
            printf("PROBE msr 0x%x fault\n", msrs[i]);
    }
    close(fd);
    fflush(stdout);
    return 0;
}
