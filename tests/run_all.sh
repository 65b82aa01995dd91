#!/usr/bin/env bash
# make test: unit tests, short fuzz runs, then boot and guest tests under
# QEMU (SVM) and Bochs (VMX and SVM). Each guest/boot test is a case file
# in tests/cases/*.case (a bash fragment; see docs/guest-tests.md); a case
# that names PLATFORMS=(...) counts once per platform.
# Ends with one line "N passed, N failed"; exit status 1 on any failure.
set -u
cd "$(dirname "$0")/.."
logdir=build/test-logs
rm -rf "$logdir"; mkdir -p "$logdir"
JOBS=${JOBS:-2}
pass=0 fail=0

echo "== build"
if ! make -s all guests build/keel-policy >"$logdir/build.log" 2>&1; then
    cat "$logdir/build.log"; echo "0 passed, 1 failed"; exit 1
fi

echo "== unit tests"
UNIT_SUMMARY=$logdir/unit.sum make -s unit 2>&1 | tee "$logdir/unit.log" | grep -v "^make"
if [ -f "$logdir/unit.sum" ]; then
    read -r up uf < "$logdir/unit.sum"; pass=$((pass + up)); fail=$((fail + uf))
else
    echo "FAIL unit tests did not build"; fail=$((fail + 1))
fi

echo "== fuzz (short, bounded runs)"
for t in $(sed -n "s/^FUZZ_TARGETS *+= *//p" tests/fuzz/*.mk 2>/dev/null); do
    if make -s "build/fuzz/$t" >"$logdir/fuzz-$t.log" 2>&1 &&
       "build/fuzz/$t" -runs="${FUZZ_SHORT_RUNS:-20000}" -seed=1 >>"$logdir/fuzz-$t.log" 2>&1; then
        echo "ok   fuzz-$t"; pass=$((pass + 1))
    else
        echo "FAIL fuzz-$t (see $logdir/fuzz-$t.log)"; tail -5 "$logdir/fuzz-$t.log"; fail=$((fail + 1))
    fi
done

echo "== boot and guest tests"
# The Linux guest (Debian packages, cached under build/linux) is built once up
# front; a failure shows up in the cases that need it.
if grep -lq '^NEEDS=linux' tests/cases/*.case; then
    if bash scripts/build-linux-guest.sh build/linux >"$logdir/linux-guest.log" 2>&1; then
        echo "Linux guest: $(tail -n 1 "$logdir/linux-guest.log")"
    else
        echo "Linux guest: build failed (see $logdir/linux-guest.log)"
    fi
fi
source tests/platforms.sh
for c in tests/cases/*.case; do case_runs "$c"; done > "$logdir/cases.list"
xargs -P "$JOBS" -n 1 bash tests/run_case.sh "$logdir" < "$logdir/cases.list"
for r in "$logdir"/*.result; do
    [ -f "$r" ] || continue
    if [ "$(cat "$r")" = ok ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
