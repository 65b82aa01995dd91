UNIT_TESTS += multiboot2_loader
multiboot2_loader_SRCS := tests/unit/test_multiboot2_loader.c tests/unit/fake_guest_mem.c vmm/loader.c vmm/loader_mem.c \
                          vmm/multiboot_guest.c vmm/multiboot2_guest.c vmm/linux_guest.c vmm/efi_map.c \
                          lib/format.c lib/log.c lib/string.c
