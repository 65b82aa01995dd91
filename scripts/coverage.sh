#!/usr/bin/env bash
# make coverage: run the gcov-instrumented unit tests, build an lcov HTML
# report under build/coverage/ and print per-file line coverage.
set -u
dir=$1; shift
find "$dir" -name '*.gcda' -delete 2>/dev/null
for b in "$@"; do "$b" >/dev/null 2>&1 || echo "coverage: $(basename "$b") had failures"; done
lcov --quiet --capture --directory "$dir" --output-file "$dir/all.info" --rc lcov_branch_coverage=0 >/dev/null 2>&1
lcov --quiet --extract "$dir/all.info" "$PWD/vmm/*" "$PWD/lib/*" "$PWD/boot/*" "$PWD/arch/*" \
    --output-file "$dir/keel.info" >/dev/null 2>&1
genhtml --quiet "$dir/keel.info" --output-directory build/coverage >/dev/null 2>&1 &&
    echo "coverage: HTML report in build/coverage/index.html"
lcov --list "$dir/keel.info" 2>/dev/null | sed "s|$PWD/||" | grep -E "^[a-z].*\||Total" |
    awk -F'|' '{ printf "%-40s %s\n", $1, $2 }'
