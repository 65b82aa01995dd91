#!/usr/bin/env bash
# keel-policy --baseline over the recorded CPUs (tests/unit/data/cpuid): the
# options it proposes give every machine exactly the intersection (it checks
# that itself with keel's policy code, and exits non-zero otherwise); one
# machine's baseline is its own guest (nothing dropped); the Intel server and
# desktop dumps share x86-64-v4, the whole AMD+Intel set x86-64-v3.
set -u
cd "$(dirname "$0")/../.."
d=tests/unit/data/cpuid
fail=0
bad() { echo "FAIL: $*"; fail=1; }
run() { echo "\$ keel-policy --baseline $*"; scripts/keel-policy --baseline "$@"; }
out=$(run $d/*.txt); rc=$?; echo "$out"
[ $rc = 0 ] || bad "--baseline of all dumps: status $rc"
n=$(ls $d/*.txt | wc -l)
[ "$(grep -c 'guest features equal the baseline' <<<"$out")" = "$n" ] || bad "not every machine checked equal"
grep -q '^highest named profile all machines meet: x86-64-v3$' <<<"$out" || bad "all dumps: not x86-64-v3"
out=$(run $d/GenuineIntel0050654_SkylakeX_CPUID.txt $d/GenuineIntel0090672_AlderLake_02_CPUID.txt); rc=$?; echo "$out"
[ $rc = 0 ] || bad "Intel pair: status $rc"
grep -q '^highest named profile all machines meet: x86-64-v4$' <<<"$out" || bad "Intel pair: not x86-64-v4"
out=$(run $d/AuthenticAMD0A00F11_K19_Milan_02_CPUID.txt); rc=$?; echo "$out"
grep -q ': drops (0): -$' <<<"$out" || bad "one machine: its baseline drops something"
grep -q '^keel options: profile=host$' <<<"$out" || bad "one machine: not plain profile=host"
[ $fail = 0 ] && echo "policy-baseline: all checks passed"
exit $fail
