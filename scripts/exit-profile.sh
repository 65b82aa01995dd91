#!/usr/bin/env bash
# Per-step instruction profile of keel's SVM exit path: runs the bench guest
# under QEMU TCG -cpu max with one instruction per translation block and an
# execution trace of keel's address range only, then charges every keel
# instruction between two VMRUNs to a step (scripts/exit-profile.py).
# Usage: scripts/exit-profile.sh [KIND]   (KIND: cpuid|rdmsr|wrmsr|hypercall
# adds a per-function breakdown; ITERS=n iterations per operation, 200).
# KEEL_OPTS="..." passes keel options. Writes build/prof/.
set -eu
cd "$(dirname "$0")/.."
make -s all guests >/dev/null
mkdir -p build/prof
[ -n "${KEEP_TRACE:-}" ] || rm -f build/prof/trace.txt
timeout -k 5 300 qemu-system-x86_64 -singlestep -accel tcg -cpu max -m 256 -machine pc,smm=off \
    -serial file:build/prof/serial.txt -display none -monitor none -no-reboot \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel build/keel32.elf -append "${KEEL_OPTS:-}" \
    -initrd "build/guest/bench.elf tsc-per-insn=128 iters=${ITERS:-200}" \
    -d exec,nochain -dfilter 0xffffffff80000000..0xffffffffffffffff -D build/prof/trace.txt </dev/null || true
python3 scripts/exit-profile.py build/prof/trace.txt build/keel.elf "$@"
[ -n "${KEEP_TRACE:-}" ] || rm -f build/prof/trace.txt
