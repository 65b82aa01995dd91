#!/usr/bin/env bash
# Install the Debian packages keel needs to build and test. Idempotent: only
# missing packages are installed. Needs root (apt-get); otherwise it says what
# is missing and exits non-zero.
set -u
PKGS="nasm binutils gcc make qemu-system-x86 grub-pc-bin grub-efi-amd64-bin ovmf grub-common xorriso mtools
      bochs bochsbios vgabios bochs-term lcov libcmocka-dev clang pkg-config libc6-dev gdb"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "deps.sh: missing packages:$missing" >&2
    echo "deps.sh: run 'sudo scripts/deps.sh' (or apt-get install them) and retry" >&2
    exit 1
fi
echo "deps.sh: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || { echo "deps.sh: apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
    echo "deps.sh: apt-get install failed for:$missing" >&2; exit 1; }
