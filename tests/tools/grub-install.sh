#!/usr/bin/env bash
# `make install` into a fake root, then the GRUB side of it end to end:
#  1. install/uninstall put/remove /boot/keel.elf, /etc/grub.d/20_linux_keel,
#     /etc/default/grub.d/keel.cfg (and keel-policy under PREFIX);
#  2. the generator, run against the fake root's /boot (two kernels, two
#     initrds with different naming schemes), writes one entry per kernel,
#     newest first: multiboot2 keel.elf + GRUB_CMDLINE_KEEL, module2 kernel
#     with the command line Debian's own 10_linux gives that kernel (checked
#     against 10_linux itself where installed), module2 the matching initrd;
#  3. a GRUB image built from the generated grub.cfg boots under QEMU
#     (FIRMWARE bios: SeaBIOS + GRUB i386-pc; efi: OVMF + GRUB x86_64-efi)
#     keel, then the test Linux to user space and ACPI power-off.
#   grub-install.sh [bios|efi]
set -u
cd "$(dirname "$0")/../.."
firmware=${1:-bios}
case $firmware in
bios) platform=i386-pc; qemu_fw=() ;;
efi) platform=x86_64-efi; qemu_fw=(-bios /usr/share/ovmf/OVMF.fd) ;;
*) echo "usage: grub-install.sh [bios|efi]"; exit 2 ;;
esac
mkdir -p build/runs
work=$(mktemp -d build/runs/grub.XXXXXX)
trap 'rm -rf "$work"' EXIT
R=$work/root
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# ---- 1. make install -------------------------------------------------------------
mkdir -p "$R/etc/default/grub.d"
# The machine's settings exist before install: install must keep them.
cat > "$R/etc/default/grub.d/keel.cfg" <<'CFG'
GRUB_CMDLINE_KEEL="console=com1 profile=x86-64-v2"
CFG
make -s install DESTDIR="$R" PREFIX=/usr >"$work/install.log" 2>&1 || { cat "$work/install.log"; bad "make install"; exit 1; }
for f in boot/keel.elf etc/grub.d/20_linux_keel etc/default/grub.d/keel.cfg usr/bin/keel-policy; do
    [ -f "$R/$f" ] || bad "make install did not install /$f"
done
[ -x "$R/etc/grub.d/20_linux_keel" ] || bad "20_linux_keel is not executable"
grep -q 'profile=x86-64-v2' "$R/etc/default/grub.d/keel.cfg" || bad "make install replaced an existing keel.cfg"
cmp -s build/keel.elf "$R/boot/keel.elf" || bad "/boot/keel.elf is not build/keel.elf"
echo "installed: $(cd "$R" && find . -type f | sort | tr '\n' ' ')"

# ---- 2. the generator ------------------------------------------------------------
cat > "$R/etc/default/grub" <<'CFG'
GRUB_CMDLINE_LINUX="console=ttyS0"
GRUB_CMDLINE_LINUX_DEFAULT="quiet"
CFG
new=6.1.0-56-keeltest old=6.1.0-55-keeltest
cp build/linux/vmlinuz "$R/boot/vmlinuz-$new"
cp build/linux/vmlinuz "$R/boot/vmlinuz-$old"
cp build/linux/initrd.gz "$R/boot/initrd.img-$new"
printf 'not the initrd of %s\n' "$new" > "$R/boot/initrd-$old.img"   # never booted
uuid=0f3c7d8e-5a4b-4c3d-9e2f-1a2b3c4d5e6f
gen() { env pkgdatadir=/usr/share/grub KEEL_GRUB_ROOT="$R" GRUB_DEVICE=/dev/vda1 "$@" \
        sh "$R/etc/grub.d/20_linux_keel"; }
gen GRUB_DEVICE_UUID=$uuid > "$work/entries" 2>"$work/gen.err" || { cat "$work/gen.err"; bad "generator failed"; }
echo "generated entries:"; cat "$work/entries"
[ "$(grep -c '^menuentry ' "$work/entries")" = 2 ] || bad "expected 2 menu entries"
grep '^menuentry ' "$work/entries" | sed -n 1p | grep -q "with keel and Linux $new'" || bad "first entry is not the newest kernel"
grep '^menuentry ' "$work/entries" | sed -n 2p | grep -q "with keel and Linux $old'" || bad "second entry is not $old"
[ "$(grep -c $'^\tmultiboot2\t/boot/keel.elf console=com1 profile=x86-64-v2$' "$work/entries")" = 2 ] ||
    bad "multiboot2 lines lack keel.elf + GRUB_CMDLINE_KEEL"
for v in $new $old; do
    grep -qx $'\tmodule2\t'"/boot/vmlinuz-$v vmlinuz-$v root=UUID=$uuid ro console=ttyS0 quiet" "$work/entries" ||
        bad "no kernel line for $v with root=UUID, ro, GRUB_CMDLINE_LINUX and _DEFAULT"
done
grep -qx $'\tmodule2\t--nounzip /boot/initrd.img-'"$new" "$work/entries" || bad "no initrd.img-$new line"
grep -qx $'\tmodule2\t--nounzip /boot/initrd-'"$old.img" "$work/entries" || bad "no initrd-$old.img line"
# Each entry's initrd is its own kernel's.
awk -v n="$new" -v o="$old" '/^menuentry/ { v = index($0, n) ? n : o } /--nounzip/ && index($0, v) == 0 { exit 1 }' \
    "$work/entries" || bad "an entry loads another kernel's initrd"

