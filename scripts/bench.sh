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
#  4. SMP: exits per IPI round trip between two vCPUs (the SMP guest) and the
#     cost of keel starting the other CPUs at boot.
# Each exit figure is printed next to the same operation on the bare
# emulator (keel-run --bare), measured in the same run, and against its
# goal (the exit-path budget, README "Benchmarks"; benchmarks, never tests).
# Figures go to stdout and build/bench.txt, and README.md's benchmark tables
# (between the "bench:begin" and "bench:end" markers) are rewritten from them,
# so the README always shows what this tree measures (BENCH_README=0: leave
# README alone). Other goals (not tests): boot ratio <= 1.05, <= 5,000 exits
# per Linux boot, 0 exits per IPI.
set -u
cd "$(dirname "$0")/.."
out=build/bench.txt
mkdir -p build
make -s all guests >/dev/null || exit 1
: > "$out"
say() { echo "$*" | tee -a "$out"; }
declare -A fig    # fig[column:operation] = instructions per operation

exit_table() { # column, label, keel-run args...
    local col=$1 label=$2; shift 2
    local log; log=$(mktemp)
    scripts/keel-run "$@" >"$log" 2>&1
    say ""
    say "== instructions per operation: $label"
    say "$(printf '%-22s %s' operation instructions)"
    while read -r _ name val; do
        val=${val%$'\r'}   # the serial log has CR LF line ends
        say "$(printf '%-22s %s' "$name" "$val")"
        fig[$col:$name]=$val
    done < <(grep -a '^BENCH ' "$log")
    grep -aq '^BENCH ' "$log" || { say "(no figures: see below)"; tail -5 "$log" | tee -a "$out"; }
    # The same guest on the bare emulator: what the operation costs without keel.
    scripts/keel-run --bare "$@" >"$log" 2>&1
    while read -r _ name val; do
        fig[$col-bare:$name]=${val%$'\r'}
    done < <(grep -a '^BENCH ' "$log")
    rm -f "$log"
}

exit_table qemu "QEMU TCG -cpu max (SVM, no NRIPS), -icount shift=7" \
    --emu qemu --cpu max --icount build/guest/bench.elf tsc-per-insn=128
exit_table ryzen "Bochs ryzen (SVM with NRIPS), TSC = instructions" \
    --emu bochs --cpu ryzen --timeout 300 build/guest/bench.elf tsc-per-insn=1
exit_table skylake "Bochs corei7_skylake_x (VMX), TSC = instructions" \
    --emu bochs --cpu corei7_skylake_x --timeout 300 build/guest/bench.elf tsc-per-insn=1

