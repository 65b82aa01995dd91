UNIT_TESTS += lib
lib_SRCS := tests/unit/test_lib.c lib/format.c lib/options.c lib/palloc.c lib/string.c lib/log.c
