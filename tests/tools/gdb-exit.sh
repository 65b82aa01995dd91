#!/usr/bin/env bash
# keel under gdb in batch mode (scripts/keel-run --gdb-batch): after a first
# stop at keel's C entry, stop in the exit dispatcher (vcpu_dispatch in
# vmm/run.h, inlined into the vendor's run loop: the exit_handlers[k](v)
# line) at the first CPUID exit of the demo guest, print
# its exit kind with keel.gdb's helpers, check that keel's link addresses
# still hold after it moved itself (the stop is in
# the relocated copy: gva2gpa of the PC lies in keel's region), stop again
# with keel.gdb's keel-break-exit at the guest's PING hypercall, then
# continue to the guest's end.
#   gdb-exit.sh [keel-run args...]   (default: --emu qemu --cpu max)
set -u
cd "$(dirname "$0")/../.."
mkdir -p build/runs
work=$(mktemp -d build/runs/gdb.XXXXXX)
trap 'rm -rf "$work"' EXIT
line=$(grep -n 'exit_handlers\[k\](v);' vmm/run.h | cut -d: -f1)
[ -n "$line" ] || { echo "FAIL: no dispatch line in vmm/run.h"; exit 1; }
cat > "$work/test.gdb" <<GDB
break vmm/run.h:$line if k == EXIT_CPUID
continue
printf "KEEL-GDB at keel's C entry, pc 0x%lx\n", \$pc
continue
printf "KEEL-GDB stopped in the exit dispatcher, vmm/run.h:$line\n"
printf "KEEL-GDB exit kind: %s\n", exit_kind_names[k]
print (enum exit_kind)k
keel-exit
eval "monitor gva2gpa 0x%lx", \$pc
delete
keel-break-exit EXIT_HYPERCALL
continue
printf "KEEL-GDB next stop: %s after %lu exits, RAX 0x%lx\n", exit_kind_names[v->exit.kind], v->stats.count[EXIT_CPUID] + v->stats.count[EXIT_IO] + v->stats.count[EXIT_HYPERCALL], v->regs.rax
delete
continue
GDB
[ $# -gt 0 ] || set -- --emu qemu --cpu max
scripts/keel-run --log "$work/serial.log" --gdb-batch "$work/test.gdb" "$@" build/guest/demo.elf > "$work/out" 2>&1
rc=$?
grep -v '^warning: (' "$work/out" | sed -n '/^keel: /!p'
echo "keel-run exit status $rc"
fail=0
grep -q '^Breakpoint 1, keel_main' "$work/out" || { echo "FAIL: no stop at keel_main"; fail=1; }
grep -q '^KEEL-GDB exit kind: cpuid$' "$work/out" || { echo "FAIL: no stop at a CPUID exit"; fail=1; }
grep -q '^\$1 = EXIT_CPUID$' "$work/out" || { echo "FAIL: k is not EXIT_CPUID"; fail=1; }
grep -qE '^KEEL-GDB next stop: hypercall after [1-9][0-9]* exits, RAX 0x0$' "$work/out" ||
    { echo "FAIL: keel-break-exit EXIT_HYPERCALL did not stop at the demo's PING hypercall"; fail=1; }
gpa=$(tr -d '\r' < "$work/out" | sed -n 's/^gpa: 0x\([0-9a-f]*\)$/\1/p')
base=$(sed -n "s/^keel: keel's region: \[\([0-9a-f]*\)-\([0-9a-f]*\)).*/\1 \2/p" "$work/serial.log")
set -- $base
if [ -n "$gpa" ] && [ $# = 2 ] && [ $((16#$gpa)) -ge $((16#$1)) ] && [ $((16#$gpa)) -lt $((16#$2)) ]; then
    echo "relocated: PC at guest-physical 0x$gpa, inside keel's region [$1-$2)"
else
    echo "FAIL: PC's physical address '0x$gpa' is not in keel's region '$base'"; fail=1
fi
grep -q '^demo: done' "$work/serial.log" && grep -q '^keel: exit status 0' "$work/serial.log" ||
    { echo "FAIL: the guest did not run to its end"; fail=1; }
[ $rc = 0 ] || fail=1
grep -E '^(demo: done|keel: (guest exit|exit status))' "$work/serial.log"
exit $fail
