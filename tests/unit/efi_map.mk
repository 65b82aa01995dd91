UNIT_TESTS += efi_map
efi_map_SRCS := tests/unit/test_efi_map.c vmm/efi_map.c lib/string.c
