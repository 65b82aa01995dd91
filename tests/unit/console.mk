UNIT_TESTS += console
console_SRCS := tests/unit/test_console.c tests/unit/fake_arch.c tests/unit/fake_guest_mem.c vmm/console.c vmm/console_outs.c vmm/monitor_cmds.c \
                vmm/monitor.c vmm/trace.c vmm/stats.c vmm/msr.c vmm/msr_table.c vmm/msr_filter.c vmm/msr_encode.c \
                vmm/cpuid_policy.c vmm/cpuid_features.c vmm/cpuid_snapshot.c vmm/cpuid_dump.c vmm/profile.c \
                lib/log.c lib/format.c lib/string.c
