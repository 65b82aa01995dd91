FUZZ_TARGETS += iommu_acpi
iommu_acpi_FUZZ_SRCS := tests/fuzz/iommu_acpi_fuzz.c vmm/iommu_acpi.c lib/format.c lib/string.c
