# keel — bare-metal x86-64 micro-hypervisor. One flat Makefile.
# Targets: all (build/keel.elf, build/keel32.elf), iso, run, test, unit,
# coverage, fuzz, bench, clean. See README.md.

.DEFAULT_GOAL := all
BUILD    ?= build
CC       ?= gcc
HOSTCC   ?= gcc
LD       := ld
NASM     := nasm
OBJCOPY  := objcopy
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

# Anything that runs or tests keel installs its Debian packages first.
DEPS_STAMP := $(BUILD)/.deps-ok
$(DEPS_STAMP):
	@bash scripts/deps.sh
	@mkdir -p $(BUILD) && touch $@

KEEL_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-pic -fno-pie \
               -mno-red-zone -mgeneral-regs-only -mno-sse -mno-mmx -mno-80387 \
               -fno-stack-protector -fno-omit-frame-pointer -fno-strict-aliasing \
               -mcmodel=kernel -fno-asynchronous-unwind-tables -nostdlib -nostdinc \
               -isystem $(shell $(CC) -print-file-name=include) -I. \
               -DKEEL_VERSION='"$(VERSION)"' -MMD -MP
# Extra flags for measurement builds, e.g. KEEL_EXTRA_CFLAGS=-DKEEL_VMINSN_COUNT (README).
KEEL_CFLAGS += $(KEEL_EXTRA_CFLAGS)
KEEL_ASFLAGS := $(filter-out -std=gnu11 -Werror,$(KEEL_CFLAGS)) -D__ASSEMBLY__