# ---- goals ------------------------------------------------------------------------
# The exit-path budget: SVM (QEMU and Bochs ryzen) / VMX. "over": above it.
declare -A goal=([cpuid]="100 110" [rdmsr-emulated]="120 130" [wrmsr-emulated]="120 130" [hypercall]="90 100")
cell() { # column, operation -> "figure (bare x) ok|over"
    local v=${fig[$1:$2]:-n/a} b=${fig[$1-bare:$2]:-n/a} g m=""
    g=${goal[$2]:-}
    if [ -n "$g" ] && [ "$v" != n/a ]; then
        [ "$1" = skylake ] && g=${g#* } || g=${g% *}
        m=$(awk -v k="$v" -v g="$g" 'BEGIN { print (k <= g) ? " ok" : " over" }')
    fi
    [ "$2" = rdmsr-passthrough ] && [ "$v" = 0.0 ] && v="0.0 (no exit)"
    echo "$v (bare $b)$m"
}
goal_row() { # label, operation
    local g=${goal[$2]:-}
    local gc="no exit"
    [ -n "$g" ] && gc="≤ ${g% *} / ≤ ${g#* }"
    echo "| $1 | $(cell qemu "$2") | $(cell ryzen "$2") | $(cell skylake "$2") | $gc |"
}
goal_table() {
    echo "| operation | QEMU TCG \`max\` (SVM, no NRIPS) | Bochs \`ryzen\` (SVM, NRIPS) | Bochs \`corei7_skylake_x\` (VMX) | goal SVM / VMX |"
    echo "|---|---|---|---|---|"
    goal_row "CPUID" cpuid
    goal_row "RDMSR, emulated (MTRR_DEF_TYPE on AMD, MISC_ENABLE on Intel)" rdmsr-emulated
    goal_row "WRMSR, emulated" wrmsr-emulated
    goal_row "VMMCALL / VMCALL" hypercall
    goal_row "RDMSR, passed through (KERNEL_GS_BASE)" rdmsr-passthrough
}
say ""
say "== instructions per operation under keel (bare emulator, same run), against the goals"
goal_table | tee -a "$out"

# ---- footprint ----------------------------------------------------------------------
say ""
say "== footprint (keel's boot report)"
foot_lines=()
foot() { # label, keel-run args...
    local label=$1 l; shift
    say "$label:"
    while read -r l; do
        say "  ${l#keel: }"
        foot_lines+=("$label: ${l#keel: }")
    done < <(scripts/keel-run "$@" 2>&1 | tr -d '\r' | grep -a "^keel: keel image:\|^keel: keel's region")
}
foot "QEMU, 4 CPUs, 4 GiB" --emu qemu --cpu max --smp 4 --mem 4096
foot "QEMU, 1 CPU, 256 MiB" --emu qemu --cpu max
sym() { nm build/keel.elf | awk -v s="$1" '$3 == s { print $1 }'; }
img=$(( (0x$(sym __image_end) - 0x$(sym __image_start)) / 1024 ))
say "keel's loaded image (text + data + bss): $img KiB (goal ≤ 256 KiB)"

# ---- SMP: exits per IPI round trip, cost of starting the CPUs -------------------------
smp_table() { # label, tsc-per-insn, keel-run args...
    local label=$1 per=$2; shift 2
    local log; log=$(mktemp)
    scripts/keel-run "$@" >"$log" 2>&1
    say ""
    say "== SMP: $label"
    local ipi start
    ipi=$(grep -aoE '^BENCH ipi-round-trip exits=[0-9]+ rounds=[0-9]+' "$log" | head -1)
    start=$(grep -aoE 'CPUs under keel \(started in [0-9]+ TSC cycles\)' "$log" | grep -oE '[0-9]+ TSC' | grep -oE '[0-9]+')
    say "$(printf '%-34s %s' 'exits per IPI round trip (goal 0)' \
        "$(echo "$ipi" | awk -F'[= ]' '{ if ($6 > 0) printf "%.2f (%d exits / %d round trips)", $4 / $6, $4, $6; else print "n/a" }' 2>/dev/null)")"
    if [ -n "$start" ]; then
        say "$(printf '%-34s %s' 'starting the APs (keel INIT-SIPI-SIPI)' "$(awk -v c="$start" -v p="$per" 'BEGIN { printf "%d instructions", c / p }')")"
    else
        say "(no start-up figure: see below)"; tail -5 "$log" | tee -a "$out"
    fi
    rm -f "$log"
}
smp_table "QEMU TCG -cpu max -smp 2 (SVM), -icount shift=7" 128 \
    --emu qemu --cpu max --smp 2 --icount --keel smp.apic-trap=while-waiting build/guest/smp.elf no-restart
if [ -x ../shared/tools/bochs-smp/bin/bochs ]; then
    smp_table "Bochs corei7_skylake_x -smp 2 (VMX), TSC = instructions" 1 \
        --emu bochs --cpu corei7_skylake_x --smp 2 --timeout 300 build/guest/smp.elf no-restart
fi

# ---- Linux boot -------------------------------------------------------------------
tb= tk= ratio= keel= bare=
if ! bash scripts/build-linux-guest.sh build/linux >/dev/null 2>&1; then
    say ""; say "== Linux boot: skipped (could not build the Linux guest)"
else
append="console=ttyS0 ignore_loglevel"
init_time() { grep -aoE '^\[ *[0-9]+\.[0-9]+\] Run /init as init process' "$1" | head -1 | sed -E 's/^\[ *([0-9.]+)\].*/\1/'; }
bare=$(mktemp) keel=$(mktemp)
timeout -k 5 600 qemu-system-x86_64 -accel tcg -cpu max -m 256 -machine pc,smm=off -icount shift=7,sleep=off \
    -kernel build/linux/vmlinuz -initrd build/linux/initrd.gz -append "$append" \
    -serial stdio -display none -monitor none -no-reboot </dev/null 2>/dev/null | tr -d '\r' > "$bare"
scripts/keel-run --emu qemu --cpu max --icount --timeout 600 build/linux/vmlinuz $append \
    --module build/linux/initrd.gz 2>&1 | tr -d '\r' > "$keel"
tb=$(init_time "$bare") tk=$(init_time "$keel")
say ""
say "== Linux boot to /init, QEMU TCG -cpu max -icount shift=7 (guest clock = instructions x 128 ns)"
if [ -n "$tb" ] && [ -n "$tk" ]; then
    ratio=$(awk -v a="$tk" -v b="$tb" 'BEGIN { printf "%.3f", a / b }')
    say "$(printf '%-28s %s s' 'bare QEMU' "$tb")"
    say "$(printf '%-28s %s s' 'under keel' "$tk")"
    say "$(printf '%-28s %s' 'ratio keel / bare' "$ratio")"
else
    say "(no /init timestamp: bare '$tb', keel '$tk')"
fi
say "exits during the whole boot (to power-off), by kind:"
sed -n '/^keel: exit statistics/,/^keel:   injected\|^keel: msr:/p' "$keel" | grep -a '^keel: ' | grep -av 'injected\|msr:' | tee -a "$out"
fi

# ---- README ----------------------------------------------------------------------
# The tables between the markers are generated; everything else in README is prose.
[ "${BENCH_README:-1}" = 0 ] && exit 0
row() { # label, operation
    local c v line="| $1 |"
    for c in qemu ryzen skylake; do
        v=${fig[$c:$2]:-n/a}
        [ "$2" = rdmsr-passthrough ] && [ "$v" = 0.0 ] && v="0.0 (no exit)"
        line+=" $v |"
    done
    echo "$line"
}
exits_line() { # keel's exit statistics -> "N exits: a CPUID, b RDMSR, ..."
    awk '/^keel: exit statistics: [0-9]+ exits/ { total = $4 }
         /^keel:   [a-z-]+ +[0-9]+ +[0-9]+ +[0-9]+$/ && $2 != "kind" {
             name = toupper($2); if (name == "IO") name = "I/O"
             list = list (list ? ", " : "") $3 " " name }
         END { if (total) printf "%s exits: %s", total, list }' "$1"
}
{
    echo "<!-- bench:begin (generated by make bench, scripts/bench.sh: do not edit by hand) -->"
    echo "Measured by \`make bench\` on $(git describe --always --dirty 2>/dev/null || echo unknown):"
    echo ""
    goal_table
    echo ""
    echo "Footprint: keel's loaded image (text + data + bss) $img KiB (goal ≤ 256 KiB); keel's boot report:"
    echo ""
    for l in "${foot_lines[@]}"; do echo "- $l"; done
    echo ""
    echo "Linux boot to \`/init\`, QEMU TCG \`max\` with icount:"
    echo ""
    echo "| | guest clock at \"Run /init\" |"
    echo "|---|---|"
    echo "| bare QEMU | ${tb:-n/a} s |"
    echo "| under keel | ${tk:-n/a} s${ratio:+ (ratio $ratio)} |"
    if [ -n "$keel" ] && [ -s "$keel" ] && [ -n "$(exits_line "$keel")" ]; then
        echo ""
        echo "The whole Linux boot to power-off takes $(exits_line "$keel")."
    fi
    echo "<!-- bench:end -->"
} > build/bench.md
rm -f "$bare" "$keel"
if grep -q '^<!-- bench:begin' README.md && grep -q '^<!-- bench:end -->' README.md; then
    awk -v gen=build/bench.md '
        /^<!-- bench:begin/ { while ((getline l < gen) > 0) print l; skip = 1; next }
        /^<!-- bench:end -->/ { skip = 0; next }
        !skip' README.md > build/README.bench && cat build/README.bench > README.md
    echo "README.md: benchmark tables updated (build/bench.md)"
else
    echo "README.md has no bench:begin/bench:end markers; tables left in build/bench.md"
fi
