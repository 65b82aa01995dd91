UNIT_TESTS += msr_x2apic
msr_x2apic_SRCS := tests/unit/test_msr_x2apic.c tests/unit/fake_arch.c vmm/msr.c vmm/msr_table.c vmm/msr_filter.c \
                   vmm/msr_encode.c lib/log.c lib/format.c lib/string.c
