#!/usr/bin/env bash
# Build keel's Linux test guest from Debian packages (no root needed once the
# tools are installed):
#   OUTDIR/vmlinuz    the Debian cloud kernel (bzImage) linux-image-cloud-amd64 depends on
#   OUTDIR/initrd.gz  initramfs (cpio newc, gzip): busybox, msr.ko and the virtio-blk
#                     modules from the same kernel package, tests/linux/probe (static),
#                     tests/linux/init
# Usage: scripts/build-linux-guest.sh [OUTDIR]     (default build/linux)
# Downloads are cached in OUTDIR/debs; re-running is fast when up to date.
# Needs: apt-get/apt-cache/dpkg-deb, gcc (static glibc), gzip, xz/zstd only if
# the modules are compressed. The cpio archive is written by busybox's cpio.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-build/linux}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
DEBS=$OUT/debs
mkdir -p "$DEBS"
say() { echo "build-linux-guest: $*" >&2; }
die() { say "error: $*"; exit 1; }

# --- resolve the versioned cloud kernel package ------------------------------
resolve_kpkg() {
    apt-cache depends linux-image-cloud-amd64 2>/dev/null |
        awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}
KPKG=$(resolve_kpkg || true)
if [ -z "$KPKG" ]; then
    if [ -f "$DEBS/kpkg" ]; then
        KPKG=$(cat "$DEBS/kpkg")    # offline: use what was resolved before
    elif [ "$(id -u)" = 0 ]; then
        say "apt-cache knows no linux-image-cloud-amd64: running apt-get update"
        apt-get update -qq >/dev/null || die "apt-get update failed"
        KPKG=$(resolve_kpkg || true)
    fi
fi
[ -n "$KPKG" ] || die "cannot resolve linux-image-cloud-amd64 (run 'apt-get update' as root)"
echo "$KPKG" > "$DEBS/kpkg"

# --- download (cached) --------------------------------------------------------
fetch() {  # fetch PKG -> prints the .deb path
    local pkg=$1 f
    f=$(ls "$DEBS/${pkg}"_*.deb 2>/dev/null | head -n1 || true)
    if [ -z "$f" ]; then
        say "downloading $pkg"
        (cd "$DEBS" && apt-get download -q "$pkg" >/dev/null 2>&1) ||
            (cd "$DEBS" && apt-get download "$pkg") || die "apt-get download $pkg failed"
        f=$(ls "$DEBS/${pkg}"_*.deb 2>/dev/null | head -n1 || true)
        [ -n "$f" ] || die "download of $pkg left no .deb in $DEBS"
    fi
    echo "$f"
}
KDEB=$(fetch "$KPKG")
BDEB=$(fetch busybox-static)

# --- is everything up to date? -------------------------------------------------
INPUTS=("$KDEB" "$BDEB" "$ROOT/tests/linux/probe.c" "$ROOT/tests/linux/init" "$0")
uptodate=1
for t in "$OUT/vmlinuz" "$OUT/initrd.gz"; do
    [ -f "$t" ] || { uptodate=0; break; }
    for i in "${INPUTS[@]}"; do
        [ "$i" -nt "$t" ] && uptodate=0
    done
done
if [ $uptodate = 1 ]; then
    say "up to date: $OUT/vmlinuz $OUT/initrd.gz ($KPKG)"
    exit 0
fi

