#include "vmm/options.h"

struct opt_values keel_opts;

const struct opt_desc keel_options[] = {
    { "console", OPT_STRING, "com1", 0, 0, 0, "serial console: com1, com2 or 0x<port>" },
    { "baud", OPT_U64, "115200", 0, 50, 115200, "serial speed" },
    { "console.monitor", OPT_CHOICE, "on", "on|off", 0, 0,
      "off: no monitor, the console port is passed through to the guest untouched" },
    { "debugcon", OPT_FLAG, 0, 0, 0, 0, "also print to the port 0xE9 debug console" },
    { "help", OPT_FLAG, 0, 0, 0, 0, "print this table" },
    { "selftest", OPT_CHOICE, "none", "none|fault|bad-guest-state|unexplained-guest-state|hide-ap|fail-on-ap", 0, 0,
      "fault: take an exception in keel on purpose; bad-guest-state: break the guest state before entry; "
      "unexplained-guest-state (SVM): break it in a way no keel check names; "
      "hide-ap: give the last AP no vCPU (parked in keel), so the MADT the guest sees must not list it; "
      "fail-on-ap: keel stops with its failure path on the first AP the guest starts, while the others run the guest" },
    { "profile", OPT_STRING, "host", 0, 0, 0, "guest CPU profile: host, x86-64-v1..v4, minimal" },
    { "cpuid", OPT_STRING, "", 0, 0, 0, "CPUID feature overrides: +feat,-feat" },
    { "cpuid.dump", OPT_FLAG, 0, 0, 0, 0, "print host vs guest CPUID at boot" },
    { "cpuid.raw", OPT_FLAG, 0, 0, 0, 0, "print the host's CPUID leaves (AIDA64 dump format, for recording)" },
    { "profiles", OPT_FLAG, 0, 0, 0, 0, "print the guest CPU profiles and what each requires" },
    { "smp.apic-trap", OPT_CHOICE, "auto", "auto|while-waiting|always", 0, 0,
      "local APIC page trapped while a vCPU waits for its SIPI (IPIs, EOIs exit-free after), or always "
      "(every APIC write exits; on SVM no guest INIT can then reach a running CPU); auto: VMX "
      "while-waiting, SVM always" },
    { "pmu", OPT_CHOICE, "off", "off|passthrough", 0, 0,
      "guest PMU: off (no counters; AMD legacy counters read 0) or passthrough (the host's counters)" },
    { "msr.filter", OPT_STRING, "", 0, 0, 0, "MSR filter: allow|deny:r|w|rw:FIRST[-LAST],..." },
    { "msr.filter.default", OPT_CHOICE, "allow", "allow|deny", 0, 0, "filter action where no range matches" },
    { "msr.unknown", OPT_CHOICE, "gp", "gp|ignore|log", 0, 0, "MSRs keel does not know: #GP, ignore, or ignore+log" },
    { "msr.virt-mitigation", OPT_FLAG, 0, 0, 0, 0,
      "offer Intel's virtual mitigation MSRs (0x50000000-2) to an Intel guest" },
    { "msr.dump", OPT_FLAG, 0, 0, 0, 0, "print the MSR table as applied to this guest" },
    { "iommu", OPT_CHOICE, "on", "on|off", 0, 0,
      "take the IOMMU (VT-d / AMD-Vi) to keep the guest's devices out of keel's memory" },
    { "vendor", OPT_CHOICE, "auto", "auto|svm|vmx", 0, 0, "virtualization backend" },
};
const unsigned keel_options_count = sizeof(keel_options) / sizeof(keel_options[0]);
