UNIT_TESTS += npt
npt_SRCS := tests/unit/test_npt.c vmm/npt.c lib/palloc.c lib/string.c
