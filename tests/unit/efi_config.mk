UNIT_TESTS += efi_config
efi_config_SRCS := tests/unit/test_efi_config.c vmm/efi_config.c lib/string.c
