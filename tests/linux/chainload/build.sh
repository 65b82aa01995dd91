#!/usr/bin/env bash
# Build the chainload stub: build/chainload/chain.elf (ELF32 multiboot).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
OUT=${1:-$ROOT/build/chainload}
mkdir -p "$OUT"
CFLAGS="-m32 -std=gnu11 -O2 -Wall -Wextra -Werror -ffreestanding -fno-pic -fno-pie -nostdinc \
 -isystem $(gcc -print-file-name=include) -fno-stack-protector -mgeneral-regs-only -fno-asynchronous-unwind-tables -I$ROOT"
SRCS="tests/linux/chainload/chain.c vmm/loader.c vmm/loader_mem.c vmm/multiboot_guest.c vmm/multiboot2_guest.c vmm/linux_guest.c vmm/efi_map.c tests/linux/chainload/format32.c lib/log.c lib/string.c"
objs=""
for s in $SRCS; do
    o=$OUT/$(basename "$s" .c).o
    gcc $CFLAGS -c "$ROOT/$s" -o "$o"
    objs="$objs $o"
done
gcc -m32 -c "$ROOT/tests/linux/chainload/entry.S" -o "$OUT/entry.o"
ld -m elf_i386 -nostdlib --no-warn-rwx-segments -T "$ROOT/tests/linux/chainload/link.ld" -o "$OUT/chain.elf" "$OUT/entry.o" $objs
echo "$OUT/chain.elf"
