UNIT_TESTS += exit
exit_SRCS := tests/unit/test_exit.c tests/unit/fake_arch.c vmm/exit.c vmm/exit_io.c vmm/exit_npf.c vmm/hypercall.c \
             vmm/cpuid_exit.c vmm/cr_check.c vmm/vcpu_reset.c vmm/trace.c vmm/stats.c vmm/msr.c vmm/msr_table.c vmm/msr_filter.c \
             vmm/msr_encode.c vmm/cpuid_policy.c vmm/cpuid_features.c vmm/cpuid_snapshot.c vmm/cpuid_dump.c \
             vmm/profile.c lib/log.c lib/format.c lib/string.c
