FUZZ_TARGETS += mbinfo
mbinfo_FUZZ_SRCS := tests/fuzz/mbinfo_fuzz.c boot/mbinfo.c boot/placement.c vmm/efi_map.c lib/format.c lib/log.c \
                    lib/string.c
