#!/usr/bin/env bash
# scripts/keel-policy must print what keel prints at boot. Boot keel with
# `cpuid.raw cpuid.dump msr.dump` and OPTIONS, feed the raw dump it printed
# to keel-policy with the same OPTIONS, and compare: keel-policy's whole
# output against the boot log's policy lines (the "cpuid:" and "pmu:" verdicts,
# cpuid.dump, the fallback/filter warnings and msr.dump, all printed before
# "entering the guest").
#   policy-vs-boot.sh "OPTIONS" keel-run-args...
set -u
cd "$(dirname "$0")/../.."
opts=$1; shift
work=$(mktemp -d build/runs/policy.XXXXXX 2>/dev/null || { mkdir -p build/runs; mktemp -d build/runs/policy.XXXXXX; })
trap 'rm -rf "$work"' EXIT
scripts/keel-run --log "$work/boot.log" --keel "cpuid.raw cpuid.dump msr.dump $opts" "$@" >/dev/null 2>"$work/run.err"
echo "boot: keel-run exit status $? ($(grep -c . "$work/boot.log") log lines)"
grep -aE '^keel: (CPUID [0-9A-F]{8}:|MSR 0000010A:|PMU host:)' "$work/boot.log" > "$work/cpu.dump"
echo "boot: raw dump of $(grep -c . "$work/cpu.dump") lines"
grep -a '^keel: PMU host:' "$work/cpu.dump"
sed '/^keel: entering the guest/q' "$work/boot.log" |
    grep -aE '^keel: (cpuid[:.]|pmu: |msr: |warning: (falling back to profile|msr\.filter ignored))' > "$work/boot.policy"
# keel-policy takes keel's options as --name value / --flag.
args=()
for o in $opts; do
    case $o in *=*) args+=("--${o%%=*}" "${o#*=}") ;; *) args+=("--$o") ;; esac
done
echo "run: scripts/keel-policy --cpu DUMP ${args[*]}"
scripts/keel-policy --cpu "$work/cpu.dump" "${args[@]}" > "$work/policy.out" 2>&1 || { echo "keel-policy failed:"; cat "$work/policy.out"; exit 1; }
n=$(grep -c . "$work/boot.policy")
if [ "$n" -lt 10 ]; then echo "FAIL: only $n policy lines in the boot log"; exit 1; fi
if diff -u "$work/boot.policy" "$work/policy.out" > "$work/diff"; then
    echo "identical: $n lines ($(grep -c 'cpuid.dump' "$work/boot.policy") cpuid.dump, $(grep -c 'msr: ' "$work/boot.policy") msr.dump)"
    echo "keel-policy output:"; cat "$work/policy.out"
else
    echo "FAIL: keel-policy differs from the boot log:"; head -60 "$work/diff"; exit 1
fi
