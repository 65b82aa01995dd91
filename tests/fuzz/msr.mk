FUZZ_TARGETS += msr
msr_FUZZ_SRCS := tests/fuzz/msr_fuzz.c tests/unit/fake_arch.c vmm/msr.c vmm/msr_table.c vmm/msr_filter.c \
                 vmm/msr_encode.c lib/log.c lib/format.c lib/string.c
