UNIT_TESTS += iommu
iommu_SRCS := tests/unit/test_iommu.c vmm/iommu_acpi.c vmm/iommu_pt.c vmm/acpi_copy.c lib/palloc.c lib/string.c \
              lib/format.c
