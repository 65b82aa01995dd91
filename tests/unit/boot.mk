UNIT_TESTS += boot
boot_SRCS := tests/unit/test_boot.c boot/mbinfo.c boot/placement.c lib/format.c lib/string.c lib/log.c
