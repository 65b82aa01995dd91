FUZZ_TARGETS += efi_config
efi_config_FUZZ_SRCS := tests/fuzz/efi_config_fuzz.c vmm/efi_config.c lib/string.c
