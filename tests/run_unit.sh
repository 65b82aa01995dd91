#!/usr/bin/env bash
# Run the cmocka unit-test binaries given as arguments; print each one's
# result and a closing "N passed, N failed" line (test cases, summed).
# Writes "passed failed" to $UNIT_SUMMARY if set.
set -u
pass=0 fail=0 bad_bins=0
for bin in "$@"; do
    out=$("$bin" 2>&1); rc=$?
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
    if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi   # crashed before reporting
    pass=$((pass + p)); fail=$((fail + f))
    if [ "$f" = 0 ]; then
        echo "unit $(basename "$bin"): $p passed"
    else
        bad_bins=$((bad_bins + 1))
        echo "unit $(basename "$bin"): $p passed, $f FAILED"
        printf '%s\n' "$out" | grep -E "^\[  (FAILED|  ERROR)|error:|FAILED|Assert" | head -20 | sed 's/^/    /'
    fi
done
[ -n "${UNIT_SUMMARY:-}" ] && echo "$pass $fail" > "$UNIT_SUMMARY"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
