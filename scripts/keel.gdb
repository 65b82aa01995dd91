# gdb commands for debugging keel under QEMU's gdb stub. scripts/keel-run
# --gdb (and `make debug`) starts gdb as
#   gdb build/keel.elf -ex "target remote 127.0.0.1:PORT" -x scripts/keel.gdb
# with QEMU paused before the firmware's first instruction; type `continue`.
#
# Symbols: keel is linked at -2 GiB (linker.ld, KEEL_VBASE) and, when it
# copies itself into its region at the top of RAM (paging_relocate), maps
# the copy at those same virtual addresses. So build/keel.elf's symbols and
# breakpoints hold before and after the move; only the physical addresses
# change (`monitor gva2gpa ADDR` shows where a virtual address lives now).
# The 32-bit boot stub (boot/entry.asm, .boot) runs at its physical load
# address, 1 MiB, and is in the same file.
#
# Breakpoints set here: keel's entry to C (keel_main) and the fatal paths:
# keel_fatal (bad boot input, out of memory), an exception in keel itself
# (exception_dispatch, NMIs excepted), the exit handlers that end a guest
# run with 125 (handle_unhandled, handle_shutdown for a triple fault,
# handle_invalid_state for an entry failure), and keel_exit with 125, where
# every fatal stop ends (the other guest stops too: keel-region access, ...).
#
# Commands: keel-vcpu, keel-exit, keel-regs, keel-stats, keel-break-exit KIND
# (help <command> says what each does).

set pagination off
set confirm off
set print pretty on
set print symbol-filename on
set disassembly-flavor intel

break keel_main
break keel_fatal
break exception_dispatch if f->vector != 2
break handle_unhandled
break handle_shutdown
break handle_invalid_state
break keel_exit if code == 125

define keel-vcpu
  print *vcpu0
end
document keel-vcpu
Print the boot CPU's vCPU (struct vcpu *vcpu0, vmm/vm.c, in keel's region;
gdb's `.` reads through the pointer in the commands below): guest GPRs, the last exit
record, exit statistics, policy/MSR/vendor pointers, stop state.
end

define keel-exit
  printf "last exit: %s (enum %d), vendor code 0x%lx, info1 0x%lx, info2 0x%lx, insn_len %u\n", exit_kind_names[vcpu0.exit.kind], vcpu0.exit.kind, vcpu0.exit.raw_code, vcpu0.exit.raw_info1, vcpu0.exit.raw_info2, vcpu0.exit.insn_len
  if vcpu0.exit.kind == EXIT_MSR_READ || vcpu0.exit.kind == EXIT_MSR_WRITE
    printf "  MSR 0x%x (ECX), guest RAX 0x%lx RDX 0x%lx\n", (unsigned) vcpu0.regs.rcx, vcpu0.regs.rax, vcpu0.regs.rdx
  end
  if vcpu0.exit.kind == EXIT_CPUID
    printf "  CPUID leaf 0x%x subleaf 0x%x\n", (unsigned) vcpu0.regs.rax, (unsigned) vcpu0.regs.rcx
  end
  if vcpu0.exit.kind == EXIT_IO
    printf "  port 0x%x size %u %s\n", vcpu0.exit.u.io.port, vcpu0.exit.u.io.size, vcpu0.exit.u.io.in ? "in" : "out"
  end
  if vcpu0.exit.kind == EXIT_NPF
    printf "  GPA 0x%lx access %u (1 read, 2 write, 4 exec)\n", vcpu0.exit.u.npf.gpa, vcpu0.exit.u.npf.access
  end
  set $n = 0
  set $k = 0
  while $k < EXIT_KIND_COUNT
    set $n = $n + vcpu0.stats.count[$k]
    set $k = $k + 1
  end
  printf "  exits so far: %lu\n", $n
end
document keel-exit
Print the last VM exit keel decoded (vcpu0.exit, the neutral record of
vmm/exit.h) with its kind name and the operands that matter for it. For
CPUID, RDMSR/WRMSR and VMMCALL/VMCALL the decode leaves vendor code and
info2 alone (the hot path reads only what they need).
end

define keel-regs
  print/x vcpu0.regs
end
document keel-regs
Print the guest's general-purpose registers as keel holds them (hex).
end

define keel-stats
  set $k = 0
  set $n = 0
  while $k < EXIT_KIND_COUNT
    if vcpu0.stats.count[$k]
      printf "  %-14s %10lu exits %10lu sampled %14lu tsc\n", exit_kind_names[$k], vcpu0.stats.count[$k], vcpu0.stats.sampled[$k], vcpu0.stats.cycles[$k]
    end
    set $n = $n + vcpu0.stats.count[$k]
    set $k = $k + 1
  end
  printf "  total          %10lu\n", $n
end
document keel-stats
Print keel's exit counts per exit kind so far, with the sampled exits and
their TSC cycles (vmm/vcpu.h: every 61st exit is timed).
end

define keel-break-exit
  break *exit_handlers[$arg0] if v->exit.kind == $arg0
end
document keel-break-exit
keel-break-exit KIND (e.g. EXIT_CPUID, EXIT_MSR_WRITE): stop where the exit
dispatcher (vcpu_dispatch, vmm/run.h, with exit_handlers[] in vmm/exit.c) hands an exit of that
kind to its handler. Then keel-exit shows it; `finish` returns to the vendor's run loop.
end
