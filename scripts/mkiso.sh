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
# grub-mkrescue builds for every GRUB platform it finds (or the one -d
# names), and its --install-modules list applies to each of them, so the
# list names only modules every platform has. The BIOS El Torito core image
# gets biosdisk and iso9660 from grub-mkrescue itself, the EFI image its own
# disk and filesystem modules. So: BIOS and EFI (x86_64-efi) in one hybrid
# ISO when grub-efi-amd64-bin is installed, BIOS-only otherwise.
# KEEL_GRUB_EFI_DIR overrides where the EFI platform is looked for (point it
# at a missing directory to build BIOS-only on a machine that has both).
pc_dir=/usr/lib/grub/i386-pc
efi_dir=${KEEL_GRUB_EFI_DIR:-/usr/lib/grub/x86_64-efi}
mods="multiboot multiboot2 normal configfile iso9660 serial terminal"
# GRUB EFI probes every partition map it knows (partmap.lst) on the CD: ship
# them all, or it prints "file not found" for each one it lacks.
mods+=" $(cd "$pc_dir" && ls part_*.mod 2>/dev/null | sed 's/\.mod$//' | tr '\n' ' ')"
[ -f "$pc_dir/multiboot2.mod" ] || { echo "mkiso.sh: GRUB for BIOS not found in $pc_dir (install grub-pc-bin)" >&2; exit 1; }
if [ -f "$efi_dir/multiboot2.mod" ]; then
    # Every installed platform (i386-pc, x86_64-efi and any other GRUB
    # the machine has): the module list above exists on all of them.
    echo "mkiso.sh: BIOS + EFI ISO" >&2
    platforms=()
else
    echo "mkiso.sh: BIOS-only ISO (no GRUB EFI in $efi_dir; install grub-efi-amd64-bin for EFI)" >&2
    platforms=(-d "$pc_dir")
fi
grub-mkrescue "${platforms[@]}" -o "$out" "$stage" --compress=no --fonts= --locales= --themes= \
    --install-modules="$mods" >/dev/null 2>"$errlog" || { cat "$errlog" >&2; exit 1; }
