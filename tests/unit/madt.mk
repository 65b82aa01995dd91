UNIT_TESTS += madt
madt_SRCS := tests/unit/test_madt.c vmm/madt.c lib/string.c
