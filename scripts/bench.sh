#!/usr/bin/env bash
# make bench: keel's cost per exit and per Linux boot, in emulated
# instructions (deterministic, unlike wall time on a shared machine):
#  1. the bench guest measures instructions per operation: under QEMU
#     `-icount shift=7,sleep=off` the TSC advances 128 per instruction; under
#     Bochs the TSC advances 1 per instruction;
#  2. Linux boot to /init under keel vs bare QEMU, both with icount (the
#     kernel's printk clock is then an instruction count), and keel's exits
#     by kind during that boot.
#  3. the footprint: keel's region as sized at boot and its loaded image.
# Each exit figure is printed next to the same operation on the bare
# emulator (keel-run --bare), measured in the same run, and against its
# goal (the exit-path budget, README "Benchmarks"). Figures go to stdout
# and build/bench.txt; goals are benchmarks, never tests.
set -u
cd "$(dirname "$0")/.."
out=build/bench.txt
mkdir -p build
make -s all guests >/dev/null || exit 1
: > "$out"
say() { echo "$*" | tee -a "$out"; }

# One bench run: "name value" lines (value "n/a" when the op faults).
bench_run() { # keel-run args...
    scripts/keel-run "$@" 2>&1 | grep -a '^BENCH ' | awk '{print $2, $3}'
}
val() { awk -v k="$1" '$1 == k { print $2 }' <<<"$2"; }

# Platforms: label, per-instruction TSC, keel-run args.
plat_label=("QEMU TCG max (SVM, no NRIPS)" "Bochs ryzen (SVM, NRIPS)" "Bochs corei7_skylake_x (VMX)")
plat_tpi=(128 1 1)
plat_args=("--emu qemu --cpu max --icount" "--emu bochs --cpu ryzen --timeout 300" "--emu bochs --cpu corei7_skylake_x --timeout 300")
plat_vmx=(0 0 1)
declare -a keel_res bare_res
for i in 0 1 2; do
    # shellcheck disable=SC2086
    keel_res[$i]=$(bench_run ${plat_args[$i]} build/guest/bench.elf tsc-per-insn=${plat_tpi[$i]})
    # shellcheck disable=SC2086
    bare_res[$i]=$(bench_run --bare ${plat_args[$i]} build/guest/bench.elf tsc-per-insn=${plat_tpi[$i]})
done

# Goals (the exit-path budget): SVM (QEMU and Bochs ryzen) / VMX.
ops=(cpuid rdmsr-emulated wrmsr-emulated hypercall rdmsr-passthrough)
op_label=("CPUID" "RDMSR, emulated" "WRMSR, emulated" "VMMCALL / VMCALL" "RDMSR, passed through")
goal_svm=(100 120 120 90 -) goal_vmx=(110 130 130 100 -)
say ""
say "== instructions per operation beyond a NOP: under keel (bare emulator, same run); goal; met"
say "| operation | ${plat_label[0]} | ${plat_label[1]} | ${plat_label[2]} | goal SVM / VMX |"
say "|---|---|---|---|---|"
for j in "${!ops[@]}"; do
    row="| ${op_label[$j]} |"
    for i in 0 1 2; do
        k=$(val "${ops[$j]}" "${keel_res[$i]}") b=$(val "${ops[$j]}" "${bare_res[$i]}")
        g=${goal_svm[$j]}; [ "${plat_vmx[$i]}" = 1 ] && g=${goal_vmx[$j]}
        mark=""
        if [ "$g" != - ] && [ -n "$k" ] && [ "$k" != n/a ]; then
            mark=$(awk -v k="$k" -v g="$g" 'BEGIN { print (k <= g) ? " ok" : " over" }')
        fi
        row+=" ${k:-?} (bare ${b:-?})$mark |"
    done
    if [ "${goal_svm[$j]}" = - ]; then row+=" no exit |"; else row+=" ≤ ${goal_svm[$j]} / ≤ ${goal_vmx[$j]} |"; fi
    say "$row"
done

# ---- footprint ----------------------------------------------------------------------
say ""
say "== footprint (keel's boot report)"
foot() { # label, keel-run args...
    local label=$1; shift
    local log; log=$(scripts/keel-run "$@" 2>&1 | tr -d '\r')
    say "$label:"
    grep -a "^keel: keel image:\|^keel: keel's region" <<<"$log" | sed 's/^keel: /  /' | tee -a "$out"
}
foot "QEMU, 4 CPUs, 4 GiB" --emu qemu --cpu max --smp 4 --mem 4096
foot "QEMU, 1 CPU, 256 MiB (the tests' machine)" --emu qemu --cpu max
sym() { nm build/keel.elf | awk -v s="$1" '$3 == s { print $1 }'; }
img=$(( 0x$(sym __image_end) - 0x$(sym __image_start) ))
say "keel's loaded image (text + data + bss): $((img / 1024)) KiB (goal ≤ 256 KiB)"

# ---- Linux boot -------------------------------------------------------------------
if ! bash scripts/build-linux-guest.sh build/linux >/dev/null 2>&1; then
    say ""; say "== Linux boot: skipped (could not build the Linux guest)"; exit 0
fi
append="console=ttyS0 ignore_loglevel"
init_time() { grep -aoE '^\[ *[0-9]+\.[0-9]+\] Run /init as init process' "$1" | head -1 | sed -E 's/^\[ *([0-9.]+)\].*/\1/'; }
bare=$(mktemp) keel=$(mktemp)
timeout -k 5 600 qemu-system-x86_64 -accel tcg -cpu max -m 256 -machine pc,smm=off -icount shift=7,sleep=off \
    -kernel build/linux/vmlinuz -initrd build/linux/initrd.gz -append "$append" \
    -serial stdio -display none -monitor none -no-reboot </dev/null 2>/dev/null | tr -d '\r' > "$bare"
scripts/keel-run --emu qemu --cpu max --icount --timeout 600 build/linux/vmlinuz $append \
    --module build/linux/initrd.gz > "$keel" 2>&1
tb=$(init_time "$bare") tk=$(init_time "$keel")
say ""
say "== Linux boot to /init, QEMU TCG -cpu max -icount shift=7 (guest clock = instructions x 128 ns)"
if [ -n "$tb" ] && [ -n "$tk" ]; then
    say "$(printf '%-28s %s s' 'bare QEMU' "$tb")"
    say "$(printf '%-28s %s s' 'under keel' "$tk")"
    say "$(printf '%-28s %s' 'ratio keel / bare' "$(awk -v a="$tk" -v b="$tb" 'BEGIN { printf "%.3f", a / b }')")"
else
    say "(no /init timestamp: bare '$tb', keel '$tk')"
fi
say "exits during the whole boot (to power-off), by kind:"
sed -n '/^keel: exit statistics/,/^keel:   injected\|^keel: msr:/p' "$keel" | grep -a '^keel: ' | grep -av 'injected\|msr:' | tee -a "$out"
rm -f "$bare" "$keel"