# The Linux command line, cross-checked against Debian's own generator run
# over the same fake /boot (10_linux scans /boot itself: its paths are
# rewritten; it checks /dev/disk/by-uuid, which a fake UUID lacks, so both
# run with root=device).
if [ -f /etc/grub.d/10_linux ]; then
    sed -e "s|/boot/vmlinu|$R/boot/vmlinu|g" /etc/grub.d/10_linux > "$work/10_linux"
    (set -a; . "$R/etc/default/grub"; GRUB_DEVICE=/dev/vda1 GRUB_DISABLE_LINUX_UUID=true GRUB_DISABLE_SUBMENU=y \
        GRUB_DISABLE_RECOVERY=true pkgdatadir=/usr/share/grub sh "$work/10_linux") 2>/dev/null |
        sed -n 's|^\tlinux\t[^ ]*/vmlinuz-\([^ ]*\) \(.*\)$|\1 \2|p' | sort > "$work/linux.10"
    gen GRUB_DISABLE_LINUX_UUID=true 2>/dev/null |
        sed -n 's|^\tmodule2\t/boot/vmlinuz-\([^ ]*\) [^ ]* \(.*\)$|\1 \2|p' | sort > "$work/linux.keel"
    if [ -s "$work/linux.10" ] && cmp -s "$work/linux.10" "$work/linux.keel"; then
        echo "Linux command lines = Debian's 10_linux:"; sed 's/^/  /' "$work/linux.keel"
    else
        bad "Linux command lines differ from 10_linux's"; diff "$work/linux.10" "$work/linux.keel"
    fi
else
    echo "(no /etc/grub.d/10_linux here: cross-check skipped)"
fi
[ -z "$(gen GRUB_DISABLE_KEEL=true 2>/dev/null)" ] || bad "GRUB_DISABLE_KEEL=true still writes entries"
gen GRUB_DEVICE_UUID=$uuid GRUB_CMDLINE_LINUX_KEEL="maxcpus=1" 2>/dev/null |
    grep -qx $'\tmodule2\t'"/boot/vmlinuz-$new vmlinuz-$new root=UUID=$uuid ro console=ttyS0 quiet maxcpus=1" ||
    bad "GRUB_CMDLINE_LINUX_KEEL is not appended to Linux's command line"
gen GRUB_CMDLINE_KEEL="console=com2" 2>/dev/null | grep -q $'multiboot2\t/boot/keel.elf console=com2$' ||
    bad "GRUB_CMDLINE_KEEL from the environment is not used"

# ---- 3. boot the default entry ------------------------------------------------------
iso=$work/iso
mkdir -p "$iso/boot/grub"
cp "$R"/boot/* "$iso/boot/"
{
    echo 'serial --unit=0 --speed=115200'
    echo 'terminal_input serial console'
    echo 'terminal_output serial console'
    echo 'set timeout=0'
    echo 'set default=0'
    # From 00_header: the generated entries use $menuentry_id_option.
    echo 'if [ x$feature_menuentry_id = xy ]; then menuentry_id_option="--id"; else menuentry_id_option=""; fi'
    echo 'export menuentry_id_option'
    cat "$work/entries"
} > "$iso/boot/grub/grub.cfg"
mods="multiboot2 normal configfile iso9660 serial terminal echo test"
[ $platform = i386-pc ] && mods="$mods biosdisk"
grub-mkrescue -d /usr/lib/grub/$platform -o "$work/keel.iso" "$iso" --compress=no --fonts= --locales= --themes= \
    --install-modules="$mods" >"$work/mkrescue.log" 2>&1 || { cat "$work/mkrescue.log"; bad "grub-mkrescue"; exit 1; }
echo "booting the default entry ($firmware, GRUB $platform) ..."
timeout -k 5 "${BOOT_TIMEOUT:-300}" qemu-system-x86_64 -accel tcg -cpu max -m 256 -machine pc,smm=off "${qemu_fw[@]}" \
    -cdrom "$work/keel.iso" -boot d -serial stdio -display none -monitor none -no-reboot \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 </dev/null 2>"$work/qemu.err" | tr -d '\r' > "$work/serial.log"
qs=${PIPESTATUS[0]}
grep -aE '^(keel: (booted by|command line|module|guest:|guest exit|exit status|fatal)|KEEL-LINUX|PROBE)' "$work/serial.log"
echo "QEMU exit status $qs"
for re in "^keel: booted by GRUB .*\(multiboot2\)" "^keel: command line: 'console=com1 profile=x86-64-v2'" \
          "^keel: module 0: .*'vmlinuz-$new root=UUID=$uuid ro console=ttyS0 quiet'" \
          "^KEEL-LINUX-INIT: user space reached" "^keel: guest exit 0 \(ACPI" "^keel: exit status 0"; do
    grep -qaE -- "$re" "$work/serial.log" || bad "boot log lacks /$re/"
done
if [ $fail = 1 ]; then echo "--- serial log tail"; tail -n 30 "$work/serial.log"; fi

# ---- 4. make uninstall ------------------------------------------------------------
make -s uninstall DESTDIR="$R" PREFIX=/usr >/dev/null 2>&1 || bad "make uninstall"
for f in boot/keel.elf etc/grub.d/20_linux_keel etc/default/grub.d/keel.cfg usr/bin/keel-policy; do
    [ ! -e "$R/$f" ] || bad "make uninstall left /$f"
done
[ $fail = 0 ] && echo "grub-install ($firmware): all checks passed"
exit $fail
