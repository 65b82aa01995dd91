#!/usr/bin/env bash
# keel's footprint against its goals, from its own boot report (no timing):
#  - the loaded image (text + data + bss) at most 256 KiB, and the figure the
#    boot report prints is the linked one (build/keel.elf's __image_start ..
#    __image_end);
#  - keel's region, as reserved, at most 4 MiB;
#  - what building the VM took of the region ("in use after set-up") fits
#    in the size region_budget worked out without its margin: the per-CPU,
#    boot info and VM, and table terms cover what keel allocates.
#   footprint.sh [keel-run args...]   (default: QEMU max, 4 CPUs, 4 GiB, demo guest)
# Prints the run's log, then one FOOTPRINT line per check; status 1 if one fails.
set -u
cd "$(dirname "$0")/../.."
[ $# -gt 0 ] || set -- --emu qemu --cpu max --smp 4 --mem 4096 build/guest/demo.elf
log=$(mktemp)
trap 'rm -f "$log"' EXIT
scripts/keel-run "$@" 2>&1 | tr -d '\r' > "$log"
cat "$log"
fail=0
check() { # label, value, limit
    if [ -n "$2" ] && [ "$2" -le "$3" ]; then
        echo "FOOTPRINT ok: $1 $2 <= $3"
    else
        echo "FOOTPRINT over: $1 ${2:-(not reported)} > $3"; fail=1
    fi
}
sym() { nm build/keel.elf | awk -v s="$1" '$3 == s { print $1 }'; }
linked=$(( (0x$(sym __image_end) - 0x$(sym __image_start)) / 1024 ))
image=$(grep -aoE '^keel: keel image: [0-9]+ KiB' "$log" | grep -oE '[0-9]+')
reserved=$(grep -aoE '^keel: keel.s region: \[[0-9a-f]+-[0-9a-f]+\) [0-9]+ MiB reserved' "$log" | grep -oE '[0-9]+ MiB' | grep -oE '[0-9]+')
sized=$(grep -aoE '^keel: keel.s region: sized [0-9]+ KiB' "$log" | grep -oE '[0-9]+ KiB' | grep -oE '[0-9]+')
margin=$(grep -aoE 'margin [0-9]+ KiB' "$log" | grep -oE '[0-9]+')
used=$(grep -aoE '^keel: keel.s region: [0-9]+ KiB in use after set-up' "$log" | grep -oE '[0-9]+ KiB' | grep -oE '[0-9]+')
check "image KiB (boot report)" "$image" 256
if [ "$image" = "$linked" ]; then
    echo "FOOTPRINT ok: boot report image $image KiB = linked image $linked KiB"
else
    echo "FOOTPRINT over: boot report image ${image:-(none)} KiB != linked image $linked KiB"; fail=1
fi
check "region reserved MiB" "$reserved" 4
if [ -n "$sized" ] && [ -n "$margin" ]; then
    check "region KiB in use after set-up" "$used" $((sized - margin))
else
    echo "FOOTPRINT over: no region size or margin in the boot report"; fail=1
fi
exit $fail
