#!/usr/bin/env bash
# Loader smoke test without virtualization: boot the Linux test guest (and
# optionally any multiboot guest) through keel's guest loaders, run by the
# chainload stub on bare QEMU TCG.
#   tests/linux/chainload/run.sh                 Linux guest from build/linux
#   tests/linux/chainload/run.sh "guest.elf args" [module...]   a multiboot guest
# Exit 0 when the guest reached its markers (Linux: KEEL-LINUX-INIT, the
# PROBE cpuid line, KEEL-LINUX-DONE, power-off); the guest's/keel's status otherwise.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$ROOT"
STUB=$(bash tests/linux/chainload/build.sh 2>/dev/null | tail -n1)
LOG=$(mktemp "${TMPDIR:-/tmp}/keel-chain.XXXXXX")
trap 'rm -f "$LOG"' EXIT
if [ $# -eq 0 ]; then
    bash scripts/build-linux-guest.sh build/linux >&2
    MODS="build/linux/vmlinuz console=ttyS0 quiet,build/linux/initrd.gz"
    linux=1
else
    MODS=$(IFS=,; echo "$*")
    linux=0
fi
start=$(date +%s%N)
set +e
timeout -k 5 120 qemu-system-x86_64 -accel tcg -cpu max -m 512 -kernel "$STUB" -initrd "$MODS" \
    -serial stdio -display none -monitor none -no-reboot \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 > "$LOG" 2>&1
rc=$?
set -e
end=$(date +%s%N)
cat "$LOG"
ms=$(( (end - start) / 1000000 ))
printf 'chainload: QEMU exited with %d after %d.%03d s\n' "$rc" $((ms / 1000)) $((ms % 1000))
if [ $linux = 1 ]; then
    for m in "KEEL-LINUX-INIT: user space reached" "PROBE cpuid vendor=" "KEEL-LINUX-DONE" "reboot: Power down"; do
        grep -q "$m" "$LOG" || { echo "chainload: FAIL: no '$m'"; exit 1; }
    done
    echo "chainload: PASS: Linux booted through keel's loader to user space and powered off"
    exit 0
fi
# isa-debug-exit: status (code << 1) | 1
[ $rc -eq 1 ] && { echo "chainload: PASS (guest exit 0)"; exit 0; }
exit $rc
