#!/usr/bin/env bash
# Run one test case file (tests/cases/NAME.case) through scripts/keel-run.
# A case sets: DESC, ARGS=(keel-run arguments), STATUS (expected exit
# status), EXPECT=(regexes that must each match a log line), REJECT=(regexes
# that must not match), optional NEEDS=bochs|linux, TIMEOUT, optional
# PLATFORMS=(...) (tests/platforms.sh): then it is run as CASE@PLATFORM, once
# per platform, with PLAT_ARGS and the platform's facts set before it is read,
# and optional DRIVER (a tests/console script: the run goes through
# tests/console/drive.py, which types into the serial line and reads it back).
# A case may instead set SCRIPT=tests/tools/X.sh: the script runs with ARGS
# (its output is the log) and its exit status is checked against STATUS.
set -u
logdir=$1 case=$2 plat=""
# CASE@PLATFORM: one run of a case that names its platforms (tests/platforms.sh).
case $case in *@*) plat=${case##*@}; case=${case%@*} ;; esac
name=$(basename "$case" .case)${plat:+@$plat}
log=$logdir/$name.log
DESC="" ARGS=() STATUS=0 EXPECT=() REJECT=() NEEDS="" TIMEOUT="" PLAT_ARGS=() DRIVER="" SCRIPT=""
if [ -n "$plat" ]; then
    source "$(dirname "$0")/platforms.sh"
    platform "$plat" || { echo "FAIL $name: unknown platform"; echo fail > "$logdir/$name.result"; exit 0; }
fi
# A case that cannot be read, or that checks nothing, is a failure, never a
# bare boot that passes by default.
[ -r "$case" ] && source "$case"
if [ ! -r "$case" ] || { [ ${#EXPECT[@]} = 0 ] && [ -z "${SCRIPT:-}${DRIVER:-}" ]; }; then
    echo "FAIL $name: case file missing, unreadable or without EXPECT lines"; echo fail > "$logdir/$name.result"; exit 0
fi
start=$(date +%s)
if [ "$NEEDS" = linux ]; then
    # One build at a time: parallel cases share build/linux.
    mkdir -p build
    flock build/.linux-guest.lock bash scripts/build-linux-guest.sh build/linux >"$logdir/$name.prep" 2>&1 || {
        echo "FAIL $name: could not build the Linux guest (see $logdir/$name.prep)"; echo fail > "$logdir/$name.result"; exit 0; }
fi
extra=()
[ -n "$TIMEOUT" ] && extra=(--timeout "$TIMEOUT")
if [ -n "$SCRIPT" ]; then
    timeout -k 5 "${TIMEOUT:-600}" bash "$SCRIPT" "${ARGS[@]}" >"$log" 2>&1
elif [ -n "$DRIVER" ]; then
    python3 tests/console/drive.py "$DRIVER" -- "${extra[@]}" --log "$log" "${ARGS[@]}" >/dev/null 2>"$logdir/$name.err"
else
    scripts/keel-run "${extra[@]}" --log "$log" "${ARGS[@]}" >/dev/null 2>"$logdir/$name.err"
fi
got=$?
why=""
[ "$got" = "$STATUS" ] || why="exit status $got, expected $STATUS"
for re in "${EXPECT[@]}"; do
    grep -qaE -- "$re" "$log" 2>/dev/null || { why="${why:+$why; }missing /$re/"; }
done
for re in "${REJECT[@]}"; do
    if grep -qaE -- "$re" "$log" 2>/dev/null; then why="${why:+$why; }found /$re/: $(grep -aE -m1 -- "$re" "$log")"; fi
done
secs=$(( $(date +%s) - start ))
if [ -z "$why" ]; then
    echo "ok   $name (${secs}s) $DESC"; echo ok > "$logdir/$name.result"
else
    echo "FAIL $name (${secs}s) $DESC: $why (log: $log)"; echo fail > "$logdir/$name.result"
fi
