# The emulator platforms a case can name (PLATFORMS=(...) in tests/cases/*.case).
# tests/run_case.sh sources this and calls `platform NAME` before it sources
# the case, so the case builds its ARGS from PLAT_ARGS and its EXPECT lines
# from the facts below. One case file then stands for one check per platform,
# reported as NAME@PLATFORM.
#   PLAT_ARGS    keel-run arguments that select the platform
#   PLAT_VIRT    SVM | VMX        (what keel's boot report calls the extension)
#   PLAT_VENDOR  AuthenticAMD | GenuineIntel
#   PLAT_LOADER  regex for the "booted by ..." line of keel's boot report
#   PLAT_EMU     qemu | bochs
#   PLAT_FIRMWARE bios | uefi
#   PLAT_IOMMU   none | vtd | amdvi (q35-vtd, q35-amdvi: QEMU q35 with that IOMMU)
#   PLAT_IOMMU_KIND, PLAT_IOMMU_TABLE  how keel's boot report names it ("VT-d", "DMAR")
#   PLATFORM     the platform's name, for a case statement where the facts
#                above do not say enough
platform() {
    PLATFORM=$1 PLAT_EMU=qemu PLAT_FIRMWARE=bios PLAT_IOMMU=none PLAT_IOMMU_KIND="" PLAT_IOMMU_TABLE=""
    PLAT_VIRT=SVM PLAT_VENDOR=AuthenticAMD PLAT_LOADER='GRUB.* \(multiboot2\)'
    case $1 in
    qemu-kernel|qemu-max) PLAT_ARGS=(--emu qemu --cpu max --boot kernel); PLAT_LOADER='qemu \(multiboot v1\)' ;;
    qemu-epyc)     PLAT_ARGS=(--emu qemu --cpu EPYC --boot kernel); PLAT_LOADER='qemu \(multiboot v1\)' ;;
    qemu-iso-mb2)  PLAT_ARGS=(--emu qemu --boot iso) ;;
    qemu-iso-mb1)  PLAT_ARGS=(--emu qemu --boot iso --entry mb1); PLAT_LOADER='GRUB.* \(multiboot v1\)' ;;
    qemu-uefi)     PLAT_ARGS=(--emu qemu --firmware uefi); PLAT_FIRMWARE=uefi ;;
    q35-vtd)       PLAT_ARGS=(--emu qemu --cpu max --machine q35 --device intel-iommu); PLAT_LOADER='qemu \(multiboot v1\)'
                   PLAT_IOMMU=vtd PLAT_IOMMU_KIND=VT-d PLAT_IOMMU_TABLE=DMAR ;;
    q35-amdvi)     PLAT_ARGS=(--emu qemu --cpu max --machine q35 --device amd-iommu); PLAT_LOADER='qemu \(multiboot v1\)'
                   PLAT_IOMMU=amdvi PLAT_IOMMU_KIND=AMD-Vi PLAT_IOMMU_TABLE=IVRS ;;
    bochs-skylake) PLAT_ARGS=(--emu bochs --cpu corei7_skylake_x); PLAT_VIRT=VMX PLAT_VENDOR=GenuineIntel PLAT_EMU=bochs ;;
    bochs-ryzen)   PLAT_ARGS=(--emu bochs --cpu ryzen); PLAT_EMU=bochs ;;
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