# --- unpack ----------------------------------------------------------------------
X=$OUT/x
rm -rf "$X" && mkdir -p "$X/kernel" "$X/busybox"
dpkg-deb -x "$KDEB" "$X/kernel"
dpkg-deb -x "$BDEB" "$X/busybox"
VMLINUZ=$(ls "$X"/kernel/boot/vmlinuz-* 2>/dev/null | head -n1 || true)
[ -n "$VMLINUZ" ] || die "no boot/vmlinuz-* in $KDEB"
BUSYBOX=$X/busybox/bin/busybox
[ -x "$BUSYBOX" ] || die "no bin/busybox in $BDEB"
MSR=$(ls "$X"/kernel/lib/modules/*/kernel/arch/x86/kernel/msr.ko* 2>/dev/null | head -n1 || true)

# --- initramfs tree ----------------------------------------------------------------
R=$X/root
mkdir -p "$R"/{bin,sbin,proc,sys,dev,lib/modules,tmp,root}
cp "$BUSYBOX" "$R/bin/busybox"
for app in $("$BUSYBOX" --list); do
    [ "$app" = busybox ] && continue
    ln -sf busybox "$R/bin/$app"
done
install -m 0755 "$ROOT/tests/linux/init" "$R/init"
gcc -static -O2 -Wall -Wextra -o "$R/bin/probe" "$ROOT/tests/linux/probe.c" ||
    die "building the probe failed (needs static glibc: libc6-dev)"
strip "$R/bin/probe" 2>/dev/null || true
if [ -n "$MSR" ]; then
    case "$MSR" in
    *.ko)     cp "$MSR" "$R/lib/modules/msr.ko" ;;
    *.ko.xz)  xz -dc "$MSR" > "$R/lib/modules/msr.ko" ;;
    *.ko.zst) zstd -qdc "$MSR" > "$R/lib/modules/msr.ko" ;;
    *.ko.gz)  gzip -dc "$MSR" > "$R/lib/modules/msr.ko" ;;
    *) die "unknown module compression: $MSR" ;;
    esac
else
    say "warning: no msr.ko in $KPKG (built in?); the probe may find no /dev/cpu/0/msr"
fi
# efivarfs.ko: /init mounts it under EFI to read variables through the
# firmware's runtime services (absent = built in, or no EFI support).
EFIVARFS=$(ls "$X"/kernel/lib/modules/*/kernel/fs/efivarfs/efivarfs.ko* 2>/dev/null | head -n1 || true)
case "$EFIVARFS" in
"")       ;;
*.ko)     cp "$EFIVARFS" "$R/lib/modules/efivarfs.ko" ;;
*.ko.xz)  xz -dc "$EFIVARFS" > "$R/lib/modules/efivarfs.ko" ;;
*.ko.zst) zstd -qdc "$EFIVARFS" > "$R/lib/modules/efivarfs.ko" ;;
*.ko.gz)  gzip -dc "$EFIVARFS" > "$R/lib/modules/efivarfs.ko" ;;
*) die "unknown module compression: $EFIVARFS" ;;
esac

# The virtio-blk driver and what it needs, in load order (lib/modules/virtio.order):
# the disk test (keel.disk) does its I/O through a passed-through virtio disk.
add_module() {  # add_module NAME: lib/modules/NAME.ko, decompressed
    local m
    m=$(find "$X"/kernel/lib/modules -name "$1.ko*" 2>/dev/null | head -n1 || true)
    [ -n "$m" ] || { say "warning: no $1.ko in $KPKG (built in?)"; return 0; }
    case "$m" in
    *.ko)     cp "$m" "$R/lib/modules/$1.ko" ;;
    *.ko.xz)  xz -dc "$m" > "$R/lib/modules/$1.ko" ;;
    *.ko.zst) zstd -qdc "$m" > "$R/lib/modules/$1.ko" ;;
    *.ko.gz)  gzip -dc "$m" > "$R/lib/modules/$1.ko" ;;
    *) die "unknown module compression: $m" ;;
    esac
    echo "$1" >> "$R/lib/modules/virtio.order"
}
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk; do add_module "$m"; done

# --- cpio newc + gzip (busybox's cpio: no cpio package needed) -----------------
(cd "$R" && find . | LC_ALL=C sort | "$BUSYBOX" cpio -o -H newc 2>/dev/null) > "$OUT/initrd.cpio.tmp" ||
    die "cpio failed"
gzip -9n < "$OUT/initrd.cpio.tmp" > "$OUT/initrd.gz.tmp"
rm -f "$OUT/initrd.cpio.tmp"
cp "$VMLINUZ" "$OUT/vmlinuz.tmp"
mv "$OUT/vmlinuz.tmp" "$OUT/vmlinuz"
mv "$OUT/initrd.gz.tmp" "$OUT/initrd.gz"
rm -rf "$X"
say "built $OUT/vmlinuz ($(basename "$VMLINUZ")) and $OUT/initrd.gz ($(stat -c %s "$OUT/initrd.gz") bytes)"
