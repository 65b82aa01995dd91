# The emulator platforms a case can name (PLATFORMS=(...) in tests/cases/*.case).
# tests/run_case.sh sources this and calls `platform NAME` before it sources
# the case, so the case builds its ARGS from PLAT_ARGS and its EXPECT lines
# from the facts below. One case file then stands for one check per platform,
# reported as NAME@PLATFORM.
#   PLAT_ARGS    keel-run arguments that select the platform
#   PLAT_VIRT    SVM | VMX        (what keel's boot report calls the extension)
#   PLAT_VENDOR  AuthenticAMD | GenuineIntel
#   PLAT_LOADER  regex for the "booted by ..." line of keel's boot report
platform() {
    PLAT_VIRT=SVM PLAT_VENDOR=AuthenticAMD PLAT_LOADER='GRUB.* \(multiboot2\)'
    case $1 in
    qemu-kernel|qemu-max) PLAT_ARGS=(--emu qemu --cpu max --boot kernel); PLAT_LOADER='qemu \(multiboot v1\)' ;;
    qemu-epyc)     PLAT_ARGS=(--emu qemu --cpu EPYC --boot kernel); PLAT_LOADER='qemu \(multiboot v1\)' ;;
    qemu-iso-mb2)  PLAT_ARGS=(--emu qemu --boot iso) ;;
    qemu-iso-mb1)  PLAT_ARGS=(--emu qemu --boot iso --entry mb1); PLAT_LOADER='GRUB.* \(multiboot v1\)' ;;
    bochs-skylake) PLAT_ARGS=(--emu bochs --cpu corei7_skylake_x); PLAT_VIRT=VMX PLAT_VENDOR=GenuineIntel ;;
    bochs-ryzen)   PLAT_ARGS=(--emu bochs --cpu ryzen) ;;
    *) echo "tests/platforms.sh: unknown platform '$1'" >&2; return 1 ;;
    esac
}

# Print the runs a case file stands for: the file itself, or FILE@PLATFORM for
# each platform it names.
case_runs() {
    local f=$1 p
    if grep -q '^PLATFORMS=' "$f"; then
        for p in $(bash -c 'source "$1" >/dev/null 2>&1; echo "${PLATFORMS[@]}"' _ "$f"); do
            echo "$f@$p"
        done
    else
        echo "$f"
    fi
}