KEEL_C    := $(sort $(wildcard boot/*.c arch/x86/*.c arch/x86/svm/*.c arch/x86/vmx/*.c vmm/*.c lib/*.c))
KEEL_S    := $(sort $(wildcard arch/x86/*.S arch/x86/svm/*.S arch/x86/vmx/*.S))
KEEL_ASM  := $(sort $(wildcard boot/*.asm))
KEEL_OBJS := $(KEEL_ASM:%.asm=$(BUILD)/obj/%.o) $(KEEL_C:%.c=$(BUILD)/obj/%.o) $(KEEL_S:%.S=$(BUILD)/obj/%.o)
# Code that runs at boot, at a stop or on a monitor command, never on the
# exit path: built for size (keel's loaded image, README "Benchmarks").
KEEL_COLD_C := boot/mbinfo.c boot/placement.c arch/x86/desc.c arch/x86/exceptions.c arch/x86/paging.c \
               arch/x86/iommu_amdvi.c arch/x86/iommu_vtd.c arch/x86/virt_detect.c arch/x86/svm/svm_check.c \
               arch/x86/svm/svm_setup.c arch/x86/vmx/vmx_check.c arch/x86/vmx/vmx_controls.c \
               arch/x86/vmx/vmx_mtrr.c arch/x86/vmx/vmx_names.c arch/x86/vmx/vmx_setup.c lib/format.c \
               lib/options.c lib/palloc.c vmm/acpi.c vmm/acpi_copy.c vmm/console.c vmm/cpuid_dump.c \
               vmm/cpuid_features.c vmm/cpuid_policy.c vmm/cpuid_snapshot.c vmm/guest_acpi.c vmm/iommu.c \
               vmm/iommu_acpi.c vmm/iommu_pt.c vmm/linux_guest.c vmm/loader.c vmm/loader_mem.c vmm/main.c vmm/monitor.c \
               vmm/monitor_cmds.c vmm/msr_encode.c vmm/msr_filter.c vmm/multiboot_guest.c vmm/options.c \
               vmm/profile.c vmm/stats.c vmm/trace.c vmm/vm.c vmm/cr_check.c vmm/vcpu_reset.c \
               arch/x86/vmx/vmx_init.c vmm/multiboot2_guest.c vmm/madt.c vmm/efi_map.c \
               arch/x86/stop.c
$(KEEL_COLD_C:%.c=$(BUILD)/obj/%.o): KEEL_CFLAGS += -Os

.PHONY: all iso run debug test unit coverage fuzz bench clean deps guests install uninstall
all: $(BUILD)/keel.elf $(BUILD)/keel32.elf

deps: $(DEPS_STAMP)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(KEEL_CFLAGS) -c $< -o $@
$(BUILD)/obj/%.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC) $(KEEL_ASFLAGS) -c $< -o $@
# No -g: NASM's DWARF describes the boot stub as one subprogram at address 0,
# and gdb then warns on every backtrace through it; the ELF symbols name it.
$(BUILD)/obj/%.o: %.asm
	@mkdir -p $(dir $@)
	@echo "  NASM    $<"
	@$(NASM) -f elf64 -MD $(@:.o=.d) -MP $< -o $@

# Two-pass link: the second pass embeds the symbol table that the exception
# dump uses for backtraces (scripts/gensyms.sh).
$(BUILD)/keel.pass1.elf: $(KEEL_OBJS) linker.ld $(BUILD)/obj/syms_empty.o
	$(LD) -n -T linker.ld -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments -o $@ $(KEEL_OBJS) $(BUILD)/obj/syms_empty.o
$(BUILD)/obj/syms_empty.o: scripts/gensyms.sh
	@mkdir -p $(dir $@)
	bash scripts/gensyms.sh /dev/null > $(BUILD)/obj/syms_empty.c
	$(CC) $(KEEL_CFLAGS) -c $(BUILD)/obj/syms_empty.c -o $@
$(BUILD)/obj/syms.o: $(BUILD)/keel.pass1.elf scripts/gensyms.sh
	bash scripts/gensyms.sh $< > $(BUILD)/obj/syms.c
	$(CC) $(KEEL_CFLAGS) -c $(BUILD)/obj/syms.c -o $@
$(BUILD)/keel.elf: $(KEEL_OBJS) $(BUILD)/obj/syms.o linker.ld
	$(LD) -n -T linker.ld -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments -o $@ $(KEEL_OBJS) $(BUILD)/obj/syms.o
	@if command -v grub-file >/dev/null; then \
	  grub-file --is-x86-multiboot2 $@ || { echo "keel.elf: not multiboot2"; exit 1; }; \
	  grub-file --is-x86-multiboot $@ || { echo "keel.elf: not multiboot"; exit 1; }; fi
# QEMU -kernel only takes 32-bit ELF multiboot images; it loads by p_paddr.
$(BUILD)/keel32.elf: $(BUILD)/keel.elf
	$(OBJCOPY) -O elf32-i386 $< $@

# ---- GRUB ISO ---------------------------------------------------------------
# make iso GUEST="file args" MODULES="file args;file args"
iso: $(BUILD)/keel.elf $(DEPS_STAMP)
	bash scripts/mkiso.sh -o $(BUILD)/keel.iso -k $(BUILD)/keel.elf \
	    $(if $(KEEL),-c "$(KEEL)") $(if $(GUEST),-g "$(GUEST)") $(if $(MODULES),-m "$(MODULES)")

# ---- host unit tests (cmocka) -------------------------------------------------
# Each tests/unit/NAME.mk says: UNIT_TESTS += NAME and NAME_SRCS := files.
UNIT_TESTS :=
FUZZ_TARGETS :=
include $(sort $(wildcard tests/unit/*.mk))
-include $(sort $(wildcard tests/fuzz/*.mk))
-include tests/guest/guest.mk

HOST_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wno-format-security -DKEEL_HOSTED -I. -Itests/unit -MMD -MP
UNIT_BINS := $(UNIT_TESTS:%=$(BUILD)/unit/%)
# A unit binary is compiled from several sources at once, so gcc's -MF
# records only one of them: depend on every header instead.
ALL_HEADERS := $(wildcard boot/*.h lib/*.h vmm/*.h vmm/*.def arch/x86/*.h arch/x86/*/*.h tests/unit/*.h)
COV_BINS  := $(UNIT_TESTS:%=$(BUILD)/cov/%)

define unit_rule
$(BUILD)/unit/$(1): $$($(1)_SRCS) $$(ALL_HEADERS)
	@mkdir -p $$(dir $$@)
	@echo "  HOSTCC  $$@"
	@$$(HOSTCC) $$(filter-out -MMD -MP,$$(HOST_CFLAGS)) $$($(1)_SRCS) -o $$@ -lcmocka
$(BUILD)/cov/$(1): $$($(1)_SRCS) $$(ALL_HEADERS)
	@mkdir -p $$(BUILD)/cov/obj-$(1)
	@echo "  HOSTCC  $$@ (coverage)"
	@cd $$(BUILD)/cov/obj-$(1) && $$(HOSTCC) $$(filter-out -MMD -MP,$$(HOST_CFLAGS)) --coverage -I$(CURDIR) \
	    -I$(CURDIR)/tests/unit $$(addprefix $(CURDIR)/,$$($(1)_SRCS)) -o $(CURDIR)/$$@ -lcmocka
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rule,$(t))))

unit: $(DEPS_STAMP) $(UNIT_BINS)
	@bash tests/run_unit.sh $(UNIT_BINS)

coverage: $(DEPS_STAMP) $(COV_BINS)
	@bash scripts/coverage.sh $(BUILD)/cov $(COV_BINS)

# ---- host tools -------------------------------------------------------------------
# keel-policy: the CPUID policy and MSR table built hosted (as for the unit
# tests) into a command; scripts/keel-policy runs it.
KEEL_POLICY_SRCS := tools/keel_policy.c vmm/cpuid_policy.c vmm/cpuid_features.c vmm/cpuid_snapshot.c \
                    vmm/cpuid_dump.c vmm/profile.c vmm/msr.c vmm/msr_table.c vmm/msr_filter.c \
                    vmm/msr_encode.c vmm/options.c lib/options.c lib/format.c lib/log.c lib/string.c
$(BUILD)/keel-policy: $(KEEL_POLICY_SRCS) $(ALL_HEADERS)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(filter-out -MMD -MP,$(HOST_CFLAGS)) $(KEEL_POLICY_SRCS) -o $@

# ---- fuzzing (libFuzzer, clang) ------------------------------------------------
# Each tests/fuzz/NAME.mk says: FUZZ_TARGETS += NAME and NAME_FUZZ_SRCS := files.
FUZZ_CFLAGS := -std=gnu11 -O1 -g -DKEEL_HOSTED -DKEEL_FUZZ -I. -Itests/unit -fsanitize=fuzzer,address,undefined
define fuzz_rule
$(BUILD)/fuzz/$(1): $$($(1)_FUZZ_SRCS) $$(ALL_HEADERS)
	@mkdir -p $$(dir $$@)
	clang $$(FUZZ_CFLAGS) $$($(1)_FUZZ_SRCS) -o $$@
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_rule,$(t))))
FUZZ_RUNS ?= 1000000
fuzz: $(DEPS_STAMP) $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%)
	@for t in $(FUZZ_TARGETS); do echo "fuzz $$t: $(FUZZ_RUNS) runs"; \
	  $(BUILD)/fuzz/$$t -runs=$(FUZZ_RUNS) -seed=1 || exit 1; done

# ---- running ---------------------------------------------------------------------
# make run                   Linux (Debian cloud kernel + busybox initramfs) under keel
# make run GUEST="file args" [MODULES="file args;..."] [KEEL="options"] [EMU=qemu|bochs] [CPU=model]
run: $(DEPS_STAMP) all guests
ifeq ($(GUEST),)
	@if bash scripts/build-linux-guest.sh $(BUILD)/linux; then \
	  bash scripts/keel-run $(RUN_FLAGS) --emu $(or $(EMU),qemu) $(if $(CPU),--cpu $(CPU)) $(if $(KEEL),--keel "$(KEEL)") \
	    $(BUILD)/linux/vmlinuz console=ttyS0 quiet --module $(BUILD)/linux/initrd.gz; \
	else echo "make run: the Linux guest could not be built; running the demo guest instead"; \
	  bash scripts/keel-run $(RUN_FLAGS) --emu $(or $(EMU),qemu) $(if $(CPU),--cpu $(CPU)) $(if $(KEEL),--keel "$(KEEL)") \
	    $(BUILD)/guest/demo.elf; fi
else
	bash scripts/keel-run $(RUN_FLAGS) --emu $(or $(EMU),qemu) $(if $(CPU),--cpu $(CPU)) $(if $(KEEL),--keel "$(KEEL)") \
	    $(GUEST) $(foreach m,$(subst ;, ,$(subst $(space),+,$(MODULES))),--module $(subst +, ,$(m)))
endif

space := $(subst ,, )

# make debug [GUEST=…] [MODULES=…] [KEEL=…]: like make run, under gdb
# (QEMU's gdb stub, scripts/keel.gdb; see README "Debugging").
debug:
	@$(MAKE) --no-print-directory run RUN_FLAGS=--gdb

# ---- installing on a real machine ------------------------------------------------
# make install [DESTDIR=…] [PREFIX=…]: keel into the machine's GRUB menu the way
# Debian's Xen package does it (then: update-grub). /boot and /etc/grub.d are
# where GRUB looks, so only keel-policy goes under PREFIX. An existing
# keel.cfg (the machine's settings) is kept.
PREFIX ?= /usr/local
install: $(BUILD)/keel.elf $(BUILD)/keel-policy
	install -D -m 0644 $(BUILD)/keel.elf $(DESTDIR)/boot/keel.elf
	install -D -m 0755 scripts/grub.d/20_linux_keel $(DESTDIR)/etc/grub.d/20_linux_keel
	@if [ -e $(DESTDIR)/etc/default/grub.d/keel.cfg ]; then \
	  echo "keeping $(DESTDIR)/etc/default/grub.d/keel.cfg"; \
	else install -D -m 0644 scripts/grub.d/keel.cfg $(DESTDIR)/etc/default/grub.d/keel.cfg; \
	  echo "install -D -m 0644 scripts/grub.d/keel.cfg $(DESTDIR)/etc/default/grub.d/keel.cfg"; fi
	install -D -m 0755 $(BUILD)/keel-policy $(DESTDIR)$(PREFIX)/bin/keel-policy
	@[ -n "$(DESTDIR)" ] || echo "keel installed: run update-grub (or grub-mkconfig -o /boot/grub/grub.cfg)"
uninstall:
	rm -f $(DESTDIR)/boot/keel.elf $(DESTDIR)/etc/grub.d/20_linux_keel \
	      $(DESTDIR)/etc/default/grub.d/keel.cfg $(DESTDIR)$(PREFIX)/bin/keel-policy
	@[ -n "$(DESTDIR)" ] || echo "keel removed: run update-grub to drop its menu entries"

test: $(DEPS_STAMP)
	@bash tests/run_all.sh

bench: $(DEPS_STAMP) all guests
	@bash scripts/bench.sh

clean:
	rm -rf $(BUILD)

-include $(KEEL_OBJS:.o=.d)
