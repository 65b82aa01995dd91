# Guest test kernels: ELF32 images loaded at 4 MiB with a Multiboot v1 and a
# Multiboot2 header (keel takes Multiboot2); suite-mb1 is the suite with
# the v1 header only, so keel's v1 loader keeps an end-to-end test.
# Included by the main Makefile (which defines BUILD ?= build).
# Builds $(BUILD)/guest/{suite,demo,bench}.elf; `make guests`.

GUEST_DIR    := tests/guest
GUEST_OUT    := $(BUILD)/guest
GUEST_CC     ?= gcc
GUEST_CFLAGS := -m32 -march=i686 -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding \
                -fno-pic -fno-pie -fno-stack-protector -fno-builtin -nostdlib -nostdinc \
                -isystem $(shell $(GUEST_CC) -print-file-name=include) \
                -mno-sse -mno-mmx -mno-80387 -mgeneral-regs-only \
                -fno-asynchronous-unwind-tables -I$(GUEST_DIR)/lib -I. -MMD -MP
GUEST_LDFLAGS := -m elf_i386 --no-warn-rwx-segments -nostdlib -z max-page-size=0x1000 -z noexecstack -T $(GUEST_DIR)/guest.ld

GUEST_LIB_SRCS := $(GUEST_DIR)/lib/entry.S $(GUEST_DIR)/lib/start.c $(GUEST_DIR)/lib/print.c \
                  $(GUEST_DIR)/lib/cpu.c
GUEST_LIB_OBJS := $(patsubst $(GUEST_DIR)/%,$(GUEST_OUT)/obj/%.o,$(GUEST_LIB_SRCS))
# keel's own freestanding helpers, built 32-bit into the guest library
# (lib/ does no hardware access and no 64-bit division: no libgcc here).
GUEST_KEEL_SRCS := lib/string.c
GUEST_LIB_OBJS  += $(GUEST_KEEL_SRCS:%=$(GUEST_OUT)/obj/keel/%.o)

# Each kernel: its sources besides the library (lib/mb2.S: the Multiboot2 header).
GUEST_MB2        := $(GUEST_DIR)/lib/mb2.S
GUEST_suite_SRCS := $(GUEST_MB2) $(GUEST_DIR)/suite.c $(GUEST_DIR)/msr_tests.c $(GUEST_DIR)/profile_tests.c \
                    $(GUEST_DIR)/hw_tests.c $(GUEST_DIR)/arch_tests.c $(GUEST_DIR)/dma_tests.c \
                    $(GUEST_DIR)/bootinfo_tests.c
GUEST_suite-mb1_SRCS := $(filter-out $(GUEST_MB2),$(GUEST_suite_SRCS))
GUEST_demo_SRCS  := $(GUEST_MB2) $(GUEST_DIR)/demo.c
GUEST_bench_SRCS := $(GUEST_MB2) $(GUEST_DIR)/bench.c
GUEST_smp_SRCS   := $(GUEST_DIR)/smp.c $(GUEST_DIR)/smp_tramp.S
GUEST_KERNELS    := suite suite-mb1 demo bench smp

$(GUEST_OUT)/obj/%.c.o: $(GUEST_DIR)/%.c
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@
$(GUEST_OUT)/obj/keel/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@
$(GUEST_OUT)/obj/%.S.o: $(GUEST_DIR)/%.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -D__ASSEMBLY__ -c $< -o $@

define guest_kernel_rule
$(GUEST_OUT)/$(1).elf: $$(GUEST_LIB_OBJS) $$(patsubst $(GUEST_DIR)/%,$(GUEST_OUT)/obj/%.o,$$(GUEST_$(1)_SRCS)) $(GUEST_DIR)/guest.ld
	$(LD) $(GUEST_LDFLAGS) -o $$@ $$(GUEST_LIB_OBJS) $$(patsubst $(GUEST_DIR)/%,$(GUEST_OUT)/obj/%.o,$$(GUEST_$(1)_SRCS))
	@if command -v grub-file >/dev/null; then \
	  grub-file --is-x86-multiboot $$@ || { echo "$$@: not multiboot v1"; rm -f $$@; exit 1; }; \
	  case "$$(GUEST_$(1)_SRCS)" in *mb2.S*) grub-file --is-x86-multiboot2 $$@ || \
	    { echo "$$@: not multiboot2"; rm -f $$@; exit 1; } ;; esac; fi
endef
$(foreach k,$(GUEST_KERNELS),$(eval $(call guest_kernel_rule,$(k))))

.PHONY: guests
guests: $(GUEST_KERNELS:%=$(GUEST_OUT)/%.elf)

-include $(wildcard $(GUEST_OUT)/obj/*.d $(GUEST_OUT)/obj/lib/*.d $(GUEST_OUT)/obj/keel/lib/*.d)
