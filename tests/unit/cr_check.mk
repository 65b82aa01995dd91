UNIT_TESTS += cr_check
cr_check_SRCS := tests/unit/test_cr_check.c vmm/cr_check.c vmm/cpuid_policy.c vmm/cpuid_features.c \
                 vmm/cpuid_snapshot.c vmm/cpuid_dump.c vmm/profile.c lib/format.c lib/log.c lib/string.c
