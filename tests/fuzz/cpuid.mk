FUZZ_TARGETS += cpuid
cpuid_FUZZ_SRCS := tests/fuzz/cpuid_fuzz.c vmm/cpuid_policy.c vmm/cpuid_features.c vmm/cpuid_snapshot.c \
                   vmm/cpuid_dump.c vmm/cpuid_exit.c vmm/profile.c lib/format.c lib/log.c lib/string.c
