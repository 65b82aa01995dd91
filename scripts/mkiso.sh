#!/usr/bin/env bash
# Build a slim GRUB rescue ISO booting keel with Xen-style module lines.
# mkiso.sh -o OUT.iso -k keel.elf [-c "keel options"] [-g "guest args"]
#          [-m "module args;module args"] [-e 0|1]   (-e: default entry,
#          0 = multiboot2, 1 = multiboot v1)
# GRUB 2 passes a module only the words AFTER its file name, so each module
# line repeats the file's base name as the first word: the guest sees the
# same argv[0]-first command line as under QEMU -initrd "file args".
set -euo pipefail
out= kernel= opts= guest= mods= entry=0
while getopts "o:k:c:g:m:e:" o; do
    case $o in
    o) out=$OPTARG ;; k) kernel=$OPTARG ;; c) opts=$OPTARG ;; g) guest=$OPTARG ;;
    m) mods=$OPTARG ;; e) entry=$OPTARG ;; *) exit 2 ;;
    esac
done
[ -n "$out" ] && [ -n "$kernel" ] || { echo "usage: mkiso.sh -o OUT -k KERNEL [-c OPTS] [-g GUEST] [-m MODS] [-e 0|1]" >&2; exit 2; }
stage=$(mktemp -d "${TMPDIR:-/tmp}/keel-iso.XXXXXX")
errlog=$(mktemp "${TMPDIR:-/tmp}/keel-iso-log.XXXXXX")
trap 'rm -rf "$stage" "$errlog"' EXIT
mkdir -p "$stage/boot/grub" "$stage/boot/mods"
cp "$kernel" "$stage/boot/keel.elf"

mb2_lines="" mb1_lines="" n=0
add_module() { # "file args..."
    local spec=$1 file args base dst
    file=${spec%% *}
    args=""; [ "$spec" != "$file" ] && args=${spec#* }
    [ -f "$file" ] || { echo "mkiso.sh: module file '$file' not found" >&2; exit 1; }
    base=$(basename "$file")
    dst="/boot/mods/$n-$base"; n=$((n + 1))
    cp "$file" "$stage$dst"
    mb2_lines+="    module2 $dst $base${args:+ $args}"$'\n'
    mb1_lines+="    module $dst $base${args:+ $args}"$'\n'
}
[ -n "$guest" ] && add_module "$guest"
if [ -n "$mods" ]; then
    IFS=';' read -r -a list <<< "$mods"
    for m in "${list[@]}"; do [ -n "$m" ] && add_module "$m"; done
fi

cat > "$stage/boot/grub/grub.cfg" <<CFG
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
set timeout=0
set default=$entry
menuentry "keel (multiboot2)" {
    multiboot2 /boot/keel.elf $opts
$mb2_lines}
menuentry "keel (multiboot)" {
    multiboot /boot/keel.elf $opts
$mb1_lines}
CFG
# grub-mkrescue builds for every installed GRUB platform; biosdisk exists only
# for i386-pc, so name the platform (the EFI half comes with the UEFI work).
grub-mkrescue -d /usr/lib/grub/i386-pc -o "$out" "$stage" --compress=no --fonts= --locales= --themes= \
    --install-modules="multiboot multiboot2 normal configfile iso9660 biosdisk serial terminal" \
    >/dev/null 2>"$errlog" || { cat "$errlog" >&2; exit 1; }
